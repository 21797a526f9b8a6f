package main

import (
	"io"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/features"
	"github.com/ovacts/ovacts/internal/safeio"
)

// writeRequirements writes every requirement of the built-in features as
// docs/requirements.md holds them: what ovacts list --format markdown prints.
func writeRequirements(path string) error {
	suite, err := catalogue.LoadSuite(features.FS, nil)
	if err != nil {
		return err
	}
	all, err := catalogue.ParseTagExpr("")
	if err != nil {
		return err
	}
	reqs, _ := suite.Select(all)
	return safeio.WriteAtomic(path, 0o644, func(w io.Writer) error {
		suite.WriteMarkdown(w, reqs)
		return nil
	})
}
