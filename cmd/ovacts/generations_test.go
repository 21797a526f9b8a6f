//go:build realstack

// The newer libvirt generation beside this host's (scripts/trixie.sh: Debian
// 13's libvirt and QEMU in a root of their own, a main daemon and its peer):
// the released package, installed in that root, runs the full profile there as
// strictly as TestRealStack runs here; guests migrate between the generations
// both ways; and the remote transports give the local outcomes there too.

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ovacts/ovacts/harness"
)

const (
	trixieScript = "../../scripts/trixie.sh"
	trixieRoot   = "/var/cache/ovacts/trixie/root"
	// The main daemon's socket on this host (trixie.sh binds its /run/libvirt there).
	trixieSocket = "/run/ovacts-trixie/main/libvirt/libvirt-sock"
)

// trixieURI is the instance's qemu+tcp URI; the test stops when it does not answer.
func trixieURI(t *testing.T, inst string) string {
	t.Helper()
	if out, err := exec.Command("bash", trixieScript, "status", inst).CombinedOutput(); err != nil {
		t.Fatalf("the Debian 13 stack (%s) does not answer (make setup starts it): %v\n%s", inst, err, out)
	}
	return strings.TrimSpace(mustOutput(t, "bash", trixieScript, "uri", inst))
}

// release is the one build of the release these tests install.
var release struct {
	sync.Once
	dist string
	err  error
}

// installedInTrixie builds the release, installs its .deb in the Debian 13
// root (purged at cleanup), and returns a directory of the root for the runs'
// files: its path inside the root and on this host.
func installedInTrixie(t *testing.T) (inside, here string) {
	t.Helper()
	if out, err := exec.Command("chroot", trixieRoot, "dpkg-query", "-W", "-f=${Status}", "ovacts").CombinedOutput(); err == nil && strings.Contains(string(out), "installed") {
		t.Fatalf("a package named ovacts is installed in %s already (a run killed before its cleanup?): chroot %s dpkg --purge ovacts", trixieRoot, trixieRoot)
	}
	release.Do(func() {
		// Built once for the tests of this file, beside the test binary
		// (TestMain removes that directory).
		dist := filepath.Join(filepath.Dir(bin), "release")
		cmd := exec.Command("bash", "../../scripts/release.sh")
		cmd.Env = append(os.Environ(), "DIST="+dist, "VERSION=v0.0.0-20261129000000-ovactstrixie")
		if out, err := cmd.CombinedOutput(); err != nil {
			release.err = fmt.Errorf("make release: %v\n%s", err, out)
		}
		release.dist = dist
	})
	if release.err != nil {
		t.Fatal(release.err)
	}
	debs, _ := filepath.Glob(filepath.Join(release.dist, "ovacts_*_amd64.deb"))
	if len(debs) != 1 {
		t.Fatalf("the release holds %d amd64 .deb", len(debs))
	}
	here, err := os.MkdirTemp(filepath.Join(trixieRoot, "var/tmp"), "ovacts-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(here) })
	inside = strings.TrimPrefix(here, trixieRoot)
	for _, f := range []string{debs[0], hostWaivers} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(here, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("chroot", trixieRoot, "dpkg", "-i", filepath.Join(inside, filepath.Base(debs[0]))).CombinedOutput(); err != nil {
		t.Fatalf("installing the .deb in the Debian 13 root: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("chroot", trixieRoot, "dpkg", "--purge", "ovacts").CombinedOutput(); err != nil {
			t.Errorf("purging ovacts from the Debian 13 root: %v\n%s", err, out)
		}
	})
	return inside, here
}

// inTrixie runs the installed ovacts inside the main instance (its mounts,
// hostname and root), where qemu:///system is the Debian 13 daemon.
func inTrixie(t *testing.T, args ...string) result {
	t.Helper()
	return execResult(t, exec.Command("bash", append([]string{trixieScript, "exec", "main", "ovacts"}, args...)...))
}

// The full profile on libvirt 11 / QEMU 10, by the released package installed
// in the Debian 13 root, with a peer of the same generation: every scenario
// passes (SHOULD included) but this host's waived findings, exactly as on
// libvirt 9.0 (TestRealStack), and nothing of the run is left on either.
func TestRealStackNewerGeneration(t *testing.T) {
	main, peer := trixieURI(t, "main"), trixieURI(t, "peer")
	inside, here := installedInTrixie(t)
	const notHost = "not @kvm and not @ovirt-host and not @guestfs and not @ovirt-engine"
	full := list(t, "--profile", "full", "--tags", notHost)
	waivers := filepath.Join(inside, filepath.Base(hostWaivers))
	r := inTrixie(t, "run", "--uri", "qemu:///system", "--peer-uri", peer, "--profile", "full", "--tags", notHost, "--fail-on", "should",
		"--waivers", waivers, "--junit", filepath.Join(inside, "junit.xml"), "--concurrency", "4")
	junit := filepath.Join(here, "junit.xml")
	props := junitProps(t, junit)
	waived := slices.Sorted(slices.Values(waivedHere(t, props)))
	na := strictNotApplicable(props)
	checkStrictNotApplicable(t, props, junitCases(t, junit))
	if r.code != 1 || !strings.Contains(r.stdout, "0 failed, 0 blocked, "+strconv.Itoa(len(na))+" not applicable, 0 not run, "+strconv.Itoa(len(waived))+" waived") ||
		!strings.Contains(r.stdout, "failed under a waiver (a waiver never certifies): "+strings.Join(waived, ", ")) {
		t.Fatalf("run in the Debian 13 root: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	checkReportReaders(t, r.stdout, junit, "junit", "")
	checkGuestStarts(t, readJUnit(t, junit))
	if d := readJUnit(t, junit); d.Tests != full.Scenarios || d.Failures != 0 || d.Errors != 0 {
		t.Errorf("JUnit %d testcases (%d failures, %d errors), want %d all run", d.Tests, d.Failures, d.Errors, full.Scenarios)
	}
	if !strings.HasPrefix(props["libvirt.daemon"], "11.") || !strings.HasPrefix(props["hypervisor.version"], "10.") || props["peer.hostname"] != "ovacts-trixie-peer" || props["machine"] != "" {
		t.Errorf("not the Debian 13 generation, or its peer: %v", props)
	}
	for _, uri := range []string{main, peer} {
		leftOn(t, uri)
	}
}

// Guests migrate between the generations both ways, every migration
// scenario passing, the guest's memory marker (MIG-010) included: from
// libvirt 9.0 to 11 as an upgrade does, and back, where the run picks the
// newest machine type both QEMUs offer (the newer one's default is unknown to
// the older) and says so in its report.
func TestRealStackCrossGenerationMigration(t *testing.T) {
	main := trixieURI(t, "main")
	inside, here := installedInTrixie(t)
	migrations := list(t, "--profile", "full", "--tags", "@migration")
	check := func(dir string, r result, junit string, wantPeer string, wantMachine bool) {
		t.Helper()
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s\n%s", dir, r.code, r.stdout, r.stderr)
		}
		d := readJUnit(t, junit)
		if d.Tests != migrations.Scenarios || d.Failures != 0 || d.Errors != 0 || d.Skipped != 0 {
			t.Errorf("%s: JUnit %d testcases (%d failures, %d errors, %d skipped), want %d passed\n%s", dir, d.Tests, d.Failures, d.Errors, d.Skipped, migrations.Scenarios, r.stdout)
		}
		props := junitProps(t, junit)
		if !strings.HasPrefix(props["peer.libvirt"], wantPeer) || (props["machine"] != "") != wantMachine {
			t.Errorf("%s: properties %v", dir, props)
		}
		// The migrated domains' QEMU logs stay on the peer's host, which
		// the run cannot reach: it says so.
		if !strings.Contains(r.stdout, "cleanup: the peer's host keeps QEMU's logs of the ") {
			t.Errorf("%s: the run does not say what it leaves on the peer's host:\n%s", dir, r.stdout)
		}
	}
	up := filepath.Join(t.TempDir(), "junit.xml")
	r := ovacts(t, "run", "--uri", realURI, "--peer-uri", main, "--profile", "full", "--tags", "@migration", "--fail-on", "should", "--junit", up, "--concurrency", "4")
	check("9.0 to 11", r, up, "11.", false)
	r = inTrixie(t, "run", "--uri", "qemu:///system", "--peer-uri", peerURI, "--profile", "full", "--tags", "@migration", "--fail-on", "should",
		"--junit", filepath.Join(inside, "down.xml"), "--concurrency", "4")
	check("11 to 9.0", r, filepath.Join(here, "down.xml"), "9.", true)
	if !strings.Contains(r.stdout, "peer: the peer does not offer the stack's default machine type") {
		t.Errorf("11 to 9.0: the run does not say which machine type it chose:\n%s", r.stdout)
	}
	for _, uri := range []string{realURI, peerURI, main} {
		leftOn(t, uri)
	}
}

// The remote transports on the newer generation: the core profile over
// qemu+tcp, and over qemu+ssh to its socket, gives the outcome the released
// binary gets on its own host, requirement by requirement; and a scenario
// that reads the stack's host is not run from here.
func TestRealStackNewerGenerationRemoteTransports(t *testing.T) {
	main := trixieURI(t, "main")
	inside, here := installedInTrixie(t)
	r := inTrixie(t, "run", "--uri", "qemu:///system", "--profile", "core", "--junit", filepath.Join(inside, "core.xml"))
	if r.code != 0 {
		t.Fatalf("core in the Debian 13 root: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	local := outcomesOf(t, filepath.Join(here, "core.xml"))
	if len(local) == 0 {
		t.Fatal("the local run reported nothing")
	}
	sshURI := strings.TrimSpace(mustOutput(t, "bash", "../../scripts/sshd.sh", "uri")) + "&socket=" + trixieSocket
	for _, uri := range []string{main, sshURI} {
		junit := filepath.Join(t.TempDir(), "junit.xml")
		r := ovacts(t, "run", "--uri", uri, "--profile", "core", "--junit", junit)
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s\n%s", uri, r.code, r.stdout, r.stderr)
		}
		if props := junitProps(t, junit); !strings.HasPrefix(props["libvirt.daemon"], "11.") {
			t.Errorf("%s: not the Debian 13 daemon: %v", uri, props)
		}
		sameOutcomes(t, uri, local, outcomesOf(t, junit))
	}
	// From here, over the loopback, its files are not this host's: the
	// scenarios that read the stack's host (STOR-021 stats a volume's file)
	// are not run, saying why, where they failed on paths of this host's
	// before. Inside the root they pass (TestRealStackNewerGeneration).
	r = ovacts(t, "run", "--uri", main, "--profile", "full", "--tags", "@req:STOR-021")
	if !strings.Contains(r.stdout, "not-run (host)") || !strings.Contains(r.stdout, `answers host name "ovacts-trixie"`) {
		t.Errorf("STOR-021 over %s: want not run, the daemon answering another host name:\n%s", main, r.stdout)
	}
}

// leftOn fails the test for any object of the suite's left on the stack at uri.
func leftOn(t *testing.T, uri string) {
	t.Helper()
	conn, err := harness.Open(uri)
	if err != nil {
		t.Fatalf("%s: %v", uri, err)
	}
	defer func() {
		if err := harness.CloseChecked(conn); err != nil {
			t.Error(err)
		}
	}()
	left, err := harness.PrefixedObjects(conn)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range left {
		t.Errorf("left behind on %s: %s", uri, o)
	}
}

// drift tells a certificate that still describes its stack from one whose
// stack changed under it: a bundle of this machine's libvirt 9.0 shows no
// drift against it, and drift against the Debian 13 daemon (as an upgrade
// would) lists libvirt's and QEMU's new versions and the new capabilities as
// needing re-certification, creating nothing on either stack.
func TestRealStackDrift(t *testing.T) {
	newer := trixieURI(t, "main")
	bundle := filepath.Join(t.TempDir(), "d12")
	if r := ovacts(t, "run", "--uri", realURI, "--profile", "core", "--bundle", bundle, "--vendor", "Debian",
		"--product-name", "Debian 12 libvirt", "--product-version", "9.0"); r.code != 0 {
		t.Fatalf("run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := ovacts(t, "drift", bundle, "--uri", realURI); r.code != 0 || !strings.Contains(r.stdout, "no drift") {
		t.Errorf("drift against its own stack: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := ovacts(t, "drift", bundle, "--uri", newer)
	if r.code != 1 {
		t.Fatalf("drift against the Debian 13 daemon: exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"libvirt.daemon", "9.0.0", "11.3.0", "hypervisor.version", "capabilities.sha256"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("drift output names no %q:\n%s", want, r.stdout)
		}
	}
	leftOn(t, realURI)
	leftOn(t, newer)
}
