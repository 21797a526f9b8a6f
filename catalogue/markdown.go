package catalogue

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
)

// WriteMarkdown renders reqs, a selection of the suite's requirements, as the
// catalogue generated into docs/requirements.md (ovacts list --format
// markdown, and make catalogue through cmd/setgen).
func (s *Suite) WriteMarkdown(w io.Writer, reqs []*Requirement) {
	// Each requirement's profiles, from the profile table itself.
	inProfiles := s.ProfileMembers()
	fmt.Fprintln(w, "# ovacts requirement catalogue")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Generated from the feature files by `make docs` (`ovacts list --format markdown`). Do not edit by hand.")
	if set := s.NewestSet(); set != nil {
		fmt.Fprintf(w, "\nRequirement set **%s** (%s%s), in [features/sets/%s.json](../features/sets/%s.json). A profile's verdict counts its "+
			"*required* requirements; *advisory* ones (new in this set) and *deprecated* ones run and are reported, and count for nothing.\n",
			set.Name, set.Status, map[bool]string{true: " " + set.Released}[set.Released != ""], set.Name, set.Name)
	}
	byArea := map[string][]*Requirement{}
	var areas []string
	for _, r := range reqs {
		if _, ok := byArea[r.Area]; !ok {
			areas = append(areas, r.Area)
		}
		byArea[r.Area] = append(byArea[r.Area], r)
	}
	sort.Strings(areas)
	counts := map[Level]int{}
	for _, r := range reqs {
		counts[r.Level]++
	}
	fmt.Fprintf(w, "\n%d requirements: %d MUST, %d SHOULD, %d MAY.\n", len(reqs), counts[MUST], counts[SHOULD], counts[MAY])
	for _, a := range areas {
		fmt.Fprintf(w, "\n## %s: %s\n\n| ID | Level | State | Requirement | Needs | Profiles | Level cited from | Source |\n|---|---|---|---|---|---|---|---|\n", a, byArea[a][0].Feature)
		for _, r := range byArea[a] {
			profiles := strings.Join(inProfiles[r.ID], ", ")
			var refs []string
			for _, ref := range r.Refs {
				if rf, ok := s.References[ref]; ok {
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
	for _, k := range slices.Sorted(maps.Keys(s.References)) {
		rf := s.References[k]
		fmt.Fprintf(w, "| %s | [%s](%s) |\n", k, rf.Title, rf.URL)
	}
}
