package harness

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// ErrNameMatchesNothing: --name matches no selected scenario.
var ErrNameMatchesNothing = errors.New("matches no selected scenario's name or requirement ID")

// NameTags narrows a selection (cfg's profile and tags) to the requirements
// of its scenarios whose name or requirement ID contains name, case aside,
// as a tag expression: a requirement is run whole, so that its verdict is
// the one a run of it always gives.
func NameTags(builtin fs.FS, cfg Config, name string) (string, error) {
	suite, err := LoadSuite(builtin, cfg.FeatureDirs)
	if err != nil {
		return "", err
	}
	sel, err := Selection(cfg.Profile, cfg.Tags)
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
	if cfg.Tags != "" {
		expr = "(" + cfg.Tags + ") and (" + expr + ")"
	}
	return expr, nil
}

// ErrNoOwnScenario: the --features files hold no scenario.
var ErrNoOwnScenario = errors.New("--features adds no scenario")

// OwnTags selects the scenarios of the --features files (not the built-in
// ones), as a tag expression of their requirements: a run of --features with
// neither --profile nor --tags runs the vendor's own scenarios.
func OwnTags(builtin fs.FS, cfg Config) (string, error) {
	suite, err := LoadSuite(builtin, cfg.FeatureDirs)
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
