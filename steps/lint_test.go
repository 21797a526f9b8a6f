package steps

import (
	"strings"
	"testing"

	"github.com/ovacts/ovacts/features"
	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps/stepkit"
)

func TestStepDefinitionsLint(t *testing.T) {
	defs, err := Definitions()
	if err != nil {
		t.Fatalf("registration: %v", err)
	}
	seen := map[string]string{}
	for _, d := range defs {
		if prev, dup := seen[d.Pattern]; dup {
			t.Errorf("%s: pattern %q already registered at %s", d.Where, d.Pattern, prev)
		}
		seen[d.Pattern] = d.Where
	}
	suite, err := harness.LoadSuite(features.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	used := map[*stepkit.Def]bool{}
	for _, p := range suite.Pickles {
		for _, text := range p.Steps {
			var matches []*stepkit.Def
			for _, d := range defs {
				if d.Re.MatchString(text) {
					matches = append(matches, d)
				}
			}
			switch len(matches) {
			case 0:
				t.Errorf("%s:%d: undefined step %q", p.URI, p.Line, text)
			case 1:
				used[matches[0]] = true
			default:
				var where []string
				for _, m := range matches {
					where = append(where, m.Where)
				}
				t.Errorf("%s:%d: step %q is ambiguous: %s", p.URI, p.Line, text, strings.Join(where, ", "))
			}
		}
	}
	for _, d := range defs {
		if !used[d] {
			t.Errorf("%s: step %q is used by no feature", d.Where, d.Pattern)
		}
	}
}
