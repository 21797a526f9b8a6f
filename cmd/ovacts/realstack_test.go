//go:build realstack

// Tests against the real libvirtd + QEMU stack of this machine (make setup
// starts it). Run with: go test -tags realstack ./cmd/ovacts
package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/reports"
)

const realURI = "qemu:///system"

// peerURI is the second stack make setup starts (scripts/peer.sh): the
// migration destination, and the qemu+tcp endpoint of the remote runs.
const peerURI = "qemu+tcp://127.0.0.1/system"

// The findings of the machines of this kind, waived in the strict runs (see
// docs/findings.md), each where its condition holds: a fact the run measured
// on the host (no sfq qdisc, no block I/O weight, a KVM that cannot boot
// Linux) or the libvirt releases of an upstream bug (the schemas).
const hostWaivers = "../../fixtures/waivers/this-host.yaml"

// waivedHere is the requirements hostWaivers must waive on the run whose
// report has props: those whose condition holds there, in the file's order.
// The others must waive nothing, their condition being false on this host.
func waivedHere(t *testing.T, props map[string]string) []string {
	t.Helper()
	f, err := os.Open(hostWaivers)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ws, err := reports.ReadWaivers(f)
	if err != nil {
		t.Fatal(err)
	}
	rep := &reports.Report{}
	for k, v := range props {
		rep.Properties = append(rep.Properties, reports.Property{Name: k, Value: v})
	}
	var ids []string
	for _, w := range ws {
		if holds, why := w.Holds(rep); holds {
			ids = append(ids, w.Req)
		} else {
			t.Logf("waiver %s does not apply on this host: %s", w.Req, why)
		}
	}
	return ids
}

// The feature suite on the real stack, four scenarios at a time (state lives
// in each scenario), with foreign objects and look-alikes defined around it:
// every scenario passes (SHOULD included) but the host's waived findings,
// nothing of ovacts is left, the dead run's recorded objects are swept, and
// every foreign object is byte-identical, after the run and after a cleanup.
func TestRealStack(t *testing.T) {
	conn, err := harness.Open(realURI)
	if err != nil {
		t.Fatalf("the real stack is not reachable (run make setup): %v", err)
	}
	t.Cleanup(func() { // registered first, so it runs after the foreign objects' removal
		if err := harness.CloseChecked(conn); err != nil {
			t.Error(err)
		}
	})
	f := setUpForeign(t, conn)
	before := f.snapshot(t)
	state := t.TempDir()
	stale := ""
	deadRun(t, state, conn, func(tr *harness.Tracker, prefix string) {
		uuid := harness.NewUUID()
		stale = prefix + "s1-stale"
		x := fmt.Sprintf(`<domain type='qemu'><name>%s</name><uuid>%s</uuid><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os><devices/></domain>`, stale, uuid)
		d, err := tr.CreateDomain(stale, uuid, x, false)
		if err != nil {
			t.Fatal(err)
		}
		d.Free()
	})
	// Everything but the areas that judge this host rather than the stack: the
	// KVM host area (its hardware, TestRealStackKVMHost) and oVirt host readiness
	// (its versions, TestRealStackOVirtHost); and libguestfs, whose appliance
	// launches take minutes under TCG: TestRealStackLibguestfs runs it once;
	// and the oVirt engine API, which needs an engine (its steps have a
	// self-test against a stub). Every other scenario has to pass here, SHOULDs
	// included, but the host's findings, which are waived.
	const notHost = "not @kvm and not @ovirt-host and not @guestfs and not @ovirt-engine"
	full := list(t, "--profile", "full", "--tags", notHost)
	peer, err := harness.Open(peerURI)
	if err != nil {
		t.Fatalf("the peer stack is not reachable (run make setup): %v", err)
	}
	t.Cleanup(func() {
		if err := harness.CloseChecked(peer); err != nil {
			t.Error(err)
		}
	})
	junit := filepath.Join(t.TempDir(), "junit.xml")
	cucumber := filepath.Join(t.TempDir(), "cucumber.json")
	coverage := filepath.Join(t.TempDir(), "api-coverage.json")
	r := ovactsIn(t, state, "run", "--uri", realURI, "--peer-uri", peerURI, "--profile", "full", "--tags", notHost, "--fail-on", "should",
		"--waivers", hostWaivers, "--junit", junit, "--cucumber", cucumber, "--concurrency", "4", "--api-coverage", coverage)
	// The waived findings keep the run from conformant (a waiver never
	// certifies): exit 1, and nothing but them failed.
	props := junitProps(t, junit)
	waived := waivedHere(t, props)
	sorted := slices.Sorted(slices.Values(waived))
	na := strictNotApplicable(props)
	checkStrictNotApplicable(t, props, junitCases(t, junit))
	if r.code != 1 || !strings.Contains(r.stdout, fmt.Sprintf("0 failed, 0 blocked, %d not applicable, 0 not run, %d waived", len(na), len(waived))) ||
		!strings.Contains(r.stdout, "failed under a waiver (a waiver never certifies): "+strings.Join(sorted, ", ")) {
		t.Fatalf("run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "sweep: removed domain "+stale+" (in the ledger of dead run") {
		t.Errorf("the run did not sweep the dead run's domain:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "sweep: removed domain ovacts-webfront") || strings.Contains(r.stdout, "sweep: removed domain ovacts-abcdefgh") {
		t.Errorf("the run swept a look-alike:\n%s", r.stdout)
	}
	checkReportReaders(t, r.stdout, junit, "junit", cucumber)
	// The scenarios enter at least what the committed coverage of this
	// selection says: a drop of the real-stack figure fails.
	if want := committedCoverage(t).Run("strict"); want == nil {
		t.Error("docs/api-coverage.json has no run of this selection (make coverage)")
	} else {
		checkCoverage(t, readCoverage(t, coverage), want, false, unreachableHere(props)...)
	}
	d := readJUnit(t, junit)
	if d.Tests != full.Scenarios || d.Errors != 0 || d.Failures != 0 {
		var failed []string
		lines := strings.Split(r.stdout, "\n")
		for i, line := range lines {
			if strings.Contains(line, "] FAIL ") {
				failed = append(failed, lines[i:min(i+3, len(lines))]...)
			}
		}
		t.Errorf("JUnit %d testcases (%d failures, %d errors), want %d all run:\n%s", d.Tests, d.Failures, d.Errors, full.Scenarios, strings.Join(failed, "\n"))
	}
	if props["driver"] != "QEMU" || (props["domain.type"] != "kvm" && props["domain.type"] != "qemu") || props["waivers.applied"] != strings.Join(waived, ",") {
		t.Errorf("properties %v", props)
	}
	// On this machine /dev/kvm works for domains without an OS: the probe must say so.
	if _, err := os.Stat("/dev/kvm"); err == nil && (props["kvm.usable"] != "true" || props["domain.type"] != "kvm") {
		t.Errorf("/dev/kvm exists but kvm.usable=%s domain.type=%s", props["kvm.usable"], props["domain.type"])
	}
	// The guest scenarios ran (make test builds the guest), and the report
	// says which accelerator booted it. With KVM usable, auto tries it first:
	// a TCG guest must come with the note of why KVM did not boot it.
	switch accel := props["guest.accel"]; {
	case accel == "kvm":
	case accel == "tcg" && props["kvm.usable"] == "true" && !strings.Contains(props["guest.accel.note"], "kvm:"):
		t.Errorf("guest on tcg although KVM is usable, and no note why: %v", props)
	case accel != "tcg":
		t.Errorf("no guest accelerator in the report: %v", props)
	}
	checkGuestStarts(t, d)
	if props["peer.hostname"] == "" || props["peer.hostname"] == props["hostname"] {
		t.Errorf("the peer is not a host of its own: %v", props)
	}
	// A cleanup afterwards finds nothing of the suite's, and touches nothing else.
	if r := ovactsIn(t, state, "cleanup", "--uri", realURI); r.code != 0 || !strings.Contains(r.stdout, "0 removed, 0 left, 0 errors") {
		t.Errorf("cleanup after the run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if left, err := harness.PrefixedObjects(conn); err != nil {
		t.Fatal(err)
	} else {
		for _, o := range left {
			if !strings.Contains(o.Name, "abcdefgh") && !strings.Contains(o.Name, "webfront") && !strings.Contains(o.Name, "database") {
				t.Errorf("left behind: %s", o)
			}
		}
	}
	if left, err := harness.PrefixedObjects(peer); err != nil || len(left) > 0 {
		t.Fatalf("left behind on the peer: %v %v", left, err)
	}
	// Nothing on the host either: pools' directories, volumes, save files,
	// and the logs libvirt keeps per domain name.
	for _, pattern := range []string{"/var/lib/libvirt/images/ovacts-*", harness.QEMULogDir + "/ovacts-*", os.TempDir() + "/ovacts-*-s*"} {
		if files, _ := filepath.Glob(pattern); len(files) > 0 {
			t.Fatalf("files left on the host: %v", files)
		}
	}
	after := f.snapshot(t)
	for k, v := range before {
		if after[k] != v {
			t.Errorf("foreign %s changed:\nbefore: %s\nafter:  %s", k, v, after[k])
		}
	}
	if len(after) != len(before) {
		t.Errorf("foreign objects: %d before, %d after", len(before), len(after))
	}
}

// SIGINT in the middle of a real run: the run stops, removes what it created,
// writes a partial report marked interrupted, and exits 130.
func TestRealStackInterrupt(t *testing.T) {
	junit := filepath.Join(t.TempDir(), "junit.xml")
	cmd := exec.Command(bin, "run", "--uri", realURI, "--profile", "full", "--tags", "not @needs:guest and not @guestfs", "--junit", junit)
	cmd.Env = append(os.Environ(), "OVACTS_STATE_DIR="+t.TempDir())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	sc := bufio.NewScanner(stdout)
	sent := false
	for sc.Scan() {
		line := sc.Text()
		out.WriteString(line + "\n")
		// Interrupt inside the lifecycle area, where domains are running.
		if !sent && strings.Contains(line, "DOM-003") {
			if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			sent = true
		}
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !sent || !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("sent=%v, wait: %v\n%s\n%s", sent, err, out.String(), stderr.String())
	}
	checkReportReaders(t, out.String(), junit, "junit", "")
	if !strings.Contains(out.String(), "INTERRUPTED") || !strings.Contains(stderr.String(), "removing this run's objects") {
		t.Errorf("no word of the interrupt:\n%s\n%s", out.String(), stderr.String())
	}
	b, err := os.ReadFile(junit)
	if err != nil || !strings.Contains(string(b), `name="interrupted" value="true"`) {
		t.Errorf("partial report not marked interrupted: %v", err)
	}
	conn, err := harness.Open(realURI)
	if err != nil {
		t.Fatal(err)
	}
	defer harness.CloseChecked(conn)
	if left, err := harness.PrefixedObjects(conn); err != nil || len(left) > 0 {
		t.Fatalf("after SIGINT: %v %v", left, err)
	}
}

// A guest that cannot boot (a kernel that is not one, a disk with no OS) on a
// stack that claims to run guests: GUEST-001 fails with the cause, the other
// guest scenarios are blocked by it, within the boot limit, and nothing is
// left behind.
func TestRealStackGuestThatDoesNotBoot(t *testing.T) {
	// Not t.TempDir: its parent is private, and QEMU (libvirt-qemu) must read the files.
	dir, err := os.MkdirTemp("", "ovacts-guest-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	kernel := filepath.Join(dir, "not-a-kernel")
	if err := os.WriteFile(kernel, []byte(strings.Repeat("ovacts is not a kernel\n", 4096)), 0o644); err != nil {
		t.Fatal(err)
	}
	disk := filepath.Join(dir, "blank.qcow2")
	if out, err := exec.Command("qemu-img", "create", "-q", "-f", "qcow2", disk, "16M").CombinedOutput(); err != nil {
		t.Fatalf("qemu-img: %v %s", err, out)
	}
	// QEMU runs as libvirt-qemu: the files and the directory must be readable.
	for _, p := range []string{dir, kernel, disk} {
		os.Chmod(p, 0o755)
	}
	for _, guest := range [][]string{{"--guest-kernel", kernel}, {"--guest-disk", disk}} {
		t.Run(guest[0], func(t *testing.T) {
			junit := filepath.Join(t.TempDir(), "junit.xml")
			args := append([]string{"run", "--uri", realURI, "--profile", "full", "--tags", "@req:GUEST-001 or @req:GUEST-003 or @req:DOM-001",
				"--guest-boot-timeout", "5s", "--guest-accel-timeout", "3s", "--junit", junit}, guest...)
			r := ovacts(t, args...)
			if r.code != 1 {
				t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			// It booted and waited (TCG, the last resort, got the whole boot limit), not failed to start.
			if !strings.Contains(r.stdout, "FAIL   GUEST-001") || !strings.Contains(r.stdout, "guest is broken: the guest did not boot to a running agent") ||
				!strings.Contains(r.stdout, `tcg: no "agent connected" within 5s`) || !strings.Contains(r.stdout, "PASS   DOM-001") ||
				!strings.Contains(r.stdout, "BLOCK  GUEST-003") || !strings.Contains(r.stdout, "blocked (guest): guest is broken (GUEST-001 failed)") {
				t.Errorf("no failure of GUEST-001 with its cause, or GUEST-003 not blocked by it:\n%s", r.stdout)
			}
			checkReportReaders(t, r.stdout, junit, "junit", "")
			if props := junitProps(t, junit); !strings.Contains(props["guest.missing"], "did not boot") {
				t.Errorf("the report does not say why there is no guest: %v", props)
			}
			conn, err := harness.Open(realURI)
			if err != nil {
				t.Fatal(err)
			}
			defer harness.CloseChecked(conn)
			if left, err := harness.PrefixedObjects(conn); err != nil || len(left) > 0 {
				t.Fatalf("left behind: %v %v", left, err)
			}
			if files, _ := filepath.Glob("/var/lib/libvirt/images/ovacts-*"); len(files) > 0 {
				t.Fatalf("left files on the host: %v", files)
			}
		})
	}
}

func junitProps(t *testing.T, path string) map[string]string {
	t.Helper()
	props := map[string]string{}
	for _, p := range readJUnit(t, path).Suites[0].Props {
		props[p.Name] = p.Value
	}
	return props
}

// A vendor's direct-boot kernel and initrd (here the fixture's files, named
// as a vendor would): the guest boots, and the checks that do not know the
// guest (boot output, agent, OS info) pass, with TCG chosen by the flag.
func TestRealStackVendorKernel(t *testing.T) {
	dir, err := filepath.EvalSymlinks(harness.DefaultGuestDir)
	if err != nil {
		t.Fatalf("no guest build (make guest): %v", err)
	}
	junit := filepath.Join(t.TempDir(), "junit.xml")
	r := ovacts(t, "run", "--uri", realURI, "--profile", "full", "--tags", "@req:GUEST-001 or @req:GUEST-006",
		"--guest-kernel", filepath.Join(dir, "vmlinux"), "--guest-initrd", filepath.Join(dir, "initrd.cpio"),
		"--guest-cmdline", "console=ttyS0 panic=-1", "--guest-accel", "tcg", "--fail-on", "should", "--junit", junit)
	if r.code != 0 || !strings.Contains(r.stdout, "PASS   GUEST-001") || !strings.Contains(r.stdout, "PASS   GUEST-006") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	checkReportReaders(t, r.stdout, junit, "junit", "")
	props := junitProps(t, junit)
	if props["guest.accel"] != "tcg" || props["guest.accel.note"] != "" || !strings.HasPrefix(props["guest.source"], "kernel ") {
		t.Errorf("properties: %v", props)
	}
}

// checkStrictNotApplicable checks the strict run's not-applicable outcomes
// are exactly those the host's facts call for.
func checkStrictNotApplicable(t *testing.T, props map[string]string, res map[string]caseResult) {
	t.Helper()
	want := strictNotApplicable(props)
	for id, got := range res {
		if got.status == "not-applicable" && !slices.Contains(want, id) {
			t.Errorf("%s not applicable on a host whose facts call for none: %s", id, got.text)
		}
	}
	for _, id := range want {
		if got := res[id]; got.status != "not-applicable" {
			t.Errorf("%s: %s, want not applicable on this host (host.kvm=%s)", id, got.status, props["host.kvm"])
		}
	}
}

// checkGuestStarts: on a stack on this host, a scenario that needs a running
// guest and does not test the boot gets it restored from the run's guest
// image; one that tests the boot (@boots) boots; the report says which.
func checkGuestStarts(t *testing.T, d junitDoc) {
	t.Helper()
	want := map[string]string{
		"GUEST-003": "guest g: restored from the run's guest image (the guest booted once",
		"GUEST-004": "guest g: booted (the scenario tests the boot (@boots))",
		"GUEST-009": "guest g: booted (its devices are not the saved guest's)",
		"GUEST-001": "guest g: booted (its console open from the start)",
	}
	for _, s := range d.Suites {
		for _, c := range s.Cases {
			id := strings.Fields(c.Name)[0]
			if w, ok := want[id]; ok {
				if !strings.Contains(c.Out, w) {
					t.Errorf("%s's report does not say %q:\n%s", id, w, c.Out)
				}
				delete(want, id)
			}
		}
	}
	for id := range want {
		t.Errorf("%s is not in the report", id)
	}
}
