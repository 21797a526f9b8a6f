package main

import (
	"slices"
	"strings"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/features"
	"github.com/spf13/cobra"
)

// completeValues registers the completion of flag values a shell cannot
// guess: --profile (the profile names) and --tags (the tags the built-in
// catalogue's scenarios carry, requirement IDs among them as @req:ID).
func completeValues(cmd *cobra.Command) {
	if cmd.Flags().Lookup("profile") != nil {
		_ = cmd.RegisterFlagCompletionFunc("profile", func(_ *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
			var out []string
			for _, p := range catalogue.ProfileNames() {
				if strings.HasPrefix(p, prefix) {
					out = append(out, p)
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		})
	}
	if cmd.Flags().Lookup("tags") != nil {
		_ = cmd.RegisterFlagCompletionFunc("tags", completeTags)
	}
}

func completeTags(_ *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
	suite, err := catalogue.LoadSuite(features.FS, nil)
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	var out []string
	for _, p := range suite.Pickles {
		for _, t := range p.Tags {
			if strings.HasPrefix(t, prefix) && !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	slices.Sort(out)
	return out, cobra.ShellCompDirectiveNoFileComp
}
