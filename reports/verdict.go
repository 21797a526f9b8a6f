package reports

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
)

// The one place that decides conformance. run's exit code, verify and the
// matrix all call Judge (or JudgeSelection for a run of a tag selection) on
// results read from JUnit, so they cannot disagree.

// Profile is what a profile demands: its requirements with their levels, and
// the capabilities it treats as optional: a requirement that is not
// applicable because the stack lacks one of them does not make the profile
// incomplete.
type Profile struct {
	Name     string
	Required map[string]string // requirement ID -> level
	Optional []string
}

// VerdictKind is a profile's verdict.
type VerdictKind string

const (
	// Conformant: every requirement at the judged level passed, or is not
	// applicable for a capability the profile treats as optional.
	Conformant VerdictKind = "conformant"
	// NotConformant: one failed (a waiver does not change that) or is blocked.
	NotConformant VerdictKind = "not conformant"
	// Incomplete: one was not run, is missing from the report, was not judged
	// (a suite error, at any level: the run itself cannot be trusted), or is
	// not applicable for a reason the profile does not allow.
	Incomplete VerdictKind = "incomplete"
)

// ProfileVerdict is a profile's verdict with the requirements behind it.
type ProfileVerdict struct {
	Profile string      `json:"profile,omitempty"` // "" for a tag selection
	Level   string      `json:"level"`             // requirements at this level or stricter count
	Kind    VerdictKind `json:"verdict"`
	// The requirements that keep it from being conformant, by reason.
	Failed        []string `json:"failed,omitempty"`
	Blocked       []string `json:"blocked,omitempty"`
	Waived        []string `json:"waived,omitempty"`
	SuiteErrors   []string `json:"suiteErrors,omitempty"`
	NotRun        []string `json:"notRun,omitempty"`
	NotApplicable []string `json:"notApplicable,omitempty"` // for reasons the profile does not allow
	Missing       []string `json:"missing,omitempty"`
}

// LevelRank orders levels from the strictest (0) down.
func LevelRank(level string) int {
	switch strings.ToUpper(level) {
	case "MUST":
		return 0
	case "SHOULD":
		return 1
	}
	return 2
}

// Judge decides a profile's verdict from a run's results, counting the
// requirements at level or stricter.
func Judge(p Profile, res *Results, level string) ProfileVerdict {
	v := ProfileVerdict{Profile: p.Name, Level: strings.ToUpper(level)}
	ids := make([]string, 0, len(p.Required))
	for id := range p.Required {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		r := res.Verdicts[id]
		// A suite error at any level means the run itself cannot be trusted.
		if r != nil && r.SuiteError {
			v.SuiteErrors = append(v.SuiteErrors, id)
			continue
		}
		if LevelRank(p.Required[id]) > LevelRank(level) {
			continue
		}
		if r == nil {
			v.Missing = append(v.Missing, id)
			continue
		}
		v.count(r, p.Optional)
	}
	v.decide()
	return v
}

// JudgeSelection judges a run of a tag selection, which claims no profile:
// it is not conformant when a selected requirement at level or stricter
// failed or is blocked, incomplete when one was not judged (a suite error).
func JudgeSelection(res *Results, level string) ProfileVerdict {
	v := ProfileVerdict{Level: strings.ToUpper(level)}
	for _, id := range sortedIDs(res) {
		r := res.Verdicts[id]
		if LevelRank(r.Level) > LevelRank(level) && !r.SuiteError {
			continue
		}
		// A selection claims no profile: what it could not run is no verdict.
		if r.Status == NotRun || r.Status == NotApplicable {
			continue
		}
		v.count(r, nil)
	}
	v.decide()
	return v
}

func (v *ProfileVerdict) count(r *Verdict, optional []string) {
	id := r.ReqID
	switch {
	case r.SuiteError:
		v.SuiteErrors = append(v.SuiteErrors, id)
	case r.Status == Failed:
		v.Failed = append(v.Failed, id)
	case r.Status == Blocked:
		v.Blocked = append(v.Blocked, id)
	case r.Status == Waived:
		v.Waived = append(v.Waived, id)
	case r.Status == NotRun:
		v.NotRun = append(v.NotRun, id)
	case r.Status == NotApplicable:
		for _, c := range r.Capabilities {
			if c == "" || !slices.Contains(optional, c) {
				v.NotApplicable = append(v.NotApplicable, id)
				return
			}
		}
	}
}

func (v *ProfileVerdict) decide() {
	switch {
	case len(v.Failed)+len(v.Blocked)+len(v.Waived) > 0:
		v.Kind = NotConformant
	case len(v.SuiteErrors)+len(v.NotRun)+len(v.NotApplicable)+len(v.Missing) > 0:
		v.Kind = Incomplete
	default:
		v.Kind = Conformant
	}
}

// Why lists what keeps the verdict from conformant, one reason a line.
func (v ProfileVerdict) Why() []string {
	var out []string
	for _, x := range []struct {
		ids  []string
		what string
	}{
		{v.Failed, "failed"},
		{v.Blocked, "blocked by a broken capability"},
		{v.Waived, "failed under a waiver (a waiver never certifies)"},
		{v.SuiteErrors, "not judged: the suite erred"},
		{v.NotRun, "not run (an input of the run was missing)"},
		{v.NotApplicable, "not applicable for a reason the profile does not allow"},
		{v.Missing, "missing from the report"},
	} {
		if len(x.ids) > 0 {
			out = append(out, fmt.Sprintf("%d %s: %s", len(x.ids), x.what, strings.Join(x.ids, ", ")))
		}
	}
	return out
}

// Subject names what was judged.
func (v ProfileVerdict) Subject() string {
	if v.Profile == "" {
		return fmt.Sprintf("the selected requirements at %s or stricter", v.Level)
	}
	return fmt.Sprintf("profile %s at %s or stricter", v.Profile, v.Level)
}

func (v ProfileVerdict) String() string {
	s := fmt.Sprintf("%s: %s", v.Subject(), v.Kind)
	if why := v.Why(); len(why) > 0 {
		s += " (" + strings.Join(why, "; ") + ")"
	}
	return s
}

// WriteVerdict prints the verdict and what keeps it from conformant.
func WriteVerdict(w io.Writer, v ProfileVerdict) {
	fmt.Fprintf(w, "verdict: %s: %s\n", v.Subject(), strings.ToUpper(string(v.Kind)))
	for _, line := range v.Why() {
		fmt.Fprintf(w, "  %s\n", line)
	}
}
