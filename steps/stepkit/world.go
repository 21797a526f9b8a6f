package stepkit

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/ovacts/ovacts/fixtures"
	"github.com/ovacts/ovacts/harness"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// World is the per-scenario state of the steps: the harness's scenario plus
// what the steps remember between them. It lives in the context only. Each
// area keeps its own state, made on its first use.
type World struct {
	*harness.Scenario

	LastErr error             // result of the last "I try to ..." call
	Tried   bool              // an "I try to ..." step ran
	chosen  map[string]string // "kind logical" -> the UUID the scenario gives that object

	slots map[reflect.Type]any // each area's state, made on its first use (state)
}

// DomainState is what the domain steps remember.
type DomainState struct {
	Uuids   map[string]string // logical domain name -> UUID remembered by a step
	ids     map[string]int    // logical domain name -> ID remembered by a step
	SentXML map[string]string // logical domain name -> XML the scenario defined it with
}

// EventState is the events the scenario watches.
type EventState struct {
	Log       *EventLog
	Callbacks map[string]func() error // logical domain -> deregistration of its callback (idempotent)
	// logical domain -> its callback's and its control's event counts at the deregistration
	Deregistered map[string][2]int
}

// StorageState is what a scenario knows of its pools and volumes.
type StorageState struct {
	Pools       PoolState           // logical pools this scenario created
	Payloads    map[string][32]byte // "pool/volume" -> sha256 of data uploaded
	PayloadSize int
	Loops       map[string]string // logical loop device -> its /dev/loopN
}

// PoolState is what a scenario knows of its pools.
type PoolState struct {
	Made  map[string]bool // logical pools defined
	files map[string]bool // paths of files recorded in them (poolFile)
}

// NetworkState is what a scenario knows of its networks.
type NetworkState struct {
	SentXML     map[string]string // logical network -> XML it was created with
	Bridges     map[string]string // logical network -> bridge noted when it started
	modes       map[string]string // logical network -> isolated or NAT
	subnetTries map[string]int    // logical network -> subnets refused so far
}

type hotplugState struct {
	disk string // path of the disk image hotplug scenarios attach
}

type SaveState struct {
	Files   map[string]string // logical domain -> file it was saved to
	Dumps   map[string]string // logical domain -> file its memory was dumped to
	scratch string            // local scratch directory (test driver only)
}

// State is the scenario's state of type T, one per type, made on its first
// use: each area keeps its own state type, and no other area sees it.
func State[T any](w *World) *T {
	t := reflect.TypeFor[T]()
	if v, ok := w.slots[t]; ok {
		return v.(*T)
	}
	if w.slots == nil {
		w.slots = map[reflect.Type]any{}
	}
	v := new(T)
	w.slots[t] = v
	return v
}

func (w *World) DomainSt() *DomainState { return State[DomainState](w) }

func (w *World) EventSt() *EventState { return State[EventState](w) }

func (w *World) StorageSt() *StorageState { return State[StorageState](w) }

func (w *World) NetworkSt() *NetworkState { return State[NetworkState](w) }

func (w *World) hotplugSt() *hotplugState { return State[hotplugState](w) }

func (w *World) SaveSt() *SaveState { return State[SaveState](w) }

type worldKey struct{}

func WithWorld(ctx context.Context, w *World) context.Context {
	return context.WithValue(ctx, worldKey{}, w)
}

// W returns the world of a step's context, or nil. Handlers are only ever
// called through the registry's wrapper, which has checked it is there.
func W(ctx context.Context) *World {
	w, _ := ctx.Value(worldKey{}).(*World)
	return w
}

func (w *World) Remember(m *map[string]string, k, v string) {
	if *m == nil {
		*m = map[string]string{}
	}
	(*m)[k] = v
}

// UUIDFor is the UUID the scenario gives an object it names (key: kind and
// logical name), the same every time: recorded in the run's ledger before
// the object is created, so the object is known by it.
func (w *World) UUIDFor(key string) string {
	if w.chosen[key] == "" {
		w.Remember(&w.chosen, key, harness.NewUUID())
	}
	return w.chosen[key]
}

// Try records the outcome of a call a scenario expects may fail.
func (w *World) Try(err error) error {
	w.Tried, w.LastErr = true, err
	return nil
}

// DomainVars fills a fixture for a logical name with the probed type and arch.
func (w *World) DomainVars(logical string) fixtures.DomainVars {
	return fixtures.DomainVars{Name: w.Name(logical), UUID: harness.NewUUID(), Type: w.Caps.DomainType, Arch: w.Caps.GuestArch, Machine: w.Caps.Machine}
}

// WithDomain looks a domain up by its logical name and frees the handle after fn.
func (w *World) WithDomain(logical string, fn func(d *libvirt.Domain) error) error {
	d, err := w.Conn.LookupDomainByName(w.Name(logical))
	if err != nil {
		return fmt.Errorf("looking up domain %q: %w", logical, err)
	}
	defer d.Free()
	return fn(d)
}

// DefineDomain defines a persistent domain from a rendered XML and tracks it.
func (w *World) DefineDomain(logical, xml string) error {
	return w.addDomain(logical, xml, false)
}

// CreateTransient starts a transient domain and tracks it.
func (w *World) CreateTransient(logical, xml string) error {
	return w.addDomain(logical, xml, true)
}

func (w *World) addDomain(logical, xml string, transient bool) error {
	d, err := w.Tracker.CreateDomain(w.Name(logical), UUIDOf(xml), xml, transient)
	if err != nil {
		return fmt.Errorf("creating domain %q (transient: %v): %w", logical, transient, err)
	}
	w.Remember(&w.DomainSt().SentXML, logical, xml)
	defer d.Free()
	return w.Own(d)
}

// UUIDOf is the UUID a domain XML sets, "" when it sets none (or is not one).
func UUIDOf(xml string) string {
	var doc libvirtxml.Domain
	if doc.Unmarshal(xml) != nil {
		return ""
	}
	return doc.UUID
}

func (w *World) FixtureXML(logical, fixture string) (string, error) {
	return fixtures.Domain(fixture, w.DomainVars(logical))
}

var stateNames = map[libvirt.DomainState]string{
	libvirt.DOMAIN_NOSTATE:     "no state",
	libvirt.DOMAIN_RUNNING:     "running",
	libvirt.DOMAIN_BLOCKED:     "blocked",
	libvirt.DOMAIN_PAUSED:      "paused",
	libvirt.DOMAIN_SHUTDOWN:    "shutting down",
	libvirt.DOMAIN_SHUTOFF:     "shut off",
	libvirt.DOMAIN_CRASHED:     "crashed",
	libvirt.DOMAIN_PMSUSPENDED: "pmsuspended",
}

// reasonNames are libvirt's state reasons per state, as the features name them.
var reasonNames = map[libvirt.DomainState]map[int]string{
	libvirt.DOMAIN_RUNNING: {
		int(libvirt.DOMAIN_RUNNING_UNKNOWN): "unknown", int(libvirt.DOMAIN_RUNNING_BOOTED): "booted",
		int(libvirt.DOMAIN_RUNNING_MIGRATED): "migrated", int(libvirt.DOMAIN_RUNNING_RESTORED): "restored",
		int(libvirt.DOMAIN_RUNNING_FROM_SNAPSHOT): "from snapshot", int(libvirt.DOMAIN_RUNNING_UNPAUSED): "unpaused",
		int(libvirt.DOMAIN_RUNNING_MIGRATION_CANCELED): "migration canceled", int(libvirt.DOMAIN_RUNNING_SAVE_CANCELED): "save canceled",
		int(libvirt.DOMAIN_RUNNING_WAKEUP): "wakeup", int(libvirt.DOMAIN_RUNNING_CRASHED): "crashed",
	},
	libvirt.DOMAIN_PAUSED: {
		int(libvirt.DOMAIN_PAUSED_UNKNOWN): "unknown", int(libvirt.DOMAIN_PAUSED_USER): "user",
		int(libvirt.DOMAIN_PAUSED_MIGRATION): "migration", int(libvirt.DOMAIN_PAUSED_SAVE): "save",
		int(libvirt.DOMAIN_PAUSED_DUMP): "dump", int(libvirt.DOMAIN_PAUSED_IOERROR): "ioerror",
		int(libvirt.DOMAIN_PAUSED_FROM_SNAPSHOT): "from snapshot", int(libvirt.DOMAIN_PAUSED_STARTING_UP): "starting up",
	},
	libvirt.DOMAIN_SHUTOFF: {
		int(libvirt.DOMAIN_SHUTOFF_UNKNOWN): "unknown", int(libvirt.DOMAIN_SHUTOFF_SHUTDOWN): "shutdown",
		int(libvirt.DOMAIN_SHUTOFF_DESTROYED): "destroyed", int(libvirt.DOMAIN_SHUTOFF_CRASHED): "crashed",
		int(libvirt.DOMAIN_SHUTOFF_MIGRATED): "migrated", int(libvirt.DOMAIN_SHUTOFF_SAVED): "saved",
		int(libvirt.DOMAIN_SHUTOFF_FAILED): "failed", int(libvirt.DOMAIN_SHUTOFF_FROM_SNAPSHOT): "from snapshot",
	},
}

func DescribeState(s libvirt.DomainState, reason int) string {
	name := stateNames[s]
	if name == "" {
		name = fmt.Sprintf("state %d", s)
	}
	r, ok := reasonNames[s][reason]
	if !ok {
		r = fmt.Sprintf("reason %d", reason)
	}
	return fmt.Sprintf("%s (%s)", name, r)
}

// WaitState reads the domain's state and waits only while it is in transit.
// libvirt's lifecycle calls (create, suspend, resume, destroy, save, restore,
// revert, migrate) return after the transition, so a settled state that is not
// the one wanted is the answer at once: waiting longer could not change it.
// Only a state libvirt documents as passing (no state yet, being shut down, or
// paused by a job that is still running: migration, save, dump, taking a
// snapshot, starting up) is polled, for at most 5 s. Waits for a guest (shutdown,
// reboot) belong to steps that say how long they wait.
func (w *World) WaitState(ctx context.Context, logical string, want libvirt.DomainState) (libvirt.DomainState, int, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	delay := 5 * time.Millisecond
	for {
		var st libvirt.DomainState
		var reason int
		err := w.WithDomain(logical, func(d *libvirt.Domain) error {
			var err error
			st, reason, err = d.GetState()
			return err
		})
		if err != nil || st == want || !inTransit(st, reason) {
			return st, reason, err
		}
		select {
		case <-ctx.Done():
			return st, reason, nil
		case <-time.After(delay):
		}
		if delay < 200*time.Millisecond {
			delay *= 2
		}
	}
}

// inTransit reports whether libvirt describes a state as one a domain passes
// through on its own, without a further call.
func inTransit(st libvirt.DomainState, reason int) bool {
	switch st {
	case libvirt.DOMAIN_NOSTATE, libvirt.DOMAIN_SHUTDOWN:
		return true
	case libvirt.DOMAIN_PAUSED:
		switch libvirt.DomainPausedReason(reason) {
		case libvirt.DOMAIN_PAUSED_MIGRATION, libvirt.DOMAIN_PAUSED_SAVE, libvirt.DOMAIN_PAUSED_DUMP,
			libvirt.DOMAIN_PAUSED_SNAPSHOT, libvirt.DOMAIN_PAUSED_STARTING_UP:
			return true
		}
	}
	return false
}

// Eventually retries check until it passes, for state a driver reaches
// asynchronously, for at most 10 s (or the step deadline). It returns the last failure.
func (w *World) Eventually(ctx context.Context, check func() error) error {
	return w.EventuallyFor(ctx, 10, check)
}

// EventuallyFor is eventually for at most secs seconds.
func (w *World) EventuallyFor(ctx context.Context, secs int, check func() error) error {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(secs)*time.Second)
	defer cancel()
	delay := 10 * time.Millisecond
	for {
		err := check()
		if err == nil || harness.IsNotFound(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(delay):
		}
		if delay < 200*time.Millisecond {
			delay *= 2
		}
	}
}

// ExpectCode checks that the last tried call failed with one of the named codes.
func (w *World) ExpectCode(names string) error {
	if !w.Tried {
		return errors.New("no call was tried before this step")
	}
	var want []libvirt.ErrorNumber
	for _, n := range strings.Split(names, " or ") {
		code, ok := harness.ErrorCodeByName(n)
		if !ok {
			return fmt.Errorf("unknown libvirt error code %q in the feature", n)
		}
		want = append(want, code)
	}
	if w.LastErr == nil {
		return fmt.Errorf("the call succeeded, expected it to fail with %s", names)
	}
	lv, ok := harness.AsLibvirt(w.LastErr)
	if !ok {
		return fmt.Errorf("expected a libvirt error %s, got an untyped error: %v", names, w.LastErr)
	}
	for _, c := range want {
		if errors.Is(w.LastErr, c) {
			return nil
		}
	}
	return fmt.Errorf("expected %s, got %w", names, lv)
}
