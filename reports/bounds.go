package reports

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Bounds on what a bundle may bring to the published site; each error names
// its limit.
const (
	MaxTestCases    = 10000 // test cases in one JUnit report (the suite has a few hundred)
	MaxProductField = 200   // bytes in a product's vendor, product, version, URL or contact
	MaxStackProps   = 500   // properties in stack.json
	MaxStackValue   = 4096  // bytes in one of them
)

// countCases refuses a report with more than MaxTestCases test cases before
// it is parsed (parsing 200,000 of them took 620 MB).
func countCases(data []byte) error {
	if n := bytes.Count(data, []byte("<testcase")); n > MaxTestCases {
		return fmt.Errorf("%d test cases, more than the %d allowed", n, MaxTestCases)
	}
	return nil
}

// checkFields bounds a product's fields.
func (p *Product) checkFields() error {
	for name, v := range map[string]string{"vendor": p.Vendor, "product": p.Product, "version": p.Version, "url": p.URL, "contact": p.Contact} {
		if len(v) > MaxProductField {
			return fmt.Errorf("product %s is %d bytes, longer than the %d allowed", name, len(v), MaxProductField)
		}
		if !utf8.ValidString(v) {
			return fmt.Errorf("product %s is not UTF-8", name)
		}
	}
	return nil
}

// checkStackBounds bounds stack.json.
func checkStackBounds(stack map[string]string) error {
	if len(stack) > MaxStackProps {
		return fmt.Errorf("stack.json has %d properties, more than the %d allowed", len(stack), MaxStackProps)
	}
	for k, v := range stack {
		if len(k)+len(v) > MaxStackValue {
			return fmt.Errorf("stack.json's %.40q is longer than the %d bytes allowed", k, MaxStackValue)
		}
	}
	return nil
}

// ReqInfo is what the requirement sets say of a requirement: the title and
// level a published row shows, whatever a bundle's report says.
type ReqInfo struct{ Title, Level string }

// Restrict keeps only the verdicts of requirements the sets know (by their
// ID or by an old ID that aliases names), each with the sets' title and
// level, and says how many it dropped.
func (r *Results) Restrict(known map[string]ReqInfo, aliases map[string]string) int {
	dropped := 0
	for id, v := range r.Verdicts {
		cur := id
		if a, ok := aliases[id]; ok {
			cur = a
		}
		info, ok := known[cur]
		if !ok {
			delete(r.Verdicts, id)
			dropped++
			continue
		}
		v.Title, v.Level = info.Title, info.Level
	}
	return dropped
}

// escapeMarkdown makes text from a bundle inert in matrix.md: every ASCII
// punctuation character that Markdown gives a meaning to (links, images,
// emphasis, code, HTML, table cells) is backslash-escaped, a line break is a
// space, and a bare address is broken so that nothing autolinks it.
func escapeMarkdown(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r':
			b.WriteByte(' ')
		case strings.ContainsRune("\\`*_[]()<>!|~&", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	// GitHub's Markdown links bare addresses too: a zero-width space after
	// "://" and "www." leaves no address to link.
	out := strings.ReplaceAll(b.String(), "://", "://\u200b")
	return wwwDot.ReplaceAllString(out, "${1}\u200b")
}

var wwwDot = regexp.MustCompile(`(?i)(www\.)`)
