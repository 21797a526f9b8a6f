package steps

import (
	"regexp"
	"strings"
	"testing"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/features"
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
	suite, err := catalogue.LoadSuite(features.FS, nil)
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

// A handler's name says its whole phrase, or a short name that reads as the
// step does: never the phrase's first words cut off at a word that leads on
// (tryToDefineDomainAgainWithA).
func TestHandlerNamesDoNotStopMidPhrase(t *testing.T) {
	for _, c := range []struct {
		name, pattern string
		mid           bool
	}{
		{"tryToDefineDomainAgainWithA", `^I try to define domain "([^"]*)" again with a different UUID$`, true},
		{"lookingUpDomainByNameUuidAnd", `^looking up domain "([^"]*)" by name, UUID and ID gives the same domain$`, true},
		{"tryToDefineDomainAgainWithADifferentUUID", `^I try to define domain "([^"]*)" again with a different UUID$`, false},
		{"deleteCheckpoint", `^I delete checkpoint "([^"]*)" of domain "([^"]*)"$`, false},
	} {
		if got := stopsMidPhrase(c.name, c.pattern); got != c.mid {
			t.Errorf("stopsMidPhrase(%s) = %v", c.name, got)
		}
	}
	defs, err := Definitions()
	if err != nil {
		t.Fatal(err)
	}
	named := 0
	for _, d := range defs {
		_, name, _ := strings.Cut(d.Func, ".")
		if name == "" || strings.Contains(name, ".func") {
			continue // a closure
		}
		named++
		if stopsMidPhrase(name, d.Pattern) {
			t.Errorf("%s: handler %s stops mid-phrase of %q", d.Where, name, d.Pattern)
		}
	}
	if named < 300 {
		t.Errorf("only %d named handlers found", named)
	}
}

var (
	stepGroup = regexp.MustCompile(`\([^()]*\)\??`)
	stepWord  = regexp.MustCompile(`[A-Za-z0-9]+`)
	leadsOn   = map[string]bool{"a": true, "an": true, "the": true, "of": true, "to": true, "by": true, "and": true, "or": true,
		"with": true, "in": true, "on": true, "for": true, "at": true, "from": true, "under": true, "that": true, "as": true,
		"into": true, "gives": true, "than": true}
)

// stopsMidPhrase reports whether name is the first words of the pattern's
// phrase (its arguments left out), cut off at a word that leads on.
func stopsMidPhrase(name, pattern string) bool {
	p := strings.ReplaceAll(strings.Trim(pattern, "^$"), `\`, "")
	for q := ""; q != p; {
		q, p = p, stepGroup.ReplaceAllString(p, " ")
	}
	words := stepWord.FindAllString(p, -1)
	if len(words) > 0 && words[0] == "I" {
		words = words[1:]
	}
	prefix := ""
	for i, w := range words[:max(len(words)-1, 0)] {
		prefix += strings.ToLower(w)
		if prefix == strings.ToLower(name) {
			return leadsOn[strings.ToLower(words[i])]
		}
	}
	return false
}
