package reports

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
func sampleProfile(name string) (Profile, error) {
	return Profile{Name: name, Required: map[string]string{"DOM-001": "MUST", "DOM-014": "MUST", "MIG-001": "MUST", "VND-001": "MAY"}}, nil
}

func resultsOfReport(t testing.TB, r *Report) *Results {
	res, err := ReadJUnit(bytes.NewReader(junitOf(t, r)))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func sampleMatrix(t *testing.T) *Matrix {
	a, b := sample(), sample()
	b.Outcomes[1].Status, b.Outcomes[1].Reason = Passed, "" // DOM-014 passes in b
	b.Outcomes = b.Outcomes[:4]                             // KVM-009 ... VND-001 not in b
	b.Properties = append(b.Properties, Property{"guest.accel", "tcg"})
	stack := func(r *Report) map[string]string {
		m := map[string]string{}
		for _, p := range r.Properties {
			m[p.Name] = p.Value
		}
		return m
	}
	cols := []*MatrixColumn{
		NewColumn("z", &Product{Vendor: "Zeta", Product: "Virt", Version: "1"}, stack(a), resultsOfReport(t, a), true, "ed25519:0011223344556677"),
		NewColumn("a", &Product{Vendor: "Acme", Product: "Virt <Pro>", Version: "2"}, stack(b), resultsOfReport(t, b), true, "ed25519:8899aabbccddeeff"),
		NewColumn("u", &Product{Vendor: "Umbra", Product: "Virt", Version: "3"}, stack(b), resultsOfReport(t, b), false, ""),
	}
	return BuildMatrix(cols, sampleProfile, "MUST")
}

func TestMatrixGoldens(t *testing.T) {
	m := sampleMatrix(t)
	// Columns are ordered by vendor, product, version; rows by requirement.
	if m.Columns[0].Label != "Acme Virt <Pro> 2" || len(m.Rows) != 7 || m.Rows[0].ID != "CONN-013" {
		t.Fatalf("layout: %q, %d rows", m.Columns[0].Label, len(m.Rows))
	}
	// Each column is judged for the profile it claims, by Judge; unverified
	// is never conformant.
	for i, want := range []string{"incomplete: 1 missing from the report: MIG-001", "unverified",
		"not conformant: 1 failed: DOM-014; 1 not judged: the suite erred: VND-001; 1 not run (an input of the run was missing): MIG-001"} {
		if got := m.Columns[i].Verdicts["core"]; got != want {
			t.Errorf("column %d: %q, want %q", i, got, want)
		}
	}
	for _, c := range m.Columns {
		if len(c.Verdicts) != 1 {
			t.Errorf("%s: verdicts for profiles it does not claim: %v", c.Label, c.Verdicts)
		}
	}
	for name, write := range map[string]func(*bytes.Buffer) error{
		"matrix.golden.html": func(b *bytes.Buffer) error { return WriteMatrixHTML(b, m) },
		"matrix.golden.md":   func(b *bytes.Buffer) error { return WriteMatrixMarkdown(b, m) },
		"matrix.golden.json": func(b *bytes.Buffer) error { return WriteMatrixJSON(b, m) },
	} {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			t.Fatal(err)
		}
		checkGolden(t, name, b.Bytes())
	}
	var b bytes.Buffer
	WriteMatrixHTML(&b, m)
	html := b.String()
	// Self-contained: no fetch of anything, and every reason is on the page, escaped.
	for _, bad := range []string{`src=`, `href="http`, `url(`, "<link", "@import", "Virt <Pro>"} {
		if strings.Contains(html, bad) {
			t.Errorf("the page contains %q", bad)
		}
	}
	if !strings.Contains(html, "Virt &lt;Pro&gt;") || !strings.Contains(html, "domain is already running") || !strings.Contains(html, "needs domcaps") {
		t.Error("a label or a reason is missing from the page")
	}
}

func TestReadColumnWithoutBundle(t *testing.T) {
	p := filepath.Join(t.TempDir(), "junit.xml")
	os.WriteFile(p, junitOf(t, sample()), 0o644)
	c, err := ReadColumn(p)
	if err != nil || c.Label != "QEMU host.example" || !strings.HasPrefix(c.Stack, "QEMU, libvirt") || c.Verified {
		t.Fatalf("%+v %v", c, err)
	}
	if _, err := ReadColumn(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Fatal("a missing report was read")
	}
}

// 200 bundles of 300 requirements: read, built and written as the three files.
func BenchmarkMatrix200x300(b *testing.B) {
	paths := benchBundles(b)
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		m := BuildMatrix(readColumns(b, paths), sampleProfile, "MUST")
		for _, w := range []func(*bytes.Buffer) error{
			func(buf *bytes.Buffer) error { return WriteMatrixHTML(buf, m) },
			func(buf *bytes.Buffer) error { return WriteMatrixMarkdown(buf, m) },
			func(buf *bytes.Buffer) error { return WriteMatrixJSON(buf, m) },
		} {
			var buf bytes.Buffer
			if err := w(&buf); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// The same 200 x 300, built only (the bundles already read).
func BenchmarkMatrixBuild200x300(b *testing.B) {
	cols := readColumns(b, benchBundles(b))
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		for _, c := range cols {
			c.Verdicts = map[string]string{}
		}
		BuildMatrix(cols, sampleProfile, "MUST")
	}
}

func readColumns(b *testing.B, paths []string) []*MatrixColumn {
	var cols []*MatrixColumn
	for _, p := range paths {
		c, err := ReadColumn(p)
		if err != nil {
			b.Fatal(err)
		}
		c.Verified = true // as if checked: the benchmark measures the judging too
		cols = append(cols, c)
	}
	return cols
}

func benchBundles(b *testing.B) []string {
	dir := b.TempDir()
	var paths []string
	for c := 0; c < 200; c++ {
		r := &Report{Suite: "ovacts", Properties: []Property{{"driver", "QEMU"}, {"libvirt.daemon", "9.0.0"}, {"profile", "full"}}}
		for i := 0; i < 300; i++ {
			o := Outcome{ReqID: fmt.Sprintf("A%02d-%03d", i/100, i%100), Level: "MUST", Area: "A", Title: "requirement", FeatureURI: "f.feature", Status: Passed}
			switch (c + i) % 17 {
			case 0:
				o.Status, o.Reason = Failed, "VIR_ERR_OPERATION_INVALID: a reason"
			case 1:
				o.Status, o.Capability, o.Reason = NotApplicable, "kvm", "needs kvm"
			}
			r.Outcomes = append(r.Outcomes, o)
		}
		p := filepath.Join(dir, fmt.Sprint(c))
		writeBundle(b, p, r, &Product{Vendor: fmt.Sprint("V", c), Product: "P", Version: "1"})
		paths = append(paths, p)
	}
	return paths
}

// The page's CSP allows its own inline script by hash, and nothing inline
// besides: an injected script (a title with markup, say) would not run.
func TestMatrixCSPHashesItsScript(t *testing.T) {
	var b bytes.Buffer
	if err := WriteMatrixHTML(&b, &Matrix{}); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	head, _, _ := strings.Cut(page, "<style>")
	head = html.UnescapeString(head)
	if strings.Contains(head, "script-src 'unsafe-inline'") {
		t.Fatal("the CSP allows any inline script")
	}
	_, rest, _ := strings.Cut(page, "<script>")
	body, _, _ := strings.Cut(rest, "</script>")
	sum := sha256.Sum256([]byte(body))
	if want := "script-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(head, want) {
		t.Fatalf("the CSP does not carry the script's hash %s", want)
	}
}
