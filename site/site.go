// Package site builds the published compatibility site from checked
// bundles: an index of products with their verdicts, a page per product
// version (results by area, reasons, stack facts, how to reproduce, history),
// the requirements × products matrix, a badge per product and profile, and
// status.json and matrix.json with their JSON Schemas. Static files only: no
// server, no request leaves a page.
package site

import (
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/reports"
)

// Options are what the site is built with.
type Options struct {
	Now          time.Time // when expiry is judged, and the site's date
	Level        string    // the level judged: MUST by default
	SuiteVersion string    // the publishing binary's
	// Sets are the requirement sets the publisher knows, oldest first; the
	// newest's entries give each requirement's profiles.
	Sets     []catalogue.SetInfo
	Profiles map[string][]string // requirement ID -> profiles, in the newest set
	Aliases  map[string]string   // an old ID -> the requirement's ID in the newest set
	Areas    map[string]string   // area -> its feature's name
	// Requirements are every requirement of the sets, by ID: the titles and
	// levels the rows show (reports.Results.Restrict).
	Requirements map[string]reports.ReqInfo
	// Baselines are the reference baselines by requirement set (publish
	// --baselines), and Findings the findings' links: a product page then
	// labels each non-passing requirement (site/triage.go).
	Baselines map[string]*reports.Baselines
	Findings  map[string]string
	// Reproductions are bundles of vendors' product versions signed by an
	// independent signer (site/trust.go): evidence, not entries.
	Reproductions []*reports.MatrixColumn
}

// Site is everything the pages and JSON files show.
type Site struct {
	Generated    string
	SuiteVersion string
	Level        string
	Accepted     []string // the requirement sets results are accepted against
	Matrix       *reports.Matrix
	Products     []*Product // in matrix column order
	Groups       []*Group   // products by vendor and product name
	AreaNames    map[string]string
	// Withdrawn are the badges of earlier publications this one no longer
	// has (Write replaced each by a "withdrawn" badge).
	Withdrawn []string
	profiles  map[string][]string
}

// Group is one product (vendor and name) with its versions, newest first.
type Group struct {
	Name     string
	Versions []*Product
}

// Product is one product version: one bundle, one matrix column.
type Product struct {
	*reports.MatrixColumn
	Index   int // its column in the matrix
	Areas   []AreaCount
	NonPass []*reports.Verdict
	Group   *Group
	Older   *Product         // the next older version of the same product
	Changes *reports.Changes // from Older to this one
	Badge   string           // badges/<slug>-<profile>.svg
	Triage  *reports.Triage  // against its set's baselines, when given
	Trust   Trust            // self-run, reproduced, revoked or unverified
}

// AreaCount is one area's outcomes in one product version.
type AreaCount struct {
	Area                                                       string
	Of, Passed, Failed, Waived, Blocked, NotApplicable, NotRun int
}

// Build lays the site out from checked columns (reports.NewColumn), judging
// each with profile (what a profile demands in a set).
func Build(cols []*reports.MatrixColumn, profile func(set, name string) (catalogue.Profile, error), opt Options) *Site {
	if opt.Level == "" {
		opt.Level = "MUST"
	}
	m := reports.BuildMatrix(cols, profile, reports.MatrixOptions{Level: opt.Level, Now: opt.Now, Canonical: opt.Aliases})
	s := &Site{Generated: opt.Now.UTC().Format(time.DateOnly), SuiteVersion: opt.SuiteVersion, Level: strings.ToUpper(opt.Level),
		Matrix: m, AreaNames: opt.Areas, profiles: opt.Profiles}
	var released []string
	for _, set := range opt.Sets {
		if set.Status == "released" {
			released = append(released, set.Name)
		}
	}
	s.Accepted = released[max(0, len(released)-reports.AcceptedSets):]
	groups := map[string]*Group{}
	for i, c := range m.Columns {
		p := &Product{MatrixColumn: c, Index: i, Badge: "badges/" + c.Slug + "-" + reports.Slug(c.Profile) + ".svg"}
		p.count()
		p.triage(opt)
		name := c.Label
		if c.Product != nil {
			name = c.Product.Name()
		}
		if !c.Vouched() { // a bundle nothing vouches for joins no vendor's product, nor its history
			name += " (unverified)"
		}
		g := groups[name]
		if g == nil {
			g = &Group{Name: name}
			groups[name] = g
			s.Groups = append(s.Groups, g)
		}
		p.Group = g
		if n := len(g.Versions); n > 0 {
			newer := g.Versions[n-1] // columns come newest first within a product
			newer.Older = p
			ch := reports.Diff(p.Results(), newer.Results())
			newer.Changes = &ch
		}
		g.Versions = append(g.Versions, p)
		s.Products = append(s.Products, p)
		p.Trust = trustOf(p, opt.Reproductions)
	}
	return s
}

// count tallies the product's outcomes per area and lists what did not pass.
func (p *Product) count() {
	res := p.Results()
	byArea := map[string]*AreaCount{}
	for _, id := range slices.Sorted(maps.Keys(res.Verdicts)) {
		v := res.Verdicts[id]
		area, _, _ := strings.Cut(id, "-")
		a := byArea[area]
		if a == nil {
			a = &AreaCount{Area: area}
			byArea[area] = a
		}
		a.Of++
		switch v.Status {
		case reports.Passed:
			a.Passed++
		case reports.Failed:
			a.Failed++
		case reports.Waived:
			a.Waived++
		case reports.Blocked:
			a.Blocked++
		case reports.NotApplicable:
			a.NotApplicable++
		case reports.NotRun:
			a.NotRun++
		}
		if v.Status != reports.Passed || v.SuiteError {
			p.NonPass = append(p.NonPass, v)
		}
	}
	for _, a := range byArea {
		p.Areas = append(p.Areas, *a)
	}
	sort.Slice(p.Areas, func(i, j int) bool { return p.Areas[i].Area < p.Areas[j].Area })
}

// Fact is one of the stack's facts, for a product page.
type Fact struct{ Name, Value string }

// factNames are the stack properties a product page shows, in order.
var factNames = []struct{ prop, name string }{
	{"driver", "driver"}, {"libvirt.daemon", "libvirt"}, {"hypervisor.version", "hypervisor (QEMU)"},
	{"domain.types", "domain types"}, {"kvm.usable", "KVM usable"}, {"guest.accel", "guest accelerator"},
	{"guestfs.version", "libguestfs"}, {"guestfs.accel", "libguestfs accelerator"},
	{"host.kernel", "kernel"}, {"host.arch", "architecture"}, {"peer.libvirt", "peer libvirt"},
	{"suite.version", "ovacts"}, {reports.PropSet, "requirement set"}, {"run.concurrency", "concurrency"},
}

// StackFacts are the facts the bundle's stack gives, in a stable order.
func (p *Product) StackFacts() []Fact {
	var out []Fact
	for _, f := range factNames {
		if v := p.Facts[f.prop]; v != "" {
			out = append(out, Fact{f.name, v})
		}
	}
	return out
}

// Command is the command line the bundle was made with ("" when the bundle
// does not record it).
func (p *Product) Command() string { return p.Facts[reports.PropCommand] }

// Area is one area's rows of the matrix.
type Area struct {
	Name, Title string
	Rows        []reports.MatrixRow
}

// MatrixAreas are the matrix's rows by area.
func (s *Site) MatrixAreas() []Area {
	var out []Area
	for _, r := range s.Matrix.Rows {
		if n := len(out); n == 0 || out[n-1].Name != r.Area {
			out = append(out, Area{Name: r.Area, Title: s.AreaNames[r.Area]})
		}
		out[len(out)-1].Rows = append(out[len(out)-1].Rows, r)
	}
	return out
}

// RowProfiles are the profiles a requirement belongs to in the newest set.
func (s *Site) RowProfiles(id string) []string { return s.profiles[id] }

// ProfileNames are the profiles the rows name.
func (s *Site) ProfileNames() []string {
	seen := map[string]bool{}
	for _, ps := range s.profiles {
		for _, p := range ps {
			seen[p] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}
