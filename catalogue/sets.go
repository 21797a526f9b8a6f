package catalogue

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Requirement sets. What a release of the suite demands is a set named by
// its month (YYYY.MM), generated from the features and committed under
// features/sets/. Each entry has a requirement's ID, level, state, profiles,
// title and the digest of its scenario's steps. A released set never
// changes. The newest set must be exactly what the features generate
// (TestRequirementSetIsCurrent), so no requirement's steps change without
// its set entry, and a set's generator refuses a change of steps under the
// same ID unless the scenario says the change keeps its meaning
// (@revised:<set>). A renamed requirement keeps its old ID as an alias
// (@alias:<old ID>); one on its way out is deprecated (@deprecated) for a set
// before it may go (then it is listed as retired).
//
// States: required (counted by the profile verdict), advisory (new in this
// set: run and reported, not counted), deprecated (run and reported, not
// counted).
const (
	StateRequired   = "required"
	StateAdvisory   = "advisory"
	StateDeprecated = "deprecated"
)

// A set's status: a draft (the next release, regenerated as features
// change), released (frozen), or withdrawn (released, then found wrong:
// verify refuses results against it).
const (
	SetDraft     = "draft"
	SetReleased  = "released"
	SetWithdrawn = "withdrawn"
)

// RequirementSet is one features/sets/<name>.json.
type RequirementSet struct {
	Format       int        `json:"format"`
	Name         string     `json:"set"`
	Status       string     `json:"status"`
	Released     string     `json:"released,omitempty"`        // YYYY-MM-DD
	WithdrawnWhy string     `json:"withdrawnReason,omitempty"` // with status withdrawn
	Digest       string     `json:"digest"`                    // SetDigest of Requirements
	Requirements []SetEntry `json:"requirements"`
	Retired      []string   `json:"retired,omitempty"` // IDs deprecated in the previous set, gone from this one
}

// SetEntry is one requirement in a set.
type SetEntry struct {
	ID       string   `json:"id"`
	Level    string   `json:"level"`
	State    string   `json:"state"`
	Profiles []string `json:"profiles"`
	Title    string   `json:"title"`
	Digest   string   `json:"digest"`
	Aliases  []string `json:"aliases,omitempty"`
	Since    string   `json:"since"`             // the set it first appeared in, under any of its IDs
	Revised  string   `json:"revised,omitempty"` // this set revised its steps, keeping what it checks
}

// SetNamePattern is a set's name: the year and month of its release.
var SetNamePattern = regexp.MustCompile(`^20[0-9]{2}\.(0[1-9]|1[0-2])$`)

// setsDir is where the built-in sets are, in the features' file system.
const setsDir = "sets"

// LoadSets reads every set of the built-in features, oldest first.
func LoadSets(builtin fs.FS) ([]*RequirementSet, error) {
	names, err := fs.Glob(builtin, setsDir+"/*.json")
	if err != nil {
		return nil, err
	}
	var sets []*RequirementSet
	for _, n := range names {
		data, err := fs.ReadFile(builtin, n)
		if err != nil {
			return nil, err
		}
		s, err := ParseSet(data)
		if err != nil {
			return nil, fmt.Errorf("features/%s: %w", n, err)
		}
		if want := strings.TrimSuffix(path.Base(n), ".json"); s.Name != want {
			return nil, fmt.Errorf("features/%s names set %q", n, s.Name)
		}
		sets = append(sets, s)
	}
	sort.Slice(sets, func(i, j int) bool { return sets[i].Name < sets[j].Name })
	return sets, nil
}

// ParseSet reads a set strictly and checks its digest.
func ParseSet(data []byte) (*RequirementSet, error) {
	var s RequirementSet
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, err
	}
	switch {
	case s.Format != 1:
		return nil, fmt.Errorf("format %d, want 1", s.Format)
	case !SetNamePattern.MatchString(s.Name):
		return nil, fmt.Errorf("set name %q is not YYYY.MM", s.Name)
	case !slices.Contains([]string{SetDraft, SetReleased, SetWithdrawn}, s.Status):
		return nil, fmt.Errorf("status %q is not draft, released or withdrawn", s.Status)
	case s.Status != SetDraft && s.Released == "":
		return nil, errors.New("a released set needs its release date")
	case s.Digest != SetDigest(s.Requirements):
		return nil, errors.New("its digest is not that of its requirements: a set is generated, never edited")
	}
	return &s, nil
}

// Entry is a requirement's entry, by ID or alias (ok false when absent).
func (s *RequirementSet) Entry(id string) (SetEntry, bool) {
	for _, e := range s.Requirements {
		if e.ID == id || slices.Contains(e.Aliases, id) {
			return e, true
		}
	}
	return SetEntry{}, false
}

// SetDigest covers what a verdict depends on: each requirement's ID, level,
// state, profiles and steps.
func SetDigest(entries []SetEntry) string {
	lines := make([]string, 0, len(entries))
	for _, e := range entries {
		lines = append(lines, strings.Join([]string{e.ID, e.Level, e.State, strings.Join(e.Profiles, ","), e.Digest}, " "))
	}
	sort.Strings(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// stepsDigest is a requirement's digest: its scenario's steps and their
// arguments, every example row of an outline (Background steps included).
func stepsDigest(pickles []*Pickle) string {
	h := sha256.New()
	for _, p := range pickles {
		h.Write([]byte(p.Content + "\x01"))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// assignSets gives each requirement its digest and its state in the set the
// suite runs as (RunSet): a built-in requirement that set lacks is advisory
// (new since it); a vendor's own requirement (--features) is required by its
// run.
func (s *Suite) assignSets(sets []*RequirementSet) {
	byReq := map[*Requirement][]*Pickle{}
	for _, p := range s.Pickles {
		byReq[p.Req] = append(byReq[p.Req], p)
	}
	s.Sets = sets
	for _, r := range s.Requirements {
		r.Digest = stepsDigest(byReq[r])
	}
	s.runSet = s.matchingReleased()
	if s.runSet == nil {
		s.runSet = s.NewestSet()
	}
	for _, r := range s.Requirements {
		r.State = StateRequired
		if !r.BuiltIn {
			continue
		}
		r.State = StateAdvisory
		if s.runSet != nil {
			if e, ok := s.runSet.Entry(r.ID); ok && e.ID == r.ID {
				r.State = e.State
			}
		}
	}
}

// matchingReleased is the newest released set when the suite holds every
// one of its requirements unchanged (level, profiles, steps): a build that
// only adds requirements still runs that set, the additions as advisory.
func (s *Suite) matchingReleased() *RequirementSet {
	var newest *RequirementSet
	for _, set := range s.Sets {
		if set.Status == SetReleased {
			newest = set
		}
	}
	if newest == nil {
		return nil
	}
	have := map[string]SetEntry{}
	for _, e := range s.Entries() {
		have[e.ID] = e
	}
	for _, e := range newest.Requirements {
		h, ok := have[e.ID]
		if !ok || h.Level != e.Level || h.Digest != e.Digest || !slices.Equal(h.Profiles, e.Profiles) {
			return nil
		}
	}
	return newest
}

// RunSet is the requirement set a run of this suite is a run of, and the
// digest of that set's requirements as the suite has them, which verify
// compares with the set's own: the newest released set when the suite holds
// it unchanged, else the newest set (a draft, which certifies nothing).
func (s *Suite) RunSet() (*RequirementSet, string) {
	if s.runSet == nil {
		return nil, SetDigest(s.Entries())
	}
	var mine []SetEntry
	for _, e := range s.Entries() {
		if _, ok := s.runSet.Entry(e.ID); ok {
			mine = append(mine, e)
		}
	}
	return s.runSet, SetDigest(mine)
}

// CountedFrom names the set from which the requirements advisory in the run's
// set count: the next set the suite holds (a draft in which they are
// required), else "the set after" the run's.
func (s *Suite) CountedFrom() string {
	run, _ := s.RunSet()
	if run == nil {
		return "a released set"
	}
	for _, set := range s.Sets {
		if set.Name > run.Name {
			return set.Name
		}
	}
	return "the set after " + run.Name
}

// NewestSet is the suite's own set (nil when it has none).
func (s *Suite) NewestSet() *RequirementSet {
	if len(s.Sets) == 0 {
		return nil
	}
	return s.Sets[len(s.Sets)-1]
}

// Entries are the built-in requirements as set entries, with their states
// in the newest set: what a run records the digest of.
func (s *Suite) Entries() []SetEntry {
	inProfiles := s.ProfileMembers()
	var out []SetEntry
	for _, r := range s.Requirements {
		if !r.BuiltIn {
			continue
		}
		out = append(out, SetEntry{ID: r.ID, Level: string(r.Level), State: r.State, Profiles: inProfiles[r.ID],
			Title: r.Title, Digest: r.Digest, Aliases: r.Aliases})
	}
	return out
}

// ProfileMembers lists, per requirement, the profiles whose tag expression
// selects it (whatever its state).
func (s *Suite) ProfileMembers() map[string][]string {
	out := map[string][]string{}
	for _, name := range ProfileNames() {
		sel, err := Selection(name, "")
		if err != nil {
			continue
		}
		reqs, _ := s.Select(sel)
		for _, r := range reqs {
			out[r.ID] = append(out[r.ID], name)
		}
	}
	return out
}

// SetProfile is what a profile demands in a set: its entries in state
// required, with their levels, and the capabilities the profile treats as
// optional.
func SetProfile(set *RequirementSet, name string) (Profile, error) {
	def, ok := profileDefs[name]
	if !ok {
		return Profile{}, fmt.Errorf("unknown profile %q (known: %s)", name, strings.Join(ProfileNames(), ", "))
	}
	p := Profile{Name: name, Required: map[string]string{}, Optional: def.optional}
	for _, e := range set.Requirements {
		if e.State == StateRequired && slices.Contains(e.Profiles, name) {
			p.Required[e.ID] = e.Level
		}
	}
	return p, nil
}

// SetInfo is what verify (reports.Verify) needs of a requirement set.
type SetInfo struct {
	Name, Status, Released, WithdrawnWhy, Digest string
}

// Info is what verify needs of the set.
func (s *RequirementSet) Info() SetInfo {
	return SetInfo{Name: s.Name, Status: s.Status, Released: s.Released, WithdrawnWhy: s.WithdrawnWhy, Digest: s.Digest}
}
