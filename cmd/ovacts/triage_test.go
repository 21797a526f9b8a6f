// ovacts triage against reference baselines made on libvirt's test driver.

package main

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ovacts/ovacts/reports"
)

// bundleEdit is what rebundle changes in a copy of a bundle: requirements
// made to fail (their first scenario) and the libvirt version it ran.
type bundleEdit struct {
	fail    []string
	libvirt string
	props   map[string]string // added to the report's and the stack's properties
	runID   string            // replaces the run's ID everywhere
}

var summaryCounts = regexp.MustCompile(`(?m)^([0-9]+) scenarios: ([0-9]+) passed, ([0-9]+) failed`)

// rebundle copies the bundle src to dst with the edit, consistently (the
// report, the log and the stack agree), and seals it with key.
func rebundle(t *testing.T, src, dst string, key ed25519.PrivateKey, e bundleEdit) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, name := range []string{reports.BundleProduct, reports.BundleJUnit, reports.BundleCucumber, reports.BundleLog, reports.BundleStack} {
		data, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = data
	}
	for _, id := range e.fail {
		re := regexp.MustCompile(`<testcase name="` + id + ` \[[A-Z]+\][^>]*>`)
		loc := re.FindIndex(files[reports.BundleJUnit])
		if loc == nil {
			t.Fatalf("%s has no scenario of %s", src, id)
		}
		j := files[reports.BundleJUnit]
		files[reports.BundleJUnit] = append(append(append([]byte{}, j[:loc[1]]...), `<failure message="`+id+` failed: seeded" type="assertion">seeded</failure>`...), j[loc[1]:]...)
		m := summaryCounts.FindSubmatch(files[reports.BundleLog])
		passed, _ := strconv.Atoi(string(m[2]))
		failed, _ := strconv.Atoi(string(m[3]))
		files[reports.BundleLog] = summaryCounts.ReplaceAll(files[reports.BundleLog], fmt.Appendf(nil, "%s scenarios: %d passed, %d failed", m[1], passed-1, failed+1))
	}
	if e.libvirt != "" {
		files[reports.BundleJUnit] = bytes.Replace(files[reports.BundleJUnit], []byte(`name="libvirt.daemon" value="9.0.0"`), []byte(`name="libvirt.daemon" value="`+e.libvirt+`"`), 1)
		files[reports.BundleStack] = bytes.Replace(files[reports.BundleStack], []byte(`"libvirt.daemon": "9.0.0"`), []byte(`"libvirt.daemon": "`+e.libvirt+`"`), 1)
	}
	if e.runID != "" {
		old := regexp.MustCompile(`"run.id": "([^"]+)"`).FindSubmatch(files[reports.BundleStack])[1]
		for name := range files {
			files[name] = bytes.ReplaceAll(files[name], old, []byte(e.runID))
		}
	}
	for k, v := range e.props {
		files[reports.BundleJUnit] = bytes.Replace(files[reports.BundleJUnit], []byte("<properties>"), []byte(`<properties>
      <property name="`+k+`" value="`+v+`"></property>`), 1)
		files[reports.BundleStack] = bytes.Replace(files[reports.BundleStack], []byte("{\n"), []byte(`{
  "`+k+`": "`+v+`",
`), 1)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dst, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := reports.SealBundle(dst, key); err != nil {
		t.Fatal(err)
	}
}

// triageFixture: a signed rehearsal bundle, the project's key pair and a
// vendor's, and baselines of two generations, three runs each.
type triageFixture struct {
	dir, run, baselines, projectPub string
	project, vendor                 ed25519.PrivateKey
}

func newTriageFixture(t *testing.T) *triageFixture {
	t.Helper()
	dir := t.TempDir()
	f := &triageFixture{dir: dir, run: filepath.Join(dir, "run"), baselines: filepath.Join(dir, "baselines")}
	for _, k := range []string{"project", "vendor"} {
		if r := ovacts(t, "keygen", "--out", filepath.Join(dir, k)); r.code != 0 {
			t.Fatalf("keygen: %d %s", r.code, r.stderr)
		}
	}
	f.projectPub = filepath.Join(dir, "project.pub")
	var err error
	if f.project, err = reports.ReadPrivateKey(filepath.Join(dir, "project.key")); err != nil {
		t.Fatal(err)
	}
	if f.vendor, err = reports.ReadPrivateKey(filepath.Join(dir, "vendor.key")); err != nil {
		t.Fatal(err)
	}
	product := writeFile(t, "product.yaml", "vendor: ovacts project\nproduct: reference stack\nversion: \"1\"\n")
	if r := ovacts(t, "run", "--bundle", f.run, "--product", product, "--sign-key", filepath.Join(dir, "project.key")); r.code != reports.ExitRehearsal {
		t.Fatalf("run: %d %s %s", r.code, r.stdout, r.stderr)
	}
	set := "2026.12"
	if data, err := os.ReadFile(filepath.Join(f.run, reports.BundleStack)); err == nil {
		set = regexp.MustCompile(`"requirements.set": "([^"]+)"`).FindStringSubmatch(string(data))[1]
	}
	// libvirt 9.0: DOM-001 fails in every run (the reference's), DOM-002 in
	// one of three (flaky); libvirt 11.3: DOM-003 fails in every run.
	for i := 1; i <= 3; i++ {
		old := bundleEdit{fail: []string{"DOM-001"}}
		if i == 2 {
			old.fail = append(old.fail, "DOM-002")
		}
		rebundle(t, f.run, filepath.Join(f.baselines, set, "libvirt-9.0", fmt.Sprintf("run-%d", i)), f.project, old)
		rebundle(t, f.run, filepath.Join(f.baselines, set, "libvirt-11.3", fmt.Sprintf("run-%d", i)), f.project, bundleEdit{fail: []string{"DOM-003"}, libvirt: "11.3.0"})
	}
	return f
}

// A vendor's bundle with seeded failures: one the reference shares, one its
// runs disagree on, one of the other generation, and one only the product
// has; each labelled so, the finding of a requirement linked, the summary
// counting one failure as the vendor's own, and the exit 0 of an
// explanation (the verdict is verify's).
func TestTriage(t *testing.T) {
	f := newTriageFixture(t)
	vendor := filepath.Join(f.dir, "vendor-bundle")
	rebundle(t, f.run, vendor, f.vendor, bundleEdit{fail: []string{"DOM-001", "DOM-002", "DOM-003", "DOM-004"}})
	findings := writeFile(t, "findings.md", "# Findings\n\n## DOM-001: the reference's own failure\n\ntext\n")
	r := ovacts(t, "triage", vendor, "--baselines", f.baselines, "--project-key", f.projectPub, "--findings", findings)
	if r.code != 0 {
		t.Fatalf("triage: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"libvirt-9.0: libvirt 9.0.0, 3 runs (this bundle's generation)",
		"libvirt-11.3: libvirt 11.3.0, 3 runs\n",
		"DOM-001   MUST   failed         reference              does not pass on libvirt-9.0 (this bundle's generation) either: 3 of 3 runs",
		"finding: " + findings + "#dom-001-the-references-own-failure",
		"DOM-002   MUST   failed         flaky on the reference libvirt-9.0's runs disagree: passed in 2, not in 1",
		"DOM-003   MUST   failed         one generation         does not pass on libvirt-11.3 only: 3 of 3 runs",
		"DOM-004   MUST   failed         only this product      passes on libvirt-9.0 (3 of 3 runs) and libvirt-11.3 (3 of 3 runs)",
		// HOST-001 fails on the test driver everywhere: the reference's.
		"HOST-001  MUST   failed         reference",
		"summary: 1 of 6 non-passing requirements are this product's own (only this product); the others: 3 reference, 1 one generation, 1 flaky on the reference",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("triage output lacks %q:\n%s", want, r.stdout)
		}
	}
	// The same bundle on libvirt 11: the newer generation is its own.
	newer := filepath.Join(f.dir, "vendor-11")
	rebundle(t, f.run, newer, f.vendor, bundleEdit{fail: []string{"DOM-001", "DOM-003"}, libvirt: "11.4.0"})
	r = ovacts(t, "triage", newer, "--baselines", f.baselines, "--project-key", f.projectPub)
	if r.code != 0 || !strings.Contains(r.stdout, "DOM-003   MUST   failed         reference") || !strings.Contains(r.stdout, "DOM-001   MUST   failed         one generation") {
		t.Errorf("triage on libvirt 11.4: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// Baselines that do not check out with the project's key are refused with
// one line and exit 2: an edited file, a run re-sealed with another key, an
// unsigned run, a link in place of a run, and a missing set.
func TestTriageRefusesBaselines(t *testing.T) {
	f := newTriageFixture(t)
	vendor := filepath.Join(f.dir, "vendor-bundle")
	rebundle(t, f.run, vendor, f.vendor, bundleEdit{fail: []string{"DOM-004"}})
	args := []string{"triage", vendor, "--baselines", f.baselines, "--project-key", f.projectPub}
	if r := ovacts(t, args...); r.code != 0 {
		t.Fatalf("intact baselines: exit %d %s", r.code, r.stderr)
	}
	runs, _ := filepath.Glob(filepath.Join(f.baselines, "*", "libvirt-9.0", "run-2"))
	run := runs[0]
	junit := filepath.Join(run, reports.BundleJUnit)
	orig, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(junit, bytes.Replace(orig, []byte("DOM-002 failed: seeded"), []byte("DOM-002 failed: seeder"), 1), 0o644)
	oneLineExit2(t, args, "baselines refused", "run-2", "hashes")
	os.WriteFile(junit, orig, 0o644)
	if r := ovacts(t, args...); r.code != 0 {
		t.Fatalf("restored baselines: exit %d %s", r.code, r.stderr)
	}
	// Re-sealed with the vendor's key: intact, but not the project's.
	os.Remove(filepath.Join(run, reports.BundleManifest))
	os.Remove(filepath.Join(run, reports.BundleSig))
	if err := reports.SealBundle(run, f.vendor); err != nil {
		t.Fatal(err)
	}
	oneLineExit2(t, args, "baselines refused", "signature does not match")
	os.Remove(filepath.Join(run, reports.BundleManifest))
	os.Remove(filepath.Join(run, reports.BundleSig))
	if err := reports.SealBundle(run, nil); err != nil {
		t.Fatal(err)
	}
	oneLineExit2(t, args, "baselines refused", "no signature")
	os.RemoveAll(run)
	if err := os.Symlink(filepath.Join(filepath.Dir(run), "run-1"), run); err != nil {
		t.Fatal(err)
	}
	oneLineExit2(t, args, "baselines refused", "is a link")
	oneLineExit2(t, []string{"triage", vendor, "--baselines", t.TempDir(), "--project-key", f.projectPub}, "no baselines of set")
	oneLineExit2(t, []string{"triage", filepath.Join(f.dir, "nothing"), "--baselines", f.baselines, "--project-key", f.projectPub}, "is not a bundle directory")
	oneLineExit2(t, []string{"triage", vendor, "--baselines", f.baselines}, "--project-key")
}

// publish --baselines labels a product page's non-passing requirements as
// triage does, and refuses baselines that do not check out.
func TestPublishWithBaselines(t *testing.T) {
	f := newTriageFixture(t)
	vendor := filepath.Join(f.dir, "vendor-bundle")
	rebundle(t, f.run, vendor, f.vendor, bundleEdit{fail: []string{"DOM-001", "DOM-004"}})
	keys := filepath.Join(f.dir, "keys")
	os.Mkdir(keys, 0o755)
	pub, err := os.ReadFile(filepath.Join(f.dir, "vendor.pub"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(keys, reports.VendorKeyName("ovacts project")), pub, 0o644)
	out := filepath.Join(f.dir, "site")
	r := ovacts(t, "publish", vendor, "-o", out, "--keys", keys, "--baselines", f.baselines, "--project-key", f.projectPub)
	if r.code != 0 {
		t.Fatalf("publish: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	pages, _ := filepath.Glob(filepath.Join(out, "products", "*.html"))
	if len(pages) != 1 {
		t.Fatalf("product pages %v", pages)
	}
	page, _ := os.ReadFile(pages[0])
	for _, want := range []string{"1 of 4 non-passing requirements are this product&#39;s own", `only this product<span class="why">passes on libvirt-9.0`, `reference<span class="why">does not pass on libvirt-9.0`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("%s lacks %q", pages[0], want)
		}
	}
	matches, _ := filepath.Glob(filepath.Join(f.baselines, "*", "libvirt-11.3", "run-3", reports.BundleSig))
	for _, m := range matches {
		os.Remove(m)
	}
	oneLineExit2(t, []string{"publish", vendor, "-o", filepath.Join(f.dir, "site2"), "--keys", keys, "--baselines", f.baselines, "--project-key", f.projectPub},
		"--baselines", "baselines refused", "no signature")
}

// Every label triage gives is in docs/certification.md's table and in
// triage --help.
func TestTriageLabelsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/certification.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "### Reference baselines and triage")
	section, _, _ = strings.Cut(section, "\n## ")
	if !ok {
		t.Fatal("docs/certification.md has no triage section")
	}
	help := ovacts(t, "triage", "--help").stdout
	for _, l := range []reports.TriageLabel{reports.LabelReference, reports.LabelFlaky, reports.LabelOneGeneration, reports.LabelOnlyProduct, reports.LabelNoReference} {
		if !strings.Contains(section, "| `"+string(l)+"` |") {
			t.Errorf("docs/certification.md: no row | `%s` |", l)
		}
		if !strings.Contains(help, "  "+string(l)+"  ") {
			t.Errorf("triage --help does not explain %q", l)
		}
	}
}
