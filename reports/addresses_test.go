package reports

import (
	"strings"
	"testing"
)

// Vendor key files: ASCII names as before; names whose letters are beyond
// ASCII are distinct (by a hash of the name), even when slugging drops them all.
func TestVendorKeyNamesAreDistinct(t *testing.T) {
	for vendor, want := range map[string]string{"Acme": "acme.pub", "Beta Systems": "beta-systems.pub", "ACME": "acme.pub"} {
		if got := VendorKeyName(vendor); got != want {
			t.Errorf("%q: %s, want %s", vendor, got, want)
		}
	}
	seen := map[string]string{}
	for _, v := range []string{"東芝", "日立", "Ωmega", "Δmega", "mega", "Ünix", "ünix", "Unix"} {
		name := VendorKeyName(v)
		if other, dup := seen[strings.ToLower(name)]; dup && !strings.EqualFold(other, v) {
			t.Errorf("%q and %q share the key file %s", v, other, name)
		}
		if err := checkKeyFileName(name); err != nil {
			t.Errorf("%q: %v", v, err)
		}
		seen[strings.ToLower(name)] = v
	}
}

func checkKeyFileName(name string) error {
	if strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789-.") != "" || strings.HasPrefix(name, "-") || strings.HasPrefix(name, ".") {
		return errBadName(name)
	}
	return nil
}

type errBadName string

func (e errBadName) Error() string { return "not a plain key file name: " + string(e) }

// Addresses: a vouched column gets its product's slug whatever the order; an
// unverified one claiming the same product never does; two vendors whose
// names slug alike each get a suffix; a second run of one version adds its run ID.
func TestColumnAddresses(t *testing.T) {
	col := func(vendor, product, source, runID string, verified bool) *MatrixColumn {
		return NewColumn(ColumnInput{Source: source, Product: &Product{Vendor: vendor, Product: product, Version: "1.0"},
			Stack: map[string]string{"run.id": runID}, Verified: verified})
	}
	spoof, real := col("Acme", "Acme Virt", "spoof", "zzz", false), col("Acme", "Acme Virt", "real", "aaa", true)
	assignSlugs([]*MatrixColumn{spoof, real})
	if real.Slug != "acme-virt-1-0" || !strings.HasPrefix(spoof.Slug, UnverifiedPrefix+"acme-virt-1-0-") {
		t.Errorf("real at %s, spoof at %s", real.Slug, spoof.Slug)
	}
	rerun := col("Acme", "Acme Virt", "rerun", "bbb", true)
	assignSlugs([]*MatrixColumn{real, rerun})
	if real.Slug != "acme-virt-1-0" || rerun.Slug != "acme-virt-1-0-run-bbb" {
		t.Errorf("two runs of one version: %s, %s", real.Slug, rerun.Slug)
	}
	other := col("Acme Virt", "1.0", "other", "ccc", true) // "Acme Virt 1.0 1.0" vs "Acme Virt 1.0"
	other.Label = real.Label
	assignSlugs([]*MatrixColumn{other, real})
	if other.Slug == "acme-virt-1-0" || real.Slug == "acme-virt-1-0" || other.Slug == real.Slug {
		t.Errorf("two vendors with one slug: %s, %s", other.Slug, real.Slug)
	}
}
