// ovacts revoke, and the revocation list in verify and publish.

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ovacts/ovacts/reports"
)

// A product version revoked with the project's key fails verify (exit 1,
// with the reason and date) and is published as revoked, its badge saying
// so; a list that is unsigned, edited or signed by another key is refused
// (exit 2, one line).
func TestRevocation(t *testing.T) {
	f := newTriageFixture(t)
	vendor := filepath.Join(f.dir, "vendor-bundle")
	rebundle(t, f.run, vendor, f.vendor, bundleEdit{})
	list := filepath.Join(f.dir, "revocations.json")
	projectKey := filepath.Join(f.dir, "project.key")
	revoke := []string{"revoke", "--list", list, "--sign-key", projectKey, "--vendor", "ovacts project", "--product", "reference stack", "--version", "1",
		"--reason", "the bundle was made on another product", "--date", "2026-12-20", "--link", "https://example.org/revocations/1"}
	if r := ovacts(t, revoke...); r.code != 0 || !strings.Contains(r.stdout, "1 revoked, signed by") {
		t.Fatalf("revoke: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	oneLineExit2(t, revoke, "revoked already")
	pub := filepath.Join(f.dir, "vendor.pub")
	verify := []string{"verify", vendor, "--pubkey", pub, "--revocations", list, "--project-key", f.projectPub}
	r := ovacts(t, verify...)
	if r.code != 1 || !strings.Contains(r.stdout, "FAIL revoked       revoked on 2026-12-20: the bundle was made on another product (https://example.org/revocations/1)") {
		t.Errorf("verify of a revoked version: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := ovacts(t, "verify", vendor, "--pubkey", pub); r.code != reports.ExitRehearsal {
		t.Errorf("verify without the list: exit %d\n%s", r.code, r.stdout)
	}
	keys := filepath.Join(f.dir, "keys")
	os.Mkdir(keys, 0o755)
	data, _ := os.ReadFile(pub)
	os.WriteFile(filepath.Join(keys, reports.VendorKeyName("ovacts project")), data, 0o644)
	out := filepath.Join(f.dir, "site")
	if r := ovacts(t, "publish", vendor, "-o", out, "--keys", keys, "--revocations", list, "--project-key", f.projectPub); r.code != 0 || !strings.Contains(r.stdout, ": revoked") {
		t.Fatalf("publish: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	pages, _ := filepath.Glob(filepath.Join(out, "products", "*.html"))
	badges, _ := filepath.Glob(filepath.Join(out, "badges", "*.svg"))
	if len(pages) != 1 || len(badges) != 1 {
		t.Fatalf("pages %v badges %v", pages, badges)
	}
	page, _ := os.ReadFile(pages[0])
	badge, _ := os.ReadFile(badges[0])
	if !strings.Contains(string(page), "revoked on 2026-12-20: the bundle was made on another product") || !strings.Contains(string(badge), ": revoked") ||
		!strings.Contains(string(page), "Trust: <strong>revoked</strong>: revoked on 2026-12-20") {
		t.Errorf("the page or badge does not say revoked:\n%s\n%s", page, badge)
	}
	// Refused lists.
	orig, _ := os.ReadFile(list)
	os.WriteFile(list, []byte(strings.Replace(string(orig), "another product", "another produce", 1)), 0o644)
	oneLineExit2(t, verify, "revocation list refused", "signature does not match")
	os.WriteFile(list, orig, 0o644)
	oneLineExit2(t, []string{"verify", vendor, "--pubkey", pub, "--revocations", list, "--project-key", pub}, "signature does not match")
	oneLineExit2(t, []string{"verify", vendor, "--pubkey", pub, "--revocations", list}, "--revocations needs --project-key")
	os.Remove(list + ".sig")
	oneLineExit2(t, verify, "unsigned")
	oneLineExit2(t, []string{"publish", vendor, "-o", out, "--keys", keys, "--revocations", list, "--project-key", f.projectPub}, "unsigned")
	oneLineExit2(t, revoke, "exists but is unsigned")
}
