package reports

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
)

// A compatibility matrix: one row per requirement, one column per product or
// stack, built from bundles (or bare JUnit reports).

// MatrixColumn is one bundle.
type MatrixColumn struct {
	Label   string `json:"label"`   // vendor, product and version
	Stack   string `json:"stack"`   // driver, versions, accelerator
	Source  string `json:"source"`  // the bundle's path
	Profile string `json:"profile"` // the profile it claims (the one it ran)
	// Verified: the bundle checked out (hashes, signature by Signer, product,
	// stack, report); an unverified column never reads conformant.
	Verified bool   `json:"verified"`
	Signer   string `json:"signer,omitempty"` // the signing key's fingerprint
	// Verdicts holds the verdict of the profile it claims, and of no other:
	// a core-only bundle says nothing about full.
	Verdicts map[string]string `json:"verdicts"`
	results  *Results
	order    [4]string
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

// ReadColumn reads a bare JUnit report as a column: nothing vouches for
// it, so it is unverified.
func ReadColumn(path string) (*MatrixColumn, error) {
	res, err := ReadResults(path)
	if err != nil {
		return nil, err
	}
	return NewColumn(path, nil, res.Properties, res, false, ""), nil
}

// NewColumn is a column of results, labelled from the product (when there is
// one) and described from the stack's properties.
func NewColumn(source string, p *Product, stack map[string]string, res *Results, verified bool, signer string) *MatrixColumn {
	c := &MatrixColumn{Source: source, results: res, Profile: stack["profile"], Verified: verified, Signer: signer, Verdicts: map[string]string{}}
	if p != nil {
		c.Label = fmt.Sprintf("%s %s %s", p.Vendor, p.Product, p.Version)
		c.order = [4]string{p.Vendor, p.Product, p.Version, source}
	} else {
		c.Label = fmt.Sprintf("%s %s", stack["driver"], stack["hostname"])
		c.order = [4]string{"~", c.Label, "", source}
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
	return c
}

// BuildMatrix lays the columns out (ordered by vendor, product, version) and
// gives each the verdict (Judge, at level) of the profile it claims; an
// unverified column gets "unverified" and no verdict.
func BuildMatrix(cols []*MatrixColumn, profile func(name string) (Profile, error), level string) *Matrix {
	sort.SliceStable(cols, func(i, j int) bool {
		a, b := cols[i].order, cols[j].order
		for k := range a {
			if a[k] != b[k] {
				return a[k] < b[k]
			}
		}
		return false
	})
	rows := map[string]*MatrixRow{}
	for ci, c := range cols {
		for id, v := range c.results.Verdicts {
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
	ids := make([]string, 0, len(rows))
	for id := range rows {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		m.Rows = append(m.Rows, *rows[id])
	}
	for _, c := range cols {
		if c.Profile == "" {
			continue
		}
		switch p, err := profile(c.Profile); {
		case !c.Verified:
			c.Verdicts[c.Profile] = "unverified"
		case err != nil:
			c.Verdicts[c.Profile] = "not judged: " + err.Error()
		default:
			v := Judge(p, c.results, level)
			c.Verdicts[c.Profile] = string(v.Kind)
			if why := v.Why(); len(why) > 0 {
				c.Verdicts[c.Profile] += ": " + strings.Join(why, "; ")
			}
		}
	}
	return m
}

// WriteMatrixJSON writes matrix.json.
func WriteMatrixJSON(w io.Writer, m *Matrix) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(m)
}

var cellWord = map[string]string{"passed": "pass", "failed": "FAIL", "blocked": "BLOCKED", "not-applicable": "n/a", "not-run": "not run", "waived": "waived", "": "-"}

// WriteMatrixMarkdown writes matrix.md, for pasting into documentation.
func WriteMatrixMarkdown(w io.Writer, m *Matrix) error {
	var b strings.Builder
	esc := func(s string) string {
		return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
	}
	b.WriteString("| requirement | level | title |")
	for _, c := range m.Columns {
		fmt.Fprintf(&b, " %s |", esc(c.Label))
	}
	b.WriteString("\n|---|---|---|" + strings.Repeat("---|", len(m.Columns)) + "\n")
	for _, profile := range profileNames(m) {
		fmt.Fprintf(&b, "| **profile %s** | | |", esc(profile))
		for _, c := range m.Columns {
			fmt.Fprintf(&b, " %s |", esc(c.Verdicts[profile]))
		}
		b.WriteString("\n")
	}
	for _, r := range m.Rows {
		fmt.Fprintf(&b, "| %s | %s | %s |", r.ID, r.Level, esc(r.Title))
		for _, cell := range r.Cells {
			fmt.Fprintf(&b, " %s |", cellWord[cell.Status])
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func profileNames(m *Matrix) []string {
	var ms []map[string]string
	for _, c := range m.Columns {
		ms = append(ms, c.Verdicts)
	}
	return sortedUnion(ms...)
}

//go:embed matrix.html.tmpl
var matrixHTML string

// The page's CSP allows its one inline script by the sha256 of the script
// as rendered (html/template drops its comments), and nothing else inline:
// 'unsafe-inline' would let an injected script run too.
const scriptHashMark = "sha256-SCRIPT-HASH"

func withScriptHash(page []byte) []byte {
	_, rest, _ := bytes.Cut(page, []byte("<script>"))
	body, _, _ := bytes.Cut(rest, []byte("</script>"))
	sum := sha256.Sum256(body)
	return bytes.Replace(page, []byte(scriptHashMark), []byte("sha256-"+base64.StdEncoding.EncodeToString(sum[:])), 1)
}

var matrixTemplate = template.Must(template.New("matrix").Funcs(template.FuncMap{
	"scriptHash": func() string { return "'" + scriptHashMark + "'" },
	"word":       func(s string) string { return cellWord[s] },
	"profiles":   profileNames,
	"areas": func(m *Matrix) []string {
		seen := map[string]bool{}
		var out []string
		for _, r := range m.Rows {
			if !seen[r.Area] {
				seen[r.Area] = true
				out = append(out, r.Area)
			}
		}
		sort.Strings(out)
		return out
	},
	"conformant": func(v string) bool { return v == "conformant" },
}).Parse(matrixHTML))

// WriteMatrixHTML writes matrix.html: one self-contained page (styles and
// script inline, no network fetches) with filters by area, level and outcome.
func WriteMatrixHTML(w io.Writer, m *Matrix) error {
	var b bytes.Buffer
	if err := matrixTemplate.Execute(&b, m); err != nil {
		return err
	}
	_, err := w.Write(withScriptHash(b.Bytes()))
	return err
}
