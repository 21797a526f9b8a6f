package catalogue

import (
	"math/rand"
	"strings"
	"testing"
)

func TestParseTagExprMatches(t *testing.T) {
	cases := []struct {
		expr string
		tags []string
		want bool
	}{
		{"", nil, true},
		{"@a", []string{"@a"}, true},
		{"@a", []string{"@b"}, false},
		{"@a and @b", []string{"@a"}, false},
		{"@a and @b", []string{"@a", "@b"}, true},
		{"@a or @b", []string{"@b"}, true},
		{"not @a", []string{"@b"}, true},
		{"not @a", []string{"@a"}, false},
		{"@a and not (@b or @c)", []string{"@a", "@c"}, false},
		{"@a and not (@b or @c)", []string{"@a"}, true},
		{"@a && ~@b, @c", []string{"@c", "@b"}, true}, // godog's legacy syntax
		{"@a && ~@b, @c", []string{"@a", "@b"}, false},
		{"@req:DOM-001", []string{"@req:DOM-001"}, true},
		{"not not @a", []string{"@a"}, true},
	}
	for _, c := range cases {
		e, err := ParseTagExpr(c.expr)
		if err != nil {
			t.Fatalf("ParseTagExpr(%q): %v", c.expr, err)
		}
		if got := e.Match(c.tags); got != c.want {
			t.Errorf("%q on %v = %v, want %v", c.expr, c.tags, got, c.want)
		}
	}
}

func TestParseTagExprRejects(t *testing.T) {
	for _, bad := range []string{"@a and", "(@a", "@a)", "a", "@a @b", "and @a", "@", "@a &&", "@a,", "@a | @b", "not", "@a b"} {
		if _, err := ParseTagExpr(bad); err == nil {
			t.Errorf("ParseTagExpr(%q) accepted a malformed expression", bad)
		} else if !strings.Contains(err.Error(), "tag expression") {
			t.Errorf("ParseTagExpr(%q): error %q does not say what it is about", bad, err)
		}
	}
}

// godogMatch mirrors godog v0.16's documented filter semantics (internal/tags):
// "," separates alternatives, "&&" conjoins, "~" negates, "@" is stripped.
func godogMatch(filter string, tags []string) bool {
	if filter == "" {
		return true
	}
	has := func(tag string) bool {
		for _, t := range tags {
			if strings.ReplaceAll(t, "@", "") == tag {
				return true
			}
		}
		return false
	}
	for _, alt := range strings.Split(filter, ",") {
		ok := len(alt) > 0
		for _, lit := range strings.Split(alt, "&&") {
			lit = strings.ReplaceAll(strings.TrimSpace(lit), "@", "")
			if lit[0] == '~' {
				ok = !has(lit[1:]) && ok
			} else {
				ok = has(lit) && ok
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// The selection handed to godog must pick exactly the scenarios ovacts planned.
func TestGodogFilterIsEquivalent(t *testing.T) {
	exprs := []string{
		"@a", "not @a", "@a and @b", "@a or @b", "not (@a and @b)", "not (@a or @b)",
		"(@a or @b) and (@c or not @d)", "(@a) and (not @needs:x) and (not @needs:y)",
		"@a and not @a", "(@a or @b) and not (@c and (@d or @a))",
	}
	universe := []string{"@a", "@b", "@c", "@d", "@needs:x", "@needs:y"}
	rng := rand.New(rand.NewSource(1))
	for _, src := range exprs {
		e, err := ParseTagExpr(src)
		if err != nil {
			t.Fatal(err)
		}
		filter, any, err := e.GodogFilter()
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 200; i++ {
			var tags []string
			for _, u := range universe {
				if rng.Intn(2) == 0 {
					tags = append(tags, u)
				}
			}
			want := e.Match(tags)
			got := any && godogMatch(filter, tags)
			if got != want {
				t.Fatalf("%q rendered as %q: tags %v select %v in godog, %v in ovacts", src, filter, tags, got, want)
			}
		}
	}
}

func TestGodogFilterTooComplex(t *testing.T) {
	var parts []string
	for i := 0; i < 12; i++ {
		parts = append(parts, "(@a or @b)")
	}
	e, err := ParseTagExpr(strings.Join(parts, " and "))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.GodogFilter(); err == nil || !strings.Contains(err.Error(), "too complex") {
		t.Fatalf("want a too-complex error, got %v", err)
	}
}
