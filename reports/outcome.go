// Package reports holds the outcome model of a run and its writers: ovacts' own
// JUnit (godog's miscounts skips) and the terminal summary.
package reports

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Status is how a scenario ended.
type Status string

const (
	Passed  Status = "passed"
	Failed  Status = "failed"
	Skipped Status = "skipped"
)

// Outcome is the result of one executable scenario.
type Outcome struct {
	ReqID      string        `json:"req"`
	Level      string        `json:"level"`
	Area       string        `json:"area"`
	Title      string        `json:"title"`
	Feature    string        `json:"feature"`
	FeatureURI string        `json:"uri"`
	Line       int           `json:"line"`
	Status     Status        `json:"status"`
	SkipKind   string        `json:"skipKind,omitempty"`
	Reason     string        `json:"reason,omitempty"` // why skipped, or what failed
	FailedStep string        `json:"failedStep,omitempty"`
	ErrorCode  string        `json:"errorCode,omitempty"`  // VIR_ERR_* where libvirt answered
	SuiteError bool          `json:"suiteError,omitempty"` // undefined/pending/ambiguous step, or a cleanup failure
	Waiver     string        `json:"waiver,omitempty"`     // the waiver of a waived failure
	Duration   time.Duration `json:"durationNs"`
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
	Total, Passed, Failed, Skipped, Waived, SuiteErrors int
}

// Tally counts outcomes, optionally only those matching keep.
func Tally(outs []Outcome, keep func(Outcome) bool) Counts {
	var c Counts
	for _, o := range outs {
		if keep != nil && !keep(o) {
			continue
		}
		c.Total++
		switch {
		case o.Status == Failed && o.SuiteError:
			c.SuiteErrors++
		case o.Status == Failed:
			c.Failed++
		case o.Status == Skipped:
			c.Skipped++
		case o.Status == Waived:
			c.Waived++
		default:
			c.Passed++
		}
	}
	return c
}

func (c Counts) String() string {
	s := fmt.Sprintf("%d passed, %d failed, %d skipped", c.Passed, c.Failed, c.Skipped)
	if c.Waived > 0 {
		s += fmt.Sprintf(", %d waived", c.Waived)
	}
	if c.SuiteErrors > 0 {
		s += fmt.Sprintf(", %d suite errors", c.SuiteErrors)
	}
	return s
}

// ProgressLine is the one-line live report of a finished scenario.
func ProgressLine(o Outcome) string {
	word := map[Status]string{Passed: "PASS", Failed: "FAIL", Skipped: "SKIP", Waived: "WAIVE"}[o.Status]
	if o.SuiteError {
		word = "ERROR"
	}
	line := fmt.Sprintf("%-5s %-9s %-6s %s (%s)", word, o.ReqID, o.Level, o.Title, o.Duration.Round(time.Millisecond))
	switch o.Status {
	case Skipped:
		line += fmt.Sprintf("\n      skipped, %s: %s", o.SkipKind, o.Reason)
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

// WriteSummary prints totals per level and per area.
func WriteSummary(w io.Writer, r *Report) {
	all := Tally(r.Outcomes, nil)
	fmt.Fprintf(w, "\n%d scenarios: %s in %s\n", all.Total, all, r.Duration.Round(time.Millisecond))
	for _, lvl := range []string{"MUST", "SHOULD", "MAY"} {
		c := Tally(r.Outcomes, func(o Outcome) bool { return o.Level == lvl })
		if c.Total > 0 {
			fmt.Fprintf(w, "  %-6s %3d: %s\n", lvl, c.Total, c)
		}
	}
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
