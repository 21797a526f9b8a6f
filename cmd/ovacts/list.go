package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/features"
	"github.com/spf13/cobra"
)

func newListCmd(stdout io.Writer) *cobra.Command {
	var profile, tags, format string
	var dirs []string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the requirement catalogue (a dry run of the selection)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			suite, err := catalogue.LoadSuite(features.FS, dirs)
			if err != nil {
				return usage("%s", err)
			}
			var sel *catalogue.TagExpr
			if profile == "" { // every requirement of the suite
				sel, err = catalogue.ParseTagExpr(tags)
			} else {
				sel, err = catalogue.Selection(profile, tags)
			}
			if err != nil {
				return usage("%s", err)
			}
			if err := suite.UnknownTagsError(catalogue.UserTags(tags)); err != nil {
				return usage("%s", err)
			}
			reqs, pickles := suite.Select(sel)
			switch format {
			case "json":
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					Suite        string                   `json:"suite"`
					Version      string                   `json:"version"`
					Profile      string                   `json:"profile"`
					Tags         string                   `json:"tags,omitempty"`
					Scenarios    int                      `json:"scenarios"`
					Requirements []*catalogue.Requirement `json:"requirements"`
				}{"ovacts", version, profile, tags, len(pickles), reqs})
			case "markdown":
				suite.WriteMarkdown(stdout, reqs)
				return nil
			case "text":
				for _, r := range reqs {
					needs := ""
					if len(r.Needs) > 0 {
						needs = "  needs: " + strings.Join(r.Needs, ",")
					}
					fmt.Fprintf(stdout, "%-9s %-6s %s  (%s:%d)%s\n", r.ID, r.Level, r.Title, r.URI, r.Line, needs)
				}
				fmt.Fprintf(stdout, "%d requirements, %d scenarios (profile %s)\n", len(reqs), len(pickles), profile)
				return nil
			}
			return usage("--format must be text, json or markdown, got %q", format)
		},
	}
	f := cmd.Flags()
	f.StringVar(&profile, "profile", "", "list a profile's requirements only: "+strings.Join(catalogue.ProfileNames(), ", ")+" (default: every requirement)")
	f.StringVar(&tags, "tags", "", "tag expression")
	f.StringArrayVar(&dirs, "features", nil, "extra feature file or directory (repeatable)")
	f.StringVar(&format, "format", "text", "text, json or markdown")
	cmd.Flags().Bool("json", false, "shorthand for --format json")
	cmd.PreRunE = func(cmd *cobra.Command, _ []string) error {
		if j, _ := cmd.Flags().GetBool("json"); j {
			format = "json"
		}
		return nil
	}
	return cmd
}
