package reports

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ovacts/ovacts/catalogue"
)

// A compatibility matrix: one row per requirement, one column per product
// version or stack, built from bundles (or bare JUnit reports). The column's
// verdict is Judge's for the profile its bundle claims, unless the bundle
// cannot certify (unverified) or its results are too old (expired).

// ExpiryMonths is how long a run's results stand: a column whose run is
// older reads "expired", never conformant.
const ExpiryMonths = 12

// Publication verdicts beyond Judge's: a column that cannot certify, and one
// whose results are too old.
const (
	Unverified VerdictKind = "unverified"
	Expired    VerdictKind = "expired"
)

// MatrixColumn is one bundle.
type MatrixColumn struct {
	Slug     string   `json:"slug"`  // its address, unique in the matrix (assignSlugs)
	Label    string   `json:"label"` // vendor, product and version
	Product  *Product `json:"product,omitempty"`
	Stack    string   `json:"stack"`   // driver, versions, accelerator
	Source   string   `json:"source"`  // the bundle's path
	Profile  string   `json:"profile"` // the profile it claims (the one it ran)
	Set      string   `json:"set"`     // the requirement set it ran against
	Verified bool     `json:"verified"`
	Signer   string   `json:"signer,omitempty"` // the signing key's fingerprint
	RunDate  string   `json:"runDate,omitempty"`
	Expires  string   `json:"expires,omitempty"`
	// Verdict of the profile it claims, and of no other (a core-only bundle
	// says nothing about full), and what keeps it from conformant.
	Verdict VerdictKind       `json:"verdict"`
	Why     []string          `json:"why,omitempty"`
	Facts   map[string]string `json:"-"` // the stack's properties
	results *Results
	order   [4]string
	in      ColumnInput
}

// MatrixCell is one requirement in one column.
type MatrixCell struct {
	Status string `json:"status"` // an outcome, or "" (not in that report)
	Detail string `json:"detail,omitempty"`
}

// MatrixRow is one requirement.
type MatrixRow struct {
	ID    string       `json:"id"`
	Level string       `json:"level"`
	Area  string       `json:"area"`
	Title string       `json:"title"`
	Cells []MatrixCell `json:"cells"`
}

// Matrix is the whole table.
type Matrix struct {
	Columns []*MatrixColumn `json:"columns"`
	Rows    []MatrixRow     `json:"rows"`
}

// ColumnInput is what is known of one bundle (or bare report) after checking it.
type ColumnInput struct {
	Source   string
	Product  *Product // nil for a bare report
	Stack    map[string]string
	Results  *Results
	Verified bool   // the bundle checked out with Signer's key
	Signer   string // the key's fingerprint
	Problem  string // why it did not check out
	// SetExpired: it checked out but for its requirement set, which is no
	// longer among the accepted ones.
	SetExpired bool
	Draft      bool // run against a draft requirement set
	// Service is the service release it ran against (verified), whose
	// exclusions its verdict does not count.
	Service *ServiceRelease
	// Revoked: the program revoked this product version (its reason, date).
	Revoked *Revocation
	// Reproducer names the independent signer whose key checked the bundle
	// in place of its vendor's (publish --reproducer-keys): a reproduction.
	Reproducer string
}

// Results are the column's results.
func (c *MatrixColumn) Results() *Results { return c.results }

// BareReport reads a JUnit report without a bundle: nothing vouches for
// it, so its column is unverified.
func BareReport(path string) (ColumnInput, error) {
	res, err := ReadResults(path)
	if err != nil {
		return ColumnInput{}, err
	}
	return ColumnInput{Source: path, Stack: res.Properties, Results: res, Problem: "a bare JUnit report: nothing vouches for it"}, nil
}

// NewColumn is a column of results, labelled from the product (when there is
// one) and described from the stack's properties.
func NewColumn(in ColumnInput) *MatrixColumn {
	stack := in.Stack
	c := &MatrixColumn{Source: in.Source, results: in.Results, Profile: stack["profile"], Set: stack[PropSet], Verified: in.Verified,
		Signer: in.Signer, Product: in.Product, Facts: stack, in: in}
	if p := in.Product; p != nil {
		c.Label = p.Name() + " " + p.Version
		c.order = [4]string{p.Vendor, p.Product, stack["started"], in.Source}
	} else {
		c.Label = fmt.Sprintf("%s %s", stack["driver"], stack["hostname"])
		c.order = [4]string{"~", c.Label, stack["started"], in.Source}
	}
	parts := []string{stack["driver"], "libvirt " + stack["libvirt.daemon"], "hypervisor " + stack["hypervisor.version"]}
	if t := stack["domain.type"]; t != "" {
		parts = append(parts, "domains "+t)
	}
	if a := stack["guest.accel"]; a != "" {
		parts = append(parts, "guests "+a)
	}
	if IsRehearsal(stack) {
		parts = append(parts, "a rehearsal on libvirt's test driver")
	}
	c.Stack = strings.Join(parts, ", ")
	if t, err := time.Parse(time.RFC3339, stack["started"]); err == nil {
		c.RunDate = t.UTC().Format(time.DateOnly)
		c.Expires = t.UTC().AddDate(0, ExpiryMonths, 0).Format(time.DateOnly)
	}
	return c
}

// MatrixOptions: the level judged, the time expiry is judged at, and the
// current ID of each renamed requirement (alias -> ID), so that results
// under an old ID share the requirement's row.
type MatrixOptions struct {
	Level     string
	Now       time.Time
	Canonical map[string]string
}

// BuildMatrix lays the columns out (by vendor and product, newest run first)
// and gives each its verdict (verdict).
func BuildMatrix(cols []*MatrixColumn, profile func(set, name string) (catalogue.Profile, error), opt MatrixOptions) *Matrix {
	sort.SliceStable(cols, func(i, j int) bool {
		a, b := cols[i].order, cols[j].order
		for k := range a {
			if a[k] != b[k] {
				if k == 2 {
					return a[k] > b[k] // newest first
				}
				return a[k] < b[k]
			}
		}
		return false
	})
	assignSlugs(cols)
	rows := map[string]*MatrixRow{}
	for ci, c := range cols {
		c.Verdict, c.Why = verdict(c, profile, opt)
		for rid, v := range c.results.Verdicts {
			id := rid
			if cur, ok := opt.Canonical[rid]; ok {
				id = cur
			}
			r := rows[id]
			if r == nil {
				area, _, _ := strings.Cut(id, "-")
				r = &MatrixRow{ID: id, Level: v.Level, Area: area, Title: v.Title, Cells: make([]MatrixCell, len(cols))}
				rows[id] = r
			}
			r.Cells[ci] = MatrixCell{Status: string(v.Status)}
			if v.Status != Passed {
				r.Cells[ci].Detail = v.Detail
			}
		}
	}
	m := &Matrix{Columns: cols}
	for _, id := range slices.Sorted(maps.Keys(rows)) {
		m.Rows = append(m.Rows, *rows[id])
	}
	return m
}

// verdict is a column's published verdict: Judge's for the profile it
// claims, unless it cannot certify (unverified: it did not check out, is a
// rehearsal, a tag selection, or ran against a draft set) or its results
// are too old (expired: its set is no longer accepted, or the run is older
// than ExpiryMonths).
func verdict(c *MatrixColumn, profile func(set, name string) (catalogue.Profile, error), opt MatrixOptions) (VerdictKind, []string) {
	in := c.in
	switch {
	case in.Revoked != nil && (in.Verified || in.SetExpired):
		return Revoked, []string{in.Revoked.String()}
	case !in.Verified && in.SetExpired:
		return Expired, []string{in.Problem}
	case !in.Verified:
		return Unverified, []string{in.Problem}
	case IsRehearsal(in.Stack):
		return Unverified, []string{"a rehearsal on libvirt's test driver: it certifies no stack"}
	case in.Draft:
		return Unverified, []string{fmt.Sprintf("run against requirement set %s, a draft: it certifies nothing", c.Set)}
	case in.Stack["tags"] != "":
		return Unverified, []string{fmt.Sprintf("the run selected tags %q, which certifies no profile", in.Stack["tags"])}
	case c.Expires == "":
		return Unverified, []string{"the bundle gives no run date"}
	}
	p, err := profile(c.Set, c.Profile)
	if err != nil {
		return Unverified, []string{"not judged: " + err.Error()}
	}
	v := Judge(in.Service.Apply(p), c.results, opt.Level)
	if exp, _ := time.Parse(time.DateOnly, c.Expires); !opt.Now.Before(exp) {
		return Expired, []string{fmt.Sprintf("run on %s: results stand for %d months, until %s (the verdict then: %s)", c.RunDate, ExpiryMonths, c.Expires, v.Kind)}
	}
	return v.Kind, v.Why()
}

// Slug names a column, or a vendor's key file: lower case, runs of other
// characters as one dash.
func Slug(s string) string { return slug(s) }

// CellWord is a cell's outcome in words, with a sign, so that colour is
// never the only signal.
var CellWord = map[string]string{"passed": "✓ pass", "failed": "✗ FAIL", "blocked": "■ blocked", "not-applicable": "– n/a",
	"not-run": "○ not run", "waived": "! waived", "": "· absent"}

// WriteMatrixMarkdown writes matrix.md, for pasting into documentation.
func WriteMatrixMarkdown(w io.Writer, m *Matrix) error {
	var b strings.Builder
	esc := escapeMarkdown
	b.WriteString("| requirement | level | title |")
	for _, c := range m.Columns {
		fmt.Fprintf(&b, " %s |", esc(c.Label))
	}
	b.WriteString("\n|---|---|---|" + strings.Repeat("---|", len(m.Columns)) + "\n| **verdict** | | |")
	for _, c := range m.Columns {
		fmt.Fprintf(&b, " profile %s, set %s: **%s** |", esc(c.Profile), esc(c.Set), c.Verdict)
	}
	b.WriteString("\n")
	for _, r := range m.Rows {
		fmt.Fprintf(&b, "| %s | %s | %s |", r.ID, r.Level, esc(r.Title))
		for _, cell := range r.Cells {
			fmt.Fprintf(&b, " %s |", CellWord[cell.Status])
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
