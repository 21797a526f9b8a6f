package reports

import (
	"errors"
	"strings"
	"testing"
)

// A malformed waiver list or product.yaml is told in its author's words: the
// line, the key, what is expected and what was found; never a Go type.
func TestYAMLErrorsInTheAuthorsWords(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{"waivers: DOM-001\n", `line 1: 'waivers' must be a list of entries, each with req, reason, link, expires, when, versions, not "DOM-001"`},
		{"waivers:\n  - DOM-001\n", `line 2: each entry of 'waivers' must be a mapping with the keys req, reason, link, expires, when, versions, not "DOM-001"`},
		{"waivers:\n  - req: DOM-001\n    reasn: x\n", `line 3: unknown key 'reasn' (the keys here: req, reason, link, expires, when, versions)`},
		{"other: 1\n", `line 1: unknown key 'other' (the keys here: waivers)`},
		{"waivers:\n  - req: [1\n", `line 1: not valid YAML: did not find expected ',' or ']'`},
		{"", `the file is empty`},
		{"waivers:\n  - req: DOM-001\n    reason: r\n    link: https://x.example\n    expires: soon\n", `line 2: waiver 1 (DOM-001): expires "soon" is not a date`},
	} {
		_, err := ReadWaivers(strings.NewReader(c.doc))
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "reports.") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: %v\nwant %s", c.doc, err, c.want)
		}
	}
	if _, err := ReadProduct(strings.NewReader("vendor: [a]\n")); err == nil || err.Error() != `line 1: 'vendor' must be a single value, not a list` {
		t.Errorf("product: %v", err)
	}
}

func TestInFileNamesFileAndLine(t *testing.T) {
	_, err := ReadWaivers(strings.NewReader("waivers:\n  - DOM-001\n"))
	named := InFile("w.yaml", err)
	var le *LineError
	if !strings.HasPrefix(named.Error(), "w.yaml line 2: each entry of 'waivers'") || !errors.As(named, &le) || le.Line != 2 {
		t.Errorf("%v", named)
	}
	if got := InFile("w.yaml", errors.New("too big")).Error(); got != "w.yaml: too big" {
		t.Errorf("%q", got)
	}
}
