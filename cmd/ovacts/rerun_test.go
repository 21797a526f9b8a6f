package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ovacts/ovacts/reports"
)

// --rerun-failed runs exactly the requirements that failed, errored or were
// blocked, in the report's profile against its URI, and says which.
func TestRerunFailed(t *testing.T) {
	dir := t.TempDir()
	first := filepath.Join(dir, "first.xml")
	// A vendor requirement with an undefined step errors; the test driver
	// fails a few SHOULDs and OVH-001; one of them is waived.
	undefined := writeFile(t, "v.feature", "Feature: V\n  @req:VND-001 @may\n  Scenario: S\n    Then the flux capacitor is charged\n")
	waivers := writeFile(t, "w.yaml", "waivers:\n  - req: STAT-005\n    reason: no memory statistics\n    link: https://libvirt.org/drvtest.html\n    expires: 2099-01-01\n    when: [driver=TEST]\n")
	r := ovacts(t, "run", "--profile", "full", "--features", undefined, "--waivers", waivers, "--junit", first)
	if r.code != 1 {
		t.Fatalf("first run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	before, err := reports.ReadResults(first)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for id, v := range before.Verdicts {
		if v.Status == reports.Failed || v.Status == reports.Blocked {
			want = append(want, id)
		}
	}
	slices.Sort(want)
	if !slices.Contains(want, "VND-001") || !slices.Contains(want, "OVH-001") || slices.Contains(want, "STAT-005") || len(want) < 4 {
		t.Fatalf("the first run's failures are not what this test needs: %v", want)
	}

	again := filepath.Join(dir, "again.xml")
	r = ovacts(t, "run", "--rerun-failed", first, "--features", undefined, "--waivers", waivers, "--junit", again)
	if r.code != 1 {
		t.Fatalf("rerun: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	said := firstLine(r.stdout, "rerun-failed: ")
	if !strings.Contains(said, "of run "+before.Properties["run.id"]+", profile full, against the report's URI") ||
		!strings.Contains(said, "VND-001 (errored)") || !strings.Contains(said, "OVH-001 (failed)") || strings.Contains(said, "STAT-005") {
		t.Errorf("the rerun does not say what it selected: %q", said)
	}
	after, err := reports.ReadResults(again)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for id := range after.Verdicts {
		got = append(got, id)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("rerun ran %v, want exactly %v", got, want)
	}
	if after.Properties["rerun.of"] != before.Properties["run.id"] || after.Properties["profile"] != "full" || after.Properties["uri"] != "test:///default" {
		t.Errorf("rerun properties: %v", after.Properties)
	}
	// A bundle is a report too.
	bundle := filepath.Join(dir, "bundle")
	if r := ovacts(t, "run", "--tags", "@req:OVH-001", "--profile", "full", "--bundle", bundle, "--vendor", "v", "--product-name", "p", "--product-version", "1"); r.code != 1 {
		t.Fatalf("bundle run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := ovacts(t, "run", "--rerun-failed", bundle); r.code != 1 || !strings.Contains(r.stdout, "rerun-failed: 1 requirement of run") {
		t.Errorf("rerun of a bundle: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// Nothing failed: nothing runs, exit 0, and the report paths hold an
	// empty report, not an earlier one.
	passed := filepath.Join(dir, "passed.xml")
	if r := ovacts(t, "run", "--tags", "@req:DOM-001", "--junit", passed); r.code != reports.ExitRehearsal {
		t.Fatalf("passing run: exit %d\n%s", r.code, r.stdout)
	}
	stale := filepath.Join(dir, "stale.xml")
	if err := os.WriteFile(stale, []byte("an earlier report"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = ovacts(t, "run", "--rerun-failed", passed, "--junit", stale)
	if r.code != 0 || !strings.Contains(r.stdout, "nothing to rerun") || strings.Contains(r.stdout, "selected ") {
		t.Errorf("nothing to rerun: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if d := readJUnit(t, stale); d.Tests != 0 {
		t.Errorf("the report of nothing rerun has %d testcases", d.Tests)
	}

	// Bad input: exit 2, one line.
	report, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(name, old, new string) string {
		if !strings.Contains(string(report), old) {
			t.Fatalf("the report has no %q", old)
		}
		return writeFile(t, name, strings.Replace(string(report), old, new, 1))
	}
	selfTest := edit("selftest.xml", `<property name="profile"`, `<property name="selftest" value="stub engine"></property><property name="profile"`)
	older := edit("older.xml", `name="suite.version" value="`+version+`"`, `name="suite.version" value="0.0.1"`)
	redacted := edit("redacted.xml", `name="uri" value="test:///default"`, `name="uri" value="qemu+tcp://me:xxxxx@h/system"`)
	for _, c := range []struct{ name, want string }{
		{"not a report", undefined + ": not a JUnit report"},
		{"self-test", "a self-test report (stub engine) is a test of ovacts"},
		{"older", "written by ovacts 0.0.1, this is ovacts " + version},
		{"redacted", "has its secrets redacted; give --uri"},
		{"missing", "no such file"},
		{"other profile", "reruns in the report's profile full; drop --profile core"},
	} {
		args := map[string][]string{
			"not a report": {undefined}, "self-test": {selfTest}, "older": {older}, "redacted": {redacted},
			"missing": {filepath.Join(dir, "nope.xml")}, "other profile": {first, "--profile", "core"},
		}[c.name]
		out := filepath.Join(dir, "bad.xml")
		r := ovacts(t, append([]string{"run", "--junit", out, "--rerun-failed"}, args...)...)
		lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
		if r.code != 2 || len(lines) != 1 || !strings.Contains(lines[0], c.want) {
			t.Errorf("%s: exit %d, stderr %q, want one line with %q", c.name, r.code, r.stderr, c.want)
		}
		if b, err := os.ReadFile(out); err != nil || !strings.Contains(string(b), "the run did not start") {
			t.Errorf("%s: the JUnit report does not say the run did not start: %v", c.name, err)
		}
	}
}
