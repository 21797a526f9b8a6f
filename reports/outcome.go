// Package reports holds the outcome model of a run, the one function that
// judges a profile (verdict.go), and the writers and readers of what a run
// leaves: JUnit, the terminal summary, bundles, diffs and the matrix.
package reports

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Status is how a scenario ended: one of five outcomes, or a failure a
// waiver covers.
type Status string

const (
	// Passed: every step of the scenario held.
	Passed Status = "passed"
	// Failed: a step did not hold (or the suite itself erred: SuiteError).
	Failed Status = "failed"
	// NotApplicable: the stack declares it lacks what the scenario needs
	// (libvirt's "not supported" answer, a capability it does not advertise);
	// the reason quotes the evidence.
	NotApplicable Status = "not-applicable"
	// NotRun: the run's own setup did not provide an input (no --peer-uri, no
	// engine, a remote stack for a host check, an interrupt); the reason names it.
	NotRun Status = "not-run"
	// Blocked: a capability the stack claims is broken; the requirement that
	// states it failed (BlockedBy) and this scenario could not be judged.
	Blocked Status = "blocked"
	// Waived: a failure that an unexpired waiver covers. Never a pass.
	Waived Status = "waived"
)

// Statuses lists the outcomes in report order.
var Statuses = []Status{Passed, Failed, Blocked, NotApplicable, NotRun, Waived}

// Outcome is the result of one executable scenario.
type Outcome struct {
	ReqID      string `json:"req"`
	Level      string `json:"level"`
	Area       string `json:"area"`
	Title      string `json:"title"`
	Feature    string `json:"feature"`
	FeatureURI string `json:"uri"`
	Line       int    `json:"line"`
	Status     Status `json:"status"`
	// Capability is the need that decided a scenario not applicable, not run
	// or blocked ("" when a call answered "not supported" while it ran).
	Capability string        `json:"capability,omitempty"`
	BlockedBy  string        `json:"blockedBy,omitempty"` // the requirement that states the broken capability
	Reason     string        `json:"reason,omitempty"`    // why it did not pass, with the evidence
	FailedStep string        `json:"failedStep,omitempty"`
	ErrorCode  string        `json:"errorCode,omitempty"`  // VIR_ERR_* where libvirt answered
	SuiteError bool          `json:"suiteError,omitempty"` // undefined/pending/ambiguous step, or a cleanup failure
	Waiver     string        `json:"waiver,omitempty"`     // the waiver of a waived failure
	Duration   time.Duration `json:"durationNs"`
	Tags       []string      `json:"tags,omitempty"`
	Steps      []StepResult  `json:"steps,omitempty"`
	// Shared lists the run's shared fixtures the scenario used (@shared:<name>), described.
	Shared []string `json:"shared,omitempty"`
	// GuestStarts says how each guest OS of the scenario started: booted, or
	// restored from the run's guest image (boot once, restore many).
	GuestStarts []string `json:"guestStarts,omitempty"`
	// State is the requirement's state in the run's set when the profile's
	// verdict does not count it (advisory, deprecated); "" when it counts (a
	// tag selection counts everything it selected).
	State string `json:"state,omitempty"`
}

// Counted says whether the verdict of the run counts the outcome: advisory
// and deprecated requirements run and are reported, apart.
func (o Outcome) Counted() bool { return o.State == "" }

// Report properties of the requirements a profile's verdict does not count.
const (
	// PropAdvisoryUntil names the set from which they count ("2027.01").
	PropAdvisoryUntil = "advisory.until"
	// PropAdvisoryNotPassed lists those that did not pass, with their outcome.
	PropAdvisoryNotPassed = "advisory.not-passed"
)

// AdvisoryNotPassed lists, once per requirement and in report order, the
// advisory requirements whose worst scenario did not pass ("BLOCK-001
// failed"), with how many advisory requirements there are in all.
func AdvisoryNotPassed(outs []Outcome) ([]string, int) {
	worst := map[string]Status{}
	var order []string
	for _, o := range outs {
		if o.State != "advisory" {
			continue
		}
		prev, seen := worst[o.ReqID]
		if !seen {
			order = append(order, o.ReqID)
		}
		if !seen || statusRank[o.Status] > statusRank[prev] {
			worst[o.ReqID] = o.Status
		}
	}
	// The worst first: a failure must not hide among the not applicable.
	sort.SliceStable(order, func(i, j int) bool { return statusRank[worst[order[i]]] > statusRank[worst[order[j]]] })
	var out []string
	for _, id := range order {
		if worst[id] != Passed {
			out = append(out, id+" "+strings.ReplaceAll(string(worst[id]), "-", " "))
		}
	}
	return out, len(order)
}

// StepResult is one step of a scenario as it ran.
type StepResult struct {
	Keyword  string        `json:"keyword"`
	Text     string        `json:"text"`
	Status   string        `json:"status"` // passed, failed, skipped, undefined...
	Duration time.Duration `json:"durationNs"`
	Error    string        `json:"error,omitempty"`
	Line     int           `json:"line,omitempty"`  // in the feature file
	Where    string        `json:"where,omitempty"` // the step definition's file:line
}

// Property is one name/value fact about the run, kept in order.
type Property struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Report is a whole run.
type Report struct {
	Suite       string        `json:"suite"`
	Started     time.Time     `json:"started"`
	Duration    time.Duration `json:"durationNs"`
	Interrupted bool          `json:"interrupted,omitempty"`
	Properties  []Property    `json:"properties"`
	Outcomes    []Outcome     `json:"outcomes"`
}

// Property returns a property's value.
func (r *Report) Property(name string) string {
	for _, p := range r.Properties {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}

// Counts tallies outcomes.
type Counts struct {
	Total, Passed, Failed, Blocked, NotApplicable, NotRun, Waived, SuiteErrors int
}

func (c *Counts) add(s Status, suiteError bool) {
	c.Total++
	switch {
	case s == Failed && suiteError:
		c.SuiteErrors++
	case s == Failed:
		c.Failed++
	case s == Blocked:
		c.Blocked++
	case s == NotApplicable:
		c.NotApplicable++
	case s == NotRun:
		c.NotRun++
	case s == Waived:
		c.Waived++
	default:
		c.Passed++
	}
}

// Tally counts outcomes, optionally only those matching keep.
func Tally(outs []Outcome, keep func(Outcome) bool) Counts {
	var c Counts
	for _, o := range outs {
		if keep == nil || keep(o) {
			c.add(o.Status, o.SuiteError)
		}
	}
	return c
}

func (c Counts) String() string {
	s := fmt.Sprintf("%d passed, %d failed, %d blocked, %d not applicable, %d not run", c.Passed, c.Failed, c.Blocked, c.NotApplicable, c.NotRun)
	if c.Waived > 0 {
		s += fmt.Sprintf(", %d waived", c.Waived)
	}
	if c.SuiteErrors > 0 {
		s += fmt.Sprintf(", %d suite errors", c.SuiteErrors)
	}
	return s
}

var progressWord = map[Status]string{Passed: "PASS", Failed: "FAIL", Blocked: "BLOCK", NotApplicable: "N/A", NotRun: "NOTRUN", Waived: "WAIVE"}

// Category is how a non-passing outcome reads in a report: its status and,
// where one decided it, the capability ("not-applicable (nwfilter)").
func Category(o Outcome) string {
	if o.Capability == "" {
		return string(o.Status)
	}
	return fmt.Sprintf("%s (%s)", o.Status, o.Capability)
}

// ProgressLine is the one-line live report of a finished scenario.
func ProgressLine(o Outcome) string {
	word := progressWord[o.Status]
	if o.SuiteError {
		word = "ERROR"
	}
	line := fmt.Sprintf("%-6s %-9s %-6s %s (%s)", word, o.ReqID, o.Level, o.Title, o.Duration.Round(time.Millisecond))
	switch o.Status {
	case NotApplicable, NotRun, Blocked:
		line += fmt.Sprintf("\n      %s: %s", Category(o), o.Reason)
	case Waived:
		line += "\n      waived: " + o.Waiver + "\n      failed: " + firstLine(o.Reason)
	case Failed:
		if o.FailedStep != "" {
			line += fmt.Sprintf("\n      at step: %s", o.FailedStep)
		}
		line += "\n      " + strings.ReplaceAll(o.Reason, "\n", "\n      ")
	}
	return line
}

// RootCauses groups the blocked scenarios by the broken capability that
// blocked them: one line each, so 30 blocked scenarios read as one cause.
func RootCauses(outs []Outcome) []string {
	type cause struct {
		cap, by, reason string
		n               int
	}
	var order []string
	causes := map[string]*cause{}
	for _, o := range outs {
		if o.Status != Blocked {
			continue
		}
		k := o.Capability + "\x00" + o.BlockedBy
		c := causes[k]
		if c == nil {
			c = &cause{cap: o.Capability, by: o.BlockedBy, reason: o.Reason}
			causes[k] = c
			order = append(order, k)
		}
		c.n++
	}
	var lines []string
	for _, k := range order {
		c := causes[k]
		lines = append(lines, fmt.Sprintf("%s: %d scenario(s) blocked", firstLine(c.reason), c.n))
	}
	return lines
}

// WriteSummary prints the root causes, then totals per level and per area.
func WriteSummary(w io.Writer, r *Report) {
	all := Tally(r.Outcomes, nil)
	fmt.Fprintf(w, "\n%d scenarios: %s in %s\n", all.Total, all, r.Duration.Round(time.Millisecond))
	for _, line := range RootCauses(r.Outcomes) {
		fmt.Fprintf(w, "  %s\n", line)
	}
	// The levels count what the verdict counts; what it does not (advisory
	// or deprecated in the run's set) is listed apart, so the two agree.
	for _, lvl := range []string{"MUST", "SHOULD", "MAY"} {
		c := Tally(r.Outcomes, func(o Outcome) bool { return o.Level == lvl && o.Counted() })
		if c.Total > 0 {
			fmt.Fprintf(w, "  %-6s %3d: %s\n", lvl, c.Total, c)
		}
	}
	writeAdvisory(w, r)
	areas := map[string]bool{}
	for _, o := range r.Outcomes {
		areas[o.Area] = true
	}
	var names []string
	for a := range areas {
		names = append(names, a)
	}
	sort.Strings(names)
	for _, a := range names {
		c := Tally(r.Outcomes, func(o Outcome) bool { return o.Area == a })
		fmt.Fprintf(w, "  area %-6s %3d: %s\n", a, c.Total, c)
	}
	if r.Interrupted {
		fmt.Fprintln(w, "  the run was INTERRUPTED: the report is partial")
	}
}

// writeAdvisory prints the scenarios the verdict does not count, and the
// requirements among them that did not pass.
func writeAdvisory(w io.Writer, r *Report) {
	c := Tally(r.Outcomes, func(o Outcome) bool { return !o.Counted() })
	if c.Total == 0 {
		return
	}
	fmt.Fprintf(w, "  not counted by the verdict (advisory or deprecated in set %s) %3d: %s\n", r.Property(PropSet), c.Total, c)
	if bad, _ := AdvisoryNotPassed(r.Outcomes); len(bad) > 0 {
		fmt.Fprintf(w, "  advisory, not counted until set %s: %s\n", r.Property(PropAdvisoryUntil), strings.Join(bad, ", "))
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
