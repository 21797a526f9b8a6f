// Parsing the feature files: Gherkin documents into pickles, with each
// step's keyword and line, and each scenario's requirement from its tags.

package catalogue

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	gherkin "github.com/cucumber/gherkin/go/v42"
	messages "github.com/cucumber/messages/go/v34"
	"github.com/ovacts/ovacts/internal/safeio"
)

var gherkinLine = regexp.MustCompile(`^\((\d+):\d+\): (.*)$`)

func parseSuite(files []*FeatureFile) (*Suite, error) {
	s := &Suite{Features: files}
	// One shared incrementing id generator over the files in order: the scheme
	// godog's ParseFromBytes uses, so pickle ids agree (checked at run time).
	newID := (&messages.Incrementing{}).NewId
	seenURI := map[string]bool{}
	reqByID := map[string]*Requirement{}
	for _, f := range files {
		if seenURI[f.URI] {
			return nil, &LoadError{File: f.URI, Msg: "feature file loaded twice"}
		}
		seenURI[f.URI] = true
		doc, err := gherkin.ParseGherkinDocumentForLanguage(bytes.NewReader(f.Content), gherkin.DefaultDialect, newID)
		if err != nil {
			// The parser lists "(line:col): message" entries; the first one is enough.
			for _, l := range strings.Split(err.Error(), "\n") {
				if m := gherkinLine.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
					var line int
					fmt.Sscan(m[1], &line)
					return nil, &LoadError{File: f.URI, Line: line, Msg: "malformed Gherkin: " + m[2]}
				}
			}
			return nil, &LoadError{File: f.URI, Msg: "malformed Gherkin: " + strings.Join(strings.Fields(err.Error()), " ")}
		}
		if doc.Feature == nil {
			return nil, &LoadError{File: f.URI, Msg: "no Feature in file"}
		}
		doc.Uri = f.URI
		f.Document = doc
		f.Name = doc.Feature.Name
		reqs, err := requirementsOf(f, doc)
		if err != nil {
			return nil, err
		}
		byNode := map[string]*Requirement{}
		for node, r := range reqs {
			if prev, dup := reqByID[r.ID]; dup {
				return nil, &LoadError{File: r.URI, Line: r.Line,
					Msg: fmt.Sprintf("requirement %s already defined at %s:%d", r.ID, prev.URI, prev.Line)}
			}
			reqByID[r.ID] = r
			byNode[node] = r
		}
		rows := exampleRowLines(doc)
		stepKeywords := keywordsOf(doc)
		seenKey := map[string]int{}
		for _, pk := range gherkin.Pickles(*doc, f.URI, newID) {
			r := byNode[pk.AstNodeIds[0]]
			if r == nil {
				return nil, &LoadError{File: f.URI, Msg: "internal: pickle without a scenario"}
			}
			p := &Pickle{ID: pk.Id, Name: pk.Name, URI: f.URI, Line: r.Line, Req: r}
			if len(pk.AstNodeIds) > 1 {
				p.Line = rows[pk.AstNodeIds[len(pk.AstNodeIds)-1]]
			}
			for _, t := range pk.Tags {
				p.Tags = append(p.Tags, t.Name)
			}
			var content strings.Builder
			for _, st := range pk.Steps {
				p.Steps = append(p.Steps, st.Text)
				p.Keywords = append(p.Keywords, stepKeywords[st.AstNodeIds[0]].keyword)
				p.Lines = append(p.Lines, stepKeywords[st.AstNodeIds[0]].line)
				content.WriteString("\x00" + st.Text)
				if st.Argument != nil && st.Argument.DocString != nil {
					content.WriteString("\x00" + st.Argument.DocString.Content)
				}
				if st.Argument != nil && st.Argument.DataTable != nil {
					for _, row := range st.Argument.DataTable.Rows {
						for _, c := range row.Cells {
							content.WriteString("\x00" + c.Value)
						}
					}
				}
			}
			p.Content = content.String()
			key := p.Name + p.Content
			if prev, dup := seenKey[key]; dup {
				return nil, &LoadError{File: f.URI, Line: p.Line, Msg: fmt.Sprintf("duplicate of the scenario at line %d", prev)}
			}
			seenKey[key] = p.Line
			s.Pickles = append(s.Pickles, p)
		}
	}
	for _, r := range reqByID {
		s.Requirements = append(s.Requirements, r)
	}
	sort.Slice(s.Requirements, func(i, j int) bool { return s.Requirements[i].ID < s.Requirements[j].ID })
	return s, nil
}

type stepSource struct {
	keyword string
	line    int
}

// keywordsOf maps every step of a document to its keyword as written and its line.
func keywordsOf(doc *messages.GherkinDocument) map[string]stepSource {
	out := map[string]stepSource{}
	steps := func(ss []*messages.Step) {
		for _, st := range ss {
			out[st.Id] = stepSource{st.Keyword, int(st.Location.Line)}
		}
	}
	for _, c := range doc.Feature.Children {
		switch {
		case c.Background != nil:
			steps(c.Background.Steps)
		case c.Scenario != nil:
			steps(c.Scenario.Steps)
		case c.Rule != nil:
			for _, rc := range c.Rule.Children {
				if rc.Background != nil {
					steps(rc.Background.Steps)
				}
				if rc.Scenario != nil {
					steps(rc.Scenario.Steps)
				}
			}
		}
	}
	return out
}

func exampleRowLines(doc *messages.GherkinDocument) map[string]int {
	out := map[string]int{}
	var scen func(sc *messages.Scenario)
	scen = func(sc *messages.Scenario) {
		for _, ex := range sc.Examples {
			for _, row := range ex.TableBody {
				out[row.Id] = int(row.Location.Line)
			}
		}
	}
	for _, c := range doc.Feature.Children {
		if c.Scenario != nil {
			scen(c.Scenario)
		}
		if c.Rule != nil {
			for _, rc := range c.Rule.Children {
				if rc.Scenario != nil {
					scen(rc.Scenario)
				}
			}
		}
	}
	return out
}

// requirementsOf validates the tags of every scenario of a document and returns
// its requirements keyed by scenario node id.
func requirementsOf(f *FeatureFile, doc *messages.GherkinDocument) (map[string]*Requirement, error) {
	out := map[string]*Requirement{}
	featureTags := tagNames(doc.Feature.Tags)
	if err := checkTagSyntax(f.URI, doc.Feature.Tags); err != nil {
		return nil, err
	}
	for _, t := range doc.Feature.Tags {
		if reqTagPattern.MatchString(t.Name) {
			return nil, &LoadError{File: f.URI, Line: int(t.Location.Line), Msg: "a @req tag belongs on a scenario, not on the feature"}
		}
	}
	add := func(sc *messages.Scenario, inherited []string) error {
		if err := checkTagSyntax(f.URI, sc.Tags); err != nil {
			return err
		}
		for _, ex := range sc.Examples {
			if err := checkTagSyntax(f.URI, ex.Tags); err != nil {
				return err
			}
		}
		line := int(sc.Location.Line)
		all := append(append([]string{}, inherited...), tagNames(sc.Tags)...)
		r := &Requirement{Title: safeio.Printable(sc.Name), Feature: safeio.Printable(doc.Feature.Name), URI: f.URI, Line: line, Tags: all, BuiltIn: f.BuiltIn}
		var levels []Level
		for _, t := range all {
			if m := reqTagPattern.FindStringSubmatch(t); m != nil {
				if r.ID != "" {
					return &LoadError{File: f.URI, Line: line, Msg: fmt.Sprintf("scenario %q has more than one @req tag", sc.Name)}
				}
				r.ID, r.Area = m[1]+"-"+m[2], m[1]
			} else if strings.HasPrefix(t, "@req:") {
				return &LoadError{File: f.URI, Line: line, Msg: fmt.Sprintf("malformed requirement tag %s (want @req:AREA-NNN, e.g. @req:DOM-001)", t)}
			}
			if l, ok := levelTags[t]; ok {
				levels = append(levels, l)
			}
			if ref, ok := strings.CutPrefix(t, "@ref:"); ok && !slices.Contains(r.Refs, ref) {
				r.Refs = append(r.Refs, ref)
			}
			if old, ok := strings.CutPrefix(t, "@alias:"); ok {
				r.Aliases = append(r.Aliases, old)
			}
			if set, ok := strings.CutPrefix(t, "@revised:"); ok {
				r.Revised = append(r.Revised, set)
			}
			r.Deprecated = r.Deprecated || t == "@deprecated"
			if need, ok := strings.CutPrefix(t, "@needs:"); ok {
				if _, known := KnownNeeds[need]; !known {
					return &LoadError{File: f.URI, Line: line, Msg: fmt.Sprintf("unknown capability %s (known: %s)", t, strings.Join(knownNeedNames(), ", "))}
				}
				r.Needs = append(r.Needs, need)
			}
		}
		if r.ID == "" {
			return &LoadError{File: f.URI, Line: line, Msg: fmt.Sprintf("scenario %q has no @req:AREA-NNN tag", sc.Name)}
		}
		if len(levels) != 1 {
			return &LoadError{File: f.URI, Line: line, Msg: fmt.Sprintf("scenario %q needs exactly one of @must, @should, @may", sc.Name)}
		}
		r.Level = levels[0]
		if len(sc.Steps) == 0 {
			return &LoadError{File: f.URI, Line: line, Msg: fmt.Sprintf("scenario %q has no steps", sc.Name)}
		}
		out[sc.Id] = r
		return nil
	}
	for _, c := range doc.Feature.Children {
		switch {
		case c.Scenario != nil:
			if err := add(c.Scenario, featureTags); err != nil {
				return nil, err
			}
		case c.Rule != nil:
			if err := checkTagSyntax(f.URI, c.Rule.Tags); err != nil {
				return nil, err
			}
			inh := append(append([]string{}, featureTags...), tagNames(c.Rule.Tags)...)
			for _, rc := range c.Rule.Children {
				if rc.Scenario != nil {
					if err := add(rc.Scenario, inh); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	return out, nil
}

func tagNames(tags []*messages.Tag) []string {
	var out []string
	for _, t := range tags {
		out = append(out, t.Name)
	}
	return out
}

func checkTagSyntax(uri string, tags []*messages.Tag) error {
	for _, t := range tags {
		if !TagNamePattern.MatchString(t.Name) {
			return &LoadError{File: uri, Line: int(t.Location.Line), Msg: fmt.Sprintf("invalid tag %q (letters, digits, _ : . - only)", t.Name)}
		}
	}
	return nil
}
