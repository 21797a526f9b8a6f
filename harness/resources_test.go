package harness

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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

func defineTestDomain(t *testing.T, conn *libvirt.Connect, name string) string {
	t.Helper()
	uuid := NewUUID()
	x, err := fixtures.Domain("minimal", fixtures.DomainVars{Name: name, UUID: uuid, Type: "test", Arch: "x86_64"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := conn.DomainDefineXML(x)
	if err != nil {
		t.Fatal(err)
	}
	d.Free()
	return uuid
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
	tr := NewTracker(conn, nil, "")
	prefix := RunPrefix(NewRunID())
	for i := 0; i < 3; i++ {
		name := fmt.Sprintf("%sd%d", prefix, i)
		tr.Add(Resource{Kind: KindDomain, Name: name, UUID: defineTestDomain(t, conn, name)})
	}
	// Removed by hand already: NotFound counts as removed.
	tr.Add(Resource{Kind: KindDomain, Name: prefix + "gone", UUID: NewUUID()})
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
		name, uuid := prefix+state, ""
		if state == "transient" {
			uuid = NewUUID()
			x, _ := fixtures.Domain("minimal", fixtures.DomainVars{Name: name, UUID: uuid, Type: "test", Arch: "x86_64"})
			d, err := conn.DomainCreateXML(x, 0)
			if err != nil {
				t.Fatal(err)
			}
			d.Free()
		} else {
			uuid = defineTestDomain(t, conn, name)
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
		if err := Remove(conn, Resource{Kind: KindDomain, Name: name, UUID: uuid}); err != nil {
			t.Fatalf("%s: %v", state, err)
		}
		if domainExists(t, conn, name) {
			t.Fatalf("%s domain survived Remove", state)
		}
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

func TestRegistryIgnoresAReusedPID(t *testing.T) {
	reg := RunRegistry{Dir: t.TempDir()}
	id := NewRunID()
	// This process's pid, but a start time it never had: a reused pid.
	if err := os.WriteFile(reg.file(id), []byte(fmt.Sprintf("%d 1 -\n", os.Getpid())), 0o644); err != nil {
		t.Fatal(err)
	}
	if reg.Alive(id) {
		t.Fatal("a run whose pid was reused by another process counts as alive")
	}
}

func TestResourceString(t *testing.T) {
	for r, want := range map[Resource]string{
		{Kind: KindDomain, Name: "ovacts-a-s1-vm"}:                             "domain ovacts-a-s1-vm",
		{Kind: KindVolume, Name: "v", Parent: "ovacts-a-s1-p"}:                 "volume ovacts-a-s1-p/v",
		{Kind: KindPool, Name: "ovacts-a-s1-p", Path: "/images/ovacts-a-s1-p"}: "pool ovacts-a-s1-p (/images/ovacts-a-s1-p)",
		{Kind: KindSecret, UUID: "uuid", Name: "ovacts-a-s1-s"}:                "secret uuid (usage ovacts-a-s1-s)",
		{Kind: KindDir, Path: "/tmp/ovacts-a-s1-x"}:                            "directory /tmp/ovacts-a-s1-x",
	} {
		if got := r.String(); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

// A registry entry is written whole, records the boot, and one that cannot be
// read counts as alive; a state directory others can write to is refused.
func TestRunRegistryEntries(t *testing.T) {
	reg := RunRegistry{Dir: filepath.Join(t.TempDir(), "state")}
	id := NewRunID()
	if err := reg.Register(id); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(reg.Dir)
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("state directory mode %v, %v", st.Mode(), err)
	}
	b, err := os.ReadFile(reg.file(id))
	if err != nil || len(strings.Fields(string(b))) != 3 {
		t.Fatalf("entry %q, %v", b, err)
	}
	for _, garbage := range []string{"", "x y z", "12"} {
		if err := os.WriteFile(reg.file(id), []byte(garbage), 0o600); err != nil {
			t.Fatal(err)
		}
		if !reg.Alive(id) {
			t.Errorf("entry %q: a run that cannot be judged counts as dead", garbage)
		}
	}
	if err := os.WriteFile(reg.file(id), []byte(fmt.Sprintf("%d 1 -\n", os.Getpid())), 0o600); err != nil {
		t.Fatal(err)
	}
	if reg.Alive(id) {
		t.Error("a reused pid counts as the run")
	}
	os.Chmod(reg.Dir, 0o777)
	if err := reg.Register(NewRunID()); err == nil || !strings.Contains(err.Error(), "writable by group or others") {
		t.Errorf("a world-writable state directory was accepted: %v", err)
	}
}
