package site

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ovacts/ovacts/internal/safeio"
	"github.com/ovacts/ovacts/reports"
)

//go:embed pages.html.tmpl
var pagesHTML string

//go:embed schemas/status.schema.json
var statusSchema []byte

//go:embed schemas/matrix.schema.json
var matrixSchema []byte

// Schemas are the JSON Schemas of status.json and matrix.json, by file name.
var Schemas = map[string][]byte{"status.schema.json": statusSchema, "matrix.schema.json": matrixSchema}

type headData struct {
	Title, Root string
	Script      bool
}

var pages = template.Must(template.New("site").Funcs(template.FuncMap{
	"head":  func(title, root string, script bool) headData { return headData{title, root, script} },
	"class": func(v any) string { return strings.ReplaceAll(fmt.Sprint(v), " ", "-") },
	"word":  func(s string) string { return reports.CellWord[s] },
	"words": func() map[string]string { return reports.CellWord },
	"badgeData": func(p *Product) template.URL {
		return template.URL("data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString(p.badgeSVG()))
	},
	"badgeWidth": func(p *Product) int { w, _ := badgeWidths(p.badgeText()); return w },
	"versionOf": func(p *Product) string {
		if p.Product != nil {
			return p.Product.Version
		}
		return p.Label
	},
	"pubkeyName": func(p *Product) string {
		if p.Product != nil {
			return reports.VendorKeyName(p.Product.Vendor)
		}
		return "SIGNER.pub"
	},
	"join": strings.Join,
	"base": filepath.Base,
	"legend": func(level string, open bool) any {
		return struct {
			Level string
			Open  bool
		}{level, open}
	},
	"inc": func(n int) int { return n + 1 },
}).Parse(pagesHTML))

// Write writes the site into dir (made if needed): index.html, matrix.html,
// products/<slug>.html, badges/<slug>-<profile>.svg, status.json,
// matrix.json, matrix.md and schemas/. Every file is replaced atomically.
//
// What earlier publications wrote there and this one does not publish is
// taken away (withdraw): pages removed, badges saying "withdrawn", listed in
// s.Withdrawn. The products/, badges/ and schemas/ directories must be real
// directories: a link there is refused (ErrLinkedDir), never followed.
func Write(dir string, s *Site) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := siteDirs(dir); err != nil {
		return err
	}
	files := map[string]func(io.Writer) error{
		"index.html":  func(w io.Writer) error { return render(w, "index", s) },
		"matrix.html": func(w io.Writer) error { return render(w, "matrix", s) },
		"status.json": func(w io.Writer) error { return writeJSON(w, s.Status()) },
		"matrix.json": func(w io.Writer) error { return writeJSON(w, s.MatrixJSON()) },
		"matrix.md":   func(w io.Writer) error { return reports.WriteMatrixMarkdown(w, s.Matrix) },
	}
	for name, data := range Schemas {
		files["schemas/"+name] = func(w io.Writer) error { _, err := w.Write(data); return err }
	}
	for _, p := range s.Products {
		files["products/"+p.Slug+".html"] = func(w io.Writer) error {
			return render(w, "product", struct {
				P *Product
				S *Site
			}{p, s})
		}
		files[p.Badge] = func(w io.Writer) error { _, err := w.Write(p.badgeSVG()); return err }
	}
	written := map[string]bool{}
	for name, write := range files {
		if err := safeio.WriteAtomic(filepath.Join(dir, filepath.FromSlash(name)), 0o644, write); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		written[name] = true
	}
	var err error
	s.Withdrawn, err = withdraw(dir, written)
	return err
}

// The matrix page's CSP allows its one inline script by the sha256 of the
// script as rendered, and nothing else: 'unsafe-inline' would let an injected
// script run too. The other pages allow no script at all.
const scriptHashMark = "sha256-SCRIPT-HASH"

func render(w io.Writer, name string, data any) error {
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, name, data); err != nil {
		return err
	}
	page := b.Bytes()
	if _, rest, ok := bytes.Cut(page, []byte("<script>")); ok {
		body, _, _ := bytes.Cut(rest, []byte("</script>"))
		sum := sha256.Sum256(body)
		page = bytes.Replace(page, []byte(scriptHashMark), []byte("sha256-"+base64.StdEncoding.EncodeToString(sum[:])), 1)
	}
	_, err := w.Write(page)
	return err
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
