package site

import (
	"fmt"
	"html"
	"unicode/utf8"

	"github.com/ovacts/ovacts/reports"
)

// A badge: "ovacts <profile> <set>" and the verdict, as a small SVG a vendor
// links to (badges/<slug>-<profile>.svg, a stable address). The verdict is in
// the text, never only in the colour.

var badgeColours = map[reports.VerdictKind]string{
	reports.Conformant: "#1a7f37", reports.NotConformant: "#b42318", reports.Incomplete: "#9a6700",
	reports.Expired: "#9a6700", reports.Unverified: "#57606a", reports.Revoked: "#24292f",
}

func (p *Product) badgeText() (string, string) {
	label := "ovacts " + p.Profile
	if p.Set != "" {
		label += " " + p.Set
	}
	return label, string(p.Verdict)
}

// badgeWidths estimates the two halves' widths for 11 px Verdana-like text.
func badgeWidths(label, value string) (int, int) {
	l := 7*utf8.RuneCountInString(label) + 12
	return l + 7*utf8.RuneCountInString(value) + 12, l
}

func (p *Product) badgeSVG() []byte {
	label, value := p.badgeText()
	w, l := badgeWidths(label, value)
	colour := badgeColours[p.Verdict]
	if colour == "" {
		colour = "#57606a"
	}
	text := html.EscapeString(label + ": " + value)
	return fmt.Appendf(nil, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="20" role="img" aria-label="%s">`+
		`<title>%s</title><rect width="%d" height="20" fill="#555"/><rect x="%d" width="%d" height="20" fill="%s"/>`+
		`<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">`+
		`<text x="6" y="14">%s</text><text x="%d" y="14">%s</text></g></svg>`+"\n",
		w, text, text, l, l, w-l, colour, html.EscapeString(label), l+6, html.EscapeString(value))
}
