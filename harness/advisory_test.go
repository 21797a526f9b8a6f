package harness_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/features"
	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/reports"
)

// A profile's run marks the scenarios of the requirements its set does not
// count, lists those that did not pass in the report, and its verdict and
// its summary's levels count the same requirements; a tag selection marks
// none (it counts all it selected).
func TestAdvisoryRequirementsAreReportedApart(t *testing.T) {
	cfg := config(t)
	rep := run(t, context.Background(), cfg)
	suite, err := catalogue.LoadSuite(features.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := suite.Profile("full")
	if err != nil {
		t.Fatal(err)
	}
	advisory := 0
	for _, o := range rep.Outcomes {
		_, counted := p.Required[o.ReqID]
		if counted != o.Counted() {
			t.Errorf("%s: counted by the verdict %v, marked %q in the report", o.ReqID, counted, o.State)
		}
		if o.State == catalogue.StateAdvisory {
			advisory++
		}
	}
	bad, n := reports.AdvisoryNotPassed(rep.Outcomes)
	if advisory == 0 || n == 0 || len(bad) == 0 {
		t.Fatalf("no advisory requirement in a full run (%d scenarios, %d requirements, %d not passed)", advisory, n, len(bad))
	}
	if got := rep.Property(reports.PropAdvisoryNotPassed); got != strings.Join(bad, ", ") {
		t.Errorf("report property %q, want %q", got, strings.Join(bad, ", "))
	}
	if got, want := rep.Property(reports.PropAdvisoryUntil), suite.CountedFrom(); got != want || got == "" {
		t.Errorf("advisory until %q, want %q", got, want)
	}
	v, _ := harness.Verdict(rep, cfg, features.FS, catalogue.MUST)
	for _, id := range append(v.Failed, v.NotApplicable...) {
		if _, counted := p.Required[id]; !counted {
			t.Errorf("the verdict names %s, which the set does not count", id)
		}
	}
	cfg.Tags = "@req:BLOCK-001 or @req:DOM-001"
	for _, o := range run(t, context.Background(), cfg).Outcomes {
		if !o.Counted() {
			t.Errorf("a selection marked %s %s", o.ReqID, o.State)
		}
	}
}
