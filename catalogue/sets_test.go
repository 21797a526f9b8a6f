package catalogue

import (
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ovacts/ovacts/features"
)

// The suite's newest requirement set is exactly what its features generate,
// and each set follows the one before: changing a scenario's steps without a
// new ID or set entry fails here.
func TestRequirementSetIsCurrent(t *testing.T) {
	s, err := LoadSuite(features.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckSets(s); err != nil {
		t.Fatal(err)
	}
	if n := s.NewestSet(); n.Status == SetDraft && len(s.Sets) == 1 {
		t.Error("no released set: a bundle could not certify against any")
	}
}

// setSuite loads features (area "smp") with the given sets.
func setSuite(t *testing.T, feature string, sets ...*RequirementSet) *Suite {
	t.Helper()
	fsys := fstest.MapFS{"smp/s.feature": {Data: []byte(feature)}}
	for _, set := range sets {
		data, _ := json.Marshal(set)
		fsys["sets/"+set.Name+".json"] = &fstest.MapFile{Data: data}
	}
	s, err := LoadSuite(fsys, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const setV1 = `Feature: smp
  @req:SMP-001 @must @core
  Scenario: one
    Given a step "a"

  @req:SMP-002 @should
  Scenario: two
    Given a step "b"
`

func release(t *testing.T, s *Suite, name string, prev *RequirementSet) *RequirementSet {
	t.Helper()
	set, err := GenerateSet(s, name, prev)
	if err != nil {
		t.Fatal(err)
	}
	set.Status, set.Released = SetReleased, "2026-11-29"
	return set
}

func TestRequirementSetLifecycle(t *testing.T) {
	v1 := release(t, setSuite(t, setV1), "2026.11", nil)
	if e, _ := v1.Entry("SMP-001"); e.State != StateRequired || e.Since != "2026.11" || strings.Join(e.Profiles, ",") != "core,full" {
		t.Errorf("first set: %+v", e)
	}
	// A new requirement is advisory in the set it appears in, and not counted.
	added := setV1 + "\n  @req:SMP-003 @must @core\n  Scenario: three\n    Given a step \"c\"\n"
	s := setSuite(t, added, v1)
	v2, err := GenerateSet(s, "2026.12", v1)
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := v2.Entry("SMP-003"); e.State != StateAdvisory || e.Since != "2026.12" {
		t.Errorf("new requirement: %+v", e)
	}
	if e, _ := v2.Entry("SMP-001"); e.State != StateRequired || e.Since != "2026.11" || e.Revised != "" {
		t.Errorf("kept requirement: %+v", e)
	}
	if p, _ := setSuite(t, added, v1, v2).Profile("core"); len(p.Required) != 1 || p.Required["SMP-001"] != "MUST" {
		t.Errorf("the core profile counts %v, want SMP-001 only (SMP-003 is advisory)", p.Required)
	}
	// Steps changed under the same ID: refused, unless the scenario says the change keeps its meaning.
	changed := strings.Replace(setV1, `a step "a"`, `a step "A"`, 1)
	if _, err := GenerateSet(setSuite(t, changed, v1), "2026.12", v1); err == nil || !strings.Contains(err.Error(), "SMP-001: its steps changed since set 2026.11") {
		t.Errorf("changed steps: %v", err)
	}
	revised := strings.Replace(changed, "@req:SMP-001 @must", "@req:SMP-001 @must @revised:2026.12", 1)
	if v, err := GenerateSet(setSuite(t, revised, v1), "2026.12", v1); err != nil {
		t.Error(err)
	} else if e, _ := v.Entry("SMP-001"); e.Revised != "2026.12" || e.State != StateRequired {
		t.Errorf("revised: %+v", e)
	}
	// A requirement that goes must be deprecated for a set first; then it is retired.
	dropped := strings.Split(setV1, "\n  @req:SMP-002")[0] + "\n"
	if _, err := GenerateSet(setSuite(t, dropped, v1), "2026.12", v1); err == nil || !strings.Contains(err.Error(), "SMP-002 is in set 2026.11 but not in the features") {
		t.Errorf("dropped: %v", err)
	}
	deprecated := strings.Replace(setV1, "@req:SMP-002 @should", "@req:SMP-002 @should @deprecated", 1)
	v2d := release(t, setSuite(t, deprecated, v1), "2026.12", v1)
	if e, _ := v2d.Entry("SMP-002"); e.State != StateDeprecated {
		t.Errorf("deprecated: %+v", e)
	}
	if v3, err := GenerateSet(setSuite(t, dropped, v1, v2d), "2027.01", v2d); err != nil || strings.Join(v3.Retired, ",") != "SMP-002" {
		t.Errorf("retired: %v %v", v3, err)
	}
	// A rename keeps the old ID as an alias, and its history.
	renamed := strings.Replace(setV1, "@req:SMP-002 @should", "@req:SMP-009 @should @alias:SMP-002", 1)
	if v, err := GenerateSet(setSuite(t, renamed, v1), "2026.12", v1); err != nil {
		t.Error(err)
	} else if e, ok := v.Entry("SMP-002"); !ok || e.ID != "SMP-009" || e.Since != "2026.11" || e.State != StateRequired {
		t.Errorf("renamed: %+v %v", e, ok)
	}
}

func TestCheckSets(t *testing.T) {
	v1 := release(t, setSuite(t, setV1), "2026.11", nil)
	if err := CheckSets(setSuite(t, setV1, v1)); err != nil {
		t.Errorf("current set: %v", err)
	}
	changed := strings.Replace(setV1, `a step "a"`, `a step "A"`, 1) // even @revised cannot change a released set
	changed = strings.Replace(changed, "@req:SMP-001 @must", "@req:SMP-001 @must @revised:2026.11", 1)
	if err := CheckSets(setSuite(t, changed, v1)); err == nil || !strings.Contains(err.Error(), "set 2026.11 is released and never changes") {
		t.Errorf("changed features under a released set: %v", err)
	}
	draft, _ := GenerateSet(setSuite(t, setV1, v1), "2026.12", v1)
	titled := strings.Replace(setV1, "Scenario: two", "Scenario: two, retitled", 1)
	if err := CheckSets(setSuite(t, titled, v1, draft)); err == nil || !strings.Contains(err.Error(), "SMP-002's entry differs") || !strings.Contains(err.Error(), "run make catalogue") {
		t.Errorf("stale draft: %v", err)
	}
	if err := CheckSets(setSuite(t, setV1)); err == nil || !strings.Contains(err.Error(), "no requirement set") {
		t.Errorf("no set: %v", err)
	}
}

// A set is generated, never edited: a file whose entries do not match its
// digest is refused.
func TestParseSetRefusesAnEditedSet(t *testing.T) {
	v1 := release(t, setSuite(t, setV1), "2026.11", nil)
	v1.Requirements[0].Level = "MAY"
	data, _ := json.Marshal(v1)
	if _, err := ParseSet(data); err == nil || !strings.Contains(err.Error(), "never edited") {
		t.Errorf("edited set: %v", err)
	}
}

// A build that only adds requirements to the newest released set still runs
// that set (its digest is the set's, so verify accepts it), the additions as
// advisory; a build that changed one of the set's requirements runs the
// draft, which certifies nothing.
func TestRunSet(t *testing.T) {
	v1 := release(t, setSuite(t, setV1), "2026.11", nil)
	added := setV1 + "\n  @req:SMP-003 @must @core\n  Scenario: three\n    Given a step \"c\"\n"
	draft, err := GenerateSet(setSuite(t, added, v1), "2026.12", v1)
	if err != nil {
		t.Fatal(err)
	}
	s := setSuite(t, added, v1, draft)
	if set, digest := s.RunSet(); set.Name != "2026.11" || digest != v1.Digest {
		t.Errorf("a build adding SMP-003 runs %s (digest %s), want 2026.11 (%s)", set.Name, digest, v1.Digest)
	}
	if r := s.requirement("SMP-003"); r.State != StateAdvisory {
		t.Errorf("SMP-003 is %s", r.State)
	}
	revised := strings.Replace(added, `a step "a"`, `a step "A"`, 1)
	revised = strings.Replace(revised, "@req:SMP-001 @must", "@req:SMP-001 @must @revised:2026.12", 1)
	draft2, err := GenerateSet(setSuite(t, revised, v1), "2026.12", v1)
	if err != nil {
		t.Fatal(err)
	}
	s = setSuite(t, revised, v1, draft2)
	if set, digest := s.RunSet(); set.Name != "2026.12" || set.Status != SetDraft || digest != draft2.Digest {
		t.Errorf("a build revising SMP-001 runs %s %s (digest %s), want the draft 2026.12 (%s)", set.Name, set.Status, digest, draft2.Digest)
	}
}
