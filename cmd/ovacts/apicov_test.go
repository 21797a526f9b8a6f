package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ovacts/ovacts/internal/apicov"
)

// committedCoverage is docs/api-coverage.json, whose .md is its rendering.
func committedCoverage(t *testing.T) *apicov.Doc {
	t.Helper()
	d, err := apicov.Read("../../docs/api-coverage.json")
	if err != nil {
		t.Fatalf("%v (make coverage)", err)
	}
	md, err := os.ReadFile("../../docs/api-coverage.md")
	if err != nil || string(md) != string(d.Markdown()) {
		t.Fatalf("docs/api-coverage.md is not the rendering of docs/api-coverage.json (make coverage): %v", err)
	}
	return d
}

// notEntered lists a report's functions the scenarios did not enter.
func notEntered(r apicov.APICoverageReport) map[string]bool {
	out := map[string]bool{}
	for _, g := range r.Groups {
		for _, n := range append(append([]string{}, g.HarnessOnly...), g.NotEntered...) {
			out[n] = true
		}
	}
	return out
}

func readCoverage(t *testing.T, path string) apicov.APICoverageReport {
	t.Helper()
	var r apicov.APICoverageReport
	data, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(data, &r) != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return r
}

// checkCoverage: the run entered every function the committed run did,
// naming what it no longer enters (a drop fails); with exact, it entered no
// other either (the committed figure is current).
func checkCoverage(t *testing.T, got apicov.APICoverageReport, want *apicov.Run, exact bool, excused ...string) {
	t.Helper()
	gone, added := []string{}, []string{}
	wantMissing, gotMissing := notEntered(want.APICoverageReport), notEntered(got)
	for n := range gotMissing {
		if !wantMissing[n] && !slices.Contains(excused, n) {
			gone = append(gone, n)
		}
	}
	for n := range wantMissing {
		if !gotMissing[n] {
			added = append(added, n)
		}
	}
	slices.Sort(gone)
	slices.Sort(added)
	if len(gone) > 0 {
		t.Errorf("%s: the scenarios no longer enter %s (%d of %d now, %d committed)", want.Title, strings.Join(gone, ", "), got.Scenarios, got.Functions, want.Scenarios)
	}
	switch {
	case len(added) > 0 && exact:
		t.Errorf("%s: the scenarios now also enter %s: docs/api-coverage.md is stale (make coverage)", want.Title, strings.Join(added, ", "))
	case len(added) > 0:
		t.Logf("%s: the scenarios now also enter %s (make coverage raises the committed figure)", want.Title, strings.Join(added, ", "))
	}
}

// On the test driver the coverage is exact and the committed figure current:
// a change of what the scenarios call needs make coverage.
func TestAPICoverageOfTheTestDriverIsCurrent(t *testing.T) {
	d := committedCoverage(t)
	want := d.Run("test")
	if want == nil {
		t.Fatal("docs/api-coverage.json has no test:///default run")
	}
	out := filepath.Join(t.TempDir(), "cov.json")
	r := ovacts(t, "run", "--uri", "test:///default", "--profile", "full", "--api-coverage", out)
	if r.code != 1 || !strings.Contains(r.stdout, "api coverage: ") {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	checkCoverage(t, readCoverage(t, out), want, true)
}
