package site

import "github.com/ovacts/ovacts/reports"

// status.json: what each product version is certified for, for programs (a
// vendor's page showing its badge, a distribution's release notes). Its
// schema is schemas/status.schema.json; fields are only ever added.
type statusDoc struct {
	Schema       string          `json:"$schema"`
	Generated    string          `json:"generated"`
	Generator    string          `json:"generator"`
	Level        string          `json:"level"`
	AcceptedSets []string        `json:"acceptedSets"`
	Products     []statusProduct `json:"products"`
}

type statusProduct struct {
	Slug     string              `json:"slug"`
	Vendor   string              `json:"vendor,omitempty"`
	Product  string              `json:"product,omitempty"`
	Version  string              `json:"version,omitempty"`
	Label    string              `json:"label"`
	Profile  string              `json:"profile"`
	Set      string              `json:"set"`
	Verdict  reports.VerdictKind `json:"verdict"`
	Why      []string            `json:"why"`
	RunDate  string              `json:"runDate"`
	Expires  string              `json:"expires"`
	Verified bool                `json:"verified"`
	Signer   string              `json:"signer"`
	Page     string              `json:"page"`
	Badge    string              `json:"badge"`
	Stack    map[string]string   `json:"stack"`
}

// Status is status.json's content.
func (s *Site) Status() any {
	d := statusDoc{Schema: "schemas/status.schema.json", Generated: s.Generated, Generator: "ovacts " + s.SuiteVersion, Level: s.Level,
		AcceptedSets: nonNil(s.Accepted), Products: []statusProduct{}}
	for _, p := range s.Products {
		sp := statusProduct{Slug: p.Slug, Label: p.Label, Profile: p.Profile, Set: p.Set, Verdict: p.Verdict, Why: nonNil(p.Why),
			RunDate: p.RunDate, Expires: p.Expires, Verified: p.Verified, Signer: p.Signer, Page: "products/" + p.Slug + ".html",
			Badge: p.Badge, Stack: map[string]string{}}
		if p.Product != nil {
			sp.Vendor, sp.Product, sp.Version = p.Product.Vendor, p.Product.Product, p.Product.Version
		}
		for _, f := range p.StackFacts() {
			sp.Stack[f.Name] = f.Value
		}
		d.Products = append(d.Products, sp)
	}
	return d
}

// matrix.json: the matrix, for programs; schemas/matrix.schema.json.
type matrixDoc struct {
	Schema    string         `json:"$schema"`
	Generated string         `json:"generated"`
	Level     string         `json:"level"`
	Columns   []matrixColumn `json:"columns"`
	Rows      []matrixRow    `json:"rows"`
}

type matrixColumn struct {
	Slug    string              `json:"slug"`
	Label   string              `json:"label"`
	Profile string              `json:"profile"`
	Set     string              `json:"set"`
	Verdict reports.VerdictKind `json:"verdict"`
}

type matrixRow struct {
	ID       string               `json:"id"`
	Area     string               `json:"area"`
	Level    string               `json:"level"`
	Title    string               `json:"title"`
	Profiles []string             `json:"profiles"`
	Cells    []reports.MatrixCell `json:"cells"`
}

// MatrixJSON is matrix.json's content.
func (s *Site) MatrixJSON() any {
	d := matrixDoc{Schema: "schemas/matrix.schema.json", Generated: s.Generated, Level: s.Level, Columns: []matrixColumn{}, Rows: []matrixRow{}}
	for _, p := range s.Products {
		d.Columns = append(d.Columns, matrixColumn{Slug: p.Slug, Label: p.Label, Profile: p.Profile, Set: p.Set, Verdict: p.Verdict})
	}
	for _, r := range s.Matrix.Rows {
		d.Rows = append(d.Rows, matrixRow{ID: r.ID, Area: r.Area, Level: r.Level, Title: r.Title, Profiles: nonNil(s.RowProfiles(r.ID)), Cells: r.Cells})
	}
	return d
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
