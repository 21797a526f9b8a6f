package catalogue

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// ErrNameMatchesNothing: --name matches no selected scenario.
var ErrNameMatchesNothing = errors.New("matches no selected scenario's name or requirement ID")

// NameTags narrows a selection (a profile and tags over the built-in features
// and those of dirs) to the requirements of its scenarios whose name or
// requirement ID contains name, case aside, as a tag expression: a requirement is run whole, so that its verdict is
// the one a run of it always gives.
func NameTags(builtin fs.FS, dirs []string, profile, tags, name string) (string, error) {
	suite, err := LoadSuite(builtin, dirs)
	if err != nil {
		return "", err
	}
	sel, err := Selection(profile, tags)
	if err != nil {
		return "", err
	}
	_, pickles := suite.Select(sel)
	want := strings.ToLower(name)
	var ids []string
	for _, p := range pickles {
		if strings.Contains(strings.ToLower(p.Name), want) || strings.Contains(strings.ToLower(p.Req.ID), want) {
			if !slices.Contains(ids, "@req:"+p.Req.ID) {
				ids = append(ids, "@req:"+p.Req.ID)
			}
		}
	}
	if len(ids) == 0 {
		return "", fmt.Errorf("--name %q %w", name, ErrNameMatchesNothing)
	}
	slices.Sort(ids)
	expr := strings.Join(ids, " or ")
	if tags != "" {
		expr = "(" + tags + ") and (" + expr + ")"
	}
	return expr, nil
}

// ErrNoOwnScenario: the --features files hold no scenario.
var ErrNoOwnScenario = errors.New("--features adds no scenario")

// OwnTags selects the scenarios of the --features files, dirs (not the built-in
// ones), as a tag expression of their requirements: a run of --features with
// neither --profile nor --tags runs the vendor's own scenarios.
func OwnTags(builtin fs.FS, dirs []string) (string, error) {
	suite, err := LoadSuite(builtin, dirs)
	if err != nil {
		return "", err
	}
	var ids []string
	for _, r := range suite.Requirements {
		if !r.BuiltIn {
			ids = append(ids, "@req:"+r.ID)
		}
	}
	if len(ids) == 0 {
		return "", ErrNoOwnScenario
	}
	slices.Sort(ids)
	return strings.Join(ids, " or "), nil
}
