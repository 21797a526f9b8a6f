package site

import (
	"strings"
	"testing"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/reports"
)

// A bundle of a service release is judged without its exclusions, and its
// page names them with their reasons and challenges.
func TestProductPageServiceRelease(t *testing.T) {
	rel := &reports.ServiceRelease{Format: 1, Name: "2026.11.1", Set: "2026.11", SetDigest: "sha256:ab", Released: "2026-11-30",
		Excluded: []reports.Exclusion{{ID: "DOM-002", Reason: "the requirement misreads libvirt's API", Link: "https://example.org/challenges/7"}}}
	build := func(service *reports.ServiceRelease) *Site {
		c := column("Acme", "Acme Virt", "2.0", "2026-11-28T10:00:00Z", true, outcome("CONN-001", "MUST", reports.Passed, ""),
			outcome("DOM-001", "MUST", reports.Passed, ""), outcome("DOM-002", "MUST", reports.Failed, "expected running"))
		in := reports.ColumnInput{Source: c.Source, Product: c.Product, Stack: c.Facts, Results: c.Results(), Verified: true, Signer: c.Signer, Service: service}
		return Build([]*reports.MatrixColumn{reports.NewColumn(in)}, profile, Options{Now: sampleNow,
			Sets: []catalogue.SetInfo{{Name: "2026.11", Status: "released", Released: "2026-11-29"}}})
	}
	if v := build(nil).Products[0].Verdict; v != reports.NotConformant {
		t.Fatalf("without the service release: %s", v)
	}
	s := build(rel)
	if v := s.Products[0].Verdict; v != reports.Conformant {
		t.Errorf("with DOM-002 excluded: %s", v)
	}
	dir := t.TempDir()
	if err := Write(dir, s); err != nil {
		t.Fatal(err)
	}
	want := `Run against service release <strong>2026.11.1</strong> of set 2026.11, which excludes DOM-002 (the requirement misreads libvirt&#39;s API; <a href="https://example.org/challenges/7">the challenge</a>)`
	if page := read(t, dir, "products/acme-virt-2-0.html"); !strings.Contains(page, want) {
		t.Errorf("the product page lacks %q", want)
	}
}
