package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ovacts/ovacts/catalogue"
)

// writeBundle makes a minimal bundle directory (the files the matrix reads).
func writeBundle(t testing.TB, dir string, r *Report, p *Product) {
	t.Helper()
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, BundleJUnit), junitOf(t, r), 0o644)
	if p != nil {
		var b bytes.Buffer
		WriteProduct(&b, p)
		os.WriteFile(filepath.Join(dir, BundleProduct), b.Bytes(), 0o644)
	}
	stack := map[string]string{}
	for _, pr := range r.Properties {
		stack[pr.Name] = pr.Value
	}
	data, _ := json.Marshal(stack)
	os.WriteFile(filepath.Join(dir, BundleStack), data, 0o644)
}

// sampleProfile demands DOM-001, DOM-014 and MIG-001 at MUST and VND-001 at MAY.
func sampleProfile(set, name string) (catalogue.Profile, error) {
	if set != "2026.11" {
		return catalogue.Profile{}, fmt.Errorf("no requirement set %q here", set)
	}
	return catalogue.Profile{Name: name, Required: map[string]string{"DOM-001": "MUST", "DOM-014": "MUST", "MIG-001": "MUST", "VND-001": "MAY"}}, nil
}

func resultsOfReport(t testing.TB, r *Report) *Results {
	res, err := ReadJUnit(bytes.NewReader(junitOf(t, r)))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func stackOf(r *Report) map[string]string {
	m := map[string]string{"started": "2026-11-24T12:00:00Z", PropSet: "2026.11"}
	for _, p := range r.Properties {
		m[p.Name] = p.Value
	}
	return m
}

// The day the sample matrix is judged on.
var sampleNow = time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)

func sampleMatrix(t *testing.T) *Matrix {
	a, b := sample(), sample()
	b.Outcomes[1].Status, b.Outcomes[1].Reason = Passed, "" // DOM-014 passes in b
	b.Outcomes = b.Outcomes[:4]                             // KVM-009 ... VND-001 not in b
	b.Properties = append(b.Properties, Property{"guest.accel", "tcg"})
	cols := []*MatrixColumn{
		NewColumn(ColumnInput{Source: "z", Product: &Product{Vendor: "Zeta", Product: "Virt", Version: "1"}, Stack: stackOf(a), Results: resultsOfReport(t, a), Verified: true, Signer: "ed25519:0011223344556677"}),
		NewColumn(ColumnInput{Source: "a", Product: &Product{Vendor: "Acme", Product: "Virt <Pro>", Version: "2"}, Stack: stackOf(b), Results: resultsOfReport(t, b), Verified: true, Signer: "ed25519:8899aabbccddeeff"}),
		NewColumn(ColumnInput{Source: "u", Product: &Product{Vendor: "Umbra", Product: "Virt", Version: "3"}, Stack: stackOf(b), Results: resultsOfReport(t, b), Problem: "signature: the signature does not match the manifest and this key"}),
	}
	return BuildMatrix(cols, sampleProfile, MatrixOptions{Level: "MUST", Now: sampleNow})
}

func TestMatrixGoldens(t *testing.T) {
	m := sampleMatrix(t)
	// Columns are ordered by vendor, product, newest run; rows by requirement.
	if m.Columns[0].Label != "Acme Virt <Pro> 2" || m.Columns[0].Slug != "acme-virt-pro-2" || len(m.Rows) != 7 || m.Rows[0].ID != "CONN-013" {
		t.Fatalf("layout: %q %q, %d rows", m.Columns[0].Label, m.Columns[0].Slug, len(m.Rows))
	}
	// Each column is judged for the profile it claims, by Judge; unverified
	// is never conformant.
	for i, want := range []string{"incomplete: 1 missing from the report: MIG-001",
		"unverified: signature: the signature does not match the manifest and this key",
		"not conformant: 1 failed: DOM-014; 1 not judged: the suite erred: VND-001; 1 not run (an input of the run was missing): MIG-001"} {
		c := m.Columns[i]
		if got := string(c.Verdict) + ": " + strings.Join(c.Why, "; "); got != want {
			t.Errorf("column %d: %q, want %q", i, got, want)
		}
		if c.RunDate != "2026-11-24" || c.Expires != "2027-11-24" {
			t.Errorf("column %d: run %s, expires %s", i, c.RunDate, c.Expires)
		}
	}
	var b bytes.Buffer
	if err := WriteMatrixMarkdown(&b, m); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "matrix.golden.md", b.Bytes())
}

// A column that cannot certify is unverified, with why; one whose results
// are too old is expired, never conformant.
func TestMatrixPublicationVerdicts(t *testing.T) {
	r := sample()
	r.Outcomes = r.Outcomes[:1] // DOM-001 passed
	prof := func(set, name string) (catalogue.Profile, error) {
		return catalogue.Profile{Name: name, Required: map[string]string{"DOM-001": "MUST"}}, nil
	}
	for _, c := range []struct {
		name string
		edit func(in *ColumnInput)
		now  time.Time
		want VerdictKind
		why  string
	}{
		{"verified, in time", func(*ColumnInput) {}, sampleNow, Conformant, ""},
		{"the day before expiry", func(*ColumnInput) {}, time.Date(2027, 11, 23, 0, 0, 0, 0, time.UTC), Conformant, ""},
		{"on the day of expiry", func(*ColumnInput) {}, time.Date(2027, 11, 24, 0, 0, 0, 0, time.UTC), Expired, "until 2027-11-24 (the verdict then: conformant)"},
		{"set no longer accepted", func(in *ColumnInput) { in.Verified, in.SetExpired, in.Problem = false, true, "set: older" }, sampleNow, Expired, "set: older"},
		{"not verified", func(in *ColumnInput) { in.Verified, in.Problem = false, "hashes: junit.xml does not match" }, sampleNow, Unverified, "junit.xml does not match"},
		{"rehearsal", func(in *ColumnInput) { in.Stack["driver"] = "TEST" }, sampleNow, Unverified, "rehearsal"},
		{"draft set", func(in *ColumnInput) { in.Draft = true }, sampleNow, Unverified, "a draft"},
		{"tag selection", func(in *ColumnInput) { in.Stack["tags"] = "@req:DOM-001" }, sampleNow, Unverified, "certifies no profile"},
		{"no run date", func(in *ColumnInput) { delete(in.Stack, "started") }, sampleNow, Unverified, "no run date"},
	} {
		in := ColumnInput{Source: "x", Product: &Product{Vendor: "V", Product: "P", Version: "1"}, Stack: stackOf(r), Results: resultsOfReport(t, r), Verified: true}
		c.edit(&in)
		m := BuildMatrix([]*MatrixColumn{NewColumn(in)}, prof, MatrixOptions{Level: "MUST", Now: c.now})
		col := m.Columns[0]
		if col.Verdict != c.want || !strings.Contains(strings.Join(col.Why, "; "), c.why) {
			t.Errorf("%s: %s %q, want %s %q", c.name, col.Verdict, col.Why, c.want, c.why)
		}
	}
}

// A requirement renamed since a product was certified shares its row with
// the results under its new ID.
func TestMatrixRowsFollowRenames(t *testing.T) {
	old, cur := sample(), sample()
	old.Outcomes, cur.Outcomes = old.Outcomes[:1], cur.Outcomes[:1]
	old.Outcomes[0].ReqID = "DOM-099" // DOM-001's ID before its rename
	cols := []*MatrixColumn{
		NewColumn(ColumnInput{Source: "o", Product: &Product{Vendor: "V", Product: "P", Version: "1"}, Stack: stackOf(old), Results: resultsOfReport(t, old), Verified: true}),
		NewColumn(ColumnInput{Source: "n", Product: &Product{Vendor: "V", Product: "P", Version: "2"}, Stack: stackOf(cur), Results: resultsOfReport(t, cur), Verified: true}),
	}
	m := BuildMatrix(cols, sampleProfile, MatrixOptions{Level: "MUST", Now: sampleNow, Canonical: map[string]string{"DOM-099": "DOM-001"}})
	if len(m.Rows) != 1 || m.Rows[0].ID != "DOM-001" || m.Rows[0].Cells[0].Status != "passed" || m.Rows[0].Cells[1].Status != "passed" {
		t.Fatalf("rows: %+v", m.Rows)
	}
}

func TestBareReportIsUnverified(t *testing.T) {
	p := filepath.Join(t.TempDir(), "junit.xml")
	os.WriteFile(p, junitOf(t, sample()), 0o644)
	in, err := BareReport(p)
	c := NewColumn(in)
	if err != nil || c.Label != "QEMU host.example" || !strings.HasPrefix(c.Stack, "QEMU, libvirt") || c.Verified {
		t.Fatalf("%+v %v", c, err)
	}
	if _, err := BareReport(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Fatal("a missing report was read")
	}
}
