package catalogue

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// GenerateSet makes set name from the features, after prev (the newest
// released set before it; nil for the first set). It refuses what would let
// an ID change meaning: steps changed under the same ID without
// @revised:<name>, or a requirement of prev gone without being deprecated
// there or renamed (@alias).
func GenerateSet(s *Suite, name string, prev *RequirementSet) (*RequirementSet, error) {
	if !SetNamePattern.MatchString(name) {
		return nil, fmt.Errorf("set name %q is not YYYY.MM", name)
	}
	if prev != nil && name <= prev.Name {
		return nil, fmt.Errorf("set %s does not come after set %s", name, prev.Name)
	}
	set := &RequirementSet{Format: 1, Name: name, Status: SetDraft}
	var problems []string
	matched := map[string]bool{}
	for _, e := range s.Entries() {
		e.State, e.Since = StateRequired, name
		var old SetEntry
		found := false
		if prev != nil {
			for _, id := range append([]string{e.ID}, e.Aliases...) {
				if o, ok := prev.Entry(id); ok {
					old, found = o, true
					break
				}
			}
		}
		switch {
		case found:
			matched[old.ID] = true
			e.Since = old.Since
		case prev != nil:
			e.State = StateAdvisory // new in this set
		}
		r := s.requirement(e.ID)
		if r.Deprecated {
			e.State = StateDeprecated
		}
		if found && old.Digest != e.Digest {
			if !slices.Contains(r.Revised, name) {
				problems = append(problems, fmt.Sprintf("%s: its steps changed since set %s, and an ID never changes meaning: give the changed check a new ID "+
					"(and deprecate this one with @deprecated), or, if what it checks is unchanged, tag it @revised:%s (%s:%d)", e.ID, prev.Name, name, r.URI, r.Line))
			}
			e.Revised = name
		}
		set.Requirements = append(set.Requirements, e)
	}
	if prev != nil {
		for _, o := range prev.Requirements {
			switch {
			case matched[o.ID]:
			case o.State == StateDeprecated:
				set.Retired = append(set.Retired, o.ID)
			default:
				problems = append(problems, fmt.Sprintf("%s is in set %s but not in the features: deprecate it there first (@deprecated), or name it on its successor (@alias:%s)", o.ID, prev.Name, o.ID))
			}
		}
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "\n"))
	}
	set.Digest = SetDigest(set.Requirements)
	return set, nil
}

func (s *Suite) requirement(id string) *Requirement {
	for _, r := range s.Requirements {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// PreviousReleased is the newest released (or withdrawn) set before name.
func PreviousReleased(sets []*RequirementSet, name string) *RequirementSet {
	var prev *RequirementSet
	for _, s := range sets {
		if s.Name < name && s.Status != SetDraft {
			prev = s
		}
	}
	return prev
}

// CheckSets checks the suite's sets: only the newest may be a draft; each
// follows the one before (every ID kept, renamed or retired, steps revised
// only where the set says so); and the newest is exactly what the features
// generate.
func CheckSets(s *Suite) error {
	sets := s.Sets
	if len(sets) == 0 {
		return errors.New("the suite has no requirement set: make catalogue SET=YYYY.MM")
	}
	var problems []string
	for i, set := range sets {
		if set.Status == SetDraft && i != len(sets)-1 {
			problems = append(problems, fmt.Sprintf("set %s is a draft, but not the newest", set.Name))
		}
		if i > 0 {
			problems = append(problems, followsProblems(sets[i-1], set)...)
		}
	}
	newest := sets[len(sets)-1]
	want, err := GenerateSet(s, newest.Name, PreviousReleased(sets, newest.Name))
	if err != nil {
		return err
	}
	if diff := setDiff(newest, want); diff != "" {
		fix := "run make catalogue"
		if newest.Status != SetDraft {
			fix = fmt.Sprintf("set %s is released and never changes: start the next set with make catalogue SET=YYYY.MM", newest.Name)
		}
		problems = append(problems, fmt.Sprintf("the features no longer match set %s (%s): %s", newest.Name, diff, fix))
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n"))
	}
	return nil
}

// followsProblems: next keeps every ID of prev (as itself, an alias, or
// retired after deprecation), and changes no digest without saying so.
func followsProblems(prev, next *RequirementSet) []string {
	var out []string
	for _, o := range prev.Requirements {
		e, ok := next.Entry(o.ID)
		switch {
		case !ok && !(slices.Contains(next.Retired, o.ID) && o.State == StateDeprecated):
			out = append(out, fmt.Sprintf("set %s drops %s of set %s without retiring it", next.Name, o.ID, prev.Name))
		case ok && e.Digest != o.Digest && e.Revised != next.Name:
			out = append(out, fmt.Sprintf("set %s changes the steps of %s without marking it revised", next.Name, o.ID))
		}
	}
	return out
}

// setDiff names the first differences between two sets' requirements.
func setDiff(have, want *RequirementSet) string {
	var diffs []string
	for _, w := range want.Requirements {
		h, ok := have.Entry(w.ID)
		switch {
		case !ok || h.ID != w.ID:
			diffs = append(diffs, w.ID+" is not in it")
		case h.Digest != w.Digest:
			diffs = append(diffs, w.ID+"'s steps differ")
		case fmt.Sprint(h) != fmt.Sprint(w):
			diffs = append(diffs, w.ID+"'s entry differs")
		}
	}
	for _, h := range have.Requirements {
		if _, ok := want.Entry(h.ID); !ok {
			diffs = append(diffs, h.ID+" is no longer in the features")
		}
	}
	if !slices.Equal(have.Retired, want.Retired) {
		diffs = append(diffs, fmt.Sprintf("retired %v, want %v", have.Retired, want.Retired))
	}
	if len(diffs) > 3 {
		diffs = append(diffs[:3], fmt.Sprintf("and %d more", len(diffs)-3))
	}
	return strings.Join(diffs, "; ")
}
