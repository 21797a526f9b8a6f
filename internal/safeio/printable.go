package safeio

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Printable is a text from outside (a product field, a step's error, a
// requirement's title) made safe for a terminal, a log line or a report: C0
// and C1 control characters, DEL, bidirectional overrides and invalid UTF-8
// are written as Go escapes (\x1b, \u202e), so that no escape sequence reaches
// a terminal and nothing can draw a line that is not there.
func Printable(s string) string { return escapeControls(s, false) }

// PrintableText is Printable for a text of several lines: newlines and tabs
// stay.
func PrintableText(s string) string { return escapeControls(s, true) }

func escapeControls(s string, keepLines bool) string {
	clean := true
	for _, r := range s {
		if needsEscape(r, keepLines) {
			clean = false
			break
		}
	}
	if clean && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case needsEscape(r, keepLines) && r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case needsEscape(r, keepLines):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += n
	}
	return b.String()
}

func needsEscape(r rune, keepLines bool) bool {
	if keepLines && (r == '\n' || r == '\t') {
		return false
	}
	if r == utf8.RuneError {
		return true
	}
	return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029'
}
