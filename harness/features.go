package harness

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	gherkin "github.com/cucumber/gherkin/go/v42"
	messages "github.com/cucumber/messages/go/v34"
	"github.com/ovacts/ovacts/reports"
	"go.yaml.in/yaml/v3"
)

// Level is an RFC 2119 requirement level.
type Level string

const (
	MUST   Level = "MUST"
	SHOULD Level = "SHOULD"
	MAY    Level = "MAY"
)

var levelTags = map[string]Level{"@must": MUST, "@should": SHOULD, "@may": MAY}

// LevelRank orders levels from the strictest (0) down.
func LevelRank(l Level) int {
	switch l {
	case MUST:
		return 0
	case SHOULD:
		return 1
	default:
		return 2
	}
}

var reqTagPattern = regexp.MustCompile(`^@req:([A-Z][A-Z0-9]*)-([0-9]{3})$`)

// FeatureFile is one parsed .feature file.
type FeatureFile struct {
	URI      string // "features/domain/lifecycle.feature" for built-ins, the path as given for vendor files
	Name     string // the Feature: title
	Content  []byte
	BuiltIn  bool
	Document *messages.GherkinDocument
}

// Requirement is one scenario (or scenario outline) of a feature: the unit of conformance.
type Requirement struct {
	ID      string   `json:"id"`
	Level   Level    `json:"level"`
	Area    string   `json:"area"`
	Title   string   `json:"title"`
	Feature string   `json:"feature"`
	URI     string   `json:"uri"`
	Line    int      `json:"line"`
	Tags    []string `json:"tags"`
	Needs   []string `json:"needs,omitempty"`
	Refs    []string `json:"refs,omitempty"` // the references its level is cited from (@ref:<key>)
	BuiltIn bool     `json:"builtIn"`
}

// Reference is a document a requirement's level is cited from.
type Reference struct {
	Title string `yaml:"title" json:"title"`
	URL   string `yaml:"url" json:"url"`
}

// Pickle is one executable scenario: a scenario, or one example row of an outline.
type Pickle struct {
	ID       string // godog's pickle id for the same inputs in the same order
	Name     string
	URI      string
	Line     int // line of the scenario, or of the example row
	Tags     []string
	Steps    []string
	Keywords []string // each step's keyword as written ("Given ", "When ", "And "...)
	Lines    []int    // each step's line
	Req      *Requirement
}

// Suite is every loaded feature, its requirements and its pickles.
type Suite struct {
	Features     []*FeatureFile
	Requirements []*Requirement
	Pickles      []*Pickle
	References   map[string]Reference // the built-in table (references.yaml)
}

// LoadError points at a file and line.
type LoadError struct {
	File string
	Line int
	Msg  string
}

func (e *LoadError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// LoadSuite reads the built-in features from builtin (rooted so that paths start
// at the feature area directories) and every *.feature below each extra path.
func LoadSuite(builtin fs.FS, extra []string) (*Suite, error) {
	var files []*FeatureFile
	err := fs.WalkDir(builtin, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".feature") {
			return err
		}
		b, err := fs.ReadFile(builtin, p)
		if err != nil {
			return err
		}
		files = append(files, &FeatureFile{URI: "features/" + p, Content: b, BuiltIn: true})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("built-in features: %w", err)
	}
	refs, err := readReferences(builtin)
	if err != nil {
		return nil, err
	}
	for _, dir := range extra {
		st, err := os.Stat(dir)
		if err != nil {
			return nil, &LoadError{File: dir, Msg: "cannot read features: " + errText(err)}
		}
		var found int
		walk := func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return &LoadError{File: p, Msg: "cannot read: " + errText(err)}
			}
			if d.IsDir() || !strings.HasSuffix(p, ".feature") {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return &LoadError{File: p, Msg: "cannot read: " + errText(err)}
			}
			found++
			files = append(files, &FeatureFile{URI: p, Content: b})
			return nil
		}
		if st.IsDir() {
			err = filepath.WalkDir(dir, walk)
		} else {
			err = walk(dir, fs.FileInfoToDirEntry(st), nil)
		}
		if err != nil {
			return nil, err
		}
		if found == 0 {
			return nil, &LoadError{File: dir, Msg: "no .feature files found"}
		}
	}
	suite, err := parseSuite(files)
	if err != nil {
		return nil, err
	}
	suite.References = refs
	return suite, suite.checkReferences()
}

// readReferences reads the built-in references table, when there is one.
func readReferences(builtin fs.FS) (map[string]Reference, error) {
	b, err := fs.ReadFile(builtin, "references.yaml")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var doc struct {
		References map[string]Reference `yaml:"references"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, &LoadError{File: "features/references.yaml", Msg: err.Error()}
	}
	return doc.References, nil
}

// checkReferences holds the built-in requirements to their citations: each
// names at least one reference, and every reference named is in the table.
// A vendor's own requirements may cite nothing.
func (s *Suite) checkReferences() error {
	if s.References == nil {
		return nil
	}
	for _, r := range s.Requirements {
		for _, ref := range r.Refs {
			if _, ok := s.References[ref]; !ok {
				return &LoadError{File: r.URI, Line: r.Line, Msg: fmt.Sprintf("unknown reference @ref:%s (not in features/references.yaml)", ref)}
			}
		}
		if r.BuiltIn && len(r.Refs) == 0 {
			return &LoadError{File: r.URI, Line: r.Line, Msg: fmt.Sprintf("requirement %s cites no reference for its level (@ref:<key>)", r.ID)}
		}
	}
	return nil
}

func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

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
			key := p.Name
			for _, st := range pk.Steps {
				p.Steps = append(p.Steps, st.Text)
				p.Keywords = append(p.Keywords, stepKeywords[st.AstNodeIds[0]].keyword)
				p.Lines = append(p.Lines, stepKeywords[st.AstNodeIds[0]].line)
				key += "\x00" + st.Text
				if st.Argument != nil && st.Argument.DocString != nil {
					key += "\x00" + st.Argument.DocString.Content
				}
				if st.Argument != nil && st.Argument.DataTable != nil {
					for _, row := range st.Argument.DataTable.Rows {
						for _, c := range row.Cells {
							key += "\x00" + c.Value
						}
					}
				}
			}
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
		r := &Requirement{Title: sc.Name, Feature: doc.Feature.Name, URI: f.URI, Line: line, Tags: all, BuiltIn: f.BuiltIn}
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

// profileDef is a scenario set a run can select: a tag expression, and the
// capabilities the profile treats as optional (a requirement not applicable
// because the stack lacks one of them leaves the profile conformant).
type profileDef struct {
	expr     string
	optional []string
	about    string
}

var profileDefs = map[string]profileDef{
	"core": {expr: "@core", optional: []string{"kvm", "nwfilter", "secrets", "domcaps"},
		about: "the MUST requirements of the basic areas, on any libvirt stack, local or remote"},
	"full": {expr: "not @ovirt-engine",
		about: "every requirement of the KVM/libvirt stack and its host (the oVirt engine's API has a profile of its own)"},
	"ovirt-host":   {expr: "@ovirt-host", about: "oVirt host readiness"},
	"libguestfs":   {expr: "@guestfs", about: "libguestfs on the stack's host"},
	"ovirt-engine": {expr: "@ovirt-engine", about: "an oVirt engine's REST API"},
}

// ProfileNames lists the known profiles.
func ProfileNames() []string { return sortedKeys(profileDefs) }

// Profile is what a profile demands in this suite: its requirements with
// their levels, and the capabilities it treats as optional.
func (s *Suite) Profile(name string) (reports.Profile, error) {
	def, ok := profileDefs[name]
	if !ok {
		return reports.Profile{}, fmt.Errorf("unknown profile %q (known: %s)", name, strings.Join(ProfileNames(), ", "))
	}
	sel, err := Selection(name, "")
	if err != nil {
		return reports.Profile{}, err
	}
	reqs, _ := s.Select(sel)
	p := reports.Profile{Name: name, Required: map[string]string{}, Optional: def.optional}
	for _, r := range reqs {
		p.Required[r.ID] = string(r.Level)
	}
	return p, nil
}

// Selection combines a profile and a user tag expression.
func Selection(profile, tags string) (*TagExpr, error) {
	def, ok := profileDefs[profile]
	src := def.expr
	if !ok {
		return nil, fmt.Errorf("unknown profile %q (known: %s)", profile, strings.Join(ProfileNames(), ", "))
	}
	p, err := ParseTagExpr(src)
	if err != nil {
		return nil, err
	}
	u, err := ParseTagExpr(tags)
	if err != nil {
		return nil, err
	}
	return p.And(u), nil
}

// Select returns the requirements and pickles the expression selects.
func (s *Suite) Select(expr *TagExpr) (reqs []*Requirement, pickles []*Pickle) {
	seen := map[*Requirement]bool{}
	for _, p := range s.Pickles {
		if expr.Match(p.Tags) {
			pickles = append(pickles, p)
			if !seen[p.Req] {
				seen[p.Req] = true
				reqs = append(reqs, p.Req)
			}
		}
	}
	sort.Slice(reqs, func(i, j int) bool { return reqs[i].ID < reqs[j].ID })
	return reqs, pickles
}

// UserTags parses a user's tag expression ("" when it does not parse: the
// selection reports that error).
func UserTags(tags string) *TagExpr {
	e, err := ParseTagExpr(tags)
	if err != nil {
		e, _ = ParseTagExpr("")
	}
	return e
}

// UnknownTags lists the tags an expression names that no loaded scenario carries:
// almost always a typo, so the CLI refuses them.
func (s *Suite) UnknownTags(expr *TagExpr) []string {
	have := map[string]bool{}
	for _, p := range s.Pickles {
		for _, t := range p.Tags {
			have[t] = true
		}
	}
	var out []string
	for _, t := range expr.names {
		if !have[t] && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}
