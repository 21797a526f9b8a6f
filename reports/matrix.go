package reports

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// A compatibility matrix: one row per requirement, one column per product or
// stack, built from bundles (or bare JUnit reports).

// MatrixColumn is one bundle.
type MatrixColumn struct {
	Label    string            `json:"label"`    // vendor, product and version
	Stack    string            `json:"stack"`    // driver, versions, accelerator
	Source   string            `json:"source"`   // the bundle's path
	Profile  string            `json:"profile"`  // the profile it ran
	Verdicts map[string]string `json:"verdicts"` // profile -> "conformant" or why not
	results  *Results
	order    [4]string
}

// MatrixCell is one requirement in one column.
type MatrixCell struct {
	Status string `json:"status"` // passed, failed, skipped, waived, or "" (not run)
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

// ReadColumn reads a bundle directory (or a JUnit file) as a column.
func ReadColumn(path string) (*MatrixColumn, error) {
	dir := ""
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		dir = path
	}
	res, err := ReadResults(path)
	if err != nil {
		return nil, err
	}
	c := &MatrixColumn{Source: path, results: res, Profile: res.Properties["profile"], Verdicts: map[string]string{}}
	stack := res.Properties
	if dir != "" {
		if f, err := os.Open(filepath.Join(dir, BundleProduct)); err == nil {
			p, perr := ReadProduct(f)
			f.Close()
			if perr != nil {
				return nil, fmt.Errorf("%s: %w", dir, perr)
			}
			c.Label = fmt.Sprintf("%s %s %s", p.Vendor, p.Product, p.Version)
			c.order = [4]string{p.Vendor, p.Product, p.Version, path}
		}
		if data, err := os.ReadFile(filepath.Join(dir, BundleStack)); err == nil {
			s := map[string]string{}
			if err := json.Unmarshal(data, &s); err != nil {
				return nil, fmt.Errorf("%s: stack.json: %w", dir, err)
			}
			stack = s
		}
	}
	if c.Label == "" {
		c.Label = fmt.Sprintf("%s %s", stack["driver"], stack["hostname"])
		c.order = [4]string{"~", c.Label, "", path}
	}
	parts := []string{stack["driver"], "libvirt " + stack["libvirt.daemon"], "hypervisor " + stack["hypervisor.version"]}
	if t := stack["domain.type"]; t != "" {
		parts = append(parts, "domains "+t)
	}
	if a := stack["guest.accel"]; a != "" {
		parts = append(parts, "guests "+a)
	}
	c.Stack = strings.Join(parts, ", ")
	return c, nil
}

// BuildMatrix lays the columns out (ordered by vendor, product, version) and
// judges each against the given profiles: required(profile) lists their
// requirement IDs.
func BuildMatrix(cols []*MatrixColumn, profiles []string, required func(profile string) []string) *Matrix {
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
		for _, p := range profiles {
			var failed, missing, waived int
			for _, id := range required(p) {
				switch v := c.results.Verdicts[id]; {
				case v == nil:
					missing++
				case v.Status == Failed:
					failed++
				case v.Status == Waived:
					waived++
				}
			}
			if failed+missing+waived == 0 {
				c.Verdicts[p] = "conformant"
				continue
			}
			var why []string
			for _, x := range []struct {
				n    int
				word string
			}{{failed, "failed"}, {waived, "waived"}, {missing, "not run"}} {
				if x.n > 0 {
					why = append(why, fmt.Sprintf("%d %s", x.n, x.word))
				}
			}
			c.Verdicts[p] = "not conformant: " + strings.Join(why, ", ")
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

var cellWord = map[string]string{"passed": "pass", "failed": "FAIL", "skipped": "skip", "waived": "waived", "": "-"}

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

var matrixTemplate = template.Must(template.New("matrix").Funcs(template.FuncMap{
	"word":     func(s string) string { return cellWord[s] },
	"profiles": profileNames,
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
	_, err := w.Write(b.Bytes())
	return err
}
