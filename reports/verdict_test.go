package reports

import (
	"slices"
	"strings"
	"testing"

	"github.com/ovacts/ovacts/catalogue"
)

// results builds a run's results: one scenario per requirement, as
// "ID LEVEL STATUS [capability] [suite-error]".
func results(t *testing.T, rows ...[]string) *Results {
	t.Helper()
	res := &Results{Verdicts: map[string]*Verdict{}, Properties: map[string]string{}}
	for _, r := range rows {
		capability, suiteErr := "", false
		for _, extra := range r[3:] {
			if extra == "suite-error" {
				suiteErr = true
			} else {
				capability = extra
			}
		}
		if err := res.add(r[0], r[1], "t", Status(r[2]), capability, "", suiteErr); err != nil {
			t.Fatal(err)
		}
	}
	return res
}

// Every category of the verdict, for a profile and for a tag selection.
func TestJudgeEveryCategory(t *testing.T) {
	p := catalogue.Profile{Name: "core", Required: map[string]string{"A-001": "MUST", "A-002": "MUST", "A-003": "SHOULD"}, Optional: []string{"nwfilter"}}
	pass := []string{"A-002", "MUST", "passed"}
	should := []string{"A-003", "SHOULD", "failed"}
	cases := []struct {
		name  string
		row   []string
		level string
		want  VerdictKind
		in    func(ProfileVerdict) []string
	}{
		{"passed", []string{"A-001", "MUST", "passed"}, "must", Conformant, nil},
		{"failed", []string{"A-001", "MUST", "failed"}, "must", NotConformant, func(v ProfileVerdict) []string { return v.Failed }},
		{"blocked", []string{"A-001", "MUST", "blocked", "kvm"}, "must", NotConformant, func(v ProfileVerdict) []string { return v.Blocked }},
		{"waived", []string{"A-001", "MUST", "waived"}, "must", NotConformant, func(v ProfileVerdict) []string { return v.Waived }},
		{"suite error", []string{"A-001", "MUST", "failed", "suite-error"}, "must", Incomplete, func(v ProfileVerdict) []string { return v.SuiteErrors }},
		{"not run", []string{"A-001", "MUST", "not-run", "peer"}, "must", Incomplete, func(v ProfileVerdict) []string { return v.NotRun }},
		{"not applicable, optional", []string{"A-001", "MUST", "not-applicable", "nwfilter"}, "must", Conformant, nil},
		{"not applicable, not allowed", []string{"A-001", "MUST", "not-applicable", "kvm"}, "must", Incomplete, func(v ProfileVerdict) []string { return v.NotApplicable }},
		{"not supported while running", []string{"A-001", "MUST", "not-applicable"}, "must", Incomplete, func(v ProfileVerdict) []string { return v.NotApplicable }},
	}
	for _, c := range cases {
		v := Judge(p, results(t, c.row, pass), c.level)
		if v.Kind != c.want || (c.in != nil && !slices.Equal(c.in(v), []string{"A-001"})) {
			t.Errorf("%s: %+v, want %s naming A-001", c.name, v, c.want)
		}
	}
	// A requirement the report does not hold is missing: incomplete.
	if v := Judge(p, results(t, pass), "must"); v.Kind != Incomplete || !slices.Equal(v.Missing, []string{"A-001"}) {
		t.Errorf("missing: %+v", v)
	}
	// A SHOULD failure counts only at --fail-on should.
	all := []string{"A-001", "MUST", "passed"}
	if v := Judge(p, results(t, all, pass, should), "must"); v.Kind != Conformant {
		t.Errorf("SHOULD failure at MUST: %+v", v)
	}
	if v := Judge(p, results(t, all, pass, should), "should"); v.Kind != NotConformant || !slices.Equal(v.Failed, []string{"A-003"}) {
		t.Errorf("SHOULD failure at SHOULD: %+v", v)
	}
}

// A selection claims no profile, and so allows no optional capability: what
// it selected at the level and could not run or judge keeps it incomplete,
// and so does a selection in which nothing passed.
func TestJudgeSelection(t *testing.T) {
	for _, c := range []struct {
		name string
		rows [][]string
		want VerdictKind
	}{
		{"passed", [][]string{{"A-001", "MUST", "passed"}, {"A-002", "SHOULD", "not-applicable", "kvm"}}, Conformant},
		{"passed and not run", [][]string{{"A-001", "MUST", "passed"}, {"A-002", "MUST", "not-run", "peer"}}, Incomplete},
		{"passed and not applicable", [][]string{{"A-001", "MUST", "passed"}, {"A-003", "MUST", "not-applicable", "kvm"}}, Incomplete},
		{"nothing passed", [][]string{{"A-003", "MUST", "not-applicable", "kvm"}, {"A-004", "MUST", "not-applicable", "kvm"}}, Incomplete},
		{"only a SHOULD passed, at MUST", [][]string{{"A-003", "SHOULD", "passed"}}, Incomplete},
		{"failed", [][]string{{"A-001", "MUST", "passed"}, {"A-002", "MUST", "failed"}}, NotConformant},
		{"blocked", [][]string{{"A-002", "MUST", "blocked", "kvm"}}, NotConformant},
		{"waived", [][]string{{"A-002", "MUST", "waived"}}, NotConformant},
		{"suite error at MAY", [][]string{{"A-001", "MUST", "passed"}, {"A-002", "MAY", "failed", "suite-error"}}, Incomplete},
		{"SHOULD failure at MUST", [][]string{{"A-001", "MUST", "passed"}, {"A-002", "SHOULD", "failed"}}, Conformant},
	} {
		if v := JudgeSelection(results(t, c.rows...), "must"); v.Kind != c.want {
			t.Errorf("%s: %+v, want %s", c.name, v, c.want)
		}
	}
}

// Judge fails closed: an outcome it does not know, and a not-applicable
// verdict without the capability that made it so, are never conformant.
func TestJudgeFailsClosed(t *testing.T) {
	p := catalogue.Profile{Name: "core", Required: map[string]string{"A-001": "MUST"}, Optional: []string{"nwfilter"}}
	unknown := &Results{Verdicts: map[string]*Verdict{"A-001": {ReqID: "A-001", Level: "MUST", Status: Status("skipped-somehow")}}}
	if v := Judge(p, unknown, "must"); v.Kind != Incomplete || !slices.Equal(v.Unknown, []string{"A-001"}) {
		t.Errorf("unknown outcome: %+v, want incomplete naming A-001", v)
	}
	if v := JudgeSelection(unknown, "must"); v.Kind == Conformant || !slices.Equal(v.Unknown, []string{"A-001"}) {
		t.Errorf("unknown outcome in a selection: %+v", v)
	}
	noEvidence := &Results{Verdicts: map[string]*Verdict{"A-001": {ReqID: "A-001", Level: "MUST", Status: NotApplicable}}}
	if v := Judge(p, noEvidence, "must"); v.Kind != Incomplete || !slices.Equal(v.NotApplicable, []string{"A-001"}) {
		t.Errorf("not applicable with no capability: %+v, want incomplete naming A-001", v)
	}
	if v := JudgeSelection(&Results{Verdicts: map[string]*Verdict{}}, "must"); v.Kind != Incomplete || !v.NothingPassed {
		t.Errorf("empty selection: %+v", v)
	} else if why := v.Why(); len(why) != 1 || !strings.Contains(why[0], "judged nothing") {
		t.Errorf("empty selection's reason: %q", why)
	}
}

// The summary's levels count what the verdict counts; advisory requirements
// are counted apart, and those that did not pass are named, failures first,
// with the set from which they count.
func TestSummaryListsAdvisoryApart(t *testing.T) {
	rep := &Report{Properties: []Property{{PropSet, "2026.12"}, {PropAdvisoryUntil, "2027.01"}}, Outcomes: []Outcome{
		{ReqID: "A-001", Level: "MUST", Area: "A", Status: Failed},
		{ReqID: "B-001", Level: "MUST", Area: "B", Status: NotApplicable, State: "advisory"},
		{ReqID: "B-002", Level: "MUST", Area: "B", Status: Passed, State: "advisory"},
		{ReqID: "B-003", Level: "MUST", Area: "B", Status: Failed, State: "advisory"},
		{ReqID: "B-003", Level: "MUST", Area: "B", Status: Passed, State: "advisory"},
	}}
	var b strings.Builder
	WriteSummary(&b, rep)
	out := b.String()
	for _, want := range []string{
		"  MUST     1: 0 passed, 1 failed,",
		"not counted by the verdict (advisory or deprecated in set 2026.12)   4: 2 passed, 1 failed, 0 blocked, 1 not applicable",
		"advisory, not counted until set 2027.01: B-003 failed, B-001 not applicable\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if bad, n := AdvisoryNotPassed(rep.Outcomes); n != 3 || strings.Join(bad, ", ") != "B-003 failed, B-001 not applicable" {
		t.Errorf("AdvisoryNotPassed: %v %d", bad, n)
	}
}
