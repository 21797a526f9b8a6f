package harness_test

import (
	"context"
	"testing"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/features"
	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/reports"
)

// A run against a service release records it in the report, and its
// verdict does not count what the release excludes; without it, the same
// failure keeps the profile from conformant.
func TestRunAgainstServiceRelease(t *testing.T) {
	suite, err := catalogue.LoadSuite(features.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	set, _ := suite.RunSet()
	rel := &reports.ServiceRelease{Format: 1, Name: set.Name + ".1", Set: set.Name, SetDigest: set.Digest, Released: "2026-12-20",
		Excluded: []reports.Exclusion{{ID: "DOM-001", Reason: "challenge accepted", Link: "https://example.org/c/1"}}}
	rel.Digest = reports.ServiceDigest(rel.SetDigest, rel.Excluded)
	cfg := config(t)
	cfg.Profile, cfg.Service = "core", rel
	rep := run(t, context.Background(), cfg)
	for _, p := range rel.Properties() {
		if got := rep.Property(p.Name); got != p.Value {
			t.Errorf("report property %s = %q, want %q", p.Name, got, p.Value)
		}
	}
	failed := 0
	for i := range rep.Outcomes {
		if rep.Outcomes[i].ReqID == "DOM-001" {
			rep.Outcomes[i].Status = reports.Failed
			failed++
		}
	}
	if failed == 0 {
		t.Fatal("the core run has no DOM-001")
	}
	with, err := harness.Verdict(rep, cfg, features.FS, catalogue.MUST)
	if err != nil || with.Kind != reports.Conformant {
		t.Errorf("with DOM-001 excluded: %v %v", with, err)
	}
	cfg.Service = nil
	without, err := harness.Verdict(rep, cfg, features.FS, catalogue.MUST)
	if err != nil || without.Kind != reports.NotConformant {
		t.Errorf("without the service release: %v %v", without, err)
	}
}
