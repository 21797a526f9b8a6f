package site

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/reports"
)

// The footer counts verified and unverified entries and never claims that
// every entry came from a verified bundle.
func TestSiteFooterCountsVerifiedAndUnverified(t *testing.T) {
	dir := writeSample(t)
	for _, page := range []string{"index.html", "matrix.html", "products/acme-virt-2-0.html"} {
		got := read(t, dir, page)
		if !strings.Contains(got, "from 4 signed, verified entries and 1 unverified entry.") {
			t.Errorf("%s: footer does not count 4 verified and 1 unverified entries", page)
		}
		if strings.Contains(got, "from signed, verified bundles") {
			t.Errorf("%s: footer still claims every bundle is verified", page)
		}
	}
}

// Only entries that certify (conformant, or expired: certified until then)
// show an expiry date: not the not-conformant, incomplete or unverified ones.
func TestSiteExpiryOnlyOnCertifyingEntries(t *testing.T) {
	dir := writeSample(t)
	index := read(t, dir, "index.html")
	card := regexp.MustCompile(`(?s)<article class="card" id="([^"]+)">.*?</article>`)
	want := map[string]bool{"acme-virt-1-0": true, "delta-old-1": true,
		"acme-virt-2-0": false, "beta-systems-cloud-7": false, "gamma-stack-3": false}
	seen := 0
	for _, m := range card.FindAllStringSubmatch(index, -1) {
		id := m[1]
		if strings.HasPrefix(id, "unverified-gamma-stack-3") { // its slug ends in a digest
			id = "gamma-stack-3"
		}
		w, ok := want[id]
		if !ok {
			continue
		}
		seen++
		if has := strings.Contains(m[0], "<dt>expires</dt>"); has != w {
			t.Errorf("card %s: shows expiry %v, want %v", m[1], has, w)
		}
	}
	if seen != len(want) {
		t.Fatalf("found %d of %d cards in index.html", seen, len(want))
	}
	if p := read(t, dir, "products/acme-virt-2-0.html"); strings.Contains(p, "expires") {
		t.Error("the not-conformant product page shows an expiry date")
	}
}

// At 390 px the matrix's filters wrap and each select shrinks to the width
// left (the area selector's options are long): the form lays out as a
// wrapping flex box, a select may shrink below its longest option, and the
// form stays hidden until its script shows it. The realstack Chromium test
// (cmd/ovacts/site_test.go) measures the overflow itself.
func TestSiteMatrixFiltersFitNarrowScreens(t *testing.T) {
	m := read(t, writeSample(t), "matrix.html")
	for _, rule := range []string{
		"#filters, #pfilters { display: flex; flex-wrap: wrap;",
		"#filters[hidden], #pfilters[hidden] { display: none; }",
		"#filters select, #pfilters select, #pfilters input { min-width: 0; max-width: 100%;",
	} {
		if !strings.Contains(m, rule) {
			t.Errorf("matrix.html lacks %q", rule)
		}
	}
}

// On the index a product's conformant version comes before a newer one
// that is not conformant; the product page's history stays newest first.
func TestSiteConformantVersionsFirst(t *testing.T) {
	dir := writeSample(t)
	index := read(t, dir, "index.html")
	v1, v2 := strings.Index(index, `id="acme-virt-1-0"`), strings.Index(index, `id="acme-virt-2-0"`)
	if v1 < 0 || v2 < 0 || v1 > v2 {
		t.Errorf("Acme Virt 1.0 (conformant) at %d, 2.0 (not conformant) at %d: want 1.0 first", v1, v2)
	}
	page := read(t, dir, "products/acme-virt-2-0.html")
	if h1, h2 := strings.Index(page, ">1.0<"), strings.Index(page, ">2.0<"); h1 < 0 || h2 < 0 || h2 > h1 {
		t.Errorf("history: 2.0 at %d, 1.0 at %d: want newest first", h2, h1)
	}
}

// A site of 40 products is a dense table (every version a row, readable
// without script, the search form hidden until the script shows it), with
// no card per product below it.
func TestSiteIndexOfManyProductsIsATable(t *testing.T) {
	pass := func(id string) reports.Outcome { return outcome(id, "MUST", reports.Passed, "") }
	var cols []*reports.MatrixColumn
	for i := range 40 {
		cols = append(cols, column("Vendor"+strconv.Itoa(i), "Stack", "1."+strconv.Itoa(i), "2026-11-20T10:00:00Z", true,
			pass("CONN-001"), pass("DOM-001"), pass("DOM-002")))
	}
	s := Build(cols, profile, Options{Now: sampleNow, SuiteVersion: "v0.0.0-test",
		Sets: []catalogue.SetInfo{{Name: "2026.11", Status: "released", Released: "2026-11-29"}}})
	dir := t.TempDir()
	if err := Write(dir, s); err != nil {
		t.Fatal(err)
	}
	index := read(t, dir, "index.html")
	body, _, _ := strings.Cut(index[strings.Index(index, `<table id="products">`):], "</table>")
	if rows := strings.Count(body, "<tr data-v="); rows != 40 {
		t.Errorf("the products table has %d rows, want 40", rows)
	}
	if n := strings.Count(index, `<article class="card"`); n != 0 {
		t.Errorf("%d cards under the table of 40 products", n)
	}
	if !strings.Contains(index, `<form id="pfilters" hidden>`) || !strings.Contains(index, `getElementById("pfilters").hidden = false`) {
		t.Error("the search form is not hidden until its script shows it")
	}
	if small := read(t, writeSample(t), "index.html"); strings.Count(small, `<article class="card"`) != 5 {
		t.Error("a site of five products lost its cards")
	}
}
