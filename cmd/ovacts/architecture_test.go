package main

import (
	"bytes"
	"go/ast"
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
var docPath = regexp.MustCompile("`((?:cmd|steps|harness|reports|features|fixtures|internal|docs|scripts)/[^` ]*)`")

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
