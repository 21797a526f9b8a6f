//go:build realstack

package main

import (
	"encoding/xml"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/ovacts/ovacts/fixtures"
	"github.com/ovacts/ovacts/harness"
	"libvirt.org/go/libvirt"
)

// openReal connects to the real stack for the test; Close must return 0 at its end.
func openReal(t *testing.T) *libvirt.Connect {
	t.Helper()
	conn, err := harness.Open(realURI)
	if err != nil {
		t.Fatalf("the real stack is not reachable (run make setup): %v", err)
	}
	t.Cleanup(func() {
		if err := harness.CloseChecked(conn); err != nil {
			t.Error(err)
		}
	})
	return conn
}

// gfsJUnit is the part of the JUnit report these tests read: each testcase's
// time and skip message.
type gfsJUnit struct {
	Suites []struct {
		Cases []gfsCase `xml:"testcase"`
	} `xml:"testsuite"`
}

type gfsCase struct {
	Name    string  `xml:"name,attr"`
	Time    float64 `xml:"time,attr"`
	Failure *struct {
		Message string `xml:"message,attr"`
	} `xml:"failure"`
	Skipped *struct {
		Text string `xml:",chardata"`
	} `xml:"skipped"`
}

// cases are the testcases of every testsuite.
func (d gfsJUnit) cases() []gfsCase {
	var out []gfsCase
	for _, s := range d.Suites {
		out = append(out, s.Cases...)
	}
	return out
}

func readGfsJUnit(t *testing.T, path string) gfsJUnit {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d gfsJUnit
	if err := xml.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// The libguestfs area on this machine, both backends: every scenario passes,
// the report names the library and the accelerator the probe chose (TCG here,
// with the reason KVM was passed over), and nothing is left: no ovacts object,
// no appliance domain, no image or scratch directory.
func TestRealStackLibguestfs(t *testing.T) {
	conn := openReal(t)
	cat := list(t, "--profile", "libguestfs")
	junit := filepath.Join(t.TempDir(), "junit.xml")
	logsBefore, _ := filepath.Glob(harness.QEMULogDir + "/guestfs-*.log")
	r := ovacts(t, "run", "--uri", realURI, "--profile", "libguestfs", "--fail-on", "should", "--junit", junit)
	props := junitProps(t, junit)
	if why := props["guestfs.missing"]; why != "" {
		t.Fatalf("libguestfs was not usable (make test installs it and builds with the binding): %s\n%s", why, r.stdout)
	}
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	checkReportReaders(t, r.stdout, junit, "junit", "")
	d := readJUnit(t, junit)
	if d.Tests != cat.Scenarios || d.Skipped != 0 || d.Failures != 0 || d.Errors != 0 {
		t.Errorf("JUnit: %d testcases (%d skipped, %d failed, %d errors), want all %d passed", d.Tests, d.Skipped, d.Failures, d.Errors, cat.Scenarios)
	}
	if !strings.HasPrefix(props["guestfs.version"], "1.") {
		t.Errorf("guestfs.version: %q", props["guestfs.version"])
	}
	switch accel := props["guestfs.accel"]; {
	case accel == "kvm":
	case accel == "tcg" && props["kvm.usable"] == "true" && !strings.HasPrefix(props["guestfs.accel.note"], "kvm:"):
		t.Errorf("appliance on tcg although KVM is usable, and no note why: %v", props)
	case accel != "tcg":
		t.Errorf("no appliance accelerator in the report: %v", props)
	}
	// Per-scenario times, for the record.
	var total float64
	for _, c := range readGfsJUnit(t, junit).cases() {
		t.Logf("%6.1f s  %s", c.Time, c.Name)
		total += c.Time
	}
	t.Logf("%6.1f s  all scenarios (probe launch %s s)", total, props["guestfs.probe.launch.seconds"])

	if left, err := harness.PrefixedObjects(conn); err != nil || len(left) > 0 {
		t.Errorf("left ovacts objects behind: %v %v", left, err)
	}
	doms, err := conn.ListAllDomains(0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range doms {
		if name, _ := doms[i].GetName(); strings.HasPrefix(name, "guestfs-") {
			t.Errorf("an appliance domain is left: %s", name)
		}
		doms[i].Free()
	}
	// The libvirt backend's appliance is a domain libguestfs names; its QEMU
	// log held only the run's disk and goes with the run.
	logsAfter, _ := filepath.Glob(harness.QEMULogDir + "/guestfs-*.log")
	for _, l := range logsAfter {
		if !slices.Contains(logsBefore, l) {
			t.Errorf("the run left an appliance's QEMU log: %s", l)
		}
	}
	runID := props["run.id"]
	for _, pattern := range []string{"/var/lib/libvirt/images/ovacts-*", filepath.Join(os.TempDir(), "ovacts-"+runID+"-*"), harness.QEMULogDir + "/ovacts-*"} {
		if files, _ := filepath.Glob(pattern); len(files) > 0 {
			t.Errorf("left files on the host: %v", files)
		}
	}
}

// A build without the binding (what a machine without golang-guestfs-dev
// builds) still runs, and reports every scenario that needs libguestfs as not
// run, saying why; the OVA scenarios need only the tools. The profile is then
// incomplete (exit 3), never conformant.
func TestRealStackWithoutLibguestfsBinding(t *testing.T) {
	plain := filepath.Join(t.TempDir(), "ovacts")
	cmd := exec.Command("go", "build", "-o", plain, ".")
	cmd.Env = append(os.Environ(), "GOFLAGS=") // no -tags guestfs, no -modfile: the committed go.mod
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building without libguestfs: %v\n%s", err, out)
	}
	junit := filepath.Join(t.TempDir(), "junit.xml")
	run := exec.Command(plain, "run", "--uri", realURI, "--profile", "libguestfs", "--junit", junit)
	run.Env = append(os.Environ(), "OVACTS_STATE_DIR="+t.TempDir())
	out, err := run.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("want exit 3 (incomplete): %v\n%s", err, out)
	}
	if strings.Contains(string(out), "probing the appliance") {
		t.Error("a build without the binding probed the appliance")
	}
	var skipped, passed []string
	for _, c := range readGfsJUnit(t, junit).cases() {
		switch {
		case c.Skipped != nil:
			if !strings.HasPrefix(c.Skipped.Text, "not-run (guestfs): ") || !strings.Contains(c.Skipped.Text, "built without libguestfs") {
				t.Errorf("%s: not run, but not saying why: %q", c.Name, c.Skipped.Text)
			}
			skipped = append(skipped, c.Name)
		case c.Failure == nil:
			passed = append(passed, c.Name)
		default:
			t.Errorf("%s failed: %s", c.Name, c.Failure.Message)
		}
	}
	sort.Strings(passed)
	for _, p := range passed {
		if !strings.Contains(p, "OVA") {
			t.Errorf("ran without the binding: %s", p)
		}
	}
	if len(skipped) != 13 || len(passed) != 6 {
		t.Errorf("%d skipped, %d passed; want 13 and the 6 OVA scenarios:\n%s", len(skipped), len(passed), out)
	}
	if props := junitProps(t, junit); !strings.Contains(props["guestfs.missing"], "built without libguestfs") {
		t.Errorf("guestfs.missing: %q", props["guestfs.missing"])
	}
}

// An appliance domain left by a run that died (the libvirt backend names it
// guestfs-<random>, not with the run prefix) is swept when its disks lie in a
// pool directory the dead run's ledger lists, with the run's disk; one whose
// disks lie elsewhere is not ours and stays.
func TestRealStackSweepsALeftApplianceDomain(t *testing.T) {
	conn := openReal(t)
	tag := harness.NewRunID()
	start := func(name, dir string) {
		t.Helper()
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		disk := filepath.Join(dir, "disk.img")
		if err := os.WriteFile(disk, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(disk, 1<<20); err != nil {
			t.Fatal(err)
		}
		x, err := fixtures.Domain("disk", fixtures.DomainVars{Name: name, UUID: harness.NewUUID(), Type: "qemu", Arch: "x86_64", Disk: disk, DiskFormat: "raw"})
		if err != nil {
			t.Fatal(err)
		}
		d, err := conn.DomainCreateXML(x, 0)
		if err != nil {
			t.Fatal(err)
		}
		d.Free()
		t.Cleanup(func() {
			if d, err := conn.LookupDomainByName(name); err == nil {
				d.Destroy()
				d.Free()
			}
			os.Remove(filepath.Join(harness.QEMULogDir, name+".log")) // the test's own domain's log
		})
	}
	state := t.TempDir()
	ours, theirs := "guestfs-ovactsleak"+tag, "guestfs-foreign"+tag
	var dir string
	deadRun(t, state, conn, func(tr *harness.Tracker, prefix string) {
		pool := prefix + "s1-gfs"
		dir = filepath.Join(harness.ImageDir, pool)
		// What the killed run recorded before it died: its pool (gone since)
		// and the disk libguestfs wrote in it.
		tr.Add(harness.Resource{Kind: harness.KindPool, Name: pool, UUID: harness.NewUUID(), Path: dir})
		tr.Add(harness.Resource{Kind: harness.KindFile, Path: filepath.Join(dir, "disk.img"), Parent: pool})
	})
	start(ours, dir)
	start(theirs, filepath.Join(harness.ImageDir, "foreign-gfs-"+tag))

	r := ovactsIn(t, state, "cleanup", "--uri", realURI)
	if r.code != 0 {
		t.Fatalf("cleanup: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "removed guestfs-appliance "+ours) || strings.Contains(r.stdout, theirs) {
		t.Errorf("cleanup output:\n%s", r.stdout)
	}
	if d, err := conn.LookupDomainByName(ours); err == nil {
		d.Free()
		t.Errorf("the dead run's appliance %s is still there", ours)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the dead run's pool directory %s is still there: %v", dir, err)
	}
	d, err := conn.LookupDomainByName(theirs)
	if err != nil {
		t.Fatalf("the foreign guestfs domain is gone: %v", err)
	}
	defer d.Free()
	if st, _, err := d.GetState(); err != nil || st != libvirt.DOMAIN_RUNNING {
		t.Errorf("the foreign guestfs domain: state %v, %v", st, err)
	}
}
