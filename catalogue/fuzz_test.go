package catalogue

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

func FuzzParseTagExpr(f *testing.F) {
	for _, s := range []string{"@a", "@a and not (@b or @c)", "@a && ~@b, @c", "(", "not", "@req:DOM-001 or @must"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseTagExpr(s)
		if err != nil {
			if !strings.Contains(err.Error(), "tag expression") {
				t.Fatalf("error %q does not say it is about a tag expression", err)
			}
			return
		}
		e.Match([]string{"@a", "@b"})
		if filter, any, err := e.GodogFilter(); err == nil && any && filter != "" {
			// The rendering must itself be a valid expression in the legacy syntax.
			if _, err := ParseTagExpr(filter); err != nil {
				t.Fatalf("%q rendered as %q, which does not parse: %v", s, filter, err)
			}
		}
	})
}

func FuzzLoadFeature(f *testing.F) {
	f.Add([]byte("Feature: F\n  @req:A-001 @must\n  Scenario: S\n    Given x\n"))
	f.Add([]byte("Feature: F\n  @req:A-001 @must\n  Scenario Outline: S <x>\n    Given <x>\n    Examples:\n      | x |\n      | 1 |\n"))
	f.Add([]byte("Feature:\n  Rule: R\n    @req:A-001 @may\n    Scenario: S\n      Given \"\"\"\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := LoadSuite(fstest.MapFS{"a/x.feature": {Data: b}}, nil)
		var le *LoadError
		if err != nil && !errors.As(err, &le) {
			t.Fatalf("a bad feature gave %T, not a LoadError: %v", err, err)
		}
	})
}
