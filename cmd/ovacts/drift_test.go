// ovacts drift: a bundle against the stack it was run on, against another,
// edited, and bad input; the rule table.

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ovacts/ovacts/reports"
)

// driftBundle runs the core profile on uri into a new bundle signed with key
// (no key: unsigned): a rehearsal, exit 4.
func driftBundle(t *testing.T, uri, key string) string {
	t.Helper()
	b := filepath.Join(t.TempDir(), "bundle")
	args := []string{"run", "--uri", uri, "--profile", "core", "--bundle", b, "--vendor", "ACME", "--product-name", "Virt", "--product-version", "2.1"}
	if key != "" {
		args = append(args, "--sign-key", key)
	}
	if r := ovacts(t, args...); r.code != reports.ExitRehearsal {
		t.Fatalf("run: %d %s %s", r.code, r.stdout, r.stderr)
	}
	return b
}

// A bundle against the stack it was run on: no drift, exit 0, and whether
// its signature was checked is said: not without a key, valid with its key,
// not valid with another (drift still compares).
func TestDriftNone(t *testing.T) {
	dir := t.TempDir()
	key, other := filepath.Join(dir, "k"), filepath.Join(dir, "other")
	ovacts(t, "keygen", "--out", key)
	ovacts(t, "keygen", "--out", other)
	b := driftBundle(t, "test:///default", key+".key")
	for _, c := range []struct {
		args  []string
		trust string
	}{
		{nil, "unverified bundle"},
		{[]string{"--pubkey", key + ".pub"}, "verified bundle: signed by ed25519:"},
		{[]string{"--pubkey", other + ".pub"}, "bundle does NOT verify: signature: the signature does not match"},
	} {
		r := ovacts(t, append([]string{"drift", b, "--uri", "test:///default"}, c.args...)...)
		if r.code != 0 || !strings.Contains(r.stdout, "\nno drift: the stack at test:///default is still what "+b+" certified\n") ||
			!strings.HasPrefix(r.stdout, c.trust) || strings.Contains(r.stdout, "re-certification") || r.stderr != "" {
			t.Errorf("drift %v: exit %d\n%s%s", c.args, r.code, r.stdout, r.stderr)
		}
	}
}

// A bundle of another stack (the test driver with a node file of its own,
// whose capabilities differ): exit 1, the property named with both values.
func TestDriftAnotherStack(t *testing.T) {
	node := writeFile(t, "node.xml", "<node><cpu><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads><active>2</active><mhz>2400</mhz><model>x86_64</model></cpu><memory>2097152</memory></node>")
	b := driftBundle(t, "test://"+node, "")
	var stack map[string]string
	data, _ := os.ReadFile(filepath.Join(b, reports.BundleStack))
	if err := json.Unmarshal(data, &stack); err != nil || len(stack["capabilities.sha256"]) != 64 {
		t.Fatalf("stack.json: %v %v", err, stack)
	}
	r := ovacts(t, "drift", b, "--uri", "test:///default")
	if r.code != 1 || !strings.Contains(r.stdout, "re-certification required (1):\n  capabilities.sha256    certified "+stack["capabilities.sha256"]+", now ") ||
		strings.Contains(r.stdout, "no drift") || r.stderr != "ovacts: "+b+": 1 difference(s) require re-certification\n" {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// An edited bundle's recorded values (it no longer verifies: drift reads them
// all the same): a minor version and an architecture require
// re-certification, a micro version and host facts that cannot be compared
// here are informational.
func TestDriftEditedBundle(t *testing.T) {
	b := driftBundle(t, "test:///default", "")
	p := filepath.Join(b, reports.BundleStack)
	data, _ := os.ReadFile(p)
	var stack map[string]string
	if err := json.Unmarshal(data, &stack); err != nil {
		t.Fatal(err)
	}
	daemon := stack["libvirt.daemon"]
	stack["libvirt.daemon"] = "1.2.3"
	stack["hypervisor.version"] = "0.0.9" // the test driver's is 0.0.2
	stack["host.arch"] = "riscv64"
	stack["host.facts"], stack["host.kvm"] = "measured", "usable"
	data, _ = json.Marshal(stack)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	r := ovacts(t, "drift", b, "--uri", "test:///default")
	for _, want := range []string{
		"re-certification required (2):\n",
		"  libvirt.daemon         certified 1.2.3, now " + daemon + "\n",
		"  host.arch              certified riscv64, now ",
		"informational (2):\n",
		"  hypervisor.version     certified 0.0.9, now 0.0.2 (same major.minor)\n",
		"  host.*                 certified measured, now not measured (the test driver runs in-process",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("no %q", want)
		}
	}
	if r.code != 1 || !strings.Contains(r.stderr, "2 difference(s) require re-certification") {
		t.Errorf("exit %d", r.code)
	}
	if t.Failed() {
		t.Logf("\n%s%s", r.stdout, r.stderr)
	}
}

// Bad input: exit 2 and one line naming the problem.
func TestDriftBadInput(t *testing.T) {
	good := driftBundle(t, "test:///default", "")
	empty := t.TempDir()
	notJSON := t.TempDir()
	os.WriteFile(filepath.Join(notJSON, reports.BundleStack), []byte("{not json"), 0o644)
	file := writeFile(t, "f", "x")
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no such bundle", []string{"drift", filepath.Join(empty, "none")}, "is not a bundle directory"},
		{"a file", []string{"drift", file}, "is not a bundle directory"},
		{"empty directory", []string{"drift", empty}, "is not a bundle: "},
		{"stack not JSON", []string{"drift", notJSON}, "is not a bundle: stack.json: "},
		{"a node file", []string{"drift", good, "--uri", "test:///etc/passwd"}, "--uri: "},
		{"the ext transport", []string{"drift", good, "--uri", "qemu+ext:///system?command=/bin/true"}, "--uri: "},
		{"unreachable", []string{"drift", good, "--uri", "nosuch:///x"}, "cannot connect to nosuch:///x"},
		{"two keys", []string{"drift", good, "--pubkey", file, "--keys", empty}, "not both"},
		{"a bad key", []string{"drift", good, "--pubkey", file}, "--pubkey: "},
		{"no bundle", []string{"drift"}, "accepts 1 arg"},
	} {
		r := ovacts(t, c.args...)
		if r.code != 2 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, c.want) || strings.Contains(r.stdout, "drift:") {
			t.Errorf("%s: exit %d\n%s%s", c.name, r.code, r.stdout, r.stderr)
		}
	}
}

// The rules, one by one.
func TestDriftJudge(t *testing.T) {
	rules := driftRules()
	for _, c := range []struct {
		prop, was, is string
		changed, re   bool
	}{
		{"libvirt.daemon", "9.0.0", "9.0.0", false, false},
		{"libvirt.daemon", "9.0.0", "9.0.1", true, false}, // micro
		{"libvirt.daemon", "9.0.0", "9.1.0", true, true},  // minor
		{"libvirt.daemon", "9.0.0", "11.3.0", true, true}, // major
		{"hypervisor.version", "7.2.0", "7.2.11", true, false},
		{"hypervisor.version", "7.2.0", "10.0.0", true, true},
		{"hypervisor.version", "7.2.0", "", true, true},  // no longer answers
		{"hypervisor.version", "", "7.2.0", true, false}, // not recorded
		{"host.kernel", "6.1.0-18-amd64", "6.1.0-28-amd64", true, false},
		{"host.kernel", "6.1.0-28-amd64", "6.12.12-amd64", true, true},
		{"host.kernel", "unknown", "6.1.0-28-amd64", true, false},
		{"driver", "QEMU", "QEMU", false, false},
		{"driver", "QEMU", "Xen", true, true},
		{"host.arch", "x86_64", "aarch64", true, true},
		{"domain.types", "qemu,kvm", "kvm,qemu", false, false},
		{"domain.types", "qemu,kvm", "qemu", true, true},
		{"capabilities.sha256", "aa", "bb", true, true},
		{"machine", "pc-i440fx-7.2", "not offered", true, true},
		{"host.kvm", "usable", "absent", true, true},
		{"host.qdisc.sfq", "available", "absent", true, true},
		{"host.qdisc.sfq", "available", "unknown", true, false},
		{"host.cgroup", "v2", "v2", false, false},
		{"libvirt.client", "9.0.0", "11.3.0", true, false},
		{"hostname", "a", "b", true, false},
		{"host.kvm.boots-linux", "yes", "", false, false},
	} {
		r, ok := ruleFor(rules, c.prop)
		if !ok {
			t.Errorf("%s has no rule", c.prop)
			continue
		}
		l, changed := judgeDrift(r, c.prop, c.was, c.is)
		if changed != c.changed || l.recertify != c.re {
			t.Errorf("%s %q -> %q: changed %v, re-certify %v; want %v, %v", c.prop, c.was, c.is, changed, l.recertify, c.changed, c.re)
		}
	}
	for _, p := range []string{"run.id", "host.facts", "host.kvm.evidence", "started"} {
		if r, ok := ruleFor(rules, p); ok {
			t.Errorf("%s is compared (%s)", p, r.rule)
		}
	}
}

// compareStack compares the host's facts only when both sides measured
// them, and the machine type only when the run recorded one.
func TestDriftCompareStack(t *testing.T) {
	rules := driftRules()
	base := map[string]string{"driver": "QEMU", "libvirt.daemon": "9.0.0", "hypervisor.version": "7.2.0", "host.arch": "x86_64", "guest.arch": "x86_64",
		"domain.types": "qemu,kvm", "capabilities.sha256": "aa", "libvirt.client": "9.0.0", "hostname": "h", "kvm.usable": "true", "domain.type": "kvm"}
	with := func(m map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	measured := with(base, "host.facts", "measured", "host.kvm", "usable", "host.kvm.evidence", "opens", "host.kernel", "6.1.0-28-amd64", "host.kvm.boots-linux", "yes")
	names := func(ls []driftLine) string {
		var s []string
		for _, l := range ls {
			mark := "i"
			if l.recertify {
				mark = "R"
			}
			s = append(s, mark+":"+l.prop)
		}
		return strings.Join(s, " ")
	}
	for _, c := range []struct {
		name           string
		certified, now map[string]string
		hostWhy, want  string
	}{
		{"itself", base, with(base, "machine", ""), "", ""},
		{"measured, same", measured, with(measured, "host.kvm.evidence", "other words", "host.kvm.boots-linux", ""), "", ""},
		{"kvm gone", measured, with(measured, "host.kvm", "absent"), "", "R:host.kvm"},
		{"kernel minor", measured, with(measured, "host.kernel", "6.12.12-amd64"), "", "R:host.kernel"},
		{"remote now", measured, with(base, "host.facts", "not measured: remote"), "remote", "i:host.*"},
		{"not recorded", base, with(measured, "hostname", "g"), "", "i:hostname"},
		{"machine gone", with(base, "machine", "pc-i440fx-7.2"), with(base, "machine", "not offered"), "", "R:machine"},
		{"machine kept", with(base, "machine", "pc-i440fx-7.2"), with(base, "machine", "pc-i440fx-7.2"), "", ""},
	} {
		if got := names(compareStack(rules, c.certified, c.now, c.hostWhy)); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// Every rule is in drift --help and in docs/certification.md's drift section, with its
// kind: the table is documented where users read it.
func TestDriftRulesDocumented(t *testing.T) {
	readme, err := os.ReadFile("../../docs/certification.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "### Drift: is the stack still what was certified?")
	section, _, _ = strings.Cut(section, "\n### ")
	if !ok {
		t.Fatal("docs/certification.md has no drift section")
	}
	help := ovacts(t, "drift", "--help").stdout
	for _, r := range driftRules() {
		if !strings.Contains(section, "| `"+r.prop+"` | "+string(r.rule)+" |") {
			t.Errorf("docs/certification.md: no row | `%s` | %s |", r.prop, r.rule)
		}
		if !strings.Contains(help, r.prop) || !strings.Contains(help, string(r.rule)+": "+r.why) {
			t.Errorf("--help: no rule of %s", r.prop)
		}
	}
}
