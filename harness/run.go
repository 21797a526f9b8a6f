package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"
	messages "github.com/cucumber/messages/go/v34"
	"github.com/ovacts/ovacts/internal/safeio"
	"github.com/ovacts/ovacts/reports"
	"libvirt.org/go/libvirt"
)

// Config is one run's settings.
type Config struct {
	URI          string
	Profile      string
	Tags         string
	FeatureDirs  []string
	JUnitPath    string
	JUnitFormat  reports.JUnitFormat // "" = reports.JUnitDefault
	CucumberPath string
	Concurrency  int
	StepTimeout  time.Duration
	// ScenarioTimeout bounds a whole scenario; zero means no bound beyond the steps'.
	ScenarioTimeout time.Duration
	Keep            bool
	FailOn          Level // failures at this level or stricter make the run fail
	SuiteVersion    string
	Progress        io.Writer
	Clock           func() time.Time
	Registry        RunRegistry
	Guest           GuestConfig
	Guestfs         GuestfsConfig
	OVirt           OVirtConfig
	// SelfTest labels a run of the suite against a fake (a stub engine): its
	// report says so, and reports.ReadResults refuses it as conformance.
	SelfTest string
	RunID    string // empty: a new random one
	// PeerURI names a second stack, the destination of migrations; "" = none.
	PeerURI string
	// Waivers turn the failures they cover into waived outcomes (--waivers).
	Waivers []reports.Waiver
	// RerunOf is the run ID of the report --rerun-failed took its
	// selection from; the report says so (rerun.of).
	RerunOf string
	// StepLocation names the step definition a step's text matches (its
	// file:line), for the Cucumber JSON; nil leaves it out.
	StepLocation func(text string) string
}

// SetupError is a usage or setup problem (bad input, unreachable stack): exit 2.
type SetupError struct{ Err error }

func (e *SetupError) Error() string { return e.Err.Error() }
func (e *SetupError) Unwrap() error { return e.Err }

func setupErr(format string, args ...any) error { return &SetupError{Err: fmt.Errorf(format, args...)} }

// StepsInit registers step definitions on a godog scenario context.
type StepsInit func(*godog.ScenarioContext)

type plannedPickle struct {
	p       *Pickle
	run     bool
	outcome *reports.Outcome
}

type runner struct {
	cfg    Config
	conn   *libvirt.Connect
	caps   *Capabilities
	prefix string
	byID   map[string]*plannedPickle
	total  int
	mu     sync.Mutex
	done   int
	seq    int
	live   map[*Tracker]bool
	events *EventHub
	owner  Owner
	loss   *lossWatch

	peer       *libvirt.Connect // nil without --peer-uri
	peerEvents *EventHub
	peerCaps   *PeerInfo

	runID     string
	ledger    *Ledger // what the run creates, recorded before each create
	stack     string  // the stack's key in the ledger
	peerStack string
}

func (r *runner) newTracker() *Tracker     { return NewTracker(r.conn, r.ledger, r.stack) }
func (r *runner) newPeerTracker() *Tracker { return NewTracker(r.peer, r.ledger, r.peerStack) }

// Verdict judges a finished run the way verify and the matrix judge its
// report afterwards (reports.Judge): the profile it ran at level, or, for a
// tag selection, the selected requirements at level.
func Verdict(rep *reports.Report, cfg Config, builtin fs.FS, level Level) (reports.ProfileVerdict, error) {
	res := reports.ResultsOf(rep)
	if cfg.Tags != "" {
		return reports.JudgeSelection(res, string(level)), nil
	}
	suite, err := LoadSuite(builtin, cfg.FeatureDirs)
	if err != nil {
		return reports.ProfileVerdict{}, err
	}
	p, err := suite.Profile(cfg.Profile)
	if err != nil {
		return reports.ProfileVerdict{}, err
	}
	return reports.Judge(p, res, string(level)), nil
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

// Run executes the selected scenarios against cfg.URI and returns the report.
// A *SetupError means nothing was judged.
func Run(ctx context.Context, cfg Config, builtin fs.FS, init StepsInit) (*reports.Report, error) {
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	for flag, p := range map[string]string{"--junit": cfg.JUnitPath, "--cucumber": cfg.CucumberPath} {
		if err := CheckReportPath(flag, p); err != nil {
			return nil, &SetupError{Err: err}
		}
	}
	if cfg.Concurrency < 1 {
		return nil, setupErr("--concurrency must be at least 1, got %d", cfg.Concurrency)
	}
	if cfg.StepTimeout <= 0 {
		return nil, setupErr("--step-timeout must be positive, got %s", cfg.StepTimeout)
	}
	if cfg.ScenarioTimeout < 0 {
		return nil, setupErr("--scenario-timeout must not be negative, got %s", cfg.ScenarioTimeout)
	}
	switch cfg.Guestfs.Accel {
	case "", "auto", "kvm", "tcg":
	default:
		return nil, setupErr("--guestfs-accel must be auto, kvm or tcg, got %q", cfg.Guestfs.Accel)
	}
	if cfg.Guestfs.AccelTimeout < 0 {
		return nil, setupErr("--guestfs-accel-timeout must not be negative, got %s", cfg.Guestfs.AccelTimeout)
	}
	var engine *OVirtEngine
	if cfg.OVirt.URL != "" {
		var err error
		if engine, err = NewOVirtEngine(cfg.OVirt); err != nil {
			return nil, &SetupError{Err: err}
		}
	}
	suite, err := LoadSuite(builtin, cfg.FeatureDirs)
	if err != nil {
		return nil, &SetupError{Err: err}
	}
	sel, err := Selection(cfg.Profile, cfg.Tags)
	if err != nil {
		return nil, &SetupError{Err: err}
	}
	if unknown := suite.UnknownTags(UserTags(cfg.Tags)); len(unknown) > 0 {
		return nil, setupErr("unknown tag %s: no loaded scenario carries it", strings.Join(unknown, ", "))
	}
	_, pickles := suite.Select(sel)
	if len(pickles) == 0 {
		return nil, setupErr("profile %q with tags %q selects no scenario", cfg.Profile, cfg.Tags)
	}
	guest, guestMissing, err := ResolveGuest(cfg.Guest)
	if err != nil {
		return nil, &SetupError{Err: err}
	}
	if cfg.Guest.BootTimeout <= 0 {
		cfg.Guest.BootTimeout = 60 * time.Second
	}

	runID := cfg.RunID
	if runID == "" {
		runID = NewRunID()
	}
	if err := cfg.Registry.Register(runID); err != nil {
		return nil, setupErr("registering the run in %s: %v", cfg.Registry.Dir, err)
	}
	defer cfg.Registry.Unregister(runID)
	ledger, err := cfg.Registry.OpenLedger(runID)
	if err != nil {
		return nil, setupErr("%v", err)
	}
	defer ledger.Close()

	started := cfg.Clock()
	conn, err := Open(cfg.URI)
	if err != nil {
		return nil, &SetupError{Err: err}
	}
	r := &runner{cfg: cfg, conn: conn, prefix: RunPrefix(runID), byID: map[string]*plannedPickle{}, ledger: ledger, runID: runID,
		live: map[*Tracker]bool{}, events: NewEventHub(conn), owner: NewOwner(runID, started)}
	r.loss = watchLoss(conn)
	if cfg.PeerURI != "" {
		if r.peer, err = Open(cfg.PeerURI); err != nil {
			conn.Close()
			return nil, setupErr("peer: %v", err)
		}
		r.peerEvents = NewEventHub(r.peer)
	}
	closeErr := func() error {
		var peerErr error
		if r.peer != nil {
			peerErr = errors.Join(r.peerEvents.Close(), CloseChecked(r.peer))
		}
		if reason := r.loss.Reason(); reason != "" {
			// Nothing can be deregistered or freed on a dead connection.
			conn.Close()
			return peerErr
		}
		r.loss.stop()
		evErr := r.events.Close()
		return errors.Join(evErr, peerErr, DrainEvents(5*time.Second), CloseChecked(conn))
	}

	fmt.Fprintf(cfg.Progress, "ovacts %s run %s against %s\n", cfg.SuiteVersion, runID, RedactURI(cfg.URI))
	if cfg.SelfTest != "" {
		fmt.Fprintf(cfg.Progress, "SELF-TEST: %s; a test of ovacts, not conformance\n", cfg.SelfTest)
	}
	if r.stack, err = StackKey(conn); err != nil {
		return nil, r.abort(setupErr("%v", err))
	}
	printSweep(cfg.Progress, SweepStack(conn, cfg.URI, r.stack, cfg.Registry, SweepOptions{Self: runID}), "")
	if r.peer != nil {
		if r.peerStack, err = StackKey(r.peer); err != nil {
			return nil, r.abort(setupErr("peer: %v", err))
		}
		printSweep(cfg.Progress, SweepStack(r.peer, cfg.PeerURI, r.peerStack, cfg.Registry, SweepOptions{Self: runID}), "peer: ")
	}
	cfg.Registry.Prune()

	probeTracker := r.newTracker()
	caps, err := Probe(conn, cfg.URI, probeTracker, r.prefix, r.owner)
	if err != nil {
		probeTracker.Cleanup()
		return nil, r.abort(&SetupError{Err: err})
	}
	r.caps = caps
	fmt.Fprintf(cfg.Progress, "stack: %s, libvirt %s (client %s), hypervisor %s, %s host, domains of type %s (offered: %s)\n",
		caps.Driver, caps.LibvirtDaemon, caps.LibvirtClient, caps.HypervisorVersion, caps.Arch, caps.DomainType, strings.Join(caps.DomainTypes, ","))
	if caps.KVMNote != "" {
		fmt.Fprintf(cfg.Progress, "stack: %s\n", caps.KVMNote)
	}

	if why := r.probePeer(); why != "" {
		caps.Lack("peer", why, NotProvided)
	} else {
		fmt.Fprintf(cfg.Progress, "peer: %s, host %s (libvirt %s), the migration destination\n", r.peerCaps.URI, r.peerCaps.Hostname, r.peerCaps.Libvirt)
	}
	if selectedNeeds(pickles, "guest") {
		r.decideGuest(ctx, guest, guestMissing)
	}
	if selectedNeeds(pickles, "ovirt-engine") {
		if err := r.probeOVirt(ctx, engine); err != nil {
			return nil, r.abort(&SetupError{Err: err})
		}
	}
	// libguestfs is probed only for scenarios that could run: all of them need
	// the stack on this host (the libguestfs under test is the stack host's).
	if gfs := stillRunnable(pickles, caps); selectedNeeds(gfs, "guestfs", "guestfs-appliance", "guestfs-libvirt", "guestfs-tools") {
		r.probeGuestfs(ctx, gfs)
	}
	for _, need := range sortedKeys(caps.Missing) {
		if n := caps.Missing[need]; n.State == Broken {
			fmt.Fprintf(cfg.Progress, "BROKEN: %s (%s fails; what needs it is blocked): %s\n", need, n.StatedBy, n.Reason)
		}
	}

	order, runExpr := r.plan(pickles, sel)
	r.total = len(order)
	fmt.Fprintf(cfg.Progress, "selected %d scenarios (profile %s%s); %d decided before the run\n\n",
		len(order), cfg.Profile, tagNote(cfg.Tags), countSkipped(order))
	for _, pp := range order {
		if !pp.run {
			r.printProgress(*pp.outcome)
		}
	}

	if filter, any, err := runExpr.GodogFilter(); err != nil {
		return nil, r.abort(&SetupError{Err: err})
	} else if any {
		if err := r.runGodog(ctx, suite, filter, init); err != nil {
			return nil, r.abort(err)
		}
	}

	// Whatever a hook could not clean (a crash in a hook, an interrupt) goes now.
	r.cleanupStragglers()
	if _, remote := caps.Missing["host"]; !remote && caps.Driver == "QEMU" && !cfg.Keep && r.loss.Reason() == "" {
		// libvirt keeps a log per domain name after the domain is gone.
		if _, err := RemoveDomainLogs(QEMULogDir, ledger.DomainNames()); err != nil {
			fmt.Fprintf(cfg.Progress, "cleanup: domain logs: %v\n", err)
		}
	}
	if n := ledger.Remaining(); n > 0 {
		fmt.Fprintf(cfg.Progress, "cleanup: %d object(s) of this run are left on the stack; its ledger %s lists them for the next sweep (ovacts cleanup)\n", n, ledger.Path())
	}

	rep := r.report(ctx, order, runID, started)
	if len(cfg.Waivers) > 0 {
		fmt.Fprintln(cfg.Progress)
		reports.WriteWaiverUse(cfg.Progress, reports.ApplyWaivers(rep, cfg.Waivers, cfg.Clock()))
	}
	if err := closeErr(); err != nil {
		return rep, fmt.Errorf("after the run: %w", err)
	}
	if cfg.JUnitPath != "" {
		format := cfg.JUnitFormat
		if format == "" {
			format = reports.JUnitDefault
		}
		if err := safeio.WriteAtomic(cfg.JUnitPath, 0o644, func(w io.Writer) error { return reports.WriteJUnitFormat(w, rep, format) }); err != nil {
			return rep, setupErr("writing JUnit: %v", err)
		}
	}
	if cfg.CucumberPath != "" {
		if err := safeio.WriteAtomic(cfg.CucumberPath, 0o644, func(w io.Writer) error { return reports.WriteCucumber(w, rep) }); err != nil {
			return rep, setupErr("writing the Cucumber JSON: %v", err)
		}
	}
	return rep, nil
}

// OVirtDerivation says where the ovirt-host checks come from, and what they are not.
const OVirtDerivation = "VDSM v4.50.7 and ovirt-engine 4.5.7 sources; a readiness check of the host, not an oVirt certification"

// stillRunnable are the pickles none of whose needs is known to be missing
// yet (libguestfs's own needs aside: their probe decides them).
func stillRunnable(pickles []*Pickle, caps *Capabilities) []*Pickle {
	var out []*Pickle
	for _, p := range pickles {
		ok := true
		for _, n := range p.Req.Needs {
			if !caps.Has(n) && !strings.HasPrefix(n, "guestfs") {
				ok = false
			}
		}
		if ok {
			out = append(out, p)
		}
	}
	return out
}

// probeOVirt decides the oVirt engine needs: no engine is a missing
// precondition, an engine that does not answer a setup error.
func (r *runner) probeOVirt(ctx context.Context, engine *OVirtEngine) error {
	if engine == nil {
		r.caps.Lack("ovirt-engine", "no engine supplied (--ovirt-url)", NotProvided)
	} else {
		if err := engine.Reach(ctx); err != nil {
			return err
		}
		r.caps.OVirt = engine
		mode := "read-only"
		if r.cfg.OVirt.AllowChanges {
			mode = "changes allowed"
		}
		fmt.Fprintf(r.cfg.Progress, "ovirt: engine %s as %s (%s)\n", engine.Base, engine.User, mode)
	}
	if !r.cfg.OVirt.AllowChanges {
		r.caps.Lack("ovirt-changes", "a read-only run: scenarios that create VMs on the engine need --ovirt-allow-changes", NotProvided)
	}
	return nil
}

// probeGuestfs decides the libguestfs needs: the tools are there or not, the
// libvirt backend needs a local QEMU stack, and the appliance launches (with
// KVM or TCG) or is broken.
func (r *runner) probeGuestfs(ctx context.Context, pickles []*Pickle) {
	caps := r.caps
	if selectedNeeds(pickles, "guestfs-tools") {
		if why := GuestfsToolsMissing(); why != "" {
			caps.Lack("guestfs-tools", why, Absent)
			fmt.Fprintf(r.cfg.Progress, "libguestfs tools: %s\n", why)
		}
	}
	if selectedNeeds(pickles, "guestfs-libvirt") && caps.Driver != "QEMU" {
		caps.Lack("guestfs-libvirt", fmt.Sprintf("libguestfs's libvirt backend runs a QEMU appliance; the stack's driver is %s", caps.Driver), Absent)
	}
	if !selectedNeeds(pickles, "guestfs", "guestfs-appliance", "guestfs-libvirt") {
		return
	}
	launch := selectedNeeds(pickles, "guestfs-appliance", "guestfs-libvirt")
	g, need, why := ProbeGuestfs(ctx, r.cfg.Guestfs, launch, func(line string) { fmt.Fprintln(r.cfg.Progress, line) })
	caps.Guestfs = g
	if why != nil {
		caps.Missing[need] = *why
		if need == "guestfs" {
			caps.Missing["guestfs-appliance"] = *why
		}
		if _, lacks := caps.Missing["guestfs-libvirt"]; !lacks {
			caps.Missing["guestfs-libvirt"] = caps.Missing["guestfs-appliance"]
		}
		fmt.Fprintf(r.cfg.Progress, "libguestfs: %s: %s\n", why.State, why.Reason)
		return
	}
	if !launch {
		fmt.Fprintf(r.cfg.Progress, "libguestfs: %s (no scenario selected launches the appliance)\n", g.Version)
		return
	}
	note := ""
	if g.AccelNote != "" {
		note = " (" + g.AccelNote + ")"
	}
	fmt.Fprintf(r.cfg.Progress, "libguestfs: %s, the appliance launches with %s in %.1f s%s\n", g.Version, g.Accel, g.ProbeLaunch.Seconds(), note)
}

// decideGuest decides the "guest" need: no guest OS given is not provided;
// a stack that cannot run guests at all (no hvm, no accelerator) passes its
// reason on; otherwise the guest is booted once to choose its accelerator.
func (r *runner) decideGuest(ctx context.Context, g *Guest, missing string) {
	caps := r.caps
	switch {
	case !caps.Has("guest"):
	case caps.BreakAs("guest", "hvm", "no guest can be booted"):
	case missing != "":
		caps.Lack("guest", missing, NotProvided)
	default:
		if n := r.probeGuest(ctx, g); n != nil {
			caps.Missing["guest"] = *n
		}
	}
	if n, missing := caps.Missing["guest"]; missing {
		fmt.Fprintf(r.cfg.Progress, "guest: none (%s): %s\n", n.State, n.Reason)
	}
}

// probeGuest boots the guest once to choose its accelerator; nil when it works.
func (r *runner) probeGuest(ctx context.Context, g *Guest) *Need {
	t := r.newTracker()
	r.track(t, true)
	defer r.track(t, false)
	fmt.Fprintf(r.cfg.Progress, "guest: probing %s (accel %s)\n", g.Describe(), orDefault(r.cfg.Guest.Accel, "auto"))
	n := ProbeGuest(ctx, r.conn, r.events, r.caps, g, r.cfg.Guest, t, r.prefix, r.owner,
		func(line string) { fmt.Fprintln(r.cfg.Progress, line) })
	if err := t.Cleanup(); err != nil && n == nil {
		n = &Need{State: Broken, StatedBy: "GUEST-001", Reason: "removing the probe guest failed: " + DescribeError(err)}
	}
	if n != nil {
		return n
	}
	r.caps.Guest = g
	note := ""
	if g.AccelNote != "" {
		note = " (" + g.AccelNote + ")"
	}
	fmt.Fprintf(r.cfg.Progress, "guest: boots with %s, agent ready in %.1f s%s\n", g.Accel, g.ProbeBoot.Seconds(), note)
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// plan decides before the run what the probe already decided: a requirement
// that states a broken capability fails with the cause; a scenario that needs
// a capability the stack lacks is not applicable, one whose capability is
// broken is blocked, one whose input the run lacks is not run. It returns the
// expression that selects the rest (for godog).
func (r *runner) plan(pickles []*Pickle, sel *TagExpr) ([]*plannedPickle, *TagExpr) {
	caps := r.caps
	runExpr := sel
	exclude := func(tag string) {
		not, _ := ParseTagExpr("not " + tag)
		runExpr = runExpr.And(not)
	}
	for _, need := range sortedKeys(caps.Missing) {
		exclude("@needs:" + need)
		if n := caps.Missing[need]; n.State == Broken && n.StatedBy != "" {
			exclude("@req:" + n.StatedBy)
		}
	}
	var order []*plannedPickle
	for _, p := range pickles {
		pp := &plannedPickle{p: p, run: runExpr.Match(p.Tags)}
		if !pp.run {
			pp.outcome = r.decide(p)
		}
		r.byID[p.ID] = pp
		order = append(order, pp)
	}
	return order, runExpr
}

// decide is the outcome of a scenario the probe decided.
func (r *runner) decide(p *Pickle) *reports.Outcome {
	caps := r.caps
	o := r.baseOutcome(p)
	for _, need := range sortedKeys(caps.Missing) {
		if n := caps.Missing[need]; n.State == Broken && n.StatedBy == p.Req.ID {
			o.Status, o.FailedStep = reports.Failed, "(the probe, before the run)"
			o.Reason = fmt.Sprintf("%s is broken: %s", need, n.Reason)
			return o
		}
	}
	var absent, blocked, notRun []string
	for _, need := range p.Req.Needs {
		n, missing := caps.Missing[need]
		if !missing {
			continue
		}
		switch n.State {
		case Absent:
			absent = append(absent, need)
		case Broken:
			blocked = append(blocked, need)
		default:
			notRun = append(notRun, need)
		}
	}
	// The stack not offering a feature outranks a broken one (the scenario
	// would not apply anyway), and both outrank a missing input.
	switch {
	case len(absent) > 0:
		o.Status, o.Capability = reports.NotApplicable, absent[0]
		o.Reason = "needs " + absent[0] + ": " + caps.Missing[absent[0]].Reason
	case len(blocked) > 0:
		n := caps.Missing[blocked[0]]
		o.Status, o.Capability, o.BlockedBy = reports.Blocked, blocked[0], n.StatedBy
		o.Reason = fmt.Sprintf("%s is broken (%s failed): %s", blocked[0], n.StatedBy, n.Reason)
	case len(notRun) > 0:
		o.Status, o.Capability = reports.NotRun, notRun[0]
		o.Reason = "needs " + notRun[0] + ": " + caps.Missing[notRun[0]].Reason
	default:
		o.Status, o.SuiteError, o.Reason = reports.Failed, true, "the plan left this scenario out for no reason (internal error)"
	}
	return o
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
	for _, pp := range order {
		if slices.Contains(pp.p.Tags, "@ovirt-host") {
			rep.Properties = append(rep.Properties, reports.Property{Name: "ovirt-host.derived-from",
				Value: OVirtDerivation})
			break
		}
	}
	rep.Properties = append(rep.Properties,
		reports.Property{Name: "profile", Value: cfg.Profile},
		reports.Property{Name: "tags", Value: cfg.Tags},
		reports.Property{Name: "run.id", Value: runID},
		reports.Property{Name: "suite.version", Value: cfg.SuiteVersion},
		reports.Property{Name: "started", Value: started.UTC().Format(time.RFC3339)},
	)
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
	return rep
}

func printSweep(w io.Writer, sw SweepResult, where string) {
	for _, rm := range sw.Removed {
		fmt.Fprintf(w, "%ssweep: removed %s (%s)\n", where, rm.Res, rm.Why)
	}
	for _, k := range sw.Kept {
		fmt.Fprintf(w, "%ssweep: left %s (%s)\n", where, k.Res, k.Why)
	}
	for _, e := range sw.Errors {
		fmt.Fprintf(w, "%ssweep: %v\n", where, e)
	}
}

func tagNote(tags string) string {
	if tags == "" {
		return ""
	}
	return ", tags " + tags
}

func countSkipped(pp []*plannedPickle) int {
	n := 0
	for _, p := range pp {
		if !p.run {
			n++
		}
	}
	return n
}

func (r *runner) abort(err error) error {
	r.cleanupStragglers()
	if r.peer != nil {
		r.peerEvents.Close()
		r.peer.Close()
	}
	r.loss.stop()
	r.events.Close()
	r.conn.Close()
	return err
}

// CheckReportPath refuses a report path the run could not write, or one with
// a comma (godog's format list separator), before anything runs.
func CheckReportPath(flag, path string) error {
	if path == "" {
		return nil
	}
	if strings.Contains(path, ",") {
		return fmt.Errorf("%s %s: a report path may not contain a comma", flag, path)
	}
	if err := safeio.CheckWritable(path); err != nil {
		return fmt.Errorf("%s: %w", flag, err)
	}
	return nil
}

// baseOutcome is a scenario's outcome before it is decided: its steps all
// "not run" until they run.
func (r *runner) baseOutcome(p *Pickle) *reports.Outcome {
	o := &reports.Outcome{ReqID: p.Req.ID, Level: string(p.Req.Level), Area: p.Req.Area, Title: p.Name,
		Feature: p.Req.Feature, FeatureURI: p.URI, Line: p.Line}
	o.Tags = p.Tags
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
}

func (r *runner) runGodog(ctx context.Context, suite *Suite, filter string, init StepsInit) error {
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
	sc.Before(func(ctx context.Context, p *godog.Scenario) (_ context.Context, err error) {
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
			seq: seq, owner: r.owner, uri: r.cfg.URI, prefix: r.prefix, stepTimeout: r.cfg.StepTimeout, started: r.cfg.Clock()}
		r.track(s.Tracker, true)
		if r.peer != nil && r.peerCaps != nil {
			s.Peer, s.PeerEvents, s.PeerTracker, s.PeerInfo = r.peer, r.peerEvents, r.newPeerTracker(), r.peerCaps
			r.track(s.PeerTracker, true)
		}
		if ctx.Err() != nil {
			s.skip = &SkipError{Status: reports.NotRun, Capability: "interrupted", Reason: "the run was interrupted before this scenario started"}
			return WithScenario(ctx, s), s.skip
		}
		// The scenario's context ends on a lost connection and on its own
		// deadline, each with its cause, so a wait stops with the right words.
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
	})
	sc.StepContext().Before(func(ctx context.Context, st *godog.Step) (context.Context, error) {
		if s := ScenarioFrom(ctx); s != nil {
			s.stepStart = r.cfg.Clock()
		}
		return ctx, nil
	})
	sc.StepContext().After(func(ctx context.Context, st *godog.Step, status godog.StepResultStatus, err error) (context.Context, error) {
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
			res.Error = DescribeError(err)
		}
		s.steps = append(s.steps, res)
		var skip *SkipError
		switch {
		case status == godog.StepSkipped && errors.As(err, &skip) && s.skip == nil:
			s.skip = skip
		case status == godog.StepSkipped && err != nil && s.skip == nil && s.failStep == "":
			s.skip = &SkipError{Status: reports.NotRun, Reason: err.Error()}
		case (status == godog.StepFailed || status == godog.StepUndefined || status == godog.StepPending ||
			status == godog.StepAmbiguous) && s.failStep == "":
			s.failStep = keyword(st.Type) + st.Text
			s.failErr = err
			s.suiteError = status != godog.StepFailed
			if s.failErr == nil {
				s.failErr = fmt.Errorf("step %s", status)
			}
		}
		return ctx, nil
	})
	sc.After(func(ctx context.Context, p *godog.Scenario, scErr error) (_ context.Context, err error) {
		defer recoverInto(&err)
		s := ScenarioFrom(ctx)
		if s == nil {
			return ctx, nil
		}
		if s.release != nil {
			defer s.release()
		}
		pp := r.byID[p.Id]
		o := r.baseOutcome(pp.p)
		o.Duration = r.cfg.Clock().Sub(s.started)
		o.Steps = s.steps
		lost := r.loss.Reason()
		switch {
		case s.failStep != "" || (scErr != nil && !errors.Is(scErr, godog.ErrSkip)):
			if s.failErr == nil {
				s.failErr = scErr
			}
			o.Status, o.FailedStep, o.SuiteError = reports.Failed, s.failStep, s.suiteError
			o.Reason = DescribeError(s.failErr)
			if lv, ok := AsLibvirt(s.failErr); ok {
				o.ErrorCode = ErrorCodeName(lv.Code)
			}
			if errors.Is(s.failErr, godog.ErrUndefined) || errors.Is(s.failErr, godog.ErrPending) || errors.Is(s.failErr, godog.ErrAmbiguous) {
				o.SuiteError = true
			}
		case s.skip != nil:
			o.Status, o.Capability, o.Reason = s.skip.Status, s.skip.Capability, s.skip.Reason
		default:
			o.Status = reports.Passed
		}
		if lost != "" && o.Status == reports.Failed && !strings.Contains(o.Reason, ErrConnectionLost.Error()) {
			o.Reason = fmt.Sprintf("%s (%s): %s", ErrConnectionLost, lost, o.Reason)
			o.SuiteError = false
		}
		var cleanupErr error
		if lost != "" {
			// Every call would fail: the objects stay for the sweep of the next
			// run (or ovacts cleanup) once the stack is back.
			r.track(s.Tracker, false)
		} else if r.cfg.Keep {
			for _, res := range s.Tracker.Pending() {
				fmt.Fprintf(r.cfg.Progress, "KEEP: left %s on the stack (--keep)\n", res)
			}
		} else {
			// The destination first: a migrated domain is gone from the source.
			if s.PeerTracker != nil {
				cleanupErr = s.PeerTracker.Cleanup()
			}
			cleanupErr = errors.Join(cleanupErr, s.Tracker.Cleanup())
		}
		r.track(s.Tracker, false)
		if s.PeerTracker != nil {
			r.track(s.PeerTracker, false)
		}
		if cleanupErr != nil {
			msg := "cleanup failed, objects may be left on the stack: " + DescribeError(cleanupErr)
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
		r.mu.Unlock()
		r.printProgress(*o)
		return ctx, cleanupErr
	})
}

func recoverInto(err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("panic in an ovacts hook: %v", p)
	}
}
