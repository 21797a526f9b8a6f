package safeio

import (
	"strings"
	"testing"
)

// An escape sequence in a product field cannot reach the terminal: the fake
// "verified" line of issue 29 comes out as visible escapes.
func TestPrintableEscapesControls(t *testing.T) {
	cases := map[string]string{
		"acme":                 "acme",
		"Virt\u00e9 \u4e2d":    "Virt\u00e9 \u4e2d",
		"x\x1b[2K\r✓ verified": `x\x1b[2K\x0d✓ verified`,
		"a\nb\tc":              `a\x0ab\x09c`,
		"del\x7f c1\u0085":     `del\x7f c1\x85`,
		"rtl\u202eevil":        `rtl\u202eevil`,
		"bad\xffutf8":          `bad\xffutf8`,
		"line\u2028sep":        `line\u2028sep`,
	}
	for in, want := range cases {
		if got := Printable(in); got != want {
			t.Errorf("Printable(%q) = %q, want %q", in, got, want)
		}
	}
	if got := PrintableText("one\n\ttwo\x1b[31m"); got != "one\n\ttwo\\x1b[31m" {
		t.Errorf("PrintableText keeps lines and escapes the rest: got %q", got)
	}
	for _, in := range []string{"\x1b]0;title\x07", "\x9b31m", "\x00"} {
		if out := Printable(in); strings.ContainsFunc(out, func(r rune) bool { return r < 0x20 || (r >= 0x7f && r < 0xa0) }) {
			t.Errorf("Printable(%q) = %q still holds a control character", in, out)
		}
	}
}
