package events

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
)

// registerDomainCallback registers a libvirt callback of the scenario's own,
// keyed to one domain: unlike the shared registrations, it is the scenario's
// to deregister, so libvirt's deregistration itself is under test.
func (w *world) registerDomainCallback(dom string) error {
	undo, err := w.lifecycleCallback(dom, "callback")
	if err != nil {
		return err
	}
	if w.EventSt().Callbacks == nil {
		w.EventSt().Callbacks = map[string]func() error{}
	}
	w.EventSt().Callbacks[dom] = undo
	return nil
}

// lifecycleCallback registers a lifecycle callback of its own for a domain,
// logging under kind, and returns its idempotent deregistration (also
// deferred to the scenario's cleanup).
func (w *world) lifecycleCallback(dom, kind string) (func() error, error) {
	l := w.EventsLog()
	var undo func() error
	err := w.WithDomain(dom, func(d *libvirt.Domain) error {
		id, err := w.Conn.DomainEventLifecycleRegister(d, func(_ *libvirt.Connect, _ *libvirt.Domain, ev *libvirt.DomainEventLifecycle) {
			l.Add(kind, dom, harness.DomainLifecycleName(ev))
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

func registerALifecycleCallbackForDomain(ctx context.Context, dom string) error {
	return W(ctx).registerDomainCallback(dom)
}

func deregisterTheLifecycleCallbackForDomain(ctx context.Context, dom string) error {
	w := W(ctx)
	undo, ok := w.EventSt().Callbacks[dom]
	if !ok {
		return fmt.Errorf("no callback is registered for domain %q", dom)
	}
	delete(w.EventSt().Callbacks, dom)
	if err := undo(); err != nil { // runs once: the cleanup's call is then a no-op
		return fmt.Errorf("deregistering the callback of %q: %w", dom, err)
	}
	l := w.EventsLog()
	if w.EventSt().Deregistered == nil {
		w.EventSt().Deregistered = map[string][2]int{}
	}
	w.EventSt().Deregistered[dom] = [2]int{len(l.Get("callback", dom)), len(l.Get(controlKind, dom))}
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

// noCallbackEventOfArrivesWithinSeconds checks that a deregistered callback
// stays silent. It counts from the deregistration, and the wait ends as soon
// as the control callback registered after it has an event (see
// deregisterTheLifecycleCallbackForDomain): that event's dispatch is over, so
// waiting longer proves nothing more. No event at all within the window
// fails: with nothing dispatched, a silent callback shows nothing.
func noCallbackEventOfArrivesWithinSeconds(ctx context.Context, name string, secs int) error {
	w := W(ctx)
	l := w.EventSt().Log
	marks, ok := w.EventSt().Deregistered[name]
	if l == nil || !ok {
		return fmt.Errorf("no lifecycle callback of %q was deregistered in this scenario", name)
	}
	fired := func() error {
		if got := l.Get("callback", name); len(got) != marks[0] {
			return fmt.Errorf("a deregistered callback still fired: %q", got[marks[0]:])
		}
		return nil
	}
	deadline := time.After(time.Duration(secs) * time.Second)
	for len(l.Get(controlKind, name)) <= marks[1] {
		select {
		case <-l.Notify:
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

func registerEvents(r *stepkit.Registry) {
	r.Step(`^I register a lifecycle callback for domain "([^"]*)"$`, registerALifecycleCallbackForDomain)
	r.Step(`^I deregister the lifecycle callback for domain "([^"]*)"$`, deregisterTheLifecycleCallbackForDomain)
	r.Step(`^no callback event of "([^"]*)" arrives within (\d+) seconds?$`, noCallbackEventOfArrivesWithinSeconds)
}
