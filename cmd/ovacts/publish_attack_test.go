// Bundles against publish with two vendors' keys: a vendor's key verifies
// only that vendor's bundles; a spoof never takes the vendor's page or
// badge; a publication withdraws what it no longer has; publish never writes
// through a linked products/ or badges/ directory.

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ovacts/ovacts/reports"
)

func TestPublishBindsVendorsToTheirKeys(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	os.Mkdir(keys, 0o755)
	for _, v := range []string{"acme", "evil"} {
		if r := ovacts(t, "keygen", "--out", filepath.Join(dir, v)); r.code != 0 {
			t.Fatal(r.stderr)
		}
		os.Rename(filepath.Join(dir, v+".pub"), filepath.Join(keys, v+".pub"))
	}
	bundle := func(name, signer string) string {
		b := filepath.Join(dir, name)
		r := ovacts(t, "run", "--profile", "core", "--tags", "@req:CONN-001", "--bundle", b, "--sign-key", filepath.Join(dir, signer+".key"),
			"--vendor", "Acme", "--product-name", "Acme Virt", "--product-version", "1.0")
		if r.code != 4 { // a rehearsal on the test driver

			t.Fatalf("run %s: %d %s%s", name, r.code, r.stdout, r.stderr)
		}
		return b
	}
	real, spoof := bundle("real", "acme"), bundle("spoof", "evil") // the spoof runs later, so sorts first
	acmeFP := fingerprintOf(t, filepath.Join(keys, "acme.pub"))

	// --keys: the spoof is refused, or with --allow-unverified shown away from Acme's addresses.
	if r := ovacts(t, "publish", "-o", filepath.Join(dir, "refused"), "--keys", keys, real, spoof); r.code != 2 || !strings.Contains(r.stderr, "spoof: not verified (signature: the signature does not match") {
		t.Fatalf("publish with the spoof: exit %d %s", r.code, r.stderr)
	}
	out := filepath.Join(dir, "site")
	if r := ovacts(t, "publish", "-o", out, "--keys", keys, "--allow-unverified", spoof, real); r.code != 0 {
		t.Fatalf("publish: %d %s%s", r.code, r.stdout, r.stderr)
	}
	status := readStatusJSON(t, out)
	if p := status["acme-virt-1-0"]; p.Source != "real" || p.Signer != acmeFP || !p.Verified {
		t.Errorf("acme-virt-1-0 is %+v, want the real bundle signed by %s", p, acmeFP)
	}
	for slug, p := range status {
		if p.Source == "spoof" && (!strings.HasPrefix(slug, reports.UnverifiedPrefix) || p.Verified || p.Badge != "badges/"+slug+"-core.svg") {
			t.Errorf("the spoof is at %s: %+v", slug, p)
		}
	}
	if page, _ := os.ReadFile(filepath.Join(out, "products", "acme-virt-1-0.html")); strings.Contains(string(page), reports.UnverifiedPrefix) {
		t.Error("the real product's history lists the spoof")
	}
	// --pubkey binds a key to the vendor its file is named for: evil.pub verifies no Acme bundle.
	if r := ovacts(t, "publish", "-o", filepath.Join(dir, "p"), "--pubkey", filepath.Join(keys, "evil.pub"), spoof); r.code != 2 ||
		!strings.Contains(r.stderr, `no key for this vendor "Acme": give its key as acme.pub`) {
		t.Errorf("--pubkey evil.pub with a bundle claiming Acme: exit %d %s", r.code, r.stderr)
	}
	if r := ovacts(t, "publish", "-o", filepath.Join(dir, "q"), "--pubkey", filepath.Join(keys, "acme.pub"), real); r.code != 0 {
		t.Errorf("--pubkey acme.pub with Acme's bundle: exit %d %s", r.code, r.stderr)
	}
	// A run dated after --now is refused; on the --now day it is not.
	if r := ovacts(t, "publish", "-o", filepath.Join(dir, "early"), "--keys", keys, "--now", "2020-01-01", real); r.code != 2 ||
		!strings.Contains(r.stderr, "dates: the run is dated") || !strings.Contains(r.stderr, "after 2020-01-02T00:00:00Z") {
		t.Errorf("publish before the run: exit %d %s", r.code, r.stderr)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	if r := ovacts(t, "publish", "-o", filepath.Join(dir, "today"), "--keys", keys, "--now", today, real); r.code != 0 {
		t.Errorf("publish on the run's day: exit %d %s", r.code, r.stderr)
	}
	// verify --keys chooses by vendor too.
	if r := ovacts(t, "verify", "--keys", keys, spoof); r.code != 1 || !strings.Contains(r.stdout, "FAIL signature") {
		t.Errorf("verify --keys of the spoof: exit %d %s", r.code, r.stdout)
	}
	if r := ovacts(t, "verify", "--keys", keys, real); !strings.Contains(r.stdout, "ok   signature") {
		t.Errorf("verify --keys of the real bundle: exit %d %s", r.code, r.stdout)
	}

	// Published again without the real bundle: its page is gone, its badge says withdrawn.
	r := ovacts(t, "publish", "-o", out, "--keys", keys, "--allow-unverified", spoof)
	if r.code != 0 || !strings.Contains(r.stdout, "withdrawn: badges/acme-virt-1-0-core.svg") {
		t.Fatalf("publish again: %d %s%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Lstat(filepath.Join(out, "products", "acme-virt-1-0.html")); !os.IsNotExist(err) {
		t.Errorf("the withdrawn product's page is still there: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "badges", "acme-virt-1-0-core.svg")); !strings.Contains(string(b), "withdrawn") || strings.Contains(string(b), "unverified") {
		t.Errorf("the withdrawn badge reads %s", b)
	}
	if _, ok := readStatusJSON(t, out)["acme-virt-1-0"]; ok {
		t.Error("status.json still lists the withdrawn product")
	}

	// A linked products/ or badges/ is refused, and nothing is written through it.
	for _, sub := range []string{"products", "badges"} {
		site, elsewhere := filepath.Join(dir, "linked-"+sub), filepath.Join(dir, "elsewhere-"+sub)
		os.MkdirAll(site, 0o755)
		os.Mkdir(elsewhere, 0o755)
		os.Symlink(elsewhere, filepath.Join(site, sub))
		r := ovacts(t, "publish", "-o", site, "--keys", keys, real)
		if entries, _ := os.ReadDir(elsewhere); r.code != 2 || !strings.Contains(r.stderr, "publish never writes through a link") || len(entries) != 0 {
			t.Errorf("linked %s/: exit %d %s, %d files written through it", sub, r.code, r.stderr, len(entries))
		}
	}
}

type publishedProduct struct {
	Slug, Verdict, Signer, Page, Badge string
	Verified                           bool
	Source                             string
}

// readStatusJSON: status.json's products by slug, each with its bundle's
// name (its page's verify command names it).
func readStatusJSON(t *testing.T, out string) map[string]publishedProduct {
	t.Helper()
	var doc struct{ Products []publishedProduct }
	data, err := os.ReadFile(filepath.Join(out, "status.json"))
	if err != nil || json.Unmarshal(data, &doc) != nil {
		t.Fatalf("status.json: %v", err)
	}
	res := map[string]publishedProduct{}
	for _, p := range doc.Products {
		page, err := os.ReadFile(filepath.Join(out, p.Page))
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range []string{"real", "spoof"} {
			if strings.Contains(string(page), "ovacts verify "+b+" ") {
				p.Source = b
			}
		}
		res[p.Slug] = p
	}
	return res
}

func fingerprintOf(t *testing.T, pub string) string {
	t.Helper()
	k, err := reports.ReadPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return reports.KeyFingerprint(k)
}

// A bundle cannot bloat or retitle the site: test cases of IDs no
// requirement set has are dropped (and said), a requirement's row title is
// the set's, and matrix.md keeps no link from a bundle.
func TestPublishedRowsComeFromTheSets(t *testing.T) {
	dir := t.TempDir()
	if r := ovacts(t, "keygen", "--out", filepath.Join(dir, "acme")); r.code != 0 {
		t.Fatal(r.stderr)
	}
	b := filepath.Join(dir, "b")
	if r := ovacts(t, "run", "--tags", "@req:CONN-001", "--bundle", b, "--vendor", "Acme", "--product-name", "Virt [x](https://evil.example)",
		"--product-version", "1", "--sign-key", filepath.Join(dir, "acme.key")); r.code != 4 {
		t.Fatalf("run: %d %s", r.code, r.stderr)
	}
	junit := filepath.Join(b, reports.BundleJUnit)
	data, _ := os.ReadFile(junit)
	extra := `<testcase name="ZZZ-001 [MUST] bloat" classname="z" time="0"></testcase><testcase name="ZZZ-002 [MUST] bloat" classname="z" time="0"></testcase></testsuite>`
	text := strings.Replace(string(data), "</testsuite>", extra, 2)
	text = strings.Replace(text, "CONN-001 [MUST] ", "CONN-001 [MUST] [Visit](https://evil.example) ", 1)
	if text == string(data) {
		t.Fatal("the report was not edited")
	}
	os.WriteFile(junit, []byte(text), 0o644)
	out := filepath.Join(dir, "site")
	r := ovacts(t, "publish", "-o", out, "--allow-unverified", b)
	if r.code != 0 || !strings.Contains(r.stdout, b+": 2 test case(s) of requirements no requirement set has, dropped") {
		t.Fatalf("publish: %d %s%s", r.code, r.stdout, r.stderr)
	}
	var m struct{ Rows []struct{ ID, Title string } }
	data, _ = os.ReadFile(filepath.Join(out, "matrix.json"))
	if err := json.Unmarshal(data, &m); err != nil || len(m.Rows) != 1 || m.Rows[0].ID != "CONN-001" || strings.Contains(m.Rows[0].Title, "Visit") {
		t.Errorf("matrix.json rows: %+v (%v)", m.Rows, err)
	}
	md, _ := os.ReadFile(filepath.Join(out, "matrix.md"))
	if strings.Contains(string(md), "](https") || strings.Contains(string(md), "Visit") {
		t.Errorf("matrix.md:\n%s", md)
	}
}
