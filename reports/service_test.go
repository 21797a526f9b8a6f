package reports

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ovacts/ovacts/catalogue"
)

func sampleService() ServiceRelease {
	s := ServiceRelease{Format: 1, Name: "2026.12.1", Set: "2026.12", SetDigest: "sha256:ab", Released: "2026-12-20",
		Excluded: []Exclusion{{ID: "DOM-001", Reason: "wrong", Link: "https://example.org/c/1"}}}
	s.Digest = ServiceDigest(s.SetDigest, s.Excluded)
	return s
}

// A service release parses only as generated: its name of its set, its
// digest, each exclusion with a reason and a link; any edit is refused.
func TestParseServiceRelease(t *testing.T) {
	good := sampleService()
	data, _ := json.Marshal(good)
	if _, err := ParseServiceRelease(data); err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(*ServiceRelease){
		"other set":      func(s *ServiceRelease) { s.Set = "2026.11" },
		"not <set>.<n>":  func(s *ServiceRelease) { s.Name = "2026.12" },
		"edited":         func(s *ServiceRelease) { s.Excluded[0].ID = "DOM-002" },
		"no link":        func(s *ServiceRelease) { s.Excluded[0].Link = "http://x" },
		"no reason":      func(s *ServiceRelease) { s.Excluded[0].Reason = "" },
		"nothing":        func(s *ServiceRelease) { s.Excluded = nil },
		"no set digest":  func(s *ServiceRelease) { s.SetDigest = "" },
		"another format": func(s *ServiceRelease) { s.Format = 2 },
	} {
		s := sampleService()
		s.Excluded = append([]Exclusion{}, s.Excluded...)
		edit(&s)
		if name == "no link" || name == "no reason" || name == "nothing" {
			s.Digest = ServiceDigest(s.SetDigest, s.Excluded) // generated, but not a release
		}
		data, _ := json.Marshal(s)
		if _, err := ParseServiceRelease(data); !errors.Is(err, ErrService) {
			t.Errorf("%s: %v, want ErrService", name, err)
		}
	}
	if _, err := ParseServiceRelease([]byte(`{"format":1,"extra":1}`)); !errors.Is(err, ErrService) {
		t.Errorf("unknown field: %v", err)
	}
}

// Apply drops exactly the excluded requirements; nil applies nothing.
func TestServiceApply(t *testing.T) {
	s := sampleService()
	p := catalogue.Profile{Name: "core", Required: map[string]string{"DOM-001": "MUST", "DOM-002": "MUST"}}
	got := s.Apply(p)
	if len(got.Required) != 1 || got.Required["DOM-002"] != "MUST" || len(p.Required) != 2 {
		t.Errorf("applied: %v (the profile: %v)", got.Required, p.Required)
	}
	var none *ServiceRelease
	if len(none.Apply(p).Required) != 2 || none.Properties() != nil {
		t.Error("no service release changed the profile")
	}
	if d := s.Describe(); len(d) != 1 || !strings.Contains(d[0], "DOM-001 excluded by service release 2026.12.1: wrong (https://example.org/c/1)") {
		t.Errorf("%v", d)
	}
}
