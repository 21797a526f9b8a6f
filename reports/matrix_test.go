package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
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

func sampleMatrix(t *testing.T) *Matrix {
	dir := t.TempDir()
	a, b := sample(), sample()
	b.Outcomes[1].Status, b.Outcomes[1].Reason = Passed, "" // DOM-014 passes in b
	b.Outcomes = b.Outcomes[:4]                             // VND-001 not run in b
	b.Properties = append(b.Properties, Property{"guest.accel", "tcg"})
	writeBundle(t, filepath.Join(dir, "z"), a, &Product{Vendor: "Zeta", Product: "Virt", Version: "1"})
	writeBundle(t, filepath.Join(dir, "a"), b, &Product{Vendor: "Acme", Product: "Virt <Pro>", Version: "2"})
	var cols []*MatrixColumn
	for _, d := range []string{"z", "a"} {
		c, err := ReadColumn(filepath.Join(dir, d))
		if err != nil {
			t.Fatal(err)
		}
		c.Source = d // stable in the goldens
		cols = append(cols, c)
	}
	return BuildMatrix(cols, []string{"core"}, func(string) []string { return []string{"DOM-001", "DOM-014", "VND-001"} })
}

func TestMatrixGoldens(t *testing.T) {
	m := sampleMatrix(t)
	// Columns are ordered by vendor, product, version; rows by requirement.
	if m.Columns[0].Label != "Acme Virt <Pro> 2" || len(m.Rows) != 4 || m.Rows[0].ID != "CONN-013" {
		t.Fatalf("layout: %q, %d rows", m.Columns[0].Label, len(m.Rows))
	}
	if m.Columns[0].Verdicts["core"] != "not conformant: 1 not run" || m.Columns[1].Verdicts["core"] != "not conformant: 2 failed" {
		t.Fatalf("verdicts %v %v", m.Columns[0].Verdicts, m.Columns[1].Verdicts)
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
	for _, bad := range []string{"http://", "https://", "src=", "<link", "@import", "Virt <Pro>"} {
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
	if err != nil || c.Label != "QEMU " || !strings.HasPrefix(c.Stack, "QEMU, libvirt") {
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
		m := BuildMatrix(readColumns(b, paths), []string{"full"}, func(string) []string { return nil })
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
		BuildMatrix(cols, []string{"full"}, func(string) []string { return nil })
	}
}

func readColumns(b *testing.B, paths []string) []*MatrixColumn {
	var cols []*MatrixColumn
	for _, p := range paths {
		c, err := ReadColumn(p)
		if err != nil {
			b.Fatal(err)
		}
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
				o.Status, o.SkipKind, o.Reason = Skipped, "unsupported", "needs kvm"
			}
			r.Outcomes = append(r.Outcomes, o)
		}
		p := filepath.Join(dir, fmt.Sprint(c))
		writeBundle(b, p, r, &Product{Vendor: fmt.Sprint("V", c), Product: "P", Version: "1"})
		paths = append(paths, p)
	}
	return paths
}
