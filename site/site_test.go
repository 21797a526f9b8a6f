package site

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/reports"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// sampleNow is the day the sample site is built on: an injected clock.
var sampleNow = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func outcome(id, level string, st reports.Status, reason string) reports.Outcome {
	area, _, _ := strings.Cut(id, "-")
	return reports.Outcome{ReqID: id, Level: level, Area: area, Title: "requirement " + id, FeatureURI: "f.feature", Status: st, Reason: reason}
}

// column is one product version's checked bundle.
func column(vendor, product, version, started string, verified bool, outs ...reports.Outcome) *reports.MatrixColumn {
	stack := map[string]string{"driver": "QEMU", "libvirt.daemon": "9.0.0", "hypervisor.version": "7.2.0", "host.kernel": "6.1.0-28-amd64",
		"profile": "core", "started": started, reports.PropSet: "2026.11", "suite.version": "v0.0.0-test",
		reports.PropCommand: "ovacts run --uri qemu:///system --profile core --bundle out/b"}
	res := reports.ResultsOf(&reports.Report{Outcomes: outs})
	in := reports.ColumnInput{Source: "bundles/" + reports.Slug(product+" "+version), Product: &reports.Product{Vendor: vendor, Product: product, Version: version},
		Stack: stack, Results: res, Verified: verified}
	if verified {
		in.Signer = "ed25519:0011223344556677"
	} else {
		in.Problem = "signature: the signature does not match the manifest and this key"
	}
	return reports.NewColumn(in)
}

func profile(set, name string) (catalogue.Profile, error) {
	if set != "2026.11" {
		return catalogue.Profile{}, fmt.Errorf("no requirement set %q here", set)
	}
	return catalogue.Profile{Name: name, Required: map[string]string{"CONN-001": "MUST", "DOM-001": "MUST", "DOM-002": "MUST"}, Optional: []string{"kvm"}}, nil
}

// sampleSite: two products, two versions of one (the newer regressed), one
// not conformant, one incomplete, one unverified, one expired.
func sampleSite() *Site {
	pass := func(id string) reports.Outcome { return outcome(id, "MUST", reports.Passed, "") }
	cols := []*reports.MatrixColumn{
		column("Acme", "Acme Virt", "1.0", "2026-11-02T10:00:00Z", true, pass("CONN-001"), pass("DOM-001"), pass("DOM-002"),
			outcome("NET-001", "SHOULD", reports.NotApplicable, "needs nwfilter: VIR_ERR_NO_SUPPORT")),
		column("Acme", "Acme Virt", "2.0", "2026-11-28T10:00:00Z", true, pass("CONN-001"), pass("DOM-001"),
			outcome("DOM-002", "MUST", reports.Failed, "Then domain \"vm\" is running: expected running, got shut off <&>")),
		column("Beta Systems", "Cloud", "7", "2026-11-20T10:00:00Z", true, pass("CONN-001"), pass("DOM-001"),
			outcome("DOM-002", "MUST", reports.NotRun, "needs guest: no guest OS")),
		column("Gamma", "Stack", "3", "2026-11-21T10:00:00Z", false, pass("CONN-001"), pass("DOM-001"), pass("DOM-002")),
		column("Delta", "Old", "1", "2025-10-01T10:00:00Z", true, pass("CONN-001"), pass("DOM-001"), pass("DOM-002")),
	}
	return Build(cols, profile, Options{Now: sampleNow, SuiteVersion: "v0.0.0-test",
		Sets:     []catalogue.SetInfo{{Name: "2026.11", Status: "released", Released: "2026-11-29"}},
		Profiles: map[string][]string{"CONN-001": {"core", "full"}, "DOM-001": {"core", "full"}, "DOM-002": {"core", "full"}, "NET-001": {"full"}},
		Areas:    map[string]string{"CONN": "Connection and host", "DOM": "Domain lifecycle", "NET": "Networks"}})
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test ./site -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./site -update, then review the diff)", p)
	}
}

func writeSample(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := Write(dir, sampleSite()); err != nil {
		t.Fatal(err)
	}
	return dir
}

func read(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSiteVerdicts(t *testing.T) {
	s := sampleSite()
	got := map[string]string{}
	for _, p := range s.Products {
		got[p.Label] = string(p.Verdict) + ": " + strings.Join(p.Why, "; ")
	}
	for label, want := range map[string]string{
		"Acme Virt 1.0":        "conformant: ",
		"Acme Virt 2.0":        "not conformant: 1 failed: DOM-002",
		"Beta Systems Cloud 7": "incomplete: 1 not run (an input of the run was missing): DOM-002",
		"Gamma Stack 3":        "unverified: signature: the signature does not match the manifest and this key",
		"Delta Old 1":          "expired: run on 2025-10-01: results stand for 12 months, until 2026-10-01 (the verdict then: conformant)",
	} {
		if got[label] != want {
			t.Errorf("%s: %q, want %q", label, got[label], want)
		}
	}
	// History: the newer Acme version lists the older, and what regressed.
	var acme2 *Product
	for _, p := range s.Products {
		if p.Label == "Acme Virt 2.0" {
			acme2 = p
		}
	}
	if acme2.Older == nil || acme2.Older.Label != "Acme Virt 1.0" || len(acme2.Changes.Regressions) != 1 || acme2.Changes.Regressions[0].ReqID != "DOM-002" {
		t.Fatalf("history of Acme Virt 2.0: %+v", acme2.Changes)
	}
	if len(s.Groups) != 4 || s.Groups[0].Name != "Acme Virt" || s.Groups[0].Versions[0].Label != "Acme Virt 2.0" {
		t.Errorf("groups: %d, first %q with newest %q", len(s.Groups), s.Groups[0].Name, s.Groups[0].Versions[0].Label)
	}
}

func TestSiteGoldens(t *testing.T) {
	dir := writeSample(t)
	for _, name := range []string{"index.html", "matrix.html", "products/acme-virt-2-0.html", "status.json", "matrix.json", "badges/acme-virt-2-0-core.svg"} {
		checkGolden(t, strings.ReplaceAll(name, "/", "_"), []byte(read(t, dir, name)))
	}
}

// Every page is self-contained: no script but the matrix's own (allowed by
// its hash), nothing fetched, every reason escaped.
func TestSitePagesFetchNothing(t *testing.T) {
	dir := writeSample(t)
	external := regexp.MustCompile(`(?i)(src|href)="(https?:)?//|url\(|<link|@import`)
	for _, name := range []string{"index.html", "matrix.html", "products/acme-virt-2-0.html", "products/delta-old-1.html"} {
		page := read(t, dir, name)
		if m := external.FindString(page); m != "" {
			t.Errorf("%s fetches: %s", name, m)
		}
		csp := regexp.MustCompile(`Content-Security-Policy" content="([^"]*)"`).FindStringSubmatch(page)
		if csp == nil || !strings.Contains(csp[1], "default-src 'none'") {
			t.Errorf("%s: no CSP that forbids fetching", name)
			continue
		}
		scripts := strings.Count(page, "<script>")
		switch {
		case (name == "matrix.html" || name == "index.html") && (scripts != 1 || !strings.Contains(csp[1], "script-src 'sha256-")):
			t.Errorf("%s: %d scripts, CSP %s", name, scripts, csp[1])
		case name != "matrix.html" && name != "index.html" && (scripts != 0 || !strings.Contains(csp[1], "script-src 'none'")):
			t.Errorf("%s: %d scripts, CSP %s", name, scripts, csp[1])
		}
	}
	if p := read(t, dir, "products/acme-virt-2-0.html"); !strings.Contains(p, "got shut off &lt;&amp;&gt;") || strings.Contains(p, "shut off <&>") {
		t.Error("a reason is missing from its product page, or not escaped")
	}
}

// status.json and matrix.json validate against their committed schemas, and
// the schemas are not vacuous: a conformant verdict that is not verified, or
// a verdict that is not one of the five, fails them.
func TestSiteJSONSchemas(t *testing.T) {
	dir := writeSample(t)
	c := jsonschema.NewCompiler()
	for name, data := range Schemas {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatal(name, err)
		}
		if err := c.AddResource(name, doc); err != nil {
			t.Fatal(err)
		}
		if committed := read(t, dir, "schemas/"+name); committed != string(data) {
			t.Errorf("the site's schemas/%s is not the committed one", name)
		}
	}
	validate := func(schema, doc string) error {
		sch, err := c.Compile(schema)
		if err != nil {
			t.Fatal(err)
		}
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		return sch.Validate(v)
	}
	status, matrix := read(t, dir, "status.json"), read(t, dir, "matrix.json")
	if err := validate("status.schema.json", status); err != nil {
		t.Errorf("status.json: %v", err)
	}
	if err := validate("matrix.schema.json", matrix); err != nil {
		t.Errorf("matrix.json: %v", err)
	}
	var doc map[string]any
	json.Unmarshal([]byte(status), &doc)
	var p map[string]any
	for _, x := range doc["products"].([]any) {
		if x.(map[string]any)["label"] == "Gamma Stack 3" {
			p = x.(map[string]any)
		}
	}
	if p == nil || p["verified"] != false {
		t.Fatalf("status.json lacks the unverified Gamma Stack 3: %v", p)
	}
	p["verdict"] = "conformant"
	forged, _ := json.Marshal(doc)
	if err := validate("status.schema.json", string(forged)); err == nil {
		t.Error("the status schema accepts an unverified product that reads conformant")
	}
	p["verdict"], p["verified"] = "certified", true
	forged, _ = json.Marshal(doc)
	if err := validate("status.schema.json", string(forged)); err == nil {
		t.Error("the status schema accepts a verdict that is not one of the five")
	}
}

// 200 bundles x 300 requirements: the site built and written.
func BenchmarkPublish200x300(b *testing.B) {
	var cols []*reports.MatrixColumn
	for c := 0; c < 200; c++ {
		var outs []reports.Outcome
		for i := 0; i < 300; i++ {
			o := outcome(fmt.Sprintf("A%02d-%03d", i/100, i%100), "MUST", reports.Passed, "")
			switch (c + i) % 17 {
			case 0:
				o.Status, o.Reason = reports.Failed, "VIR_ERR_OPERATION_INVALID: a reason"
			case 1:
				o.Status, o.Capability, o.Reason = reports.NotApplicable, "kvm", "needs kvm"
			}
			outs = append(outs, o)
		}
		cols = append(cols, column(fmt.Sprint("Vendor ", c/2), "Product", fmt.Sprint(c%2+1), fmt.Sprintf("2026-11-%02dT10:00:00Z", c%28+1), true, outs...))
	}
	dir := b.TempDir()
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		s := Build(cols, profile, Options{Now: sampleNow, Sets: []catalogue.SetInfo{{Name: "2026.11", Status: "released"}}})
		if err := Write(dir, s); err != nil {
			b.Fatal(err)
		}
	}
}

// SITE_PREVIEW=DIR go test -run Preview ./site writes the sample site for a
// person to look at.
func TestWriteSampleForPreview(t *testing.T) {
	d := os.Getenv("SITE_PREVIEW")
	if d == "" {
		t.Skip("set SITE_PREVIEW=DIR to write the sample site there")
	}
	if err := Write(d, sampleSite()); err != nil {
		t.Fatal(err)
	}
}
