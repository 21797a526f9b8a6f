//go:build realstack

// Tests against the real libvirtd + QEMU stack of this machine (make setup
// starts it). Run with: go test -tags realstack ./cmd/ovacts
package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ovacts/ovacts/harness"
	"libvirt.org/go/libvirt"
)

const realURI = "qemu:///system"

// peerURI is the second stack make setup starts (scripts/peer.sh): the
// migration destination, and the qemu+tcp endpoint of the remote runs.
const peerURI = "qemu+tcp://127.0.0.1/system"

// foreign is what a production host holds besides ovacts: objects of every
// kind, a running domain, and objects that look like the suite's (issue 20):
// names with the prefix, a domain whose owner record names this host and a
// live pid, a run-like pool on a shared image directory holding a vendor's and
// a customer's images, a run-like volume in a foreign pool. A run and a
// cleanup must leave all of it byte-identical.
type foreign struct {
	conn     *libvirt.Connect
	domains  []string // persistent, shut off
	runner   string   // transient, running
	net      string
	pool     string
	vol      string // a volume in the foreign pool
	lookVol  string // a run-like volume in the foreign pool
	shared   string // a run-like pool on a shared image directory
	images   []string
	filter   string
	secret   string // UUID
	dir      string // the foreign pool's directory
	sharedIn string // the shared image directory
}

// snapshot reads every foreign object's XML, state and content; any error
// reading one fails the test, so "identical" never compares "" with "".
func (f *foreign) snapshot(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	must := func(what string, s string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("foreign %s: %v", what, err)
		}
		out[what] = s
	}
	for _, n := range append(append([]string{}, f.domains...), f.runner) {
		d, err := f.conn.LookupDomainByName(n)
		if err != nil {
			t.Fatalf("foreign domain %s: %v", n, err)
		}
		for _, fl := range []libvirt.DomainXMLFlags{0, libvirt.DOMAIN_XML_INACTIVE} {
			x, err := d.GetXMLDesc(fl)
			must(fmt.Sprintf("domain %s %d", n, fl), x, err)
		}
		st, _, err := d.GetState()
		must("state "+n, fmt.Sprint(st), err)
		d.Free()
	}
	n, err := f.conn.LookupNetworkByName(f.net)
	if err != nil {
		t.Fatalf("foreign network: %v", err)
	}
	x, err := n.GetXMLDesc(0)
	must("network", x, err)
	n.Free()
	for _, pool := range []string{f.pool, f.shared} {
		p, err := f.conn.LookupStoragePoolByName(pool)
		if err != nil {
			t.Fatalf("foreign pool %s: %v", pool, err)
		}
		x, err := p.GetXMLDesc(0)
		must("pool "+pool, x, err)
		vols, err := p.ListAllStorageVolumes(0)
		if err != nil {
			t.Fatalf("volumes of %s: %v", pool, err)
		}
		for i := range vols {
			name, err := vols[i].GetName()
			if err != nil {
				t.Fatal(err)
			}
			x, err := vols[i].GetXMLDesc(0)
			must("volume "+pool+"/"+name, x, err)
			vols[i].Free()
		}
		p.Free()
	}
	for _, img := range f.images {
		b, err := os.ReadFile(img)
		sum := sha256.Sum256(b)
		must("image "+img, hex.EncodeToString(sum[:]), err)
	}
	nf, err := f.conn.LookupNWFilterByName(f.filter)
	if err != nil {
		t.Fatalf("foreign filter: %v", err)
	}
	x, err = nf.GetXMLDesc(0)
	must("nwfilter", x, err)
	nf.Free()
	sec, err := f.conn.LookupSecretByUUIDString(f.secret)
	if err != nil {
		t.Fatalf("foreign secret: %v", err)
	}
	x, err = sec.GetXMLDesc(0)
	must("secret", x, err)
	val, err := sec.GetValue(0)
	must("secret value", hex.EncodeToString(val), err)
	sec.Free()
	return out
}

func domainXML(typ, name string) string {
	return fmt.Sprintf(`<domain type='%s'><name>%s</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os><devices/></domain>`, typ, name)
}

func setUpForeign(t *testing.T, conn *libvirt.Connect) *foreign {
	t.Helper()
	tag := harness.NewRunID()[:6]
	f := &foreign{conn: conn, domains: []string{"foreign-" + tag, "ovacts-webfront-" + tag, "ovacts-database-01" + tag, "ovacts-abcdefgh-s1-" + tag},
		runner: "foreign-run-" + tag, net: "foreign-" + tag, pool: "foreign-" + tag, vol: "foreign-" + tag + ".img",
		lookVol: "ovacts-abcdefgh-" + tag + ".img", shared: "ovacts-abcdefgh-shared" + tag, filter: "foreign-" + tag}
	t.Cleanup(func() {
		// The test's own objects, removed by the test as their owner (not through the suite's checks).
		for _, n := range append(append([]string{}, f.domains...), f.runner) {
			if d, err := conn.LookupDomainByName(n); err == nil {
				d.Destroy()
				d.Undefine()
				d.Free()
			}
		}
		if n, err := conn.LookupNetworkByName(f.net); err == nil {
			n.Destroy()
			n.Undefine()
			n.Free()
		}
		for _, pool := range []string{f.pool, f.shared} {
			if p, err := conn.LookupStoragePoolByName(pool); err == nil {
				p.Destroy()
				p.Undefine()
				p.Free()
			}
		}
		if nf, err := conn.LookupNWFilterByName(f.filter); err == nil {
			nf.Undefine()
			nf.Free()
		}
		if s, err := conn.LookupSecretByUUIDString(f.secret); err == nil {
			s.Undefine()
			s.Free()
		}
		os.RemoveAll(f.dir)
		for _, img := range f.images {
			os.Remove(img)
		}
	})
	// Not t.TempDir: its cleanup would run before the pool's removal above.
	var err error
	if f.dir, err = os.MkdirTemp("", "foreign-pool"); err != nil {
		t.Fatal(err)
	}
	for _, n := range f.domains {
		d, err := conn.DomainDefineXML(domainXML("qemu", n))
		if err != nil {
			t.Fatal(err)
		}
		d.Free()
	}
	// The run-like domain carries an owner record naming this host and pid 1.
	d, err := conn.LookupDomainByName(f.domains[3])
	if err != nil {
		t.Fatal(err)
	}
	forged := harness.Owner{Run: "abcdefgh", PID: 1, Host: harness.ThisHost(), Started: "2026-01-01T00:00:00Z"}
	if err := harness.OwnDomain(d, forged); err != nil {
		t.Fatal(err)
	}
	d.Free()
	d, err = conn.DomainCreateXML(domainXML("qemu", f.runner), 0)
	if err != nil {
		t.Fatal(err)
	}
	d.Free()
	n, err := conn.NetworkDefineXML(fmt.Sprintf(`<network><name>%s</name><bridge name='ovtf%s'/></network>`, f.net, tag))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Create(); err != nil {
		t.Fatal(err)
	}
	n.Free()
	// The shared image directory: the host's image directory, where a
	// vendor's golden image and a customer's disk live next to the suite's pools.
	f.sharedIn = harness.ImageDir
	for _, img := range []string{"vendor-golden-" + tag + ".qcow2", "customer-db-" + tag + ".img"} {
		p := filepath.Join(f.sharedIn, img)
		if err := os.WriteFile(p, []byte("the customer's data "+img+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		f.images = append(f.images, p)
	}
	for _, pc := range []struct{ name, dir string }{{f.pool, f.dir}, {f.shared, f.sharedIn}} {
		p, err := conn.StoragePoolDefineXML(fmt.Sprintf(`<pool type='dir'><name>%s</name><target><path>%s</path></target></pool>`, pc.name, pc.dir), 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Create(0); err != nil {
			t.Fatal(err)
		}
		p.Free()
	}
	p, err := conn.LookupStoragePoolByName(f.pool)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{f.vol, f.lookVol} {
		v, err := p.StorageVolCreateXML(fmt.Sprintf(`<volume><name>%s</name><capacity unit='MiB'>1</capacity></volume>`, name), 0)
		if err != nil {
			t.Fatal(err)
		}
		v.Free()
	}
	p.Free()
	nf, err := conn.NWFilterDefineXML(fmt.Sprintf(`<filter name='%s' chain='root'><rule action='drop' direction='in' priority='400'><all/></rule></filter>`, f.filter))
	if err != nil {
		t.Fatal(err)
	}
	nf.Free()
	sec, err := conn.SecretDefineXML(fmt.Sprintf(`<secret ephemeral='no' private='no'><description>not ovacts</description><usage type='ceph'><name>ovacts-abcdefgh-%s</name></usage></secret>`, tag), 0)
	if err != nil {
		t.Fatal(err)
	}
	if f.secret, err = sec.GetUUIDString(); err != nil {
		t.Fatal(err)
	}
	if err := sec.SetValue([]byte("foreign value"), 0); err != nil {
		t.Fatal(err)
	}
	sec.Free()
	return f
}

// deadRun leaves in stateDir what a run killed with SIGKILL leaves: its
// ledger listing the objects, and no live process; the objects are created
// here through a tracker of that ledger. It returns the run id.
func deadRun(t *testing.T, stateDir string, conn *libvirt.Connect, create func(tr *harness.Tracker, prefix string)) string {
	t.Helper()
	reg := harness.RunRegistry{Dir: stateDir}
	run := harness.NewRunID()
	l, err := reg.OpenLedger(run)
	if err != nil {
		t.Fatal(err)
	}
	stack, err := harness.StackKey(conn)
	if err != nil {
		t.Fatal(err)
	}
	create(harness.NewTracker(conn, l, stack), harness.RunPrefix(run))
	if l.Remaining() == 0 {
		t.Fatal("the dead run recorded nothing")
	}
	l.Close() // the objects stay: the ledger with them
	return run
}

// ovactsIn runs ovacts with a given state directory (runs that share it see
// each other's ledgers).
func ovactsIn(t *testing.T, stateDir string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "OVACTS_STATE_DIR="+stateDir)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

// The findings of this kind of machine, waived in the strict runs (see
// docs/findings.md): the nested KVM runs kvm domains but cannot boot a Linux
// guest, which therefore boots under TCG (GUEST-018).
const hostWaivers = "../../fixtures/waivers/this-host.yaml"

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
	r := ovactsIn(t, state, "run", "--uri", realURI, "--peer-uri", peerURI, "--profile", "full", "--tags", notHost, "--fail-on", "should",
		"--waivers", hostWaivers, "--junit", junit, "--cucumber", cucumber, "--concurrency", "4")
	// The waived findings keep the run from conformant (a waiver never
	// certifies): exit 1, and nothing but them failed.
	if r.code != 1 || !strings.Contains(r.stdout, "0 failed, 0 blocked, 0 not applicable, 0 not run, 1 waived") ||
		!strings.Contains(r.stdout, "failed under a waiver (a waiver never certifies): GUEST-018") {
		t.Fatalf("run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "sweep: removed domain "+stale+" (in the ledger of dead run") {
		t.Errorf("the run did not sweep the dead run's domain:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "sweep: removed domain ovacts-webfront") || strings.Contains(r.stdout, "sweep: removed domain ovacts-abcdefgh") {
		t.Errorf("the run swept a look-alike:\n%s", r.stdout)
	}
	checkReportReaders(t, r.stdout, junit, "junit", cucumber)
	d := readJUnit(t, junit)
	if d.Tests != full.Scenarios || d.Errors != 0 || d.Failures != 0 {
		t.Errorf("JUnit %d testcases (%d failures, %d errors), want %d all run", d.Tests, d.Failures, d.Errors, full.Scenarios)
	}
	props := map[string]string{}
	for _, p := range d.Suites[0].Props {
		props[p.Name] = p.Value
	}
	if props["driver"] != "QEMU" || (props["domain.type"] != "kvm" && props["domain.type"] != "qemu") || props["waivers.applied"] != "GUEST-018" {
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

// The core profile over the remote transports: qemu+tcp to the peer stack and
// qemu+ssh through the loopback sshd to this machine's libvirtd. Each gives the
// local run's outcome, requirement by requirement; a key sshd does not accept,
// and a port nobody listens on, exit 2 with one clear line.
func TestRealStackRemoteTransports(t *testing.T) {
	sshURI := strings.TrimSpace(mustOutput(t, "bash", "../../scripts/sshd.sh", "uri"))
	outcomes := func(uri string) map[string]string {
		junit := filepath.Join(t.TempDir(), "junit.xml")
		r := ovacts(t, "run", "--uri", uri, "--profile", "core", "--junit", junit)
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s\n%s", uri, r.code, r.stdout, r.stderr)
		}
		checkReportReaders(t, r.stdout, junit, "junit", "")
		out := map[string]string{}
		for _, s := range readJUnit(t, junit).Suites {
			for _, c := range s.Cases {
				status := "passed"
				switch {
				case c.Failure != nil:
					status = "failed"
				case c.Error != nil:
					status = "error"
				case c.Skipped != nil:
					status, _, _ = strings.Cut(c.Skipped.Text, ":")
				}
				out[strings.Fields(c.Name)[0]] = status
			}
		}
		return out
	}
	local := outcomes(realURI)
	if len(local) == 0 {
		t.Fatal("the local run reported nothing")
	}
	for _, uri := range []string{peerURI, sshURI} {
		remote := outcomes(uri)
		for req, want := range local {
			if remote[req] != want {
				t.Errorf("%s: %s %s over the remote transport, %s locally", uri, req, orMissing(remote[req]), want)
			}
		}
		for req := range remote {
			if _, ok := local[req]; !ok {
				t.Errorf("%s: %s ran remotely only", uri, req)
			}
		}
	}
	stranger := strings.Replace(sshURI, "/ssh", "/stranger-ssh", 1)
	for uri, want := range map[string]string{
		stranger:                        "Permission denied (publickey)",
		"qemu+tcp://127.0.0.1:9/system": "Connection refused",
	} {
		r := ovacts(t, "run", "--uri", uri, "--profile", "core")
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		if r.code != 2 || len(lines) != 1 || !strings.HasPrefix(lines[0], "ovacts: cannot connect to") || !strings.Contains(lines[0], want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and one line saying %q", uri, r.code, r.stderr, want)
		}
	}
}

func orMissing(s string) string {
	if s == "" {
		return "missing"
	}
	return s
}

func mustOutput(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return string(out)
}

// A peer that is the stack itself cannot be a migration destination: the
// migration scenarios that need one are not run, with that reason; MIG-011
// (migrating to the stack itself is refused) needs no peer and passes.
func TestRealStackPeerIsTheSameHost(t *testing.T) {
	r := ovacts(t, "run", "--uri", realURI, "--peer-uri", realURI, "--profile", "full", "--tags", "@req:MIG-001 or @req:MIG-011")
	if r.code != 0 || strings.Count(r.stdout, "not-run (peer): needs peer: the peer is the same host as the stack") != 1 || !strings.Contains(r.stdout, "PASS   MIG-011") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// Bundles of the core profile on the real stack and on the test driver verify;
// their two-column matrix loads in a real headless Chromium, whose DOM has the
// rows, the columns and their verdicts, honours a filter, and renders.
func TestRealStackBundleMatrixInChromium(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "k")
	if r := ovacts(t, "keygen", "--out", key); r.code != 0 {
		t.Fatal(r.stderr)
	}
	var bundles []string
	for _, uri := range []string{realURI, "test:///default"} {
		b := filepath.Join(dir, "bundle-"+strings.NewReplacer(":", "", "/", "").Replace(uri))
		r := ovacts(t, "run", "--uri", uri, "--profile", "core", "--bundle", b, "--sign-key", key+".key",
			"--vendor", "ovacts CI", "--product-name", uri, "--product-version", "Debian 12")
		if r.code != 0 {
			t.Fatalf("run on %s: %d\n%s%s", uri, r.code, r.stdout, r.stderr)
		}
		checkReportReaders(t, r.stdout, filepath.Join(b, "junit.xml"), "junit", filepath.Join(b, "cucumber.json"))
		if r := ovacts(t, "verify", b, "--pubkey", key+".pub"); r.code != 0 {
			t.Fatalf("verify %s: %d\n%s%s", b, r.code, r.stdout, r.stderr)
		}
		bundles = append(bundles, b)
	}
	data, err := os.ReadFile(filepath.Join(bundles[0], "stack.json"))
	if err != nil || !strings.Contains(string(data), `"capabilities.sha256"`) || !strings.Contains(string(data), `"host.kernel"`) {
		t.Errorf("stack.json of the real stack: %v\n%s", err, data)
	}
	out := filepath.Join(dir, "matrix")
	if r := ovacts(t, append([]string{"matrix", "-o", out, "--pubkey", key + ".pub"}, bundles...)...); r.code != 0 {
		t.Fatalf("matrix: %d %s", r.code, r.stderr)
	}
	var m struct {
		Columns []struct{ Label string }
		Rows    []struct{ ID, Area string }
	}
	raw, _ := os.ReadFile(filepath.Join(out, "matrix.json"))
	if err := json.Unmarshal(raw, &m); err != nil || len(m.Columns) != 2 || len(m.Rows) == 0 {
		t.Fatalf("matrix.json: %v %s", err, raw)
	}
	domRows := 0
	for _, r := range m.Rows {
		if r.Area == "DOM" {
			domRows++
		}
	}
	page := "file://" + filepath.Join(out, "matrix.html")
	chromium := func(args ...string) string {
		t.Helper()
		base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
			"--disable-sync", "--disable-default-apps", "--no-first-run", "--user-data-dir=" + t.TempDir()}
		cmd := exec.Command("chromium", append(base, args...)...)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
		}
		return stdout.String()
	}
	dom := chromium("--dump-dom", page)
	for _, want := range []string{
		fmt.Sprintf(`<span id="shown">%d</span>`, len(m.Rows)), // the script ran over every row
		">ovacts CI qemu:///system Debian 12<", ">ovacts CI test:///default Debian 12<",
		`<td class="c verdict ok">conformant</td>`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the rendered page lacks %q", want)
		}
	}
	if n := strings.Count(dom, `<tr class="req"`); n != len(m.Rows) {
		t.Errorf("%d requirement rows in the DOM, %d in matrix.json", n, len(m.Rows))
	}
	// A filter preset in the address: only the DOM area's rows stay visible.
	filtered := chromium("--dump-dom", page+"#area=DOM")
	if !strings.Contains(filtered, fmt.Sprintf(`<span id="shown">%d</span>`, domRows)) ||
		strings.Count(filtered, `<tr class="req" data-area="DOM"`) != domRows ||
		strings.Count(filtered, " hidden=\"\"") != len(m.Rows)-domRows {
		t.Errorf("the area filter did not leave exactly the %d DOM rows", domRows)
	}
	shot := filepath.Join(dir, "matrix.png")
	chromium("--screenshot="+shot, "--window-size=1400,1800", page)
	png, err := os.ReadFile(shot)
	if err != nil || len(png) < 10000 || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("screenshot: %v, %d bytes", err, len(png))
	}
	t.Logf("screenshot of the matrix: %d bytes", len(png))
}

// The ovirt-host profile on this machine: KVM runs, cluster level 4.7 is
// allowed (libvirt 9.0 >= 8.0) and 4.8 is not (it needs libvirt 10.10 and QEMU
// 9.1: a MAY failure that names both), the engine's 4.7 machine list is met,
// VDSM's filters and a lock manager are there, the agent answers. The report
// says what the checks were derived from and claims no certification.
func TestRealStackOVirtHost(t *testing.T) {
	junit := filepath.Join(t.TempDir(), "junit.xml")
	r := ovacts(t, "run", "--uri", realURI, "--profile", "ovirt-host", "--junit", junit)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	checkReportReaders(t, r.stdout, junit, "junit", "")
	for _, want := range []string{"PASS   OVH-001", "PASS   OVH-002", "FAIL   OVH-003", "libvirt 9.0.0 < 10.10.0, QEMU 7.2.22 < 9.1.0",
		"PASS   OVH-004", "PASS   OVH-005", "PASS   OVH-006", "PASS   OVH-007", "verdict: profile ovirt-host at MUST or stricter: CONFORMANT"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("no %q in:\n%s", want, r.stdout)
		}
	}
	props := junitProps(t, junit)
	if !strings.Contains(props["ovirt-host.derived-from"], "VDSM v4.50.7 and ovirt-engine 4.5.7") ||
		!strings.Contains(props["ovirt-host.derived-from"], "not an oVirt certification") {
		t.Errorf("derivation: %q", props["ovirt-host.derived-from"])
	}
	b, _ := os.ReadFile(junit)
	if strings.Contains(strings.ToLower(r.stdout+string(b)), "ovirt certified") {
		t.Error("the report claims an oVirt certification")
	}
}
