package main

import (
	"bytes"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
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
var docPath = regexp.MustCompile("`((?:cmd|steps|harness|reports|features|fixtures|internal|docs|scripts|site)/[^` ]*)`")

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

// Every package of the module sits in a layer and imports only lower ones
// (its tests aside), whatever build tags its files carry.
func TestImportsRunOneWay(t *testing.T) {
	const module = "github.com/ovacts/ovacts/"
	root := filepath.Join("..", "..")
	ctx := build.Default
	ctx.BuildTags = []string{"realstack", "guestfs", "libvirt_dlopen"}
	checked := 0
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
		pkg := filepath.ToSlash(rel)
		mine := layerOf(pkg)
		if mine < 0 {
			t.Errorf("package %s is in no layer of docs/architecture.md", pkg)
			return nil
		}
		checked++
		for _, imp := range p.Imports {
			dep, ok := strings.CutPrefix(imp, module)
			if !ok {
				continue
			}
			if l := layerOf(dep); l >= mine {
				t.Errorf("%s (layer %d) imports %s (layer %d): an arrow back up or sideways", pkg, mine, dep, l)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 10 {
		t.Errorf("only %d packages checked", checked)
	}
}
