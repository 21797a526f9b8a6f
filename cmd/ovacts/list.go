package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/ovacts/ovacts/features"
	"github.com/ovacts/ovacts/harness"
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
			suite, err := harness.LoadSuite(features.FS, dirs)
			if err != nil {
				return usage("%s", err)
			}
			var sel *harness.TagExpr
			if profile == "" { // every requirement of the suite
				sel, err = harness.ParseTagExpr(tags)
			} else {
				sel, err = harness.Selection(profile, tags)
			}
			if err != nil {
				return usage("%s", err)
			}
			if err := suite.UnknownTagsError(harness.UserTags(tags)); err != nil {
				return usage("%s", err)
			}
			reqs, pickles := suite.Select(sel)
			switch format {
			case "json":
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					Suite        string                 `json:"suite"`
					Version      string                 `json:"version"`
					Profile      string                 `json:"profile"`
					Tags         string                 `json:"tags,omitempty"`
					Scenarios    int                    `json:"scenarios"`
					Requirements []*harness.Requirement `json:"requirements"`
				}{"ovacts", version, profile, tags, len(pickles), reqs})
			case "markdown":
				writeMarkdown(stdout, suite, reqs)
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
	f.StringVar(&profile, "profile", "", "list a profile's requirements only: "+strings.Join(harness.ProfileNames(), ", ")+" (default: every requirement)")
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

// writeMarkdown renders the catalogue generated into docs/requirements.md.
func writeMarkdown(w io.Writer, suite *harness.Suite, reqs []*harness.Requirement) {
	// Each requirement's profiles, from the profile table itself.
	inProfiles := suite.ProfileMembers()
	fmt.Fprintln(w, "# ovacts requirement catalogue")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Generated from the feature files by `make docs` (`ovacts list --format markdown`). Do not edit by hand.")
	if set := suite.NewestSet(); set != nil {
		fmt.Fprintf(w, "\nRequirement set **%s** (%s%s), in [features/sets/%s.json](../features/sets/%s.json). A profile's verdict counts its "+
			"*required* requirements; *advisory* ones (new in this set) and *deprecated* ones run and are reported, and count for nothing.\n",
			set.Name, set.Status, map[bool]string{true: " " + set.Released}[set.Released != ""], set.Name, set.Name)
	}
	byArea := map[string][]*harness.Requirement{}
	var areas []string
	for _, r := range reqs {
		if _, ok := byArea[r.Area]; !ok {
			areas = append(areas, r.Area)
		}
		byArea[r.Area] = append(byArea[r.Area], r)
	}
	sort.Strings(areas)
	counts := map[harness.Level]int{}
	for _, r := range reqs {
		counts[r.Level]++
	}
	fmt.Fprintf(w, "\n%d requirements: %d MUST, %d SHOULD, %d MAY.\n", len(reqs), counts[harness.MUST], counts[harness.SHOULD], counts[harness.MAY])
	for _, a := range areas {
		fmt.Fprintf(w, "\n## %s: %s\n\n| ID | Level | State | Requirement | Needs | Profiles | Level cited from | Source |\n|---|---|---|---|---|---|---|---|\n", a, byArea[a][0].Feature)
		for _, r := range byArea[a] {
			profiles := strings.Join(inProfiles[r.ID], ", ")
			var refs []string
			for _, ref := range r.Refs {
				if rf, ok := suite.References[ref]; ok {
					refs = append(refs, fmt.Sprintf("[%s](%s)", ref, rf.URL))
				} else {
					refs = append(refs, ref)
				}
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | [%s:%d](../%s#L%d) |\n", r.ID, r.Level, r.State, strings.ReplaceAll(r.Title, "|", "\\|"),
				strings.Join(r.Needs, ", "), profiles, strings.Join(refs, ", "), r.URI, r.Line, r.URI, r.Line)
		}
	}
	fmt.Fprintf(w, "\n## References\n\nA requirement's level (RFC 2119) is cited from these documents.\n\n| Key | Reference |\n|---|---|\n")
	for _, k := range slices.Sorted(maps.Keys(suite.References)) {
		rf := suite.References[k]
		fmt.Fprintf(w, "| %s | [%s](%s) |\n", k, rf.Title, rf.URL)
	}
}
