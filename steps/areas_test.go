package steps

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/features"
)

// steps/ mirrors features/: a package per folder of features that holds
// scenarios, named as the folder, each registering the steps of its own
// features only; a step several areas' features take is stepkit's, and
// only such a step.
func TestStepsMirrorFeatures(t *testing.T) {
	featureAreas := subdirsWith(t, filepath.Join("..", "features"), ".feature")
	stepAreas := slices.DeleteFunc(subdirsWith(t, ".", ".go"), func(d string) bool { return d == "stepkit" })
	if !slices.Equal(featureAreas, stepAreas) {
		t.Errorf("features/ has the areas %v, steps/ %v", featureAreas, stepAreas)
	}
	defs, err := Definitions()
	if err != nil {
		t.Fatal(err)
	}
	suite, err := catalogue.LoadSuite(features.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	registered := map[string]int{}
	for _, d := range defs {
		pkg, _, _ := strings.Cut(d.Where, "/")
		registered[pkg]++
		var users []string
		for _, p := range suite.Pickles {
			area := strings.Split(strings.TrimPrefix(p.URI, "features/"), "/")[0]
			if !slices.Contains(users, area) && slices.ContainsFunc(p.Steps, d.Re.MatchString) {
				users = append(users, area)
			}
		}
		sort.Strings(users)
		switch {
		case pkg == "stepkit" && len(users) < 2:
			t.Errorf("%s: %q is taken by the features of %v only: it belongs in steps/%s", d.Where, d.Pattern, users, strings.Join(users, ""))
		case pkg != "stepkit" && !slices.Equal(users, []string{pkg}):
			t.Errorf("%s: %q is taken by the features of %v, not of %s only", d.Where, d.Pattern, users, pkg)
		}
	}
	for _, a := range stepAreas {
		if registered[a] == 0 {
			t.Errorf("steps/%s registers no step: is it in the table of areas?", a)
		}
	}
}

// subdirsWith lists the folders of dir holding a file whose name ends in ext.
func subdirsWith(t *testing.T, dir, ext string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		files, err := os.ReadDir(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(files, func(f os.DirEntry) bool { return strings.HasSuffix(f.Name(), ext) }) {
			out = append(out, e.Name())
		}
	}
	return out
}
