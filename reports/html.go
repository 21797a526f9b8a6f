package reports

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/ovacts/ovacts/internal/safeio"
)

// The HTML report of a run: one self-contained file (its CSS inline, no
// script, nothing fetched), to open from a results directory or a CI
// artifact. It reads top down: the verdict with its reasons, every
// requirement that did not pass with its outcome, cause and failing step,
// the areas with their counts, then the facts of the stack and the run.
// Everything it quotes from feature files and from the stack is untrusted:
// html/template escapes it, and Printable takes out control characters.

//go:embed report.html.tmpl
var htmlReportTemplate string

var htmlReport = template.Must(template.New("report").Parse(htmlReportTemplate))

// HTMLInput is what the HTML report shows: the run's report, the verdict
// the one verdict function gave it, whether it is a rehearsal (libvirt's
// test driver), and when the report was written (injected for tests).
type HTMLInput struct {
	Report    *Report
	Verdict   ProfileVerdict
	Rehearsal bool
	Generated time.Time
}

type htmlPage struct {
	Title, RunID, URI, Started, Duration, Generated string
	Interrupted                                     bool
	Verdict                                         htmlVerdict
	Total                                           string
	NotPassed                                       []htmlOutcome
	Areas                                           []htmlArea
	Facts                                           []Property
}

type htmlVerdict struct {
	Class, Word, Subject string
	Reasons              []string
}

type htmlOutcome struct {
	Class, ReqID, Level, Title, Outcome, Note, Cause, Step, Where, Waiver string
}

type htmlArea struct {
	Name                                                       string
	Total, Passed, Failed, Blocked, NA, NotRun, Waived, Errors int
}

// WriteHTML writes the run's HTML report.
func WriteHTML(w io.Writer, in HTMLInput) error {
	r := in.Report
	id := safeio.Printable(r.Property("run.id"))
	p := htmlPage{
		Title: "ovacts run " + id, RunID: id, URI: WithoutCredentials(r.Property("uri")),
		Started: r.Started.UTC().Format(time.RFC3339), Duration: r.Duration.Round(time.Millisecond).String(),
		Generated: in.Generated.UTC().Format(time.RFC3339), Interrupted: r.Interrupted,
		Verdict: verdictOf(in.Verdict, in.Rehearsal), Total: fmt.Sprintf("%d scenarios: %s", len(r.Outcomes), Tally(r.Outcomes, nil)),
		NotPassed: notPassed(r.Outcomes), Areas: areasOf(r.Outcomes),
	}
	for _, prop := range r.Properties {
		v := safeio.Printable(prop.Value)
		if prop.Name == "uri" || strings.HasSuffix(prop.Name, ".uri") {
			v = WithoutCredentials(prop.Value)
		}
		p.Facts = append(p.Facts, Property{Name: safeio.Printable(prop.Name), Value: v})
	}
	return htmlReport.Execute(w, p)
}

func verdictOf(v ProfileVerdict, rehearsal bool) htmlVerdict {
	out := htmlVerdict{Class: slug(string(v.Kind)), Word: strings.ToUpper(string(v.Kind)), Subject: safeio.Printable(v.Subject())}
	if rehearsal && v.Kind == Conformant {
		out.Class, out.Word = "rehearsal", "REHEARSAL"
		out.Reasons = []string{fmt.Sprintf("would be conformant, but libvirt's test driver certifies no stack (exit %d)", ExitRehearsal)}
	}
	for _, line := range v.Reasons() {
		out.Reasons = append(out.Reasons, safeio.Printable(line))
	}
	return out
}

// notPassed lists the outcomes that did not pass, the worst first (rankOf),
// each kind in report order.
func notPassed(outs []Outcome) []htmlOutcome {
	var bad []Outcome
	for _, o := range outs {
		if o.Status != Passed {
			bad = append(bad, o)
		}
	}
	sort.SliceStable(bad, func(i, j int) bool { return rankOf(bad[i]) > rankOf(bad[j]) })
	var rows []htmlOutcome
	for _, o := range bad {
		row := htmlOutcome{Class: slug(string(o.Status)), ReqID: safeio.Printable(o.ReqID), Level: safeio.Printable(o.Level), Title: safeio.Printable(o.Title),
			Outcome: safeio.Printable(Category(o)), Cause: safeio.PrintableText(Stable(o.Reason)), Step: safeio.Printable(o.FailedStep),
			Waiver: safeio.Printable(o.Waiver)}
		if o.SuiteError {
			row.Class, row.Outcome = "error", "failed (suite error)"
		}
		if o.BlockedBy != "" {
			row.Outcome += ", by " + safeio.Printable(o.BlockedBy)
		}
		if o.State != "" {
			row.Note = safeio.Printable(o.State) + ": not counted by the verdict"
		}
		if o.FeatureURI != "" {
			row.Where = fmt.Sprintf("%s:%d", safeio.Printable(o.FeatureURI), o.Line)
		}
		rows = append(rows, row)
	}
	return rows
}

// rankOf orders what did not pass: what the verdict counts before what it
// does not (advisory, deprecated), then suite errors, failures, blocked,
// waived, not run, not applicable.
func rankOf(o Outcome) int {
	r := statusRank[o.Status]
	if o.SuiteError {
		r = statusRank[Failed] + 1
	}
	if o.Counted() {
		r += 10
	}
	return r
}

// areasOf counts each area's outcomes, areas by name.
func areasOf(outs []Outcome) []htmlArea {
	byArea := map[string]Counts{}
	for _, o := range outs {
		c := byArea[o.Area]
		c.add(o.Status, o.SuiteError)
		byArea[o.Area] = c
	}
	var names []string
	for a := range byArea {
		names = append(names, a)
	}
	sort.Strings(names)
	var rows []htmlArea
	for _, a := range names {
		c := byArea[a]
		rows = append(rows, htmlArea{Name: safeio.Printable(orUnknown(a)), Total: c.Total, Passed: c.Passed, Failed: c.Failed, Blocked: c.Blocked,
			NA: c.NotApplicable, NotRun: c.NotRun, Waived: c.Waived, Errors: c.SuiteErrors})
	}
	return rows
}
