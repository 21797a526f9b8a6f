package reports

import (
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/ovacts/ovacts/catalogue"
)

// The one place that decides conformance. run's exit code, verify and the
// matrix all call Judge (or JudgeSelection for a run of a tag selection) on
// results read from JUnit, so they cannot disagree.

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
	// Unknown: an outcome the verdict does not know; it is never read as a pass.
	Unknown []string `json:"unknown,omitempty"`
	// NothingPassed: a tag selection in which no requirement at the level passed.
	NothingPassed bool `json:"nothingPassed,omitempty"`
	// notRunFor: each not-run requirement's missing input, as its outcome
	// said it ("no second stack: give one with --peer-uri"), for the terminal.
	notRunFor map[string]string
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
func Judge(p catalogue.Profile, res *Results, level string) ProfileVerdict {
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
// failed or is blocked, incomplete when one was not judged (a suite error),
// was not run or is not applicable (a selection has no optional
// capabilities), or when none of them passed: a selection that judged
// nothing certifies nothing.
func JudgeSelection(res *Results, level string) ProfileVerdict {
	v := ProfileVerdict{Level: strings.ToUpper(level)}
	passed := 0
	for _, id := range sortedIDs(res) {
		r := res.Verdicts[id]
		if LevelRank(r.Level) > LevelRank(level) && !r.SuiteError {
			continue
		}
		if r.Status == Passed && !r.SuiteError {
			passed++
		}
		v.count(r, nil)
	}
	v.NothingPassed = passed == 0
	v.decide()
	return v
}

// count files one requirement's verdict under its reason. It fails closed:
// an outcome it does not know, and a not-applicable verdict that names no
// capability (no evidence of what the stack lacks), never read as a pass.
func (v *ProfileVerdict) count(r *Verdict, optional []string) {
	id := r.ReqID
	switch {
	case r.SuiteError:
		v.SuiteErrors = append(v.SuiteErrors, id)
	case r.Status == Passed:
	case r.Status == Failed:
		v.Failed = append(v.Failed, id)
	case r.Status == Blocked:
		v.Blocked = append(v.Blocked, id)
	case r.Status == Waived:
		v.Waived = append(v.Waived, id)
	case r.Status == NotRun:
		v.NotRun = append(v.NotRun, id)
		if v.notRunFor == nil {
			v.notRunFor = map[string]string{}
		}
		v.notRunFor[id] = missingInput(r.Detail)
	case r.Status == NotApplicable:
		if len(r.Capabilities) == 0 {
			v.NotApplicable = append(v.NotApplicable, id)
			return
		}
		for _, c := range r.Capabilities {
			if c == "" || !slices.Contains(optional, c) {
				v.NotApplicable = append(v.NotApplicable, id)
				return
			}
		}
	default:
		v.Unknown = append(v.Unknown, id)
	}
}

func (v *ProfileVerdict) decide() {
	switch {
	case len(v.Failed)+len(v.Blocked)+len(v.Waived) > 0:
		v.Kind = NotConformant
	case len(v.SuiteErrors)+len(v.NotRun)+len(v.NotApplicable)+len(v.Missing)+len(v.Unknown) > 0 || v.NothingPassed:
		v.Kind = Incomplete
	default:
		v.Kind = Conformant
	}
}

// Why lists what keeps the verdict from conformant, one reason a line.
func (v ProfileVerdict) Why() []string {
	var out []string
	notAllowed := "not applicable for a reason the profile does not allow"
	if v.Profile == "" {
		notAllowed = "not applicable (a selection allows no optional capability)"
	}
	for _, x := range []struct {
		ids  []string
		what string
	}{
		{v.Failed, "failed"},
		{v.Blocked, "blocked by a broken capability"},
		{v.Waived, "failed under a waiver (a waiver never certifies)"},
		{v.SuiteErrors, "not judged: the suite erred"},
		{v.NotRun, notRunWhat},
		{v.NotApplicable, notAllowed},
		{v.Missing, "missing from the report"},
		{v.Unknown, "with an outcome the verdict does not know"},
	} {
		if len(x.ids) > 0 {
			out = append(out, fmt.Sprintf("%d %s: %s", len(x.ids), x.what, strings.Join(x.ids, ", ")))
		}
	}
	if v.NothingPassed {
		out = append(out, "no selected requirement at "+v.Level+" or stricter passed: the selection judged nothing")
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

// ExitRehearsal is the exit code of a rehearsal that would be conformant: run
// on libvirt's test driver, and verify of such a run's bundle. A rehearsal
// certifies no stack, so it never exits 0.
const ExitRehearsal = 4

// WriteVerdict prints the verdict and what keeps it from conformant. A
// rehearsal (a run on libvirt's test driver) that would be conformant says
// so, never CONFORMANT alone.
func WriteVerdict(w io.Writer, v ProfileVerdict, rehearsal bool) {
	if rehearsal && v.Kind == Conformant {
		fmt.Fprintf(w, "verdict: %s: REHEARSAL: would be conformant, but libvirt's test driver certifies no stack (exit %d)\n", v.Subject(), ExitRehearsal)
		return
	}
	fmt.Fprintf(w, "verdict: %s: %s\n", v.Subject(), strings.ToUpper(string(v.Kind)))
	for _, line := range v.Reasons() {
		fmt.Fprintf(w, "  %s\n", line)
	}
}

// Reasons is Why with the not-run requirements grouped by the input they
// missed, as the terminal and the HTML report show them.
func (v ProfileVerdict) Reasons() []string {
	var out []string
	generic := fmt.Sprintf("%d %s: %s", len(v.NotRun), notRunWhat, strings.Join(v.NotRun, ", "))
	for _, line := range v.Why() {
		if line == generic && len(v.NotRun) > 0 {
			out = append(out, v.notRunLines()...)
			continue
		}
		out = append(out, line)
	}
	return out
}

// notRunWhat is why a requirement is not run, when its outcome does not say.
const notRunWhat = "not run (an input of the run was missing)"

// notRunLines are the not-run requirements grouped by the input they
// missed: "2 not run: MIG-001, MIG-002 (no second stack: give one with --peer-uri)".
func (v ProfileVerdict) notRunLines() []string {
	var reasons []string
	ids := map[string][]string{}
	for _, id := range v.NotRun {
		why := v.notRunFor[id]
		if _, seen := ids[why]; !seen {
			reasons = append(reasons, why)
		}
		ids[why] = append(ids[why], id)
	}
	var out []string
	for _, why := range reasons {
		if why == "" {
			out = append(out, fmt.Sprintf("%d %s: %s", len(ids[why]), notRunWhat, strings.Join(ids[why], ", ")))
			continue
		}
		out = append(out, fmt.Sprintf("%d not run: %s (%s)", len(ids[why]), strings.Join(ids[why], ", "), why))
	}
	return out
}

var needsHead = regexp.MustCompile(`^needs [a-z0-9-]+: `)

// missingInput is what a not-run outcome's message says was missing, without
// its category and capability ("not-run (peer): needs peer: ").
func missingInput(detail string) string {
	d := firstLine(detail)
	if m := skipHead.FindStringIndex(d); m != nil {
		d = d[m[1]:]
	}
	return strings.TrimSpace(needsHead.ReplaceAllString(d, ""))
}
