package reports

import (
	"encoding/json"
	"io"
	"regexp"
	"strings"
)

// The Cucumber JSON of a run, written by ovacts from its report rather than by
// godog's formatter: every selected scenario is in it, the ones decided before
// the run too; a step that did not run carries the reason; a step's
// match.location is its step definition's own file and line. Cucumber tools
// count a scenario passed, failed (a failed or undefined step) or skipped (a
// skipped step): ovacts' not applicable, not run, blocked and waived scenarios
// read as skipped, with the category first in the reason.

type cucumberFeature struct {
	URI      string            `json:"uri"`
	ID       string            `json:"id"`
	Keyword  string            `json:"keyword"`
	Name     string            `json:"name"`
	Line     int               `json:"line"`
	Metadata *cucumberMetadata `json:"metadata,omitempty"`
	Elements []cucumberElement `json:"elements"`
}

type cucumberElement struct {
	ID      string         `json:"id"`
	Keyword string         `json:"keyword"`
	Name    string         `json:"name"`
	Line    int            `json:"line"`
	Type    string         `json:"type"`
	Tags    []cucumberTag  `json:"tags"`
	Steps   []cucumberStep `json:"steps"`
}

type cucumberTag struct {
	Name string `json:"name"`
	Line int    `json:"line"`
}

type cucumberStep struct {
	Keyword string         `json:"keyword"`
	Name    string         `json:"name"`
	Line    int            `json:"line"`
	Match   cucumberMatch  `json:"match"`
	Result  cucumberResult `json:"result"`
}

type cucumberMatch struct {
	Location string `json:"location"`
}

type cucumberResult struct {
	Status   string `json:"status"`
	Duration int64  `json:"duration,omitempty"` // nanoseconds
	Error    string `json:"error_message,omitempty"`
}

var slugChars = regexp.MustCompile(`[^a-z0-9]+`)

func slug(s string) string {
	return strings.Trim(slugChars.ReplaceAllString(strings.ToLower(s), "-"), "-")
}

// cucumberStatus maps a step's outcome to Cucumber's words.
func cucumberStatus(s string) string {
	switch s {
	case "passed", "failed", "undefined", "pending", "ambiguous":
		return s
	}
	return "skipped"
}

// WriteCucumber writes the report as Cucumber JSON, features and scenarios in
// the report's order.
func WriteCucumber(w io.Writer, r *Report) error {
	features := []*cucumberFeature{}
	byURI := map[string]*cucumberFeature{}
	meta := cucumberMetadataOf(r)
	for _, o := range r.Outcomes {
		f := byURI[o.FeatureURI]
		if f == nil {
			name := o.Feature
			if name == "" {
				name = o.FeatureURI
			}
			f = &cucumberFeature{URI: o.FeatureURI, ID: slug(name), Keyword: "Feature", Name: name, Line: 1, Metadata: meta, Elements: []cucumberElement{}}
			byURI[o.FeatureURI] = f
			features = append(features, f)
		}
		e := cucumberElement{ID: f.ID + ";" + slug(o.Title), Keyword: "Scenario", Name: CaseName(o), Line: o.Line, Type: "scenario",
			Tags: []cucumberTag{}, Steps: []cucumberStep{}}
		for _, t := range o.Tags {
			e.Tags = append(e.Tags, cucumberTag{Name: t, Line: o.Line})
		}
		reason := ""
		if o.Status != Passed && o.Status != Failed {
			reason = SkipText(o)
		}
		failedSeen := false
		for _, s := range o.Steps {
			st := cucumberStep{Keyword: s.Keyword, Name: s.Text, Line: s.Line, Match: cucumberMatch{Location: s.Where},
				Result: cucumberResult{Status: cucumberStatus(s.Status), Duration: s.Duration.Nanoseconds(), Error: Stable(s.Error)}}
			switch {
			case o.Status == Waived && st.Result.Status == "failed":
				// A waived failure is no failure in the counts: reported, not passed.
				st.Result = cucumberResult{Status: "skipped", Duration: st.Result.Duration, Error: reason}
				failedSeen = true
			case st.Result.Status == "failed" || st.Result.Status == "undefined":
				failedSeen = true
			case st.Result.Status == "skipped" && st.Result.Error == "":
				st.Result.Error = reason
				if failedSeen {
					st.Result.Error = "not run: an earlier step failed"
				}
			}
			e.Steps = append(e.Steps, st)
		}
		// A failure decided before the run (a broken capability it states)
		// has no step that failed: its first step carries the failure.
		if o.Status == Failed && !failedSeen && len(e.Steps) > 0 {
			e.Steps[0].Result = cucumberResult{Status: "failed", Error: FailureText(o)}
		}
		f.Elements = append(f.Elements, e)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(features)
}
