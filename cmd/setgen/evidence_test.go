package main

import (
	"strings"
	"testing"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/reports"
)

// A release demands of each requirement new in the set a pass in every report
// of the reference stacks that holds it, or a finding.
func TestReleaseEvidence(t *testing.T) {
	set := &catalogue.RequirementSet{Name: "2027.01", Requirements: []catalogue.SetEntry{
		{ID: "A-001", State: catalogue.StateRequired}, {ID: "B-001", State: catalogue.StateAdvisory}, {ID: "B-002", State: catalogue.StateAdvisory}, {ID: "B-003", State: catalogue.StateAdvisory},
	}}
	res := func(st map[string]reports.Status) *reports.Results {
		r := &reports.Results{Verdicts: map[string]*reports.Verdict{}}
		for id, s := range st {
			r.Verdicts[id] = &reports.Verdict{ReqID: id, Status: s}
		}
		return r
	}
	ev := map[string]*reports.Results{
		"debian12.xml": res(map[string]reports.Status{"A-001": reports.Failed, "B-001": reports.Passed, "B-002": reports.Failed}),
		"debian13.xml": res(map[string]reports.Status{"B-001": reports.Passed, "B-002": reports.Passed}),
	}
	got := releaseEvidence(set, nil, ev, "# Findings\n")
	want := []string{"B-002: failed in debian12.xml, and no finding in docs/findings.md", "B-003: in none of the reports, and no finding in docs/findings.md"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := releaseEvidence(set, nil, ev, "## B-002: a finding\n\n## B-003: another\n"); len(got) != 0 {
		t.Errorf("with findings: %q", got)
	}
	// A requirement advisory in the set before, required in this one, is
	// checked too; one required in both is not.
	prev := &catalogue.RequirementSet{Name: "2026.12", Requirements: []catalogue.SetEntry{{ID: "A-001", State: catalogue.StateAdvisory}}}
	if got := releaseEvidence(set, prev, ev, "## B-002: a finding\n\n## B-003: another\n"); strings.Join(got, ",") != "A-001: failed in debian12.xml, and no finding in docs/findings.md" {
		t.Errorf("a requirement counted from this set on: %q", got)
	}
}
