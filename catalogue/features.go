// Package catalogue is what the suite demands, read from its feature files:
// the requirements and their scenarios (Gherkin parsed into pickles), tag
// expressions and profiles, the requirement sets and their generator, and the
// capabilities a scenario may need. It runs nothing and needs neither cgo nor
// libvirt: cmd/setgen (make catalogue) builds on it alone, and reports judges
// results by its Profile.
package catalogue

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

	messages "github.com/cucumber/messages/go/v34"
	"github.com/ovacts/ovacts/internal/safeio"
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
	// Its life in the requirement sets (sets.go): the IDs it was known by
	// before a rename (@alias:<ID>), the sets in which its steps were revised
	// without changing what it checks (@revised:<set>), whether it is on its
	// way out (@deprecated), and its state in the suite's newest set.
	Aliases    []string `json:"aliases,omitempty"`
	Revised    []string `json:"revised,omitempty"`
	Deprecated bool     `json:"deprecated,omitempty"`
	State      string   `json:"state"`
	Digest     string   `json:"digest"` // of its scenario's steps (sets.go)
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
	Content  string   // its steps with their arguments, what a requirement's digest covers
	Req      *Requirement
}

// Suite is every loaded feature, its requirements and its pickles.
type Suite struct {
	Features     []*FeatureFile
	Requirements []*Requirement
	Pickles      []*Pickle
	References   map[string]Reference // the built-in table (references.yaml)
	Sets         []*RequirementSet    // the built-in requirement sets, oldest first (sets.go)
	runSet       *RequirementSet      // the set a run of this suite is a run of (RunSet)
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

// MaxFeatureBytes bounds one feature file of a vendor's.
const MaxFeatureBytes = 4 << 20

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
			return nil, &LoadError{File: dir, Msg: "cannot read features: " + safeio.Reason(err)}
		}
		var found int
		walk := func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return &LoadError{File: p, Msg: "cannot read: " + safeio.Reason(err)}
			}
			if d.IsDir() || !strings.HasSuffix(p, ".feature") {
				return nil
			}
			// A vendor's feature file is untrusted: read only a regular file
			// (not a link, a FIFO or a device), of a bounded size.
			b, err := safeio.ReadRegular(p, MaxFeatureBytes)
			if err != nil {
				return &LoadError{File: p, Msg: "cannot read: " + strings.TrimPrefix(err.Error(), p+": ")}
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
	sets, err := LoadSets(builtin)
	if err != nil {
		return nil, err
	}
	suite.assignSets(sets)
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
