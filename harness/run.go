package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/internal/safeio"
	"github.com/ovacts/ovacts/reports"
	"libvirt.org/go/libvirt"
)

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
	// failed: a scenario failed; with --fail-fast no other starts.
	failed bool
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

	suite           *catalogue.Suite
	cov             *apiCoverage // with --api-coverage
	fixtures        *sharedFixtures
	concurrencyNote string // the level used and why (run.concurrency)
	probeTime       time.Duration
}

func (r *runner) newTracker() *Tracker     { return NewTracker(r.conn, r.ledger, r.stack) }
func (r *runner) newPeerTracker() *Tracker { return NewTracker(r.peer, r.ledger, r.peerStack) }

// Run executes the selected scenarios against cfg.URI and returns the report.
// A *SetupError means nothing was judged. Its phases: check the settings,
// load and select, register the run, connect, sweep dead runs' objects,
// probe, plan, run the scenarios, clean up, report.
func Run(ctx context.Context, cfg Config, builtin fs.FS, init StepsInit) (*reports.Report, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	var engine *OVirtEngine
	if cfg.OVirt.URL != "" {
		var err error
		if engine, err = NewOVirtEngine(cfg.OVirt); err != nil {
			return nil, &SetupError{Err: err}
		}
	}
	suite, sel, pickles, err := selectScenarios(cfg, builtin)
	if err != nil {
		return nil, err
	}
	guest, guestMissing, err := ResolveGuest(cfg.Guest)
	if err != nil {
		return nil, &SetupError{Err: err}
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
	r, err := connect(cfg, runID, ledger, started)
	if err != nil {
		return nil, err
	}
	r.suite = suite
	// A bundle's verify reads the start from this line (reports.CheckDates).
	fmt.Fprintf(cfg.Progress, "ovacts %s run %s against %s, started %s\n", cfg.SuiteVersion, runID, RedactURI(cfg.URI), started.UTC().Format(time.RFC3339))
	if cfg.SelfTest != "" {
		fmt.Fprintf(cfg.Progress, "SELF-TEST: %s; a test of ovacts, not conformance\n", cfg.SelfTest)
	}
	if err := r.sweep(); err != nil {
		return nil, r.abort(err)
	}
	if err := r.probe(ctx, pickles, subjects{guest: guest, guestMissing: guestMissing, engine: engine}); err != nil {
		return nil, r.abort(err)
	}

	r.decideConcurrency()
	order, runExpr := r.plan(pickles, sel)
	r.total = len(order)
	fmt.Fprintf(cfg.Progress, "selected %d scenarios (profile %s%s); %d decided before the run\n\n",
		len(order), cfg.Profile, tagNote(cfg.Tags), countSkipped(order))
	r.planned(order)
	for _, pp := range order {
		if !pp.run {
			r.printProgress(*pp.outcome)
		}
	}
	if filter, any, err := runExpr.GodogFilter(); err != nil {
		return nil, r.abort(&SetupError{Err: err})
	} else if any {
		r.startFixtures()
		r.markScenarios(true)
		err := r.runGodog(ctx, suite, filter, init)
		r.markScenarios(false)
		r.endFixtures()
		if err != nil {
			return nil, r.abort(err)
		}
	}
	r.finish()

	rep := r.report(ctx, order, runID, started)
	if len(cfg.Waivers) > 0 {
		fmt.Fprintln(cfg.Progress)
		reports.WriteWaiverUse(cfg.Progress, reports.ApplyWaivers(rep, cfg.Waivers, cfg.Clock()))
	}
	if err := r.close(); err != nil {
		return rep, fmt.Errorf("after the run: %w", err)
	}
	if err := r.writeAPICoverage(); err != nil {
		return rep, fmt.Errorf("--api-coverage: %w", err)
	}
	return rep, WriteReports(cfg, rep)
}

// selectScenarios loads the features and selects the profile's and the tag
// expression's scenarios.
func selectScenarios(cfg Config, builtin fs.FS) (*catalogue.Suite, *catalogue.TagExpr, []*catalogue.Pickle, error) {
	suite, err := catalogue.LoadSuite(builtin, cfg.FeatureDirs)
	if err != nil {
		return nil, nil, nil, &SetupError{Err: err}
	}
	sel, err := catalogue.Selection(cfg.Profile, cfg.Tags)
	if err != nil {
		return nil, nil, nil, &SetupError{Err: err}
	}
	if err := suite.UnknownTagsError(catalogue.UserTags(cfg.Tags)); err != nil {
		return nil, nil, nil, &SetupError{Err: err}
	}
	_, pickles := suite.Select(sel)
	if len(pickles) == 0 {
		return nil, nil, nil, setupErr("profile %q with tags %q selects no scenario", cfg.Profile, cfg.Tags)
	}
	return suite, sel, pickles, nil
}

// connect opens the stack (and the peer) with their event hubs.
func connect(cfg Config, runID string, ledger *Ledger, started time.Time) (*runner, error) {
	conn, err := Open(cfg.URI)
	if err != nil {
		return nil, &SetupError{Err: err}
	}
	r := &runner{cfg: cfg, conn: conn, prefix: RunPrefix(runID), byID: map[string]*plannedPickle{}, ledger: ledger, runID: runID,
		live: map[*Tracker]bool{}, events: NewEventHub(conn), owner: NewOwner(runID, started)}
	r.loss = watchLoss(conn)
	if cfg.PeerURI != "" {
		if r.peer, err = Open(cfg.PeerURI); err != nil {
			r.loss.stop()
			r.events.Close()
			conn.Close()
			return nil, setupErr("peer: %v", err)
		}
		r.peerEvents = NewEventHub(r.peer)
	}
	return r, nil
}

// close ends the run's connections, and says what did not close cleanly.
func (r *runner) close() error {
	var peerErr error
	if r.peer != nil {
		peerErr = errors.Join(r.peerEvents.Close(), CloseChecked(r.peer))
	}
	if reason := r.loss.Reason(); reason != "" {
		// Nothing can be deregistered or freed on a dead connection.
		r.conn.Close()
		return peerErr
	}
	r.loss.stop()
	evErr := r.events.Close()
	return errors.Join(evErr, peerErr, DrainEvents(5*time.Second), CloseChecked(r.conn))
}

// sweep removes what dead runs left on the stack and the peer (their
// ledgers say what), and forgets the dead runs.
func (r *runner) sweep() error {
	var err error
	if r.stack, err = StackKey(r.conn); err != nil {
		return setupErr("%v", err)
	}
	printSweep(r.cfg.Progress, SweepStack(r.conn, r.cfg.URI, r.stack, r.cfg.Registry, SweepOptions{Self: r.runID}), r.stack, "")
	if r.peer != nil {
		if r.peerStack, err = StackKey(r.peer); err != nil {
			return setupErr("peer: %v", err)
		}
		printSweep(r.cfg.Progress, SweepStack(r.peer, r.cfg.PeerURI, r.peerStack, r.cfg.Registry, SweepOptions{Self: r.runID}), r.peerStack, "peer: ")
	}
	r.cfg.Registry.Prune()
	return nil
}

// subjects are what the run tests beside the stack itself, each probed
// beside its own code when a selected scenario needs it.
type subjects struct {
	guest        *Guest
	guestMissing string
	engine       *OVirtEngine
}

// probe decides every capability before the plan: the stack's (Probe),
// then the peer, the guest OS, the oVirt engine and libguestfs. Each
// records what is missing through Capabilities.Lack or Break.
func (r *runner) probe(ctx context.Context, pickles []*catalogue.Pickle, sub subjects) error {
	cfg := r.cfg
	probeStart := cfg.Clock()
	probeTracker := r.newTracker()
	caps, err := Probe(r.conn, cfg.URI, probeTracker, r.prefix, r.owner)
	if err != nil {
		probeTracker.Cleanup()
		return &SetupError{Err: err}
	}
	r.caps = caps
	if selectedNeeds(pickles, "admin") {
		caps.probeAdmin(ctx, cfg.AdminHelper, cfg.URI)
	}
	fmt.Fprintf(cfg.Progress, "stack: %s, libvirt %s (client %s), hypervisor %s, %s host, domains of type %s (offered: %s)\n",
		caps.Driver, caps.LibvirtDaemon, caps.LibvirtClient, caps.HypervisorVersion, caps.Arch, caps.DomainType, strings.Join(caps.DomainTypes, ","))
	if caps.KVMNote != "" {
		fmt.Fprintf(cfg.Progress, "stack: %s\n", caps.KVMNote)
	}
	if why := r.probePeer(); why != "" {
		caps.Lack("peer", why, NotProvided)
	} else {
		fmt.Fprintf(cfg.Progress, "peer: %s, host %s (libvirt %s), the migration destination\n", r.peerCaps.URI, r.peerCaps.Hostname, r.peerCaps.Libvirt)
		if caps.Machine != "" {
			fmt.Fprintf(cfg.Progress, "peer: %s\n", caps.MachineNote)
		}
	}
	// libguestfs is probed only for scenarios that could run: all of them need
	// the stack on this host (the libguestfs under test is the stack host's).
	// Its appliance launches while the guest boots: the two probes are
	// independent, and only the returned function records what it found.
	recordGuestfs := func() {}
	if gfs := stillRunnable(pickles, caps); selectedNeeds(gfs, "guestfs", "guestfs-appliance", "guestfs-libvirt", "guestfs-tools") {
		recordGuestfs = r.startGuestfsProbe(ctx, gfs)
	}
	if selectedNeeds(pickles, "guest") {
		r.decideGuest(ctx, sub.guest, sub.guestMissing)
	}
	if selectedNeeds(pickles, "ovirt-engine") {
		if err := r.probeOVirt(ctx, sub.engine); err != nil {
			recordGuestfs()
			return &SetupError{Err: err}
		}
	}
	recordGuestfs()
	r.probeTime = cfg.Clock().Sub(probeStart)
	fmt.Fprintf(cfg.Progress, "probes: %.1f s\n", r.probeTime.Seconds())
	for _, need := range slices.Sorted(maps.Keys(caps.Missing)) {
		if n := caps.Missing[need]; n.State == Broken {
			fmt.Fprintf(cfg.Progress, "BROKEN: %s (%s fails; what needs it is blocked): %s\n", need, n.StatedBy, n.Reason)
		}
	}
	return nil
}

// finish removes whatever a hook could not (a crash in a hook, an
// interrupt) and the logs libvirt keeps per domain name, and says what the
// ledger still lists.
func (r *runner) finish() {
	r.cleanupStragglers()
	if _, remote := r.caps.Missing["host"]; !remote && r.caps.Driver == "QEMU" && !r.cfg.Keep && r.loss.Reason() == "" {
		if _, err := RemoveDomainLogs(QEMULogDir, r.ledger.DomainNames()); err != nil {
			fmt.Fprintf(r.cfg.Progress, "cleanup: domain logs: %v\n", err)
		}
	}
	if n := r.ledger.Remaining(); n > 0 {
		fmt.Fprintf(r.cfg.Progress, "cleanup: %d object(s) of this run are left on the stack; its ledger %s lists them for the next sweep (ovacts cleanup)\n", n, r.ledger.Path())
	}
	// libvirt keeps a log per domain name on the host that ran it, which no
	// API removes: say what stays where this run cannot reach.
	if _, remote := r.caps.Missing["host"]; remote && r.caps.Driver == "QEMU" {
		r.logsStay("the stack's", r.ledger.DomainsOn(r.stack))
	}
	if r.peer != nil {
		r.logsStay("the peer's", r.ledger.DomainsOn(r.peerStack))
	}
}

// logsStay says that the QEMU logs of n domains stay on another host.
func (r *runner) logsStay(whose string, n int) {
	if n > 0 {
		fmt.Fprintf(r.cfg.Progress, "cleanup: %s host keeps QEMU's logs of the %d domain(s) the run put there (%s*.log in its QEMU log directory, %s by default): ovacts removes files on this host only\n",
			whose, n, r.prefix, QEMULogDir)
	}
}

// WriteReports writes the JUnit report and the Cucumber JSON the run was
// asked for, each replacing its file whole.
func WriteReports(cfg Config, rep *reports.Report) error {
	if cfg.JUnitPath != "" {
		format := cfg.JUnitFormat
		if format == "" {
			format = reports.JUnitDefault
		}
		if err := safeio.WriteAtomic(cfg.JUnitPath, 0o644, func(w io.Writer) error { return reports.WriteJUnitFormat(w, rep, format) }); err != nil {
			return setupErr("writing JUnit: %v", err)
		}
	}
	if cfg.CucumberPath != "" {
		if err := safeio.WriteAtomic(cfg.CucumberPath, 0o644, func(w io.Writer) error { return reports.WriteCucumber(w, rep) }); err != nil {
			return setupErr("writing the Cucumber JSON: %v", err)
		}
	}
	return nil
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
