//go:build realstack

// Tests against the real libvirtd + QEMU stack of this machine (make setup
// starts it). Run with: go test -tags realstack ./cmd/ovacts
package main

import (
	"bufio"
	"bytes"
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

type foreign struct {
	conn   *libvirt.Connect
	domain string // persistent, shut off
	runner string // transient, running
	net    string
	pool   string
	vol    string // a volume in the foreign pool
	filter string
	secret string // UUID
	dir    string // the pool's directory, removed after the pool
	stale  string // an ovacts object of a run that no longer exists
}

func (f *foreign) snapshot(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, n := range []string{f.domain, f.runner} {
		d, err := f.conn.LookupDomainByName(n)
		if err != nil {
			t.Fatalf("foreign domain %s: %v", n, err)
		}
		for _, fl := range []libvirt.DomainXMLFlags{0, libvirt.DOMAIN_XML_INACTIVE} {
			x, err := d.GetXMLDesc(fl)
			if err != nil {
				t.Fatal(err)
			}
			out[fmt.Sprintf("domain %s %d", n, fl)] = x
		}
		st, _, err := d.GetState()
		if err != nil {
			t.Fatal(err)
		}
		out["state "+n] = fmt.Sprint(st)
		d.Free()
	}
	n, err := f.conn.LookupNetworkByName(f.net)
	if err != nil {
		t.Fatalf("foreign network: %v", err)
	}
	out["network"], _ = n.GetXMLDesc(0)
	n.Free()
	p, err := f.conn.LookupStoragePoolByName(f.pool)
	if err != nil {
		t.Fatalf("foreign pool: %v", err)
	}
	out["pool"], _ = p.GetXMLDesc(0)
	v, err := p.LookupStorageVolByName(f.vol)
	if err != nil {
		t.Fatalf("foreign volume: %v", err)
	}
	out["volume"], _ = v.GetXMLDesc(0)
	v.Free()
	p.Free()
	nf, err := f.conn.LookupNWFilterByName(f.filter)
	if err != nil {
		t.Fatalf("foreign filter: %v", err)
	}
	out["nwfilter"], _ = nf.GetXMLDesc(0)
	nf.Free()
	sec, err := f.conn.LookupSecretByUUIDString(f.secret)
	if err != nil {
		t.Fatalf("foreign secret: %v", err)
	}
	out["secret"], _ = sec.GetXMLDesc(0)
	val, err := sec.GetValue(0)
	out["secret value"] = fmt.Sprintf("%x %v", val, err)
	sec.Free()
	return out
}

func domainXML(typ, name string) string {
	return fmt.Sprintf(`<domain type='%s'><name>%s</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os><devices/></domain>`, typ, name)
}

func setUpForeign(t *testing.T, conn *libvirt.Connect) *foreign {
	t.Helper()
	tag := harness.NewRunID()[:6]
	f := &foreign{conn: conn, domain: "foreign-" + tag, runner: "foreign-run-" + tag, net: "foreign-" + tag,
		pool: "foreign-" + tag, vol: "foreign-" + tag + ".img", filter: "foreign-" + tag, stale: "ovacts-deadbeef-s1-stale-" + tag}
	t.Cleanup(func() {
		for _, r := range []harness.Resource{{Kind: harness.KindDomain, Name: f.runner}, {Kind: harness.KindDomain, Name: f.domain},
			{Kind: harness.KindDomain, Name: f.stale}, {Kind: harness.KindNetwork, Name: f.net}, {Kind: harness.KindPool, Name: f.pool},
			{Kind: harness.KindNWFilter, Name: f.filter}, {Kind: harness.KindSecret, Name: f.secret}} {
			if r.Name == "" {
				continue
			}
			if err := harness.Remove(conn, r); err != nil {
				t.Errorf("removing the test's own foreign %s: %v", r, err)
			}
		}
		os.RemoveAll(f.dir)
	})
	// Not t.TempDir: its cleanup would run before the pool's removal above.
	var err error
	if f.dir, err = os.MkdirTemp("", "foreign-pool"); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{f.domain, f.stale} {
		d, err := conn.DomainDefineXML(domainXML("qemu", n))
		if err != nil {
			t.Fatal(err)
		}
		d.Free()
	}
	d, err := conn.DomainCreateXML(domainXML("qemu", f.runner), 0)
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
	p, err := conn.StoragePoolDefineXML(fmt.Sprintf(`<pool type='dir'><name>%s</name><target><path>%s</path></target></pool>`, f.pool, f.dir), 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Create(0); err != nil {
		t.Fatal(err)
	}
	v, err := p.StorageVolCreateXML(fmt.Sprintf(`<volume><name>%s</name><capacity unit='MiB'>1</capacity></volume>`, f.vol), 0)
	if err != nil {
		t.Fatal(err)
	}
	v.Free()
	p.Free()
	nf, err := conn.NWFilterDefineXML(fmt.Sprintf(`<filter name='%s' chain='root'><rule action='drop' direction='in' priority='400'><all/></rule></filter>`, f.filter))
	if err != nil {
		t.Fatal(err)
	}
	nf.Free()
	sec, err := conn.SecretDefineXML(fmt.Sprintf(`<secret ephemeral='no' private='no'><description>not ovacts</description><usage type='ceph'><name>foreign-%s</name></usage></secret>`, tag), 0)
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

// The feature suite on the real stack, twice (serially, then four scenarios at
// a time), with foreign objects around it:
// every scenario passes (SHOULD included), nothing of ovacts is left, the dead
// run's object is swept, and every foreign object is byte-identical.
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
	// Everything but the areas that judge this host rather than the stack: the
	// KVM host area (its hardware, TestRealStackKVMHost) and oVirt host readiness
	// (its versions, TestRealStackOVirtHost); and libguestfs, whose appliance
	// launches take minutes under TCG: TestRealStackLibguestfs runs it once;
	// and the oVirt engine API, which needs an engine (its steps have a
	// self-test against a stub). Every other scenario has to pass here, SHOULDs
	// included.
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

	// The second run goes four scenarios at a time: state lives in each scenario.
	for i, concurrency := range []string{"1", "4"} {
		i := i + 1
		junit := filepath.Join(t.TempDir(), "junit.xml")
		r := ovacts(t, "run", "--uri", realURI, "--peer-uri", peerURI, "--profile", "full", "--tags", notHost, "--fail-on", "should", "--junit", junit, "--concurrency", concurrency)
		if r.code != 0 {
			t.Fatalf("run %d: exit %d\n%s\n%s", i, r.code, r.stdout, r.stderr)
		}
		if i == 1 && !strings.Contains(r.stdout, "sweep: removed stale domain "+f.stale) {
			t.Errorf("run 1 did not sweep the dead run's domain:\n%s", r.stdout)
		}
		d := readJUnit(t, junit)
		if d.Tests != full.Scenarios || d.Skipped != 0 || d.Errors != 0 {
			t.Errorf("run %d: JUnit %d testcases (%d skipped, %d errors), want %d all run", i, d.Tests, d.Skipped, d.Errors, full.Scenarios)
		}
		props := map[string]string{}
		for _, p := range d.Suites[0].Props {
			props[p.Name] = p.Value
		}
		if props["driver"] != "QEMU" || (props["domain.type"] != "kvm" && props["domain.type"] != "qemu") {
			t.Errorf("run %d: properties %v", i, props)
		}
		// On this machine /dev/kvm works for domains without an OS: the probe must say so.
		if _, err := os.Stat("/dev/kvm"); err == nil && (props["kvm.usable"] != "true" || props["domain.type"] != "kvm") {
			t.Errorf("run %d: /dev/kvm exists but kvm.usable=%s domain.type=%s", i, props["kvm.usable"], props["domain.type"])
		}
		// The guest scenarios ran (make test builds the guest), and the report
		// says which accelerator booted it. With KVM usable, auto tries it first:
		// a TCG guest must come with the note of why KVM did not boot it.
		switch accel := props["guest.accel"]; {
		case accel == "kvm":
		case accel == "tcg" && props["kvm.usable"] == "true" && !strings.Contains(props["guest.accel.note"], "kvm:"):
			t.Errorf("run %d: guest on tcg although KVM is usable, and no note why: %v", i, props)
		case accel != "tcg":
			t.Errorf("run %d: no guest accelerator in the report: %v", i, props)
		}
		left, err := harness.PrefixedObjects(conn)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) > 0 {
			t.Fatalf("run %d left ovacts objects behind: %v", i, left)
		}
		if left, err := harness.PrefixedObjects(peer); err != nil || len(left) > 0 {
			t.Fatalf("run %d left ovacts objects behind on the peer: %v %v", i, left, err)
		}
		if props["peer.hostname"] == "" || props["peer.hostname"] == props["hostname"] {
			t.Errorf("run %d: the peer is not a host of its own: %v", i, props)
		}
		// Nothing on the host either: pools' directories, volumes, save files,
		// and the logs libvirt keeps per domain name.
		for _, pattern := range []string{"/var/lib/libvirt/images/ovacts-*", harness.QEMULogDir + "/ovacts-*"} {
			if files, _ := filepath.Glob(pattern); len(files) > 0 {
				t.Fatalf("run %d left files on the host: %v", i, files)
			}
		}
	}
	after := f.snapshot(t)
	for k, v := range before {
		if after[k] != v {
			t.Errorf("foreign %s changed:\nbefore: %s\nafter:  %s", k, v, after[k])
		}
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

// A guest that cannot boot (a kernel that is not one, a disk with no OS) ends
// in a precondition skip of the guest scenarios with the reason, within the
// boot limit, and leaves nothing behind.
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
			args := append([]string{"run", "--uri", realURI, "--profile", "full", "--tags", "@req:GUEST-001 or @req:DOM-001",
				"--guest-boot-timeout", "5s", "--guest-accel-timeout", "3s", "--junit", junit}, guest...)
			r := ovacts(t, args...)
			if r.code != 0 {
				t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			// It booted and waited (TCG, the last resort, got the whole boot limit), not failed to start.
			if !strings.Contains(r.stdout, "SKIP  GUEST-001") || !strings.Contains(r.stdout, "skipped, precondition: needs guest: the guest did not boot to a running agent") ||
				!strings.Contains(r.stdout, `tcg: no "agent connected" within 5s`) || !strings.Contains(r.stdout, "PASS  DOM-001") {
				t.Errorf("no precondition skip with its reason:\n%s", r.stdout)
			}
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
	if r.code != 0 || !strings.Contains(r.stdout, "PASS  GUEST-001") || !strings.Contains(r.stdout, "PASS  GUEST-006") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
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
					status = "skipped"
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
// migration scenarios are skipped before the run, with that reason.
func TestRealStackPeerIsTheSameHost(t *testing.T) {
	r := ovacts(t, "run", "--uri", realURI, "--peer-uri", realURI, "--profile", "full", "--tags", "@req:MIG-001 or @req:MIG-011")
	if r.code != 0 || strings.Count(r.stdout, "skipped, precondition: needs peer: the peer is the same host as the stack") != 2 {
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
	if r := ovacts(t, append([]string{"matrix", "-o", out}, bundles...)...); r.code != 0 {
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
	for _, want := range []string{"PASS  OVH-001", "PASS  OVH-002", "FAIL  OVH-003", "libvirt 9.0.0 < 10.10.0, QEMU 7.2.22 < 9.1.0",
		"PASS  OVH-004", "PASS  OVH-005", "PASS  OVH-006", "PASS  OVH-007"} {
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
