package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ovacts/ovacts/features"
	"github.com/ovacts/ovacts/reports"
)

// A first challenge makes <set>.1 excluding it; a second makes <set>.2
// excluding both, with a new digest; what is no service release is refused.
func TestServiceReleases(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "services")
	os.Mkdir(dir, 0o755)
	r := request{set: "2026.12", exclude: "HOST-001", reason: "the test driver names no host CPU model", link: "https://example.org/challenges/1", released: "2026-12-20", dir: dir}
	p, err := r.write(features.FS)
	if err != nil || filepath.Base(p) != "2026.12.1.json" {
		t.Fatalf("first: %s %v", p, err)
	}
	r.exclude, r.link = "DOM-001", "https://example.org/challenges/2"
	if p, err = r.write(features.FS); err != nil || filepath.Base(p) != "2026.12.2.json" {
		t.Fatalf("second: %s %v", p, err)
	}
	rels, err := reports.LoadServiceReleases(os.DirFS(filepath.Dir(dir)), "services")
	if err != nil || len(rels) != 2 {
		t.Fatalf("%v %v", rels, err)
	}
	if got := strings.Join(rels[1].IDs(), ","); got != "HOST-001,DOM-001" || rels[0].Digest == rels[1].Digest || rels[1].Excluded[0].Link != "https://example.org/challenges/1" {
		t.Errorf("2026.12.2: %+v", rels[1])
	}
	for name, bad := range map[string]request{
		"again":     {set: "2026.12", exclude: "HOST-001", reason: "x", link: "https://e.org/3", released: "2026-12-21", dir: dir},
		"unknown":   {set: "2026.12", exclude: "NOPE-001", reason: "x", link: "https://e.org/3", released: "2026-12-21", dir: dir},
		"no set":    {set: "2031.01", exclude: "DOM-001", reason: "x", link: "https://e.org/3", released: "2026-12-21", dir: dir},
		"no link":   {set: "2026.12", exclude: "DOM-002", reason: "x", link: "", released: "2026-12-21", dir: dir},
		"no reason": {set: "2026.12", exclude: "DOM-002", reason: " ", link: "https://e.org/3", released: "2026-12-21", dir: dir},
		"draft":     {set: "2027.01", exclude: "DOM-001", reason: "x", link: "https://e.org/3", released: "2026-12-21", dir: dir},
	} {
		if _, err := bad.write(features.FS); !errors.Is(err, errUsage) {
			t.Errorf("%s: %v, want a usage error", name, err)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.json")); len(left) != 2 {
		t.Errorf("refused requests left files: %v", left)
	}
}

// The service releases committed under features/services/ all parse.
func TestBuiltInServiceReleases(t *testing.T) {
	if _, err := reports.LoadServiceReleases(features.Services, "services"); err != nil {
		t.Fatal(err)
	}
}
