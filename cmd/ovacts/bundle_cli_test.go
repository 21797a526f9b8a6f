// The certification bundle, verify, diff and waivers from the command line.

package main

import (
	"crypto/ed25519"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ovacts/ovacts/reports"
)

// ovacts diff: a run against itself is empty (exit 0); a requirement that
// passed and now fails is a regression (exit 1), named with its message.
func TestDiff(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "junit.xml")
	if r := ovacts(t, "run", "--profile", "full", "--junit", old); r.code == 2 {
		t.Fatalf("run: %d %s", r.code, r.stderr)
	}
	if r := ovacts(t, "diff", old, dir); r.code != 0 || r.stdout != "no changes\n" {
		t.Fatalf("a run against itself: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	b, err := os.ReadFile(old)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(<testcase name="DOM-001 \[MUST\][^>]*>)(\s*<system-out>)`)
	if !re.Match(b) {
		t.Fatal("DOM-001 did not pass in the first run")
	}
	broken := re.ReplaceAll(b, []byte(`$1<failure message="DOM-001 (MUST) failed: it broke">it broke</failure>$2`))
	next := filepath.Join(t.TempDir(), "next.xml")
	if err := os.WriteFile(next, broken, 0o644); err != nil {
		t.Fatal(err)
	}
	r := ovacts(t, "diff", old, next)
	if r.code != 1 || !strings.Contains(r.stdout, "regressions (1):") || !strings.Contains(r.stdout, "DOM-001   MUST   passed -> failed") ||
		!strings.Contains(r.stdout, "it broke") || !strings.Contains(r.stderr, "1 regression(s)") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Backwards it is a fix, which is no reason to fail.
	if r := ovacts(t, "diff", "--format", "json", next, old); r.code != 0 || !strings.Contains(r.stdout, `"fixes": [`) {
		t.Fatalf("backwards: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// A signed bundle of a passing run verifies; any flipped byte in any of its
// files, a re-sealed edit, another signer's key, a missing key and a run with
// failures do not.
func TestBundleVerifyAndTamper(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "k")
	if r := ovacts(t, "keygen", "--out", key); r.code != 0 {
		t.Fatalf("keygen: %d %s", r.code, r.stderr)
	}
	if r := ovacts(t, "keygen", "--out", key); r.code != 2 || !strings.Contains(r.stderr, "exists") {
		t.Fatalf("keygen over an existing key: %d %s", r.code, r.stderr)
	}
	other := filepath.Join(dir, "other")
	ovacts(t, "keygen", "--out", other)
	product := writeFile(t, "product.yaml", "vendor: ACME\nproduct: ACME Virt\nversion: \"2.1\"\nurl: https://acme.example\ncontact: qa@acme.example\n")
	good := filepath.Join(dir, "bundle")
	if r := ovacts(t, "run", "--bundle", good, "--product", product, "--sign-key", key+".key"); r.code != reports.ExitRehearsal || !strings.Contains(r.stdout, "REHEARSAL: would be conformant") {
		t.Fatalf("run: %d %s %s", r.code, r.stdout, r.stderr)
	}
	// A rehearsal verifies with its own exit code, never 0: it certifies no stack.
	if r := ovacts(t, "verify", good, "--pubkey", key+".pub"); r.code != reports.ExitRehearsal || !strings.Contains(r.stdout, "profile core at MUST or stricter: conformant") ||
		!strings.Contains(r.stdout, "verified, as a rehearsal on libvirt's test driver") {
		t.Fatalf("verify: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := ovacts(t, "diff", good, good); r.code != 0 || r.stdout != "no changes\n" {
		t.Fatalf("diff of a bundle against itself: %d %s", r.code, r.stdout)
	}
	copyBundle := func(t *testing.T) string {
		t.Helper()
		to := filepath.Join(t.TempDir(), "b")
		os.MkdirAll(to, 0o755)
		entries, _ := os.ReadDir(good)
		for _, e := range entries {
			b, _ := os.ReadFile(filepath.Join(good, e.Name()))
			os.WriteFile(filepath.Join(to, e.Name()), b, 0o644)
		}
		return to
	}
	entries, _ := os.ReadDir(good)
	for _, e := range entries {
		for _, at := range []string{"first", "middle", "last"} {
			t.Run("flip "+e.Name()+" "+at, func(t *testing.T) {
				b := copyBundle(t)
				p := filepath.Join(b, e.Name())
				data, _ := os.ReadFile(p)
				i := map[string]int{"first": 0, "middle": len(data) / 2, "last": len(data) - 1}[at]
				data[i] ^= 0x01
				os.WriteFile(p, data, 0o644)
				if r := ovacts(t, "verify", b, "--pubkey", key+".pub"); r.code != 1 || !strings.Contains(r.stdout, "FAIL") {
					t.Fatalf("a flipped byte in %s passed verify:\n%s", e.Name(), r.stdout)
				}
			})
		}
	}
	// An edit sealed again, without the key and with another key.
	for _, signer := range []string{"", other + ".key"} {
		b := copyBundle(t)
		junit := filepath.Join(b, "junit.xml")
		data, _ := os.ReadFile(junit)
		os.WriteFile(junit, []byte(strings.Replace(string(data), "</testcase>", "<failure message=\"x\">x</failure></testcase>", 1)), 0o644)
		os.Remove(filepath.Join(b, "manifest.sig"))
		os.Remove(filepath.Join(b, "manifest.json"))
		var key ed25519.PrivateKey
		if signer != "" {
			var err error
			if key, err = reports.ReadPrivateKey(signer); err != nil {
				t.Fatal(err)
			}
		}
		if err := reports.SealBundle(b, key); err != nil {
			t.Fatal(err)
		}
		r := ovacts(t, "verify", b, "--pubkey", filepath.Join(dir, "k.pub"))
		if r.code != 1 || !strings.Contains(r.stdout, "FAIL signature") || !strings.Contains(r.stdout, "profile core at MUST or stricter: not conformant") {
			t.Fatalf("re-sealed edit (signer %q) passed:\n%s", signer, r.stdout)
		}
	}
	if r := ovacts(t, "verify", good); r.code != 1 || !strings.Contains(r.stdout, "FAIL signature     not checked") {
		t.Fatalf("verify without a key: %d\n%s", r.code, r.stdout)
	}
	// The full profile on the test driver fails OVH-001 (no KVM) and STOR-006
	// (qcow2 volumes are fully allocated), and lacks
	// what full needs: not certifiable; verify and run agree.
	full := filepath.Join(dir, "full")
	if r := ovacts(t, "run", "--profile", "full", "--bundle", full, "--product", product, "--sign-key", key+".key"); r.code != 1 {
		t.Fatalf("full run: exit %d", r.code)
	}
	r := ovacts(t, "verify", full, "--pubkey", key+".pub")
	if r.code != 1 || !strings.Contains(r.stdout, "profile full at MUST or stricter: not conformant (2 failed: OVH-001, STOR-006") || !strings.Contains(r.stdout, "ok   hashes") {
		t.Fatalf("a bundle with failures: %d\n%s", r.code, r.stdout)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--bundle", good, "--product", product}, "exists: give a new directory"},
		{[]string{"run", "--bundle", filepath.Join(dir, "x"), "--vendor", "ACME"}, "lacks product, version"},
		{[]string{"run", "--bundle", filepath.Join(dir, "y"), "--product", product, "--sign-key", "/nonexistent"}, "--sign-key"},
		{[]string{"run", "--product", product}, "need --bundle"},
		{[]string{"run", "--bundle", filepath.Join(dir, "z"), "--product", writeFile(t, "p.yaml", "vendor: A\nproduct: B\nversion: 1\ncolour: red\n")}, "line 4: unknown key 'colour'"},
		{[]string{"verify", "/nonexistent"}, "is not a bundle directory"},
		{[]string{"verify", good, "--pubkey", product}, "no PEM"},
	} {
		if r := ovacts(t, c.args...); r.code != 2 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", c.args, r.code, r.stderr, c.want)
		}
	}
}

// Waivers: the test driver's known SHOULD failures are waived (reported as
// waived, not passed); a waiver never makes a requirement count as met, so at
// --fail-on should the waived run is still not conformant, and verify refuses
// it; an expired waiver stops waiving; one that matches nothing is reported.
func TestWaivers(t *testing.T) {
	r := ovacts(t, "run", "--profile", "full", "--waivers", "../../fixtures/waivers/test-driver.yaml", "--fail-on", "should")
	if r.code != 1 || !strings.Contains(r.stdout, ", 10 waived") || strings.Count(r.stdout, "waiver: ") != 7 ||
		!strings.Contains(r.stdout, "failed under a waiver (a waiver never certifies): CONN-009, ERR-008, SAVE-003, SAVE-005, STAT-005, STOR-006, STOR-016") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	expired := writeFile(t, "expired.yaml", `waivers:
  - req: ERR-008
    reason: it was known
    link: https://bugs.example/8
    expires: 2020-01-01
    when: [driver=TEST]
  - req: DOM-001
    reason: it passes anyway
    link: https://bugs.example/1
    expires: 2099-01-01
    when: [driver=TEST]
`)
	r = ovacts(t, "run", "--profile", "full", "--tags", "@req:ERR-008 or @req:DOM-001", "--waivers", expired, "--fail-on", "should")
	if r.code != 1 || !strings.Contains(r.stdout, "ERR-008 EXPIRED on 2020-01-01") || !strings.Contains(r.stdout, "DOM-001 matched no failure") ||
		!strings.Contains(r.stdout, "4 failed") {
		t.Fatalf("expired waiver: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	dir := t.TempDir()
	ovacts(t, "keygen", "--out", filepath.Join(dir, "k"))
	b := filepath.Join(dir, "b")
	r = ovacts(t, "run", "--profile", "core", "--waivers", writeFile(t, "dom.yaml", "waivers:\n  - {req: DOM-001, reason: r, link: 'https://bugs.example/1', expires: 2099-01-01, when: [driver=TEST]}\n"),
		"--bundle", b, "--vendor", "V", "--product-name", "P", "--product-version", "1", "--sign-key", filepath.Join(dir, "k.key"))
	if r.code != reports.ExitRehearsal || !strings.Contains(r.stdout, "DOM-001 matched no failure") {
		t.Fatalf("bundle run with an unmatched waiver: %d %s", r.code, r.stderr)
	}
	if r := ovacts(t, "run", "--waivers", writeFile(t, "bad.yaml", "waivers:\n  - req: nope\n")); r.code != 2 || !strings.Contains(r.stderr, "not a requirement ID") {
		t.Fatalf("bad waivers: %d %s", r.code, r.stderr)
	}
}

// The ovirt-engine profile: listed; without an engine every scenario is a
// precondition skip saying so; bad engine input exits 2 with one line.
func TestOVirtEngineProfileCLI(t *testing.T) {
	if c := list(t, "--profile", "ovirt-engine"); len(c.Requirements) != 11 || c.Scenarios != 16 {
		t.Errorf("ovirt-engine catalogue: %d requirements, %d scenarios", len(c.Requirements), c.Scenarios)
	}
	r := ovacts(t, "run", "--profile", "ovirt-engine")
	if r.code != 3 || !strings.Contains(r.stdout, "16 scenarios: 0 passed, 0 failed, 0 blocked, 0 not applicable, 16 not run") ||
		strings.Count(r.stdout, "no engine supplied (--ovirt-url)") != 16+1 { // each scenario, and the verdict's not-run line
		t.Errorf("without an engine: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	pw := writeFile(t, "pw", "secret\n")
	readable := writeFile(t, "readable", "secret\n")
	if err := os.Chmod(pw, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--ovirt-url", "https://engine.example", "--ovirt-user", "admin@internal"}, "--ovirt-password-file"},
		{[]string{"--ovirt-url", "https://engine.example", "--ovirt-user", "admin@internal", "--ovirt-password-file", pw}, "--ovirt-ca-file"},
		{[]string{"--ovirt-url", "https://engine.example", "--ovirt-user", "a", "--ovirt-password-file", readable, "--ovirt-insecure"}, "is readable by others (mode 0644): chmod 600 it"},
		{[]string{"--ovirt-url", "engine.example", "--ovirt-user", "a", "--ovirt-password-file", pw, "--ovirt-insecure"}, "want https://"},
		{[]string{"--ovirt-url", "https://127.0.0.1:1", "--ovirt-user", "a", "--ovirt-password-file", pw, "--ovirt-insecure"}, "cannot reach the oVirt engine"},
	} {
		r := ovacts(t, append([]string{"run", "--profile", "ovirt-engine"}, c.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q (want %q)", c.args, r.code, r.stderr, c.want)
		}
	}
}
