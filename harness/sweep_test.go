package harness

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ovacts/ovacts/fixtures"
	"libvirt.org/go/libvirt"
)

// openLookalikes opens a private test-driver stack holding foreign objects that
// look like the suite's: ovacts-webfront-1, ovacts-database-01, a domain with
// a run-like name whose owner record names this host and pid 1, a volume with
// a run-like name in the foreign pool "default", and a run-like pool on the
// shared image directory holding a vendor's and a customer's images.
func openLookalikes(t *testing.T) *libvirt.Connect {
	t.Helper()
	tmpl, err := os.ReadFile("testdata/lookalikes.xml.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "lookalikes.xml")
	if err := os.WriteFile(p, []byte(strings.ReplaceAll(string(tmpl), "{{HOST}}", ThisHost())), 0o600); err != nil {
		t.Fatal(err)
	}
	conn, err := Open("test://" + p)
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

// dumpStack is every object's XML (domains live and inactive, networks, pools,
// volumes), sorted: two dumps are equal when nothing changed.
func dumpStack(t *testing.T, conn *libvirt.Connect) string {
	t.Helper()
	var out []string
	doms, err := conn.ListAllDomains(0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range doms {
		for _, fl := range []libvirt.DomainXMLFlags{0, libvirt.DOMAIN_XML_INACTIVE} {
			x, err := doms[i].GetXMLDesc(fl)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, x)
		}
		doms[i].Free()
	}
	nets, err := conn.ListAllNetworks(0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range nets {
		x, err := nets[i].GetXMLDesc(0)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, x)
		nets[i].Free()
	}
	pools, err := conn.ListAllStoragePools(0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range pools {
		x, err := pools[i].GetXMLDesc(0)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, x)
		vols, err := pools[i].ListAllStorageVolumes(0)
		if err != nil {
			t.Fatal(err)
		}
		for j := range vols {
			x, err := vols[j].GetXMLDesc(0)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, x)
			vols[j].Free()
		}
		pools[i].Free()
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// deadRun leaves behind what a run killed mid-way leaves: its objects on the
// stack and its ledger, with no live process. It returns the run id, the
// ledger's path and the stack's key.
func deadRun(t *testing.T, conn *libvirt.Connect, reg RunRegistry) (string, string, string) {
	t.Helper()
	run := NewRunID()
	stack, err := StackKey(conn)
	if err != nil {
		t.Fatal(err)
	}
	l, err := reg.OpenLedger(run)
	if err != nil {
		t.Fatal(err)
	}
	tr := NewTracker(conn, l, stack)
	prefix := RunPrefix(run)
	name, uuid := prefix+"s1-vm", NewUUID()
	x, err := fixtures.Domain("minimal", fixtures.DomainVars{Name: name, UUID: uuid, Type: "test", Arch: "i686"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := tr.CreateDomain(name, uuid, x, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Create(); err != nil {
		t.Fatal(err)
	}
	d.Free()
	dir := ImageDir + "/" + prefix + "s1-store"
	p, err := tr.CreateDirPool(prefix+"s1-store", dir)
	if err != nil {
		t.Fatal(err)
	}
	v, err := tr.CreateVolume(p, prefix+"s1-store", dir, prefix+"s1-disk", `<volume><name>`+prefix+`s1-disk</name><capacity>1024</capacity></volume>`)
	if err != nil {
		t.Fatal(err)
	}
	v.Free()
	p.Free()
	scratch := filepath.Join(t.TempDir(), prefix+"s1-scratch")
	if err := tr.Create(Resource{Kind: KindDir, Path: scratch}, func() (string, error) { return "", os.Mkdir(scratch, 0o700) }); err != nil {
		t.Fatal(err)
	}
	// Killed here: no cleanup, the ledger stays, the lock goes with the process.
	l.f.Close()
	return run, l.path, stack
}

// A sweep removes a dead run's recorded objects, and nothing else: every
// look-alike, forged record and shared-directory pool stays byte-identical.
func TestSweepRemovesOnlyRecordedObjectsOfDeadRuns(t *testing.T) {
	conn := openLookalikes(t)
	reg := RunRegistry{Dir: t.TempDir()}
	before := dumpStack(t, conn)
	run, ledger, stack := deadRun(t, conn, reg)
	res := Sweep(conn, reg, SweepOptions{Stack: stack})
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	if len(res.Removed) != 4 { // domain, volume, pool, scratch directory
		t.Errorf("removed %v", res.Removed)
	}
	for _, j := range res.Removed {
		if j.Run != run || !strings.Contains(j.Why, "ledger of dead run "+run) {
			t.Errorf("removed %v without naming the ledger", j)
		}
	}
	if after := dumpStack(t, conn); after != before {
		t.Fatalf("the stack is not as it was before the dead run (-want +got):\n%s\n----\n%s", before, after)
	}
	if _, err := os.Stat(ledger); !os.IsNotExist(err) {
		t.Errorf("the resolved ledger is still there: %v", err)
	}
}

// A ledger entry whose name is taken by another object (another UUID, another
// directory, a record of another run) never removes that object.
func TestSweepJudgesByIdentityNotName(t *testing.T) {
	conn := openLookalikes(t)
	reg := RunRegistry{Dir: t.TempDir()}
	stack, err := StackKey(conn)
	if err != nil {
		t.Fatal(err)
	}
	before := dumpStack(t, conn)
	l, err := reg.OpenLedger("abcdefgh")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []Resource{
		// The run made these names, but what the stack holds under them now is not what it made.
		{Kind: KindDomain, Name: "ovacts-abcdefgh-s1-vm", UUID: NewUUID()},
		{Kind: KindNetwork, Name: "ovacts-abcdefgh-s2-net", UUID: NewUUID()},
		{Kind: KindPool, Name: "ovacts-abcdefgh-shared", UUID: "5a0c1e2e-1d1b-4f4c-9a01-000000000006", Path: ImageDir + "/ovacts-abcdefgh-shared"},
		{Kind: KindVolume, Name: "ovacts-abcdefgh-x.img", Path: ImageDir + "/ovacts-abcdefgh-s3-p/ovacts-abcdefgh-x.img", Parent: "default"},
		// No UUID recorded: only an owner record of this run could speak for it.
		{Kind: KindDomain, Name: "ovacts-webfront-1"},
	} {
		if _, err := l.Record(stack, r); err != nil {
			t.Fatal(err)
		}
	}
	l.f.Close()
	res := Sweep(conn, reg, SweepOptions{Stack: stack})
	if len(res.Errors) > 0 || len(res.Removed) > 0 {
		t.Fatalf("removed %v, errors %v", res.Removed, res.Errors)
	}
	if len(res.Kept) != 5 {
		t.Errorf("kept %v", res.Kept)
	}
	for _, k := range res.Kept {
		if !strings.Contains(k.Why, "not the object run abcdefgh made") {
			t.Errorf("kept %v for another reason", k)
		}
	}
	if after := dumpStack(t, conn); after != before {
		t.Fatal("a foreign object changed")
	}
}

// An owner record that names another run, another host, or a live process
// protects an object even when a dead run's ledger lists it exactly.
func TestSweepOwnerRecordsProtect(t *testing.T) {
	conn := openTest(t)
	reg := RunRegistry{Dir: t.TempDir()}
	stack, err := StackKey(conn)
	if err != nil {
		t.Fatal(err)
	}
	run := NewRunID()
	l, err := reg.OpenLedger(run)
	if err != nil {
		t.Fatal(err)
	}
	tr := NewTracker(conn, l, stack)
	records := map[string]Owner{}
	other := NewOwner(NewRunID(), fixedTime)
	records["other-run"] = other
	elsewhere := NewOwner(run, fixedTime)
	elsewhere.Host = "elsewhere.example"
	records["other-host"] = elsewhere
	records["live-process"] = NewOwner(run, fixedTime) // this test's own process
	dead := NewOwner(run, fixedTime)
	dead.PID, dead.Proc = 1, "1" // pid 1 never started at tick 1
	records["forged-live"] = dead
	for what, o := range records {
		name, uuid := RunPrefix(run)+"s1-"+what, NewUUID()
		x, _ := fixtures.Domain("minimal", fixtures.DomainVars{Name: name, UUID: uuid, Type: "test", Arch: "i686"})
		d, err := tr.CreateDomain(name, uuid, x, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := OwnDomain(d, o); err != nil {
			t.Fatal(err)
		}
		d.Free()
	}
	l.f.Close()
	res := Sweep(conn, reg, SweepOptions{Stack: stack})
	t.Cleanup(func() {
		for what := range records {
			Remove(conn, Resource{Kind: KindDomain, Name: RunPrefix(run) + "s1-" + what})
		}
	})
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	if len(res.Removed) != 1 || !strings.HasSuffix(res.Removed[0].Res.Name, "forged-live") {
		t.Errorf("removed %v; only the domain whose record names a dead process may go", res.Removed)
	}
	why := map[string]string{}
	for _, k := range res.Kept {
		why[strings.TrimPrefix(k.Res.Name, RunPrefix(run)+"s1-")] = k.Why
	}
	for what, want := range map[string]string{"other-run": "names run " + other.Run, "other-host": "names host elsewhere.example", "live-process": "still alive"} {
		if !strings.Contains(why[what], want) {
			t.Errorf("%s: kept because %q, want %q", what, why[what], want)
		}
	}
}

// --dry-run judges and reports, and removes nothing; the ledger stays.
func TestSweepDryRun(t *testing.T) {
	conn := openLookalikes(t)
	reg := RunRegistry{Dir: t.TempDir()}
	run, ledger, stack := deadRun(t, conn, reg)
	before := dumpStack(t, conn)
	res := Sweep(conn, reg, SweepOptions{Stack: stack, DryRun: true})
	if len(res.Errors) > 0 || len(res.Removed) != 4 {
		t.Fatalf("would remove %v, errors %v", res.Removed, res.Errors)
	}
	if after := dumpStack(t, conn); after != before {
		t.Fatal("a dry run changed the stack")
	}
	if _, err := os.Stat(ledger); err != nil {
		t.Fatalf("a dry run touched the ledger: %v", err)
	}
	if res := Sweep(conn, reg, SweepOptions{Stack: stack}); len(res.Removed) != 4 {
		t.Fatalf("after the dry run, the sweep of run %s removed %v", run, res.Removed)
	}
}

// A run whose ledger is locked is alive, registered or not; so is a run whose
// registry entry cannot be read.
func TestSweepLeavesLiveRuns(t *testing.T) {
	conn := openLookalikes(t)
	reg := RunRegistry{Dir: t.TempDir()}
	stack, _ := StackKey(conn)
	l, err := reg.OpenLedger(NewRunID()) // held open: the lock says alive
	if err != nil {
		t.Fatal(err)
	}
	defer l.f.Close()
	tr := NewTracker(conn, l, stack)
	p, err := tr.CreateDirPool(RunPrefix(NewRunID())+"s1-live", ImageDir+"/x")
	if err != nil {
		t.Fatal(err)
	}
	p.Free()
	t.Cleanup(func() { tr.Cleanup() })
	// Another run, dead by its ledger's lock but with a registry entry that
	// cannot be read: alive on the doubt.
	run, _, _ := deadRun(t, conn, reg)
	if err := os.WriteFile(reg.file(run), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := dumpStack(t, conn)
	if res := Sweep(conn, reg, SweepOptions{Stack: stack}); len(res.Removed) > 0 || len(res.Errors) > 0 {
		t.Fatalf("removed %v, errors %v", res.Removed, res.Errors)
	}
	if dumpStack(t, conn) != before {
		t.Fatal("a live run's objects changed")
	}
}

// A pool of a dead run that holds a file the run did not record stays, with
// its directory and the file, and the sweep says why.
func TestSweepLeavesAPoolHoldingUnrecordedFiles(t *testing.T) {
	conn := openLookalikes(t)
	reg := RunRegistry{Dir: t.TempDir()}
	run, _, stack := deadRun(t, conn, reg)
	p, err := conn.LookupStoragePoolByName(RunPrefix(run) + "s1-store")
	if err != nil {
		t.Fatal(err)
	}
	v, err := p.StorageVolCreateXML(`<volume><name>someone-elses.img</name><capacity>1024</capacity></volume>`, 0)
	if err != nil {
		t.Fatal(err)
	}
	v.Free()
	p.Free()
	res := Sweep(conn, reg, SweepOptions{Stack: stack})
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error(), "holds files the run did not record (someone-elses.img)") {
		t.Fatalf("errors %v", res.Errors)
	}
	p, err = conn.LookupStoragePoolByName(RunPrefix(run) + "s1-store")
	if err != nil {
		t.Fatal("the pool holding a foreign file was removed")
	}
	defer p.Free()
	if v, err := p.LookupStorageVolByName("someone-elses.img"); err != nil {
		t.Fatal("the foreign file was removed")
	} else {
		v.Free()
	}
}

// A dead run's domains that are gone (it removed them before it died) leave
// no QEMU log behind the sweep; objects recorded on another stack stay, and
// the sweep says where they are.
func TestSweepRemovesLogsOfGoneDomainsAndNamesOtherStacks(t *testing.T) {
	conn := openLookalikes(t)
	reg := RunRegistry{Dir: t.TempDir()}
	logs := t.TempDir()
	run := NewRunID()
	l, err := reg.OpenLedger(run)
	if err != nil {
		t.Fatal(err)
	}
	stack, err := StackKey(conn)
	if err != nil {
		t.Fatal(err)
	}
	gone := RunPrefix(run) + "s1-vm"
	seq, err := l.Record(stack, Resource{Kind: KindDomain, Name: gone, UUID: NewUUID()})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Resolve(seq); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Record("host:00000000-0000-4000-8000-000000000001", Resource{Kind: KindDomain, Name: RunPrefix(run) + "s2-vm", UUID: NewUUID()}); err != nil {
		t.Fatal(err)
	}
	l.f.Close() // the run dies
	for _, f := range []string{gone + ".log", gone + ".log.1", RunPrefix(run) + "s10-vm.log", "customer-vm.log"} {
		if err := os.WriteFile(filepath.Join(logs, f), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	res := Sweep(conn, reg, SweepOptions{Stack: stack, LogDir: logs})
	if len(res.Errors) > 0 || res.Logs != 2 {
		t.Errorf("logs removed %d, errors %v; want the 2 of %s", res.Logs, res.Errors, gone)
	}
	left, _ := filepath.Glob(filepath.Join(logs, "*"))
	if len(left) != 2 || !strings.HasSuffix(left[0], "customer-vm.log") || !strings.HasSuffix(left[1], "s10-vm.log") {
		t.Errorf("left %v: want the customer's log and the unrecorded domain's", left)
	}
	if note := res.ElsewhereNote(stack); !strings.Contains(note, "1 on host:00000000-0000-4000-8000-000000000001") {
		t.Errorf("the sweep does not say where the other object is: %q", note)
	}
}
