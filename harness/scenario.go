package harness

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/reports"
	"libvirt.org/go/libvirt"
)

// Scenario is the harness's per-scenario state. It travels as a pointer in the
// context godog hands to every step, never in a package variable, so scenarios
// can run concurrently.
type Scenario struct {
	Conn    *libvirt.Connect
	Caps    *Capabilities
	Pickle  *catalogue.Pickle
	Req     *catalogue.Requirement
	Tracker *Tracker
	Events  *EventHub // the run's shared event registrations
	Admin   *Admin    // the daemon's admin interface, when the probe found it

	// The peer stack (--peer-uri), when there is one: the destination of
	// migrations, with its own tracker and event hub.
	Peer        *libvirt.Connect
	PeerTracker *Tracker
	PeerEvents  *EventHub
	PeerInfo    *PeerInfo

	seq         int
	fixture     bool              // a shared fixture's builder: names are "<prefix>shared-<logical>"
	aliases     map[string]string // logical name -> a shared fixture's object
	fixtures    *sharedFixtures
	shared      []string // the shared fixtures this scenario used, described
	starts      []string // how its guests started: booted, or restored from the run's guest image
	owner       Owner
	uri         string // as requested; never reported (may hold credentials)
	prefix      string
	stepTimeout time.Duration
	started     time.Time
	release     func() // ends the scenario's context

	// written by the hooks only
	stepStart  time.Time
	steps      []reports.StepResult
	skip       *SkipError
	failStep   string
	failErr    error
	suiteError bool
}

type scenarioKey struct{}

// ScenarioFrom returns the scenario state carried by ctx, or nil.
func ScenarioFrom(ctx context.Context) *Scenario {
	s, _ := ctx.Value(scenarioKey{}).(*Scenario)
	return s
}

// WithScenario returns ctx carrying s (exposed for the suite's self-tests).
func WithScenario(ctx context.Context, s *Scenario) context.Context {
	return context.WithValue(ctx, scenarioKey{}, s)
}

// Name maps a logical name used in a feature ("web") to the object name on the
// stack: "ovacts-<runid>-s<seq>-web", unique per scenario and run.
//
// A logical name comes from a feature file: one that is not a plain name
// ("../x", "a/b") would become a path, so it ends the step with an error
// (a panic of type BadArgument, which the step wrapper turns into one).
func (s *Scenario) Name(logical string) string {
	if err := CheckLogicalName(logical); err != nil {
		panic(BadArgument{err})
	}
	if name, ok := s.aliases[logical]; ok {
		return name
	}
	return s.ScenarioPrefix() + logical
}

// ScenarioPrefix starts the names of every object of this scenario.
func (s *Scenario) ScenarioPrefix() string {
	if s.fixture {
		return s.prefix + "shared-"
	}
	return fmt.Sprintf("%ss%d-", s.prefix, s.seq)
}

// BadArgument is a step argument the suite refuses to use (a path where a
// plain name belongs).
type BadArgument struct{ Err error }

func (b BadArgument) Error() string { return "refused step argument: " + b.Err.Error() }

// Owner is the ownership record of this run.
func (s *Scenario) Owner() Owner { return s.owner }

// Own records the run's ownership in a domain it just created, so a sweep on
// any host can tell whose it is. Drivers without metadata keep the name only.
func (s *Scenario) Own(d *libvirt.Domain) error {
	return OwnDomain(d, s.owner)
}

// OwnDomain writes owner into a domain's metadata.
func OwnDomain(d *libvirt.Domain, owner Owner) error {
	err := d.SetMetadata(libvirt.DOMAIN_METADATA_ELEMENT, owner.XML(), "ovacts", OwnerNamespace, libvirt.DOMAIN_AFFECT_CURRENT)
	if errors.Is(err, libvirt.ERR_NO_SUPPORT) || errors.Is(err, libvirt.ERR_ARGUMENT_UNSUPPORTED) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("recording ownership in the domain's metadata: %w", err)
	}
	return nil
}

// NoteGuestStart records how a guest of the scenario started, for the report.
func (s *Scenario) NoteGuestStart(line string) { s.starts = append(s.starts, line) }

// URI is the URI the run connected to, unredacted: for opening further
// connections only, never for printing.
func (s *Scenario) URI() string { return s.uri }

// Prefix is the run prefix, "ovacts-<runid>-".
func (s *Scenario) Prefix() string { return s.prefix }

// StepTimeout bounds every step's waits.
func (s *Scenario) StepTimeout() time.Duration { return s.stepTimeout }

// NewSelfTestScenario builds a scenario for the suite's own unit tests.
func NewSelfTestScenario(conn *libvirt.Connect, uri string, caps *Capabilities, req *catalogue.Requirement, runID string, stepTimeout time.Duration) *Scenario {
	return &Scenario{Conn: conn, uri: uri, Caps: caps, Req: req, Tracker: NewTracker(conn, nil, ""), Events: NewEventHub(conn), seq: 1,
		prefix: RunPrefix(runID), stepTimeout: stepTimeout, owner: NewOwner(runID, time.Now())}
}
