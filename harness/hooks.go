package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	messages "github.com/cucumber/messages/go/v34"

	"github.com/cucumber/godog"
	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/internal/safeio"
	"github.com/ovacts/ovacts/reports"
)

func (r *runner) runGodog(ctx context.Context, suite *catalogue.Suite, filter string, init StepsInit) error {
	var contents []godog.Feature
	for _, f := range suite.Features {
		contents = append(contents, godog.Feature{Name: f.URI, Contents: f.Content})
	}
	// godog's own formatters are not used: ovacts writes its reports (JUnit,
	// Cucumber JSON) from its outcomes, the decided ones too.
	format, out := "progress", io.Discard
	ts := godog.TestSuite{
		Name: "ovacts",
		ScenarioInitializer: func(sc *godog.ScenarioContext) {
			r.hooks(sc)
			init(sc)
		},
		Options: &godog.Options{
			Format:          format,
			Output:          out,
			Strict:          true,
			NoColors:        true,
			Tags:            filter,
			Concurrency:     r.cfg.Concurrency,
			FeatureContents: contents,
			DefaultContext:  ctx,
		},
	}
	status := ts.Run()
	if status == 2 {
		return setupErr("godog refused the options (status 2)")
	}
	return nil
}

func (r *runner) track(t *Tracker, on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if on {
		r.live[t] = true
	} else {
		delete(r.live, t)
	}
}

func (r *runner) cleanupStragglers() {
	r.mu.Lock()
	var ts []*Tracker
	for t := range r.live {
		ts = append(ts, t)
	}
	r.live = map[*Tracker]bool{}
	r.mu.Unlock()
	for _, t := range ts {
		if r.cfg.Keep || r.loss.Reason() != "" {
			continue
		}
		if err := t.Cleanup(); err != nil {
			fmt.Fprintf(r.cfg.Progress, "cleanup: %v\n", err)
		}
	}
}

func keyword(t messages.PickleStepType) string {
	switch t {
	case messages.PickleStepType_CONTEXT:
		return "Given "
	case messages.PickleStepType_ACTION:
		return "When "
	case messages.PickleStepType_OUTCOME:
		return "Then "
	}
	return ""
}

// hooks record every scenario's outcome and clean up after it, whatever happened.
func (r *runner) hooks(sc *godog.ScenarioContext) {
	sc.Before(r.beforeScenario)
	sc.StepContext().Before(r.beforeStep)
	sc.StepContext().After(r.afterStep)
	sc.After(r.afterScenario)
}

// beforeScenario gives the scenario its state: its trackers, its context
// (ended by a lost connection or its own deadline, each with its cause).
func (r *runner) beforeScenario(ctx context.Context, p *godog.Scenario) (_ context.Context, err error) {
	defer recoverInto(&err)
	pp := r.byID[p.Id]
	if pp == nil || pp.p.Name != p.Name || pp.p.URI != p.Uri {
		// Our plan and godog's parse disagree: never guess which scenario this is.
		return ctx, fmt.Errorf("internal: scenario %q (%s) is not in the run plan", p.Name, p.Uri)
	}
	r.mu.Lock()
	r.seq++
	seq := r.seq
	r.mu.Unlock()
	s := &Scenario{Conn: r.conn, Caps: r.caps, Pickle: pp.p, Req: pp.p.Req, Tracker: r.newTracker(), Events: r.events,
		seq: seq, fixtures: r.fixtures, owner: r.owner, uri: r.cfg.URI, prefix: r.prefix, stepTimeout: r.cfg.StepTimeout, started: r.cfg.Clock()}
	r.track(s.Tracker, true)
	if w := r.cfg.Watch; w != nil {
		w.ScenarioStarted(seq, watched(pp), s.started)
	}
	if r.caps.AdminURI != "" {
		s.Admin = &Admin{Helper: r.cfg.AdminHelper, URI: r.caps.AdminURI}
	}
	if r.peer != nil && r.peerCaps != nil {
		s.Peer, s.PeerEvents, s.PeerTracker, s.PeerInfo = r.peer, r.peerEvents, r.newPeerTracker(), r.peerCaps
		r.track(s.PeerTracker, true)
	}
	if ctx.Err() != nil {
		s.skip = &SkipError{Status: reports.NotRun, Capability: "interrupted", Reason: "the run was interrupted before this scenario started"}
		return WithScenario(ctx, s), s.skip
	}
	r.mu.Lock()
	stopped := r.failed && r.cfg.FailFast
	r.mu.Unlock()
	if stopped {
		s.skip = &SkipError{Status: reports.NotRun, Capability: "fail-fast", Reason: "--fail-fast: not started after a scenario failed"}
		return WithScenario(ctx, s), s.skip
	}
	sctx, cancel := context.WithCancelCause(ctx)
	stopLoss := context.AfterFunc(r.loss.ctx, func() { cancel(context.Cause(r.loss.ctx)) })
	var cancelTimeout context.CancelFunc = func() {}
	if d := r.cfg.ScenarioTimeout; d > 0 {
		sctx, cancelTimeout = context.WithTimeoutCause(sctx, d, fmt.Errorf("the scenario timed out after %s", d))
	}
	s.release = func() { cancelTimeout(); stopLoss(); cancel(nil) }
	if reason := r.loss.Reason(); reason != "" {
		return WithScenario(sctx, s), fmt.Errorf("%w: %s", ErrConnectionLost, reason)
	}
	return WithScenario(sctx, s), nil
}

func (r *runner) beforeStep(ctx context.Context, st *godog.Step) (context.Context, error) {
	if s := ScenarioFrom(ctx); s != nil {
		s.stepStart = r.cfg.Clock()
		if w := r.cfg.Watch; w != nil {
			kw := keyword(st.Type)
			if i := len(s.steps); s.Pickle != nil && i < len(s.Pickle.Keywords) {
				kw = s.Pickle.Keywords[i] // as written
			}
			w.StepStarted(s.seq, kw+safeio.Printable(st.Text), s.stepStart)
		}
	}
	return ctx, nil
}

// afterStep records the step as run, and the scenario's first failure or skip.
func (r *runner) afterStep(ctx context.Context, st *godog.Step, status godog.StepResultStatus, err error) (context.Context, error) {
	s := ScenarioFrom(ctx)
	if s == nil {
		return ctx, nil
	}
	res := reports.StepResult{Keyword: keyword(st.Type), Text: st.Text, Status: status.String(), Where: r.locate(st.Text)}
	if i := len(s.steps); s.Pickle != nil && i < len(s.Pickle.Keywords) {
		res.Keyword, res.Line = s.Pickle.Keywords[i], s.Pickle.Lines[i] // as written: "And ", "But "...
	}
	if !s.stepStart.IsZero() {
		res.Duration = r.cfg.Clock().Sub(s.stepStart)
		s.stepStart = time.Time{}
	}
	if err != nil && status != godog.StepPassed {
		res.Error = r.scrub(DescribeError(err))
	}
	s.steps = append(s.steps, res)
	var skip *SkipError
	switch {
	case status == godog.StepSkipped && errors.As(err, &skip) && s.skip == nil:
		s.skip = skip
	case status == godog.StepSkipped && err != nil && s.skip == nil && s.failStep == "":
		s.skip = &SkipError{Status: reports.NotRun, Reason: r.scrub(err.Error())}
	case (status == godog.StepFailed || status == godog.StepUndefined || status == godog.StepPending ||
		status == godog.StepAmbiguous) && s.failStep == "":
		s.failStep = keyword(st.Type) + safeio.Printable(st.Text)
		s.failErr = err
		s.suiteError = status != godog.StepFailed
		if s.failErr == nil {
			s.failErr = fmt.Errorf("step %s", status)
		}
	}
	return ctx, nil
}

// afterScenario decides the scenario's outcome, removes what it created
// (LIFO, the peer's first), and reports it.
func (r *runner) afterScenario(ctx context.Context, p *godog.Scenario, scErr error) (_ context.Context, err error) {
	defer recoverInto(&err)
	s := ScenarioFrom(ctx)
	if s == nil {
		return ctx, nil
	}
	if s.release != nil {
		defer s.release()
	}
	pp := r.byID[p.Id]
	o := r.outcomeOf(pp.p, s, scErr)
	cleanupErr := r.cleanScenario(s)
	if cleanupErr != nil {
		msg := "cleanup failed, objects may be left on the stack: " + r.scrub(DescribeError(cleanupErr))
		suiteErr := true
		if reason := r.loss.Reason(); reason != "" {
			msg = fmt.Sprintf("%s (%s) during cleanup: the objects are left for the next sweep", ErrConnectionLost, reason)
			suiteErr = false
		}
		if o.Status == reports.Failed {
			o.Reason += "\n" + msg
		} else {
			o.Status, o.SuiteError, o.Reason, o.Capability = reports.Failed, suiteErr, msg, ""
		}
	}
	r.mu.Lock()
	pp.outcome = o
	r.failed = r.failed || o.Status == reports.Failed
	r.mu.Unlock()
	if w := r.cfg.Watch; w != nil {
		w.ScenarioEnded(s.seq, r.cfg.Clock())
	}
	r.printProgress(*o)
	return ctx, cleanupErr
}

// scrub makes a step's text (its error, a skip's reason) fit to print and
// report: the secrets of the run's URIs redacted, as connect errors have
// them (libvirt's messages, libguestfs's "libvirt:<URI>" backend and a
// peer-to-peer migration's errors quote them), and control characters
// escaped.
func (r *runner) scrub(text string) string {
	text = RedactText(text, r.cfg.URI)
	text = RedactText(text, r.cfg.PeerURI)
	return safeio.PrintableText(text)
}

// outcomeOf is what the scenario's steps decided: failed (a suite error for
// an undefined, pending or ambiguous step), skipped for a stated reason, or
// passed.
func (r *runner) outcomeOf(p *catalogue.Pickle, s *Scenario, scErr error) *reports.Outcome {
	o := r.baseOutcome(p)
	o.Duration = r.cfg.Clock().Sub(s.started)
	o.Steps = s.steps
	o.Shared = s.shared
	o.GuestStarts = s.starts
	switch {
	case s.failStep != "" || (scErr != nil && !errors.Is(scErr, godog.ErrSkip)):
		if s.failErr == nil {
			s.failErr = scErr
		}
		o.Status, o.FailedStep, o.SuiteError = reports.Failed, s.failStep, s.suiteError
		o.Reason = r.scrub(DescribeError(s.failErr)) + sharedNote(s.shared)
		if lv, ok := AsLibvirt(s.failErr); ok {
			o.ErrorCode = ErrorCodeName(lv.Code)
		}
		if errors.Is(s.failErr, godog.ErrUndefined) || errors.Is(s.failErr, godog.ErrPending) || errors.Is(s.failErr, godog.ErrAmbiguous) {
			o.SuiteError = true
		}
	case s.skip != nil:
		o.Status, o.Capability, o.Reason = s.skip.Status, s.skip.Capability, r.scrub(s.skip.Reason)
	default:
		o.Status = reports.Passed
	}
	if lost := r.loss.Reason(); lost != "" && o.Status == reports.Failed && !strings.Contains(o.Reason, ErrConnectionLost.Error()) {
		o.Reason = fmt.Sprintf("%s (%s): %s", ErrConnectionLost, lost, o.Reason)
		o.SuiteError = false
	}
	return o
}

// cleanScenario removes what the scenario created, unless the connection is
// lost (the objects stay for the next sweep) or --keep leaves them.
func (r *runner) cleanScenario(s *Scenario) error {
	// The destination first: a migrated domain is gone from the source.
	err := r.release(s.PeerTracker, s.Tracker)
	r.track(s.Tracker, false)
	if s.PeerTracker != nil {
		r.track(s.PeerTracker, false)
	}
	return err
}

// release removes what the trackers hold, in order (a nil one is skipped),
// unless the connection is lost (the objects stay for the next sweep) or
// --keep leaves them, listed.
func (r *runner) release(trackers ...*Tracker) error {
	if r.cov != nil { // the removal's libvirt calls are the harness's, not the scenario's
		var err error
		r.cov.onHarnessThread(func() { err = r.releaseNow(trackers...) })
		return err
	}
	return r.releaseNow(trackers...)
}

func (r *runner) releaseNow(trackers ...*Tracker) error {
	var err error
	for _, t := range trackers {
		switch {
		case t == nil || r.loss.Reason() != "":
		case r.cfg.Keep:
			for _, res := range t.Pending() {
				fmt.Fprintf(r.cfg.Progress, "KEEP: left %s on the stack (--keep)\n", res)
			}
		default:
			err = errors.Join(err, t.Cleanup())
		}
	}
	return err
}

func recoverInto(err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("panic in an ovacts hook: %v", p)
	}
}
