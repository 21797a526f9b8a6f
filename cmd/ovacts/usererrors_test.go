package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// oneLineExit2 runs ovacts and fails unless it exits 2 with one "ovacts:"
// line on stderr that says each of want.
func oneLineExit2(t *testing.T, args []string, want ...string) {
	t.Helper()
	r := ovacts(t, args...)
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	if r.code != 2 || len(lines) != 1 || !strings.HasPrefix(lines[0], "ovacts: ") {
		t.Fatalf("%v: exit %d, want 2 and one line\nstdout: %s\nstderr: %s", args, r.code, r.stdout, r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(lines[0], w) {
			t.Errorf("%v: %q does not say %q", args, lines[0], w)
		}
	}
	for _, leak := range []string{"reports.", "unmarshal", "struct {", "I/O warning", ": EOF"} {
		if strings.Contains(r.stderr, leak) {
			t.Errorf("%v: an internal word %q leaked: %s", args, leak, r.stderr)
		}
	}
}

// Input files that are not in their format are told in their author's words,
// with the file and the line (issue 36, build 4).
func TestInputFileErrorsInTheUsersWords(t *testing.T) {
	dir := t.TempDir()
	w := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	notList := w("waivers.yaml", "# known failures\n\nwaivers: DOM-001\n")
	typo := w("typo.yaml", "waivers:\n  - req: DOM-001\n    reasn: x\n")
	badDate := w("date.yaml", "waivers:\n  - req: DOM-001\n    reason: r\n    link: https://x.example\n    expires: soon\n    when: [driver=QEMU]\n")
	product := w("product.yaml", "vendor: Acme\nproduct: [a, b]\n")
	productKey := w("product2.yaml", "vendor: Acme\nproduct: P\nversion: 1\nowner: me\n")
	oneLineExit2(t, []string{"run", "--waivers", notList}, notList+" line 3: 'waivers' must be a list of entries")
	oneLineExit2(t, []string{"run", "--waivers", typo}, typo+" line 3: unknown key 'reasn'", "reason")
	oneLineExit2(t, []string{"run", "--waivers", badDate}, badDate+` line 2: waiver 1 (DOM-001): expires "soon" is not a date`)
	oneLineExit2(t, []string{"run", "--bundle", filepath.Join(dir, "b1"), "--product", product}, product+" line 2: 'product' must be a single value, not a list")
	oneLineExit2(t, []string{"run", "--bundle", filepath.Join(dir, "b2"), "--product", productKey}, productKey+" line 4: unknown key 'owner'")
	oneLineExit2(t, []string{"run", "--uri", "test:///nonexistent.xml"}, "the test driver's file /nonexistent.xml cannot be read: no such file or directory")
	oneLineExit2(t, []string{"run", "--uri", "test://" + dir}, "not a regular file")
}

// A Cucumber JSON report given to --rerun-failed is named as one; a missing
// vendor key of publish --keys is named as the file expected.
func TestReportAndKeyErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	cuc, junit := filepath.Join(dir, "c.json"), filepath.Join(dir, "j.xml")
	if r := ovacts(t, "run", "--tags", "@req:CONN-001", "--profile", "core", "--cucumber", cuc, "--junit", junit); r.code != 4 {
		t.Fatalf("run: exit %d %s", r.code, r.stderr)
	}
	oneLineExit2(t, []string{"run", "--rerun-failed", cuc}, "--rerun-failed "+cuc+": not a JUnit report: it is a Cucumber JSON report", "give the JUnit report")
	empty := writeFile(t, "empty.xml", "")
	oneLineExit2(t, []string{"run", "--rerun-failed", empty}, "the file is empty")
	broken := writeFile(t, "broken.xml", "<?xml version=\"1.0\"?>\n<testsuites>\n<a></b>\n")
	oneLineExit2(t, []string{"run", "--rerun-failed", broken}, broken+" line 3: not a JUnit report")

	key := filepath.Join(dir, "acme")
	if r := ovacts(t, "keygen", "--out", key); r.code != 0 {
		t.Fatalf("keygen: %d %s", r.code, r.stderr)
	}
	bundle := filepath.Join(dir, "bundle")
	if r := ovacts(t, "run", "--tags", "@req:CONN-001", "--profile", "core", "--bundle", bundle, "--vendor", "Acme Corp", "--product-name", "P", "--product-version", "1", "--sign-key", key+".key"); r.code != 4 {
		t.Fatalf("bundle run: exit %d %s", r.code, r.stderr)
	}
	keys := t.TempDir()
	oneLineExit2(t, []string{"publish", "-o", filepath.Join(dir, "site"), "--keys", keys, bundle}, `no key for this vendor "Acme Corp": its key is expected as `+filepath.Join(keys, "acme-corp.pub"))
}

// A misspelt tag, flag or profile gets the nearest known one (as a misspelt
// command does); a word near none gets no guess.
func TestDidYouMean(t *testing.T) {
	oneLineExit2(t, []string{"run", "--tags", "@storag"}, "unknown tag @storag (did you mean @storage?)")
	oneLineExit2(t, []string{"list", "--tags", "@req:DOM-01"}, "(did you mean @req:DOM-001?)")
	oneLineExit2(t, []string{"run", "--peer-url", "x"}, "unknown flag: --peer-url (did you mean --peer-uri?)")
	oneLineExit2(t, []string{"run", "--profile", "ful"}, `unknown profile "ful" (did you mean full?)`)
	oneLineExit2(t, []string{"rnu"}, `unknown command "rnu"`, "Did you mean this?")
	if r := ovacts(t, "run", "--tags", "@zzzzzz"); strings.Contains(r.stderr, "did you mean") {
		t.Errorf("a guess for a word near no tag: %s", r.stderr)
	}
}
