package harness

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/reports"
)

// Verdict judges a finished run the way verify and the matrix judge its
// report afterwards (reports.Judge): the profile it ran at level, or, for a
// tag selection, the selected requirements at level.
func Verdict(rep *reports.Report, cfg Config, builtin fs.FS, level catalogue.Level) (reports.ProfileVerdict, error) {
	res := reports.ResultsOf(rep)
	if cfg.Tags != "" || cfg.Profile == catalogue.EveryProfile {
		return reports.JudgeSelection(res, string(level)), nil
	}
	suite, err := catalogue.LoadSuite(builtin, cfg.FeatureDirs)
	if err != nil {
		return reports.ProfileVerdict{}, err
	}
	p, err := suite.Profile(cfg.Profile)
	if err != nil {
		return reports.ProfileVerdict{}, err
	}
	return reports.Judge(cfg.Service.Apply(p), res, string(level)), nil
}

// setProperties name the requirement set the run's suite is, and the digest
// of its requirements as this binary has them, which verify compares with the
// set's; and the command line.
func setProperties(suite *catalogue.Suite, command string) []reports.Property {
	var props []reports.Property
	set, digest := suite.RunSet()
	if set != nil {
		props = append(props, reports.Property{Name: reports.PropSet, Value: set.Name},
			reports.Property{Name: reports.PropSetStatus, Value: set.Status})
	}
	props = append(props, reports.Property{Name: reports.PropSetDigest, Value: digest})
	if command != "" {
		props = append(props, reports.Property{Name: reports.PropCommand, Value: command})
	}
	return props
}

// ExitCode maps a verdict to the CLI's exit code: 0 conformant, 1 not
// conformant, 3 incomplete.
func ExitCode(v reports.ProfileVerdict) int {
	switch v.Kind {
	case reports.Conformant:
		return 0
	case reports.NotConformant:
		return 1
	}
	return 3
}

// RunExitCode is run's exit code for a finished run: ExitCode's, except that
// a rehearsal (a run on libvirt's test driver) that would be conformant exits
// reports.ExitRehearsal, never 0, so a job that checks only the exit code
// cannot take it for a certificate.
func RunExitCode(v reports.ProfileVerdict, rep *reports.Report) int {
	code := ExitCode(v)
	if code == 0 && IsRehearsal(rep) {
		return reports.ExitRehearsal
	}
	return code
}

// IsRehearsal says whether a run was on libvirt's test driver, which
// certifies no stack.
func IsRehearsal(rep *reports.Report) bool {
	return reports.IsRehearsal(map[string]string{"driver": rep.Property("driver")})
}

// report assembles the run's report, in plan order. A selected scenario with
// no outcome was cut short by an interrupt, or is an internal error.
func (r *runner) report(ctx context.Context, order []*plannedPickle, runID string, started time.Time) *reports.Report {
	cfg, caps := r.cfg, r.caps
	rep := &reports.Report{Suite: "ovacts", Started: started, Duration: cfg.Clock().Sub(started), Interrupted: ctx.Err() != nil}
	if cfg.SelfTest != "" {
		rep.Suite = reports.SelfTestSuite
		rep.Properties = append(rep.Properties, reports.Property{Name: reports.SelfTestProperty, Value: cfg.SelfTest + "; not conformance"})
	}
	rep.Properties = append(rep.Properties, reports.Property{Name: "hostname", Value: caps.Hostname})
	for _, kv := range caps.Properties() {
		rep.Properties = append(rep.Properties, reports.Property{Name: kv[0], Value: kv[1]})
	}
	if r.peerCaps != nil {
		rep.Properties = append(rep.Properties, reports.Property{Name: "peer.uri", Value: r.peerCaps.URI},
			reports.Property{Name: "peer.hostname", Value: r.peerCaps.Hostname}, reports.Property{Name: "peer.libvirt", Value: r.peerCaps.Libvirt})
	}
	var selected []*catalogue.Pickle
	for _, pp := range order {
		selected = append(selected, pp.p)
	}
	for _, d := range catalogue.Derivations(selected) {
		rep.Properties = append(rep.Properties, reports.Property{Name: d.Property, Value: d.Text})
	}
	rep.Properties = append(rep.Properties,
		reports.Property{Name: "profile", Value: cfg.Profile},
		reports.Property{Name: "tags", Value: cfg.Tags},
		reports.Property{Name: "run.id", Value: runID},
		reports.Property{Name: "run.concurrency", Value: r.concurrencyNote},
		reports.Property{Name: "run.probe.seconds", Value: fmt.Sprintf("%.2f", r.probeTime.Seconds())},
		reports.Property{Name: "suite.version", Value: cfg.SuiteVersion},
		reports.Property{Name: "started", Value: started.UTC().Format(time.RFC3339)},
	)
	rep.Properties = append(rep.Properties, setProperties(r.suite, cfg.Command)...)
	rep.Properties = append(rep.Properties, cfg.Service.Properties()...)
	if cfg.RerunOf != "" {
		rep.Properties = append(rep.Properties, reports.Property{Name: "rerun.of", Value: cfg.RerunOf})
	}
	if rep.Interrupted {
		rep.Properties = append(rep.Properties, reports.Property{Name: "interrupted", Value: "true"})
	}
	if reason := r.loss.Reason(); reason != "" {
		rep.Properties = append(rep.Properties, reports.Property{Name: "connection.lost", Value: reason})
	}
	for _, pp := range order {
		if pp.outcome == nil {
			o := r.baseOutcome(pp.p)
			if rep.Interrupted {
				o.Status, o.Capability, o.Reason = reports.NotRun, "interrupted", "the run was interrupted before this scenario ran"
			} else {
				o.Status, o.SuiteError, o.Reason = reports.Failed, true, "godog did not run this selected scenario (internal error)"
			}
			pp.outcome = o
		}
		rep.Outcomes = append(rep.Outcomes, *pp.outcome)
	}
	if bad, n := reports.AdvisoryNotPassed(rep.Outcomes); n > 0 {
		rep.Properties = append(rep.Properties, reports.Property{Name: reports.PropAdvisoryUntil, Value: r.suite.CountedFrom()},
			reports.Property{Name: reports.PropAdvisoryNotPassed, Value: strings.Join(bad, ", ")})
	}
	return rep
}

func printSweep(w io.Writer, sw SweepResult, stack, where string) {
	for _, rm := range sw.Removed {
		fmt.Fprintf(w, "%ssweep: removed %s (%s)\n", where, rm.Res, rm.Why)
	}
	for _, k := range sw.Kept {
		fmt.Fprintf(w, "%ssweep: left %s (%s)\n", where, k.Res, k.Why)
	}
	for _, e := range sw.Errors {
		fmt.Fprintf(w, "%ssweep: %v\n", where, e)
	}
	if note := sw.ElsewhereNote(stack); note != "" {
		fmt.Fprintf(w, "%ssweep: %s\n", where, note)
	}
}

// baseOutcome is a scenario's outcome before it is decided: its steps all
// "not run" until they run.
func (r *runner) baseOutcome(p *catalogue.Pickle) *reports.Outcome {
	o := &reports.Outcome{ReqID: p.Req.ID, Level: string(p.Req.Level), Area: p.Req.Area, Title: p.Name,
		Feature: p.Req.Feature, FeatureURI: p.URI, Line: p.Line}
	o.Tags = p.Tags
	// A profile's verdict counts only what its set requires; a tag
	// selection counts all it selected.
	if r.cfg.Tags == "" && p.Req.BuiltIn && p.Req.State != catalogue.StateRequired {
		o.State = p.Req.State
	}
	for i, text := range p.Steps {
		o.Steps = append(o.Steps, reports.StepResult{Keyword: p.Keywords[i], Text: text, Status: "not run", Line: p.Lines[i], Where: r.locate(text)})
	}
	return o
}

func (r *runner) locate(text string) string {
	if r.cfg.StepLocation == nil {
		return ""
	}
	return r.cfg.StepLocation(text)
}

func (r *runner) printProgress(o reports.Outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done++
	fmt.Fprintf(r.cfg.Progress, "[%3d/%d] %s\n", r.done, r.total, reports.ProgressLine(o))
	if r.cfg.VerboseSteps {
		for _, st := range o.Steps {
			fmt.Fprintf(r.cfg.Progress, "        %-9s %s%s (%s)\n", st.Status, st.Keyword, st.Text, st.Duration.Round(time.Millisecond))
		}
	}
}
