package steps

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ovacts/ovacts/harness"
	"libvirt.org/go/libvirt"
)

// eventLog collects the events of one scenario's objects. Callbacks run on
// libvirt's event loop goroutine; steps read under the mutex.
type eventLog struct {
	mu     sync.Mutex
	byObj  map[string][]string // "domain vm" -> ["defined", "started (booted)", ...]
	notify chan struct{}
}

func (l *eventLog) add(kind, logical, event string) {
	l.mu.Lock()
	if l.byObj == nil {
		l.byObj = map[string][]string{}
	}
	key := kind + " " + logical
	l.byObj[key] = append(l.byObj[key], event)
	l.mu.Unlock()
	select {
	case l.notify <- struct{}{}:
	default:
	}
}

func (l *eventLog) get(kind, logical string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.byObj[kind+" "+logical]...)
}

func (w *world) eventsLog() *eventLog {
	if w.eventSt().log == nil {
		w.eventSt().log = &eventLog{notify: make(chan struct{}, 1)}
	}
	return w.eventSt().log
}

// watch subscribes the scenario to the run's shared registration for kind,
// for objects of this scenario only.
func (w *world) watch(kind string) error {
	l := w.eventsLog()
	prefix := w.ScenarioPrefix()
	unsubscribe, err := w.Events.Subscribe(kind, prefix, func(ev harness.Event) {
		l.add(kind, strings.TrimPrefix(ev.Object, prefix), ev.Name)
	})
	if err != nil {
		return err
	}
	w.Tracker.Defer(kind+" event subscription", func() error { unsubscribe(); return nil })
	return nil
}

// registerDomainCallback registers a libvirt callback of the scenario's own,
// keyed to one domain: unlike the shared registrations, it is the scenario's
// to deregister, so libvirt's deregistration itself is under test.
func (w *world) registerDomainCallback(dom string) error {
	undo, err := w.lifecycleCallback(dom, "callback")
	if err != nil {
		return err
	}
	if w.eventSt().callbacks == nil {
		w.eventSt().callbacks = map[string]func() error{}
	}
	w.eventSt().callbacks[dom] = undo
	return nil
}

// lifecycleCallback registers a lifecycle callback of its own for a domain,
// logging under kind, and returns its idempotent deregistration (also
// deferred to the scenario's cleanup).
func (w *world) lifecycleCallback(dom, kind string) (func() error, error) {
	l := w.eventsLog()
	var undo func() error
	err := w.withDomain(dom, func(d *libvirt.Domain) error {
		id, err := w.Conn.DomainEventLifecycleRegister(d, func(_ *libvirt.Connect, _ *libvirt.Domain, ev *libvirt.DomainEventLifecycle) {
			l.add(kind, dom, harness.DomainLifecycleName(ev))
		})
		if err != nil {
			return fmt.Errorf("registering a lifecycle callback for %q: %w", dom, err)
		}
		var once sync.Once
		var derr error
		undo = func() error {
			once.Do(func() { derr = w.Conn.DomainEventDeregister(id) })
			return derr
		}
		w.Tracker.Defer("lifecycle callback of "+dom, undo)
		return nil
	})
	return undo, err
}

// isSubsequence reports whether want appears in got in order, other events
// allowed between (a driver may send more than a scenario asks about).
func isSubsequence(want, got []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func registerEvents(r *Registry) {
	r.Step(`^I watch (domain|device|storage pool|network|secret) events$`, watchEvents)
	r.Step(`^I register a lifecycle callback for domain "([^"]*)"$`, registerALifecycleCallbackForDomain)
	r.Step(`^I deregister the lifecycle callback for domain "([^"]*)"$`, deregisterTheLifecycleCallbackForDomain)
	r.Step(`^the (domain|peer domain|device|storage pool|network|secret|callback) events of "([^"]*)" include, in order, "([^"]*)" within (\d+) seconds?$`, eventsOfIncludeInOrderWithinSeconds)
	r.Step(`^no callback event of "([^"]*)" arrives within (\d+) seconds?$`, noCallbackEventOfArrivesWithinSeconds)
}

func watchEvents(ctx context.Context, kind string) error {
	return W(ctx).watch(kind)
}

func registerALifecycleCallbackForDomain(ctx context.Context, dom string) error {
	return W(ctx).registerDomainCallback(dom)
}

func deregisterTheLifecycleCallbackForDomain(ctx context.Context, dom string) error {
	w := W(ctx)
	undo, ok := w.eventSt().callbacks[dom]
	if !ok {
		return fmt.Errorf("no callback is registered for domain %q", dom)
	}
	delete(w.eventSt().callbacks, dom)
	if err := undo(); err != nil { // runs once: the cleanup's call is then a no-op
		return fmt.Errorf("deregistering the callback of %q: %w", dom, err)
	}
	l := w.eventsLog()
	if w.eventSt().deregistered == nil {
		w.eventSt().deregistered = map[string][2]int{}
	}
	w.eventSt().deregistered[dom] = [2]int{len(l.get("callback", dom)), len(l.get(controlKind, dom))}
	// A control callback, registered after the deregistration: libvirt hands
	// each event to every callback of the connection in one dispatch, so once
	// the control has an event, the deregistered callback has had its chance
	// to (wrongly) receive it too.
	if _, err := w.lifecycleCallback(dom, controlKind); err != nil {
		return fmt.Errorf("registering the control callback of %q: %w", dom, err)
	}
	return nil
}

// controlKind logs the control callback that ends a "no callback event" wait.
const controlKind = "callback-control"

func eventsOfIncludeInOrderWithinSeconds(ctx context.Context, kind, name, list string, secs int) error {
	w := W(ctx)
	if w.eventSt().log == nil {
		return fmt.Errorf("no %s events are watched in this scenario", kind)
	}
	want := splitList(list)
	deadline := time.After(time.Duration(secs) * time.Second)
	for {
		got := w.eventSt().log.get(kind, name)
		if isSubsequence(want, got) {
			return nil
		}
		select {
		case <-w.eventSt().log.notify:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			return fmt.Errorf("%s events of %q: want %q in order within %ds, got %q", kind, name, want, secs, got)
		case <-ctx.Done():
			return fmt.Errorf("%s events of %q: want %q, got %q: %w", kind, name, want, got, ctx.Err())
		}
	}
}

// noCallbackEventOfArrivesWithinSeconds checks that a deregistered callback
// stays silent. It counts from the deregistration, and the wait ends as soon
// as the control callback registered after it has an event (see
// deregisterTheLifecycleCallbackForDomain): that event's dispatch is over, so
// waiting longer proves nothing more. No event at all within the window
// fails: with nothing dispatched, a silent callback shows nothing.
func noCallbackEventOfArrivesWithinSeconds(ctx context.Context, name string, secs int) error {
	w := W(ctx)
	l := w.eventSt().log
	marks, ok := w.eventSt().deregistered[name]
	if l == nil || !ok {
		return fmt.Errorf("no lifecycle callback of %q was deregistered in this scenario", name)
	}
	fired := func() error {
		if got := l.get("callback", name); len(got) != marks[0] {
			return fmt.Errorf("a deregistered callback still fired: %q", got[marks[0]:])
		}
		return nil
	}
	deadline := time.After(time.Duration(secs) * time.Second)
	for len(l.get(controlKind, name)) <= marks[1] {
		select {
		case <-l.notify:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			if err := fired(); err != nil {
				return err
			}
			return fmt.Errorf("no lifecycle event of %q reached the control callback within %ds of the deregistration, so it cannot be judged", name, secs)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return fired()
}
