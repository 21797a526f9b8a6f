package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// --tags and --name choose from every profile unless --profile is given: the
// README's --tags @migration runs, --tags @storage runs every storage
// scenario, and the verdict is the selection's (issue 36, build 3).
func TestTagsChooseFromEveryProfile(t *testing.T) {
	every := list(t, "--tags", "@storage")
	r := ovacts(t, "run", "--tags", "@storage")
	if !strings.Contains(r.stdout, "selected "+itoa(every.Scenarios)+" scenarios (profile all, tags @storage)") {
		t.Errorf("--tags @storage did not select all %d storage scenarios:\n%s", every.Scenarios, r.stdout)
	}
	core := list(t, "--profile", "core", "--tags", "@storage")
	if core.Scenarios >= every.Scenarios {
		t.Fatalf("core has every storage scenario (%d of %d): this test shows nothing", core.Scenarios, every.Scenarios)
	}
	if r := ovacts(t, "run", "--profile", "core", "--tags", "@storage"); !strings.Contains(r.stdout, "selected "+itoa(core.Scenarios)+" scenarios (profile core, tags @storage)") {
		t.Errorf("--profile core --tags @storage:\n%s", r.stdout)
	}
	r = ovacts(t, "run", "--tags", "@migration")
	if r.code != 3 || !strings.Contains(r.stdout, "not run: MIG-001, MIG-002 (no second stack: give one with --peer-uri") {
		t.Errorf("--tags @migration: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// -k narrows to the requirements whose ID or a scenario's name has the text;
// --durations lists the slowest after the summary.
func TestNameFilterAndDurations(t *testing.T) {
	r := ovacts(t, "run", "-k", "dom-001", "--durations", "2")
	if r.code != 4 || !strings.Contains(r.stdout, "tags @req:DOM-001)") || !strings.Contains(r.stdout, "[  1/1] PASS   DOM-001") {
		t.Errorf("-k dom-001: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !regexp.MustCompile(`(?m)^slowest 1 scenario\(s\):\n +[0-9.]+m?s +DOM-001 `).MatchString(r.stdout) {
		t.Errorf("no slowest list after the summary:\n%s", r.stdout)
	}
	r = ovacts(t, "run", "--profile", "core", "--tags", "@domain", "--name", "lifecycle")
	if m := regexp.MustCompile(`selected ([0-9]+) scenarios`).FindStringSubmatch(r.stdout); m == nil || m[1] == "0" || strings.Contains(r.stdout, "] PASS   CONN-") {
		t.Errorf("--name lifecycle within core and @domain:\n%s", r.stdout)
	}
	oneLineExit2(t, []string{"run", "-k", "no-such-scenario-anywhere"}, `--name "no-such-scenario-anywhere" matches no selected scenario's name or requirement ID`)
	oneLineExit2(t, []string{"run", "--durations", "-1"}, "--durations must be a number of scenarios")
}

// --fail-fast starts no scenario after the first failure; those left are
// not run, with the reason.
func TestFailFast(t *testing.T) {
	feature := writeFile(t, "v.feature", `Feature: Fail fast
  @req:VND-001 @must @needs:persistent
  Scenario: First fails
    Given a domain "vm" defined from fixture "described"
    Then domain "vm" has the title "not this one"

  @req:VND-002 @must @needs:persistent
  Scenario: Second would pass
    Given a domain "vm" defined from fixture "described"
`)
	args := []string{"run", "--features", feature, "--tags", "@req:VND-001 or @req:VND-002", "--concurrency", "1"}
	if r := ovacts(t, args...); r.code != 1 || !strings.Contains(r.stdout, "PASS   VND-002") {
		t.Fatalf("without --fail-fast: exit %d\n%s", r.code, r.stdout)
	}
	r := ovacts(t, append(args, "--fail-fast")...)
	if r.code != 1 || !strings.Contains(r.stdout, "FAIL   VND-001") || !strings.Contains(r.stdout, "NOTRUN VND-002") ||
		!strings.Contains(r.stdout, "--fail-fast: not started after a scenario failed") {
		t.Errorf("--fail-fast: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// -q prints the verdict alone; -v adds each step; output to a file or pipe
// is plain lines, with no carriage return or escape code.
func TestQuietVerbosePlain(t *testing.T) {
	args := []string{"run", "--profile", "core", "--tags", "@req:DOM-001"}
	r := ovacts(t, append(args, "-q")...)
	if r.code != 4 || strings.Count(r.stdout, "\n") != 1 || !strings.HasPrefix(r.stdout, "verdict: ") {
		t.Errorf("-q: exit %d, stdout %q", r.code, r.stdout)
	}
	plain := ovacts(t, args...)
	r = ovacts(t, append(args, "-v")...)
	if !regexp.MustCompile(`(?m)^ +passed +When I define domain "vm" from fixture "minimal" \(`).MatchString(r.stdout) || strings.Contains(plain.stdout, "passed    When") {
		t.Errorf("-v lists no steps (or the default does):\n%s", r.stdout)
	}
	for _, out := range []string{plain.stdout, r.stdout} {
		if strings.ContainsAny(out, "\r\x1b") {
			t.Errorf("output to a pipe has a carriage return or an escape code: %q", out)
		}
	}
	oneLineExit2(t, append(args, "-q", "-v"), "give -q (--quiet) or -v (--verbose), not both")
	// A bundle's run.log keeps the progress that -q leaves out.
	dir := t.TempDir()
	b := filepath.Join(dir, "b")
	if r := ovacts(t, append(args, "-q", "--bundle", b, "--vendor", "v", "--product-name", "p", "--product-version", "1")...); r.code != 4 {
		t.Fatalf("-q --bundle: exit %d %s", r.code, r.stderr)
	}
	if log := readFile(t, filepath.Join(b, "run.log")); !strings.Contains(log, "PASS   DOM-001") || !strings.Contains(log, "verdict: ") {
		t.Errorf("-q left the progress out of run.log:\n%s", log)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// --features with neither --profile nor --tags runs the files' own
// scenarios; with --profile, the profile selects among all, as before.
func TestFeaturesAloneRunTheirOwnScenarios(t *testing.T) {
	feature := writeFile(t, "own.feature", `Feature: Own
  @req:VND-001 @must @needs:persistent
  Scenario: Ours
    Given a domain "vm" defined from fixture "described"
`)
	r := ovacts(t, "run", "--features", feature)
	if r.code != 4 || !strings.Contains(r.stdout, "selected 1 scenarios (profile all, tags @req:VND-001)") || !strings.Contains(r.stdout, "PASS   VND-001") {
		t.Errorf("--features alone: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = ovacts(t, "run", "--profile", "core", "--features", feature)
	if strings.Contains(r.stdout, "VND-001") || !strings.Contains(r.stdout, "(profile core)") {
		t.Errorf("--profile core --features ran the vendor's scenario not tagged @core:\n%s", r.stdout)
	}
}
