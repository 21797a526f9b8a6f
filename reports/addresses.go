package reports

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// A column's address (products/<slug>.html, badges/<slug>-<profile>.svg) is
// derived from what vouches for it, never from the order of the bundles:
//   - a bundle checked with its vendor's key (verified, or expired for its
//     set) gets its product's name and version, "acme-virt-1-0"; another run
//     of the same version of that vendor adds its run ID; should two vendors'
//     names give the same slug, each adds a suffix of its identity;
//   - anything else (unverified, a bare report) gets "unverified-", the slug
//     and a hash of its path and label: it can never take a vendor's address.

// UnverifiedPrefix starts every address of a column nothing vouches for.
const UnverifiedPrefix = "unverified-"

// Vouched says whether the column's bundle checked out with its vendor's key
// (verified, or all but its requirement set, which is too old).
func (c *MatrixColumn) Vouched() bool { return c.in.Verified || c.in.SetExpired }

func (c *MatrixColumn) vendor() string {
	if c.Product == nil {
		return ""
	}
	return vendorID(c.Product.Vendor)
}

func shortHash(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:4])
}

// assignSlugs gives every column its address; cols are in matrix order
// (newest run first within a product).
func assignSlugs(cols []*MatrixColumn) {
	vendors := map[string]map[string]bool{} // a vouched slug -> the vendors whose names give it
	for _, c := range cols {
		if c.Vouched() {
			b := slug(c.Label)
			if vendors[b] == nil {
				vendors[b] = map[string]bool{}
			}
			vendors[b][c.vendor()] = true
		}
	}
	taken := map[string]bool{}
	for _, c := range cols {
		s := slug(c.Label)
		switch {
		case !c.Vouched():
			s = UnverifiedPrefix + s + "-" + shortHash(c.Source, c.Label)
		case len(vendors[s]) > 1:
			s += "-" + shortHash("vendor", c.vendor())
		}
		if taken[s] && c.Vouched() {
			if id := slug(c.Facts["run.id"]); id != "" {
				s += "-run-" + id
			} else {
				s += "-" + shortHash(c.Source)
			}
		}
		for n, base := 2, s; taken[s]; n++ { // the same bundle given twice
			s = fmt.Sprintf("%s-%d", base, n)
		}
		taken[s] = true
		c.Slug = s
	}
}
