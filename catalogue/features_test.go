package catalogue

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

const goodFeature = `Feature: Sample
  @req:SMP-001 @must @core
  Scenario: One
    Given a step

  @req:SMP-002 @should @needs:kvm
  Scenario Outline: Two <x>
    Given a step <x>

    Examples:
      | x |
      | 1 |
      | 2 |
`

func load(t *testing.T, files map[string]string) (*Suite, error) {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, body := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(body)}
	}
	return LoadSuite(fsys, nil)
}

func TestLoadSuiteBuildsCatalogue(t *testing.T) {
	s, err := load(t, map[string]string{"smp/sample.feature": goodFeature})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Requirements) != 2 || len(s.Pickles) != 3 {
		t.Fatalf("want 2 requirements and 3 pickles, got %d and %d", len(s.Requirements), len(s.Pickles))
	}
	r := s.Requirements[1]
	if r.ID != "SMP-002" || r.Level != SHOULD || r.Area != "SMP" || r.Line != 7 || r.URI != "features/smp/sample.feature" ||
		len(r.Needs) != 1 || r.Needs[0] != "kvm" {
		t.Errorf("requirement parsed wrong: %+v", r)
	}
	if s.Pickles[1].Name != "Two 1" || s.Pickles[1].Line != 12 || s.Pickles[2].Line != 13 {
		t.Errorf("outline rows: %q line %d, line %d", s.Pickles[1].Name, s.Pickles[1].Line, s.Pickles[2].Line)
	}
	core, _ := Selection("core", "")
	reqs, pickles := s.Select(core)
	if len(reqs) != 1 || len(pickles) != 1 || reqs[0].ID != "SMP-001" {
		t.Errorf("core selected %d reqs, %d pickles", len(reqs), len(pickles))
	}
}

func TestLoadSuiteErrorsNameFileAndLine(t *testing.T) {
	cases := map[string]struct{ body, want string }{
		"no req":        {"Feature: F\n  @must\n  Scenario: S\n    Given x\n", "x.feature:3: scenario \"S\" has no @req:AREA-NNN tag"},
		"two levels":    {"Feature: F\n  @req:A-001 @must @may\n  Scenario: S\n    Given x\n", "x.feature:3: scenario \"S\" needs exactly one of @must, @should, @may"},
		"no level":      {"Feature: F\n  @req:A-001\n  Scenario: S\n    Given x\n", "x.feature:3: scenario \"S\" needs exactly one"},
		"bad req":       {"Feature: F\n  @req:dom-1 @must\n  Scenario: S\n    Given x\n", "x.feature:3: malformed requirement tag @req:dom-1"},
		"two reqs":      {"Feature: F\n  @req:A-001 @req:A-002 @must\n  Scenario: S\n    Given x\n", "more than one @req tag"},
		"unknown need":  {"Feature: F\n  @req:A-001 @must @needs:warp\n  Scenario: S\n    Given x\n", "x.feature:3: unknown capability @needs:warp"},
		"feature req":   {"@req:A-001\nFeature: F\n  @must\n  Scenario: S\n    Given x\n", "x.feature:1: a @req tag belongs on a scenario"},
		"no steps":      {"Feature: F\n  @req:A-001 @must\n  Scenario: S\n", "x.feature:3: scenario \"S\" has no steps"},
		"malformed":     {"Feature: F\n  Scenario: S\n    Given x\n  Examples oops\n", "x.feature:4: malformed Gherkin"},
		"no feature":    {"# just a comment\n", "x.feature: no Feature in file"},
		"duplicate":     {"Feature: F\n  @req:A-001 @must\n  Scenario: S\n    Given x\n  @req:A-002 @must\n  Scenario: S\n    Given x\n", "x.feature:6: duplicate of the scenario at line 3"},
		"duplicate req": {"Feature: F\n  @req:A-001 @must\n  Scenario: S\n    Given x\n  @req:A-001 @must\n  Scenario: T\n    Given y\n", "requirement A-001 already defined at features/a/x.feature:"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := load(t, map[string]string{"a/x.feature": c.body})
			if err == nil {
				t.Fatalf("loaded a bad feature; want error containing %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not contain %q", err, c.want)
			}
		})
	}
}

func TestLoadSuiteVendorDirs(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "v.feature"), []byte(strings.ReplaceAll(goodFeature, "SMP", "VND")), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := LoadSuite(fstest.MapFS{"smp/s.feature": {Data: []byte(goodFeature)}}, []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Requirements) != 4 || s.Requirements[2].ID != "VND-001" || s.Requirements[2].BuiltIn {
		t.Fatalf("vendor features not added: %+v", s.Requirements)
	}
	if _, err := LoadSuite(fstest.MapFS{}, []string{filepath.Join(dir, "missing")}); err == nil || !strings.Contains(err.Error(), "cannot read features") {
		t.Fatalf("missing dir: %v", err)
	}
	if _, err := LoadSuite(fstest.MapFS{}, []string{t.TempDir()}); err == nil || !strings.Contains(err.Error(), "no .feature files") {
		t.Fatalf("empty dir: %v", err)
	}
	// The same requirement ID in a vendor file and a built-in one is refused.
	if _, err := LoadSuite(fstest.MapFS{"smp/s.feature": {Data: []byte(goodFeature)}}, []string{writeFeature(t, goodFeature)}); err == nil ||
		!strings.Contains(err.Error(), "already defined") {
		t.Fatalf("duplicate across built-in and vendor: %v", err)
	}
}

func writeFeature(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "x.feature")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSelectionAndUnknownTags(t *testing.T) {
	s, err := load(t, map[string]string{"smp/sample.feature": goodFeature})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Selection("nope", ""); err == nil || !strings.Contains(err.Error(), `unknown profile "nope"`) {
		t.Fatalf("unknown profile: %v", err)
	}
	if u := s.UnknownTags(UserTags("@req:SMP-001 or @typo")); len(u) != 1 || u[0] != "@typo" {
		t.Fatalf("UnknownTags = %v", u)
	}
}

// A built-in requirement cites its level's reference; an unknown key is refused.
func TestReferencesAreRequiredAndKnown(t *testing.T) {
	refs := []byte("references:\n  doc: {title: A document, url: 'https://example.org/doc'}\n")
	for body, want := range map[string]string{
		"Feature: F\n  @req:A-001 @must @ref:doc\n  Scenario: S\n    Given x\n":  "",
		"@ref:doc\nFeature: F\n  @req:A-001 @must\n  Scenario: S\n    Given x\n": "",
		"Feature: F\n  @req:A-001 @must\n  Scenario: S\n    Given x\n":           "cites no reference",
		"Feature: F\n  @req:A-001 @must @ref:nope\n  Scenario: S\n    Given x\n": "unknown reference @ref:nope",
	} {
		s, err := LoadSuite(fstest.MapFS{"a/x.feature": {Data: []byte(body)}, "references.yaml": {Data: refs}}, nil)
		switch {
		case want == "" && (err != nil || s.Requirements[0].Refs[0] != "doc"):
			t.Errorf("%q: %v", body, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%q: %v, want %q", body, err, want)
		}
	}
}
