package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// Where gen-docs writes, under its directory; packaging/nfpm.yaml installs
// each of these (scripts/release.sh runs gen-docs before nfpm).
const (
	docsMan  = "man1"
	docsBash = "completions/ovacts.bash"
	docsZsh  = "completions/_ovacts"
	docsFish = "completions/ovacts.fish"
)

// newGenDocsCmd is the hidden command the release runs: a man page per
// command, generated from the commands' own help, and the shell completions.
func newGenDocsCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:    "gen-docs DIR",
		Short:  "Write the man pages and shell completions into DIR (for packaging)",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := genDocs(cmd.Root(), args[0]); err != nil {
				return fmt.Errorf("gen-docs: %w", err)
			}
			fmt.Fprintf(stdout, "man pages and completions in %s\n", args[0])
			return nil
		},
	}
}

func genDocs(root *cobra.Command, dir string) error {
	man := filepath.Join(dir, docsMan)
	if err := os.MkdirAll(man, 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "completions"), 0o755); err != nil {
		return err
	}
	root.DisableAutoGenTag = true // reproducible: no generation date in the pages
	hdr := &doc.GenManHeader{Title: "OVACTS", Section: "1", Source: "ovacts " + version, Manual: "ovacts manual"}
	if err := doc.GenManTree(root, hdr, man); err != nil {
		return err
	}
	gens := []struct {
		path string
		gen  func(io.Writer) error
	}{
		{docsBash, func(w io.Writer) error { return root.GenBashCompletionV2(w, true) }},
		{docsZsh, root.GenZshCompletion},
		{docsFish, func(w io.Writer) error { return root.GenFishCompletion(w, true) }},
	}
	for _, g := range gens {
		f, err := os.Create(filepath.Join(dir, g.path))
		if err != nil {
			return err
		}
		err = g.gen(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}
