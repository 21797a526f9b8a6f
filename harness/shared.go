package harness

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

// Shared fixtures are objects built once per run for the scenarios that
// declare, with the tag @shared:<name>, that they only read them (a guest
// booted once for the agent's read-only answers, say). The first scenario
// that asks builds it; the others wait for it and use the same one. Its
// objects are named "<run prefix>shared-<logical>", recorded in the ledger
// like any other, and removed when the run's scenarios are over. A fixture
// that fails to build fails every scenario that asks for it, naming it; a
// scenario that used one and fails says so in its reason.
type sharedFixtures struct {
	mu      sync.Mutex
	byName  map[string]*sharedFixture
	tracker *Tracker // the fixtures' objects, removed after the last scenario
	newFix  func() *Scenario
}

type sharedFixture struct {
	ready chan struct{}
	val   any
	desc  string
	err   error
	users int
}

// SharedTag is the tag a scenario declares a shared fixture with.
func SharedTag(name string) string { return "@shared:" + name }

// SharesFixture reports whether the scenario declared @shared:<name>.
func (s *Scenario) SharesFixture(name string) bool {
	return s.Pickle != nil && slices.Contains(s.Pickle.Tags, SharedTag(name))
}

// Shared returns the run's fixture name, built by build on first use with a
// scenario of its own (its Name gives "<run prefix>shared-<logical>" and its
// Tracker lives until the run's scenarios are over). build returns the
// fixture and a description for the report. The scenario must have declared
// @shared:<name>.
func (s *Scenario) Shared(ctx context.Context, name string, build func(ctx context.Context, fix *Scenario) (any, string, error)) (any, error) {
	if !s.SharesFixture(name) {
		return nil, fmt.Errorf("internal: the scenario uses shared fixture %q without declaring %s", name, SharedTag(name))
	}
	if s.fixtures == nil {
		return nil, fmt.Errorf("internal: no shared fixtures in this run")
	}
	f, err := s.fixtures.once(ctx, name, func(ctx context.Context) (any, string, error) {
		v, desc, err := build(ctx, s.fixtures.newFix())
		if err != nil {
			err = fmt.Errorf("shared fixture %s (built once for every %s scenario) failed: %w", name, SharedTag(name), err)
		}
		return v, desc, err
	})
	if err != nil {
		return nil, err
	}
	s.shared = append(s.shared, name+": "+f.desc)
	return f.val, nil
}

// once gives the fixture name, built by build on its first use; later users
// wait for that build and get what it gave, its error included.
func (sf *sharedFixtures) once(ctx context.Context, name string, build func(ctx context.Context) (any, string, error)) (*sharedFixture, error) {
	f, first := sf.get(name)
	if first {
		f.val, f.desc, f.err = build(ctx)
		close(f.ready)
	} else {
		select {
		case <-f.ready:
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for shared fixture %s: %w", name, context.Cause(ctx))
		}
	}
	return f, f.err
}

func (sf *sharedFixtures) get(name string) (*sharedFixture, bool) {
	sf.mu.Lock()
	defer sf.mu.Unlock()
	if f := sf.byName[name]; f != nil {
		f.users++
		return f, false
	}
	f := &sharedFixture{ready: make(chan struct{}), users: 1}
	sf.byName[name] = f
	return f, true
}

// summary says what was shared, for the progress.
func (sf *sharedFixtures) summary() []string {
	sf.mu.Lock()
	defer sf.mu.Unlock()
	var out []string
	for _, name := range slices.Sorted(maps.Keys(sf.byName)) {
		f := sf.byName[name]
		state := f.desc
		if f.err != nil {
			state = "failed"
		}
		out = append(out, fmt.Sprintf("shared fixture %s: %s, used by %d scenario(s)", name, state, f.users))
	}
	return out
}

// Alias makes a logical name of this scenario stand for an object of a
// shared fixture: Name(logical) then gives the fixture's object.
func (s *Scenario) Alias(logical, name string) {
	if s.aliases == nil {
		s.aliases = map[string]string{}
	}
	s.aliases[logical] = name
}

// sharedNote is added to the reason of a failed scenario that used a shared
// fixture: the same fixture may explain other failures.
func sharedNote(used []string) string {
	if len(used) == 0 {
		return ""
	}
	return "\nthis scenario used the run's shared fixture(s) " + strings.Join(used, "; ")
}

// startFixtures gives the run its shared fixtures, before the scenarios.
func (r *runner) startFixtures() {
	sf := &sharedFixtures{byName: map[string]*sharedFixture{}, tracker: r.newTracker()}
	r.track(sf.tracker, true)
	sf.newFix = func() *Scenario {
		return &Scenario{Conn: r.conn, Caps: r.caps, Tracker: sf.tracker, Events: r.events, fixture: true,
			owner: r.owner, uri: r.cfg.URI, prefix: r.prefix, stepTimeout: r.cfg.StepTimeout, started: r.cfg.Clock()}
	}
	r.fixtures = sf
}

// endFixtures removes the shared fixtures once every scenario is over (a
// lost connection or --keep leaves them, as for a scenario), and says what
// was shared.
func (r *runner) endFixtures() {
	sf := r.fixtures
	if sf == nil {
		return
	}
	for _, line := range sf.summary() {
		fmt.Fprintln(r.cfg.Progress, line)
	}
	if err := r.release(sf.tracker); err != nil {
		fmt.Fprintf(r.cfg.Progress, "cleanup: shared fixtures: %s\n", DescribeError(err))
	}
	r.track(sf.tracker, false)
}
