// Trust levels on the published site: self-run, reproduced, revoked.

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ovacts/ovacts/reports"
	"github.com/ovacts/ovacts/site"
)

// A vendor's entry is self-run; an independent signer's run of the same
// version with the same outcome per requirement makes it reproduced; one
// that differs, or the vendor's own run signed again, does not; a bundle no
// key checks is refused as before.
func TestTrustLevels(t *testing.T) {
	f := newTriageFixture(t)
	vendor := filepath.Join(f.dir, "vendor-bundle")
	rebundle(t, f.run, vendor, f.vendor, bundleEdit{})
	keys, labs := filepath.Join(f.dir, "keys"), filepath.Join(f.dir, "labs")
	os.Mkdir(keys, 0o755)
	os.Mkdir(labs, 0o755)
	data, _ := os.ReadFile(filepath.Join(f.dir, "vendor.pub"))
	os.WriteFile(filepath.Join(keys, reports.VendorKeyName("ovacts project")), data, 0o644)
	if r := ovacts(t, "keygen", "--out", filepath.Join(labs, "lab")); r.code != 0 {
		t.Fatal(r.stderr)
	}
	lab, err := reports.ReadPrivateKey(filepath.Join(labs, "lab.key"))
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(labs, "lab.key"))
	same, differs, copied := filepath.Join(f.dir, "same"), filepath.Join(f.dir, "differs"), filepath.Join(f.dir, "copied")
	rebundle(t, f.run, same, lab, bundleEdit{runID: "labrun01"})
	rebundle(t, f.run, differs, lab, bundleEdit{runID: "labrun02", fail: []string{"DOM-004"}})
	rebundle(t, f.run, copied, lab, bundleEdit{})
	trust := func(bundles ...string) string {
		t.Helper()
		out := filepath.Join(t.TempDir(), "site")
		r := ovacts(t, append([]string{"publish", "-o", out, "--keys", keys, "--reproducer-keys", labs, vendor}, bundles...)...)
		if r.code != 0 {
			t.Fatalf("publish: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		pages, _ := filepath.Glob(filepath.Join(out, "products", "*.html"))
		if len(pages) != 1 {
			t.Fatalf("a reproduction is no entry: pages %v\n%s", pages, r.stdout)
		}
		page, _ := os.ReadFile(pages[0])
		_, after, _ := strings.Cut(string(page), `<p class="trust">`)
		line, _, _ := strings.Cut(after, "</p>")
		return line
	}
	if got := trust(); !strings.HasPrefix(got, "Trust: <strong>self-run</strong>: signed by its vendor; no independent signer") {
		t.Errorf("alone: %s", got)
	}
	if got := trust(same); !strings.HasPrefix(got, "Trust: <strong>reproduced</strong>: reproduced by lab (ed25519:") {
		t.Errorf("with a reproduction: %s", got)
	}
	if got := trust(differs); !strings.Contains(got, "self-run") || !strings.Contains(got, "differs on DOM-004") {
		t.Errorf("with a differing reproduction: %s", got)
	}
	if got := trust(copied); !strings.Contains(got, "self-run") || !strings.Contains(got, "signed the vendor&#39;s own run") {
		t.Errorf("with the vendor's run signed again: %s", got)
	}
	oneLineExit2(t, []string{"publish", "-o", filepath.Join(f.dir, "x"), "--keys", keys, vendor, same}, "not verified")
}

// Every trust level is in docs/certification.md's table.
func TestTrustLevelsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/certification.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "### Trust levels and revocation")
	section, _, _ = strings.Cut(section, "\n## ")
	if !ok {
		t.Fatal("docs/certification.md has no trust section")
	}
	for _, l := range []string{site.TrustSelfRun, site.TrustReproduced, site.TrustRevoked, site.TrustUnverified} {
		if !strings.Contains(section, "| `"+l+"` |") {
			t.Errorf("docs/certification.md: no row | `%s` |", l)
		}
	}
}
