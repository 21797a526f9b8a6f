package reports

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden := filepath.Join("testdata", name)
	if *update {
		os.WriteFile(golden, got, 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test ./reports -update)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs:\n%s", golden, got)
	}
}

func TestProductGoldenAndStrict(t *testing.T) {
	p := &Product{Vendor: "ACME: \"Virt\" Inc.", Product: "ACME Virt", Version: "2.10", URL: "https://acme.example", Contact: "qa@acme.example"}
	var b bytes.Buffer
	if err := WriteProduct(&b, p); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "product.golden.yaml", b.Bytes())
	back, err := ReadProduct(&b)
	if err != nil || *back != *p {
		t.Fatalf("round trip: %+v %v", back, err)
	}
	for doc, want := range map[string]string{
		"vendor: A\nproduct: B\n":                       "lacks version",
		"vendor: A\nproduct: B\nversion: 1\nextra: x\n": "line 4: unknown key 'extra'",
		"- a\n- b\n": "the file must be a mapping",
		"":           "the file is empty",
	} {
		if _, err := ReadProduct(strings.NewReader(doc)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", doc, err, want)
		}
	}
}

func TestStackGolden(t *testing.T) {
	var b bytes.Buffer
	if err := WriteStack(&b, sample()); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "stack.golden.json", b.Bytes())
}

func TestSealGolden(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{"junit.xml": "<testsuites/>\n", "run.log": "log\n", "product.yaml": "vendor: A\n"} {
		os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)
	}
	if err := SealBundle(dir, nil); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, BundleManifest))
	checkGolden(t, "manifest.golden.json", got)
	if _, err := os.Stat(filepath.Join(dir, BundleSig)); !os.IsNotExist(err) {
		t.Error("a signature without a key")
	}
	m, err := ReadManifest(bytes.NewReader(got))
	if err != nil || len(m.Files) != 3 {
		t.Fatalf("%+v %v", m, err)
	}
	for doc, want := range map[string]string{
		`{"format":2,"files":{}}`: "format 2",
		`{"format":1,"files":{"../etc/passwd":"` + strings.Repeat("0", 64) + `"}}`: "not a bundle file",
		`{"format":1,"files":{"a":"xyz"}}`:                                         "not a sha256",
		`{"format":1,"files":{},"extra":1}`:                                        "unknown field",
		`{"format":1,"files":{"manifest.sig":"` + strings.Repeat("0", 64) + `"}}`:  "not a bundle file",
	} {
		if _, err := ReadManifest(strings.NewReader(doc)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", doc, err, want)
		}
	}
}

// Untrusted input: product.yaml and manifest.json never panic, and what is
// accepted is complete.
func FuzzReadProduct(f *testing.F) {
	f.Add([]byte("vendor: A\nproduct: B\nversion: \"1\"\n"))
	f.Add([]byte("vendor: &a A\nproduct: *a\nversion: [1]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ReadProduct(bytes.NewReader(data))
		if err == nil && p.Check() != nil {
			t.Fatalf("accepted an incomplete product %+v", p)
		}
	})
}

func FuzzReadManifest(f *testing.F) {
	f.Add([]byte(`{"format":1,"files":{"junit.xml":"` + strings.Repeat("ab", 32) + `"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ReadManifest(bytes.NewReader(data))
		if err != nil {
			return
		}
		for name := range m.Files {
			if strings.Contains(name, "/") || name == BundleManifest || name == BundleSig {
				t.Fatalf("accepted file name %q", name)
			}
		}
	})
}
