package site

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ovacts/ovacts/reports"
)

// Trust levels of a published entry.
const (
	TrustSelfRun    = "self-run"   // signed by its vendor only
	TrustReproduced = "reproduced" // an independent signer's bundle of the same version gives the same outcome per requirement
	TrustRevoked    = "revoked"    // the program revoked it
	TrustUnverified = "unverified" // nothing vouches for it
)

// Trust is an entry's level and why.
type Trust struct{ Level, Why string }

// trustOf decides a product version's trust level from the reproductions
// (bundles of the same vendor, product and version checked with another,
// independent signer's key).
func trustOf(p *Product, reproductions []*reports.MatrixColumn) Trust {
	switch {
	case p.Verdict == reports.Revoked:
		return Trust{TrustRevoked, strings.Join(p.Why, "; ")}
	case !p.Vouched():
		return Trust{TrustUnverified, "no key vouches for its bundle"}
	}
	var differ []string
	for _, q := range reproductions {
		if !q.Vouched() || q.Signer == p.Signer || !sameVersion(p.Product, q.Product) {
			continue
		}
		if q.Facts["run.id"] == p.Facts["run.id"] { // the vendor's own run, signed again: no reproduction
			differ = append(differ, fmt.Sprintf("%s (%s) signed the vendor's own run %s again", q.Reproducer(), q.Signer, p.Facts["run.id"]))
			continue
		}
		if d := outcomeDiff(p.Results(), q.Results()); len(d) > 0 {
			differ = append(differ, fmt.Sprintf("%s (%s) differs on %s", q.Reproducer(), q.Signer, strings.Join(d, ", ")))
			continue
		}
		return Trust{TrustReproduced, fmt.Sprintf("reproduced by %s (%s): the same outcome for every requirement", q.Reproducer(), q.Signer)}
	}
	if len(differ) > 0 {
		return Trust{TrustSelfRun, "signed by its vendor; a reproduction by " + strings.Join(differ, "; ")}
	}
	return Trust{TrustSelfRun, "signed by its vendor; no independent signer has reproduced it"}
}

func sameVersion(a, b *reports.Product) bool {
	return a != nil && b != nil && reports.VendorKeyName(a.Vendor) == reports.VendorKeyName(b.Vendor) && a.Product == b.Product && a.Version == b.Version
}

// outcomeDiff lists the requirements whose outcome differs (or that one
// report lacks).
func outcomeDiff(a, b *reports.Results) []string {
	ids := map[string]bool{}
	for id := range a.Verdicts {
		ids[id] = true
	}
	for id := range b.Verdicts {
		ids[id] = true
	}
	var out []string
	for _, id := range slices.Sorted(maps.Keys(ids)) {
		x, y := a.Verdicts[id], b.Verdicts[id]
		if x == nil || y == nil || x.Status != y.Status || x.SuiteError != y.SuiteError {
			out = append(out, id)
		}
	}
	return out
}

// Certifies says whether the entry certifies anything: only a conformant
// verdict does (an expired one did, until its date), so only those show an
// expiry date.
func (p *Product) Certifies() bool {
	return p.Verdict == reports.Conformant || p.Verdict == reports.Expired
}

// Tally counts the entries whose bundle checked out with its vendor's key
// (Verified) and those that did not (Unverified), for the footer.
func (s *Site) Tally() (t struct{ Verified, Unverified int }) {
	for _, p := range s.Products {
		if p.Verified {
			t.Verified++
		} else {
			t.Unverified++
		}
	}
	return t
}

// Shown is the group's versions as the index lists them: the conformant
// ones first (what a reader looks for), then the others, each newest first.
// Versions keeps the plain newest-first order the history uses.
func (g *Group) Shown() []*Product {
	out := slices.Clone(g.Versions)
	slices.SortStableFunc(out, func(a, b *Product) int {
		ca, cb := a.Verdict == reports.Conformant, b.Verdict == reports.Conformant
		switch {
		case ca && !cb:
			return -1
		case cb && !ca:
			return 1
		}
		return 0
	})
	return out
}

// cardsUpTo is how many entries the index still shows as cards below its
// table: past that the cards only repeat the table at length.
const cardsUpTo = 12

// Cards says whether the index shows cards under the table.
func (s *Site) Cards() bool { return len(s.Products) <= cardsUpTo }
