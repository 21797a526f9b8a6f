//go:build realstack

// The reports read by real consumers: xmllint against the schemas CI tools
// validate with, Debian's python3-junitparser, npm's junit2json and
// multiple-cucumber-html-reporter (scripts/consumers.sh installs them). Every
// count they read must be the count of ovacts' own summary line.

package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ovacts/ovacts/internal/xmllint"
)

var consumersDir = envOr("OVACTS_CONSUMERS_DIR", "/var/cache/ovacts/consumers")

// summaryLine is the run's "N scenarios: ..." line.
var summaryLine = regexp.MustCompile(`(?m)^(\d+) scenarios: (\d+) passed, (\d+) failed, (\d+) blocked, (\d+) not applicable, (\d+) not run(?:, (\d+) waived)?(?:, (\d+) suite errors)? in `)

type summary struct{ total, passed, failed, blocked, na, notRun, waived, suiteErrors int }

func readSummary(t *testing.T, stdout string) summary {
	t.Helper()
	m := summaryLine.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no summary line in the run's output:\n%s", stdout)
	}
	n := make([]int, len(m))
	for i, s := range m[1:] {
		n[i+1], _ = strconv.Atoi(s)
	}
	return summary{n[1], n[2], n[3], n[4], n[5], n[6], n[7], n[8]}
}

// junitCounts is what a JUnit consumer counts.
type junitCounts struct {
	Tests    int `json:"tests"`
	Failures int `json:"failures"`
	Errors   int `json:"errors"`
	Skipped  int `json:"skipped"`
}

// want is how a JUnit reader must count a run: a failure is <failure>, a
// suite error <error>, and everything not judged passed or failed (blocked,
// not applicable, not run, waived) <skipped> with its category.
func (s summary) junit() junitCounts {
	return junitCounts{Tests: s.total, Failures: s.failed, Errors: s.suiteErrors, Skipped: s.blocked + s.na + s.notRun + s.waived}
}

func consume(t *testing.T, out any, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(consumersDir, "node_modules"))
	b, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("%s %v: %v\n%s%s\n(make setup installs the consumers: scripts/consumers.sh)", name, args, err, b, stderr)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("%s %v: %v: %q", name, args, err, b)
	}
}

var gitlabOnly = regexp.MustCompile(`(<testcase [^>]*?) file="[^"]*" line="[0-9]+"`)

// checkReportReaders validates a run's JUnit report in its format and has
// the real consumers count it, and the Cucumber JSON when there is one: each
// must agree with the run's summary line.
func checkReportReaders(t *testing.T, stdout, junit, format, cucumber string) {
	t.Helper()
	s := readSummary(t, stdout)
	data, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	schemas := []string{"junit-10.xsd", "junit-4.xsd"}
	switch format {
	case "ant":
		schemas = []string{"JUnit.xsd"}
	case "gitlab":
		// GitLab validates nothing; its format is the default one with
		// file and line on every testcase, which junit-10.xsd does not allow.
		n := len(gitlabOnly.FindAll(data, -1))
		if n != s.total {
			t.Errorf("gitlab format: %d testcases with file and line, want %d", n, s.total)
		}
		data = gitlabOnly.ReplaceAll(data, []byte("$1"))
	}
	for _, schema := range schemas {
		if err := xmllint.Validate(data, filepath.Join("..", "..", "reports", "testdata", "schemas", schema)); err != nil {
			t.Errorf("%s (%s format) against %s: %v", junit, format, schema, err)
		}
	}
	want := s.junit()
	var byParser, byJunit2json junitCounts
	consume(t, &byParser, "/usr/bin/python3", "../../scripts/consumers/junit_counts.py", junit)
	consume(t, &byJunit2json, "node", "../../scripts/consumers/junit-counts.js", junit)
	if byParser != want {
		t.Errorf("python3-junitparser counts %+v in %s, ovacts' summary %+v", byParser, junit, want)
	}
	if byJunit2json != want {
		t.Errorf("junit2json counts %+v in %s, ovacts' summary %+v", byJunit2json, junit, want)
	}
	if cucumber == "" {
		return
	}
	// multiple-cucumber-html-reporter: a scenario with a failed step is
	// failed, one with an undefined step not defined, the others skipped.
	in := t.TempDir()
	b, err := os.ReadFile(cucumber)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(in, "cucumber.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	var html struct{ Total, Passed, Failed, Skipped, Pending, NotDefined, Ambiguous int }
	consume(t, &html, "node", "../../scripts/consumers/cucumber-counts.js", in, filepath.Join(t.TempDir(), "html"))
	if html.Total != s.total || html.Passed != s.passed || html.Failed+html.NotDefined+html.Pending+html.Ambiguous != s.failed+s.suiteErrors ||
		html.Failed < s.failed || html.Skipped != s.blocked+s.na+s.notRun+s.waived {
		t.Errorf("multiple-cucumber-html-reporter counts %+v in %s, ovacts' summary %+v", html, cucumber, s)
	}
	t.Logf("%s: junitparser %+v, junit2json %+v, multiple-cucumber-html-reporter %+v", filepath.Base(junit), byParser, byJunit2json, html)
}

// A test-driver run with every outcome but blocked (the broken-stack test
// has those): passed, failed, a vendor requirement whose step is undefined
// (an error), waived, not applicable, not run; in each JUnit format.
func TestReportsReadByRealConsumers(t *testing.T) {
	vendor := writeFile(t, "vendor.feature", "Feature: Vendor\n  @req:VND-001 @may\n  Scenario: A step nobody defined\n    Then the flux capacitor is charged\n")
	var wg sync.WaitGroup
	for _, format := range []string{"junit", "gitlab", "ant"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run(format, func(t *testing.T) {
				junit := filepath.Join(t.TempDir(), "junit.xml")
				cucumber := ""
				args := []string{"run", "--profile", "full", "--features", vendor, "--waivers", "../../fixtures/waivers/test-driver.yaml",
					"--junit", junit, "--junit-format", format}
				if format == "junit" {
					cucumber = filepath.Join(t.TempDir(), "cucumber.json")
					args = append(args, "--cucumber", cucumber)
				}
				r := ovacts(t, args...)
				if r.code != 1 {
					t.Fatalf("exit %d, want 1 (OVH-001 fails on the test driver)\n%s%s", r.code, r.stdout, r.stderr)
				}
				s := readSummary(t, r.stdout)
				if s.passed == 0 || s.failed == 0 || s.suiteErrors != 1 || s.waived == 0 || s.na == 0 || s.notRun == 0 {
					t.Fatalf("the run lacks an outcome this test needs: %+v", s)
				}
				checkReportReaders(t, r.stdout, junit, format, cucumber)
				if format == "junit" && !strings.Contains(r.stdout, "ERROR  VND-001") {
					t.Errorf("the vendor requirement did not error:\n%s", r.stdout)
				}
			})
		}()
	}
	wg.Wait()
}
