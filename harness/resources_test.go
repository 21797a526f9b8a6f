package harness

import (
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/ovacts/ovacts/fixtures"
	"libvirt.org/go/libvirt"
)

// test:///default is one fake hypervisor per process, with foreign objects of
// its own (domain "test", network "default", pool "default-pool").
func openTest(t *testing.T) *libvirt.Connect {
	t.Helper()
	conn, err := Open("test:///default")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := CloseChecked(conn); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return conn
}

func defineTestDomain(t *testing.T, conn *libvirt.Connect, name string) {
	t.Helper()
	x, err := fixtures.Domain("minimal", fixtures.DomainVars{Name: name, UUID: NewUUID(), Type: "test", Arch: "x86_64"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := conn.DomainDefineXML(x)
	if err != nil {
		t.Fatal(err)
	}
	d.Free()
}

func domainExists(t *testing.T, conn *libvirt.Connect, name string) bool {
	t.Helper()
	d, err := conn.LookupDomainByName(name)
	if err == nil {
		d.Free()
		return true
	}
	if !errors.Is(err, libvirt.ERR_NO_DOMAIN) {
		t.Fatal(err)
	}
	return false
}

func foreignXML(t *testing.T, conn *libvirt.Connect) string {
	t.Helper()
	d, err := conn.LookupDomainByName("test")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Free()
	dx, err := d.GetXMLDesc(0)
	if err != nil {
		t.Fatal(err)
	}
	n, err := conn.LookupNetworkByName("default")
	if err != nil {
		t.Fatal(err)
	}
	defer n.Free()
	nx, err := n.GetXMLDesc(0)
	if err != nil {
		t.Fatal(err)
	}
	return dx + nx
}

func TestTrackerRemovesInReverseOrder(t *testing.T) {
	conn := openTest(t)
	tr := NewTracker(conn)
	prefix := RunPrefix(NewRunID())
	for i := 0; i < 3; i++ {
		name := fmt.Sprintf("%sd%d", prefix, i)
		defineTestDomain(t, conn, name)
		tr.Add(Resource{Kind: KindDomain, Name: name})
	}
	// Removed by hand already: NotFound counts as removed.
	tr.Add(Resource{Kind: KindDomain, Name: prefix + "gone"})
	pending := tr.Pending()
	want := []string{prefix + "gone", prefix + "d2", prefix + "d1", prefix + "d0"}
	for i, r := range pending {
		if r.Name != want[i] {
			t.Fatalf("removal order %v, want %v", pending, want)
		}
	}
	if err := tr.Cleanup(); err != nil {
		t.Fatal(err)
	}
	for _, n := range want {
		if domainExists(t, conn, n) {
			t.Errorf("%s survived cleanup", n)
		}
	}
	if len(tr.Pending()) != 0 {
		t.Error("tracker not empty after cleanup")
	}
}

func TestRemoveHandlesEveryDomainState(t *testing.T) {
	conn := openTest(t)
	prefix := RunPrefix(NewRunID())
	for _, state := range []string{"shutoff", "running", "paused", "transient"} {
		name := prefix + state
		if state == "transient" {
			x, _ := fixtures.Domain("minimal", fixtures.DomainVars{Name: name, UUID: NewUUID(), Type: "test", Arch: "x86_64"})
			d, err := conn.DomainCreateXML(x, 0)
			if err != nil {
				t.Fatal(err)
			}
			d.Free()
		} else {
			defineTestDomain(t, conn, name)
			d, _ := conn.LookupDomainByName(name)
			if state != "shutoff" {
				if err := d.Create(); err != nil {
					t.Fatal(err)
				}
			}
			if state == "paused" {
				if err := d.Suspend(); err != nil {
					t.Fatal(err)
				}
			}
			d.Free()
		}
		if err := Remove(conn, Resource{Kind: KindDomain, Name: name}); err != nil {
			t.Fatalf("%s: %v", state, err)
		}
		if domainExists(t, conn, name) {
			t.Fatalf("%s domain survived Remove", state)
		}
	}
}

func TestSweepRemovesOnlyDeadRunsObjects(t *testing.T) {
	conn := openTest(t)
	before := foreignXML(t, conn)
	dead, live := NewRunID(), NewRunID()
	defineTestDomain(t, conn, RunPrefix(dead)+"s1-stale")
	defineTestDomain(t, conn, RunPrefix(live)+"s1-busy")
	defineTestDomain(t, conn, "ovacts-not-our-scheme") // prefix but no run id: not provably ours
	defineTestDomain(t, conn, "someone-elses")
	t.Cleanup(func() {
		for _, n := range []string{RunPrefix(live) + "s1-busy", "ovacts-not-our-scheme", "someone-elses"} {
			Remove(conn, Resource{Kind: KindDomain, Name: n})
		}
	})
	res, err := Sweep(conn, func(id string) bool { return id == live })
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	if domainExists(t, conn, RunPrefix(dead)+"s1-stale") {
		t.Error("the dead run's domain survived the sweep")
	}
	for _, n := range []string{RunPrefix(live) + "s1-busy", "ovacts-not-our-scheme", "someone-elses", "test"} {
		if !domainExists(t, conn, n) {
			t.Errorf("the sweep removed %s", n)
		}
	}
	if after := foreignXML(t, conn); after != before {
		t.Error("foreign objects changed during the sweep")
	}
	if len(res.Kept) != 1 || res.Kept[0].Name != RunPrefix(live)+"s1-busy" {
		t.Errorf("kept %v", res.Kept)
	}
}

func TestRunRegistryLiveness(t *testing.T) {
	reg := RunRegistry{Dir: t.TempDir()}
	id := NewRunID()
	if reg.Alive(id) {
		t.Fatal("an unregistered run is alive")
	}
	if err := reg.Register(id); err != nil {
		t.Fatal(err)
	}
	if !reg.Alive(id) {
		t.Fatal("this process's run is not alive")
	}
	reg.Unregister(id)
	if reg.Alive(id) {
		t.Fatal("an unregistered run is alive")
	}
	if err := reg.Register("../evil"); err == nil {
		t.Fatal("accepted a run id with a path in it")
	}
}

func TestRedactURI(t *testing.T) {
	cases := map[string]string{
		"qemu:///system":                               "qemu:///system",
		"qemu+ssh://root@host/system":                  "qemu+ssh://root@host/system",
		"qemu+tcp://admin:hunter2@host/system":         "qemu+tcp://admin:xxxxx@host/system",
		"qemu+tls://host/system?pkipath=/x&password=p": "qemu+tls://host/system?password=xxxxx&pkipath=%2Fx",
		"::::": "[unparseable URI]",
	}
	for in, want := range cases {
		if got := RedactURI(in); got != want {
			t.Errorf("RedactURI(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestErrorNames(t *testing.T) {
	if got := ErrorCodeName(libvirt.ERR_NO_DOMAIN); got != "VIR_ERR_NO_DOMAIN" {
		t.Errorf("got %s", got)
	}
	if n, ok := ErrorCodeByName("VIR_ERR_OPERATION_INVALID"); !ok || n != libvirt.ERR_OPERATION_INVALID {
		t.Errorf("got %v %v", n, ok)
	}
	if _, ok := ErrorCodeByName("VIR_ERR_NOPE"); ok {
		t.Error("resolved an unknown code")
	}
	err := fmt.Errorf("starting: %w", libvirt.Error{Code: libvirt.ERR_OPERATION_INVALID, Message: "domain is already running"})
	if got := DescribeError(err); got != "starting: VIR_ERR_OPERATION_INVALID: domain is already running" {
		t.Errorf("DescribeError = %q", got)
	}
	if !errors.Is(err, libvirt.ERR_OPERATION_INVALID) {
		t.Error("errors.Is does not see through %w")
	}
}

var fixedTime = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func TestOwnerRecordRoundTrips(t *testing.T) {
	o := NewOwner("abcd1234", fixedTime)
	for _, s := range []string{o.XML(), "a secret; " + o.Text()} {
		got, ok := ParseOwner(s)
		if !ok || got != o {
			t.Errorf("ParseOwner(%q) = %+v, %v; want %+v", s, got, ok, o)
		}
	}
	if _, ok := ParseOwner("someone else's description"); ok {
		t.Error("parsed an owner out of a foreign description")
	}
}

// A dead run's domain whose owner record names another host is left alone:
// this host cannot know whether that run is alive.
func TestSweepLeavesOtherHostsObjects(t *testing.T) {
	conn := openTest(t)
	mine, theirs := RunPrefix(NewRunID())+"s1-mine", RunPrefix(NewRunID())+"s1-theirs"
	defineTestDomain(t, conn, mine)
	defineTestDomain(t, conn, theirs)
	t.Cleanup(func() { Remove(conn, Resource{Kind: KindDomain, Name: theirs}) })
	for name, host := range map[string]string{mine: ThisHost(), theirs: "elsewhere.example"} {
		d, err := conn.LookupDomainByName(name)
		if err != nil {
			t.Fatal(err)
		}
		o := NewOwner(name[7:15], time.Now())
		o.Host = host
		if err := OwnDomain(d, o); err != nil {
			t.Fatal(err)
		}
		d.Free()
	}
	res, err := Sweep(conn, func(string) bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	if domainExists(t, conn, mine) || !domainExists(t, conn, theirs) {
		t.Fatalf("sweep removed %v, left to other hosts %v", res.Removed, res.OtherHost)
	}
}

func TestRegistryIgnoresAReusedPID(t *testing.T) {
	reg := RunRegistry{Dir: t.TempDir()}
	id := NewRunID()
	// This process's pid, but a start time it never had: a reused pid.
	if err := os.WriteFile(reg.file(id), []byte(fmt.Sprintf("%d 1\n", os.Getpid())), 0o644); err != nil {
		t.Fatal(err)
	}
	if reg.Alive(id) {
		t.Fatal("a run whose pid was reused by another process counts as alive")
	}
}

func TestResourceString(t *testing.T) {
	for r, want := range map[Resource]string{
		{Kind: KindDomain, Name: "ovacts-a-s1-vm"}:                               "domain ovacts-a-s1-vm",
		{Kind: KindVolume, Name: "v", Parent: "ovacts-a-s1-p"}:                   "volume ovacts-a-s1-p/v",
		{Kind: KindPool, Name: "ovacts-a-s1-p", Parent: "/images/ovacts-a-s1-p"}: "pool ovacts-a-s1-p (/images/ovacts-a-s1-p)",
		{Kind: KindSecret, Name: "uuid", Parent: "ovacts-a-s1-s"}:                "secret uuid (usage ovacts-a-s1-s)",
	} {
		if got := r.String(); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}
