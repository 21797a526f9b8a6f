package site

import (
	"strings"
	"testing"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/reports"
)

// With the baselines of its set, a product page labels each non-passing
// requirement (its own failure, the reference's with the finding's link) and
// says how many are the vendor's own; the verdict stays the same. Without
// them, no triage is shown.
func TestProductPageTriage(t *testing.T) {
	pass := func(id string) reports.Outcome { return outcome(id, "MUST", reports.Passed, "") }
	ref := reports.ResultsOf(&reports.Report{Outcomes: []reports.Outcome{pass("CONN-001"), pass("DOM-001"), pass("DOM-002"),
		outcome("NET-001", "SHOULD", reports.Failed, "no dnsmasq")}})
	base := &reports.Baselines{Set: "2026.11", Generations: []reports.Generation{{Name: "libvirt-9.0", Libvirt: "9.0.0", Runs: []*reports.Results{ref, ref}}}}
	build := func(b map[string]*reports.Baselines) *Site {
		col := column("Acme", "Acme Virt", "2.0", "2026-11-28T10:00:00Z", true, pass("CONN-001"), pass("DOM-001"),
			outcome("DOM-002", "MUST", reports.Failed, "expected running"), outcome("NET-001", "SHOULD", reports.Failed, "no dnsmasq"))
		return Build([]*reports.MatrixColumn{col}, profile, Options{Now: sampleNow, Baselines: b,
			Findings: map[string]string{"NET-001": "https://example.org/findings.md#net-001"},
			Sets:     []catalogue.SetInfo{{Name: "2026.11", Status: "released", Released: "2026-11-29"}}})
	}
	dir := t.TempDir()
	s := build(map[string]*reports.Baselines{"2026.11": base})
	if err := Write(dir, s); err != nil {
		t.Fatal(err)
	}
	page := read(t, dir, "products/acme-virt-2-0.html")
	for _, want := range []string{
		"Triage against the reference baselines of set 2026.11 (this product's generation: libvirt-9.0): 1 of 2 non-passing requirements are this product&#39;s own",
		"<th>triage</th>",
		`only this product<span class="why">passes on libvirt-9.0 (2 of 2 runs)</span>`,
		`reference<span class="why">does not pass on libvirt-9.0 (this bundle&#39;s generation) either: 2 of 2 runs (<a href="https://example.org/findings.md#net-001">finding</a>)</span>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the product page lacks %q", want)
		}
	}
	if s.Products[0].Verdict != reports.NotConformant {
		t.Errorf("verdict %q with triage, want not conformant", s.Products[0].Verdict)
	}
	dir = t.TempDir()
	if err := Write(dir, build(nil)); err != nil {
		t.Fatal(err)
	}
	if page := read(t, dir, "products/acme-virt-2-0.html"); strings.Contains(page, "triage") || strings.Contains(page, "Triage") {
		t.Error("a page without baselines shows a triage")
	}
}
