package main

import (
	"bytes"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The sizes docs/architecture.md promises: no Go file over maxFileLines, no
// function of the suite's code (tests aside) over maxFuncLines but a
// register<Area> table of steps.
const (
	maxFileLines = 450
	maxFuncLines = 90
)

func TestCodeSizes(t *testing.T) {
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "out", "bin", ".git", "node_modules", "testdata":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		n++
		if lines := bytes.Count(src, []byte("\n")); lines > maxFileLines {
			t.Errorf("%s has %d lines, more than %d: split it by job", rel, lines, maxFileLines)
		}
		if strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, src, 0)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || strings.HasPrefix(fd.Name.Name, "register") {
				continue
			}
			if lines := fset.Position(fd.End()).Line - fset.Position(fd.Pos()).Line + 1; lines > maxFuncLines {
				t.Errorf("%s: %s has %d lines, more than %d", rel, fd.Name.Name, lines, maxFuncLines)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 100 {
		t.Fatalf("only %d Go files found under %s", n, root)
	}
}

// docPath is a repository path docs/architecture.md names in backquotes.
var docPath = regexp.MustCompile("`((?:cmd|steps|harness|catalogue|reports|features|fixtures|internal|docs|scripts|site)/[^` ]*)`")

// Every file docs/architecture.md names exists: the map stays true.
func TestArchitectureDocNamesRealFiles(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	named := docPath.FindAllStringSubmatch(string(doc), -1)
	if len(named) < 20 {
		t.Fatalf("docs/architecture.md names only %d files", len(named))
	}
	for _, m := range named {
		p := m[1]
		if strings.ContainsAny(p, "<>") { // a pattern: features/<area>/<area>.feature
			continue
		}
		if _, err := os.Stat(filepath.Join("..", "..", p)); err != nil {
			t.Errorf("docs/architecture.md names %s: %v", p, err)
		}
	}
}

// layers is the layering docs/architecture.md states, lowest first: a
// package imports only packages of a lower layer, so no arrow runs back up.
var layers = [][]string{
	{"internal/", "features", "fixtures"},
	{"catalogue"},
	{"reports"},
	{"harness", "site"},
	{"steps/stepkit"}, // what the areas' steps share
	{"steps/"},        // one package per area of features/, importing no other area
	{"steps"},         // the table of areas
	{"cmd/"},
}

func layerOf(pkg string) int {
	for i, l := range layers {
		for _, p := range l {
			if pkg == p || (strings.HasSuffix(p, "/") && strings.HasPrefix(pkg, p)) {
				return i
			}
		}
	}
	return -1
}

// modulePackages are the module's packages by their directory (relative,
// with slashes), with every file whatever build tags it carries.
func modulePackages(t *testing.T) map[string]*build.Package {
	t.Helper()
	root := filepath.Join("..", "..")
	ctx := build.Default
	ctx.BuildTags = []string{"realstack", "guestfs", "libvirt_dlopen"}
	pkgs := map[string]*build.Package{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "out" || name == "bin" || name == "node_modules") {
			return filepath.SkipDir
		}
		p, err := ctx.ImportDir(path, 0)
		if err != nil {
			return nil // no Go files here
		}
		rel, _ := filepath.Rel(root, path)
		pkgs[filepath.ToSlash(rel)] = p
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < 10 {
		t.Fatalf("only %d packages found", len(pkgs))
	}
	return pkgs
}

// Every package of the module sits in a layer and imports only lower ones
// (its tests aside), whatever build tags its files carry.
func TestImportsRunOneWay(t *testing.T) {
	const module = "github.com/ovacts/ovacts/"
	for pkg, p := range modulePackages(t) {
		mine := layerOf(pkg)
		if mine < 0 {
			t.Errorf("package %s is in no layer of docs/architecture.md", pkg)
			continue
		}
		for _, imp := range p.Imports {
			dep, ok := strings.CutPrefix(imp, module)
			if !ok {
				continue
			}
			if l := layerOf(dep); l >= mine {
				t.Errorf("%s (layer %d) imports %s (layer %d): an arrow back up or sideways", pkg, mine, dep, l)
			}
		}
	}
}

// docPackage is a package docs/architecture.md names: in backquotes, itself
// or a file of it.
var docPackage = regexp.MustCompile("`([a-z][a-z0-9_/]*)(?:/[^`/ ]*\\.[a-z]+)?/?`")

// docs/architecture.md names every package of the module (site/ and each
// program included), so that its map leaves no room out.
func TestArchitectureDocNamesEveryPackage(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	named := map[string]bool{}
	for _, m := range docPackage.FindAllStringSubmatch(string(doc), -1) {
		named[strings.TrimSuffix(m[1], "/")] = true
	}
	for pkg := range modulePackages(t) {
		if !named[pkg] {
			t.Errorf("docs/architecture.md names package %s nowhere: neither `%s` nor a file of it", pkg, pkg)
		}
	}
}

// The catalogue (and cmd/setgen, which make catalogue runs) builds without
// cgo and without libvirt: no package outside Go's own that either reaches
// uses cgo, and none is libvirt's or libguestfs's binding.
func TestCatalogueNeedsNoCgoNorLibvirt(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-tags", "realstack,guestfs,libvirt_dlopen",
		"-f", "{{.ImportPath}} {{.Standard}} {{len .CgoFiles}}", "./catalogue", "./cmd/setgen")
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Split(strings.TrimSpace(string(out)), "\n")
	if !slices.ContainsFunc(deps, func(d string) bool { return strings.HasPrefix(d, "github.com/ovacts/ovacts/catalogue ") }) {
		t.Fatalf("go list gave %d packages, without the catalogue", len(deps))
	}
	for _, d := range deps {
		f := strings.Fields(d)
		if len(f) != 3 {
			t.Fatalf("go list line %q", d)
		}
		if strings.HasPrefix(f[0], "libvirt.org/") || strings.Contains(f[0], "guestfs") || (f[1] == "false" && f[2] != "0") {
			t.Errorf("the catalogue or cmd/setgen reaches %s (cgo files: %s): make catalogue would need cgo or libvirt", f[0], f[2])
		}
	}
}
