package harness

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// BootWatch follows one guest domain's events from before its start, so no
// "agent connected" is missed.
type BootWatch struct {
	// PauseFails makes a pause the guest did not ask for (a KVM internal
	// error, an I/O error) end a wait at once, as a stop does.
	PauseFails bool

	mu      sync.Mutex
	events  []Event
	changed chan struct{}
	unsubs  []func()
}

// WatchGuest subscribes to lifecycle and agent events of the named domain.
func WatchGuest(hub *EventHub, name string) (*BootWatch, error) {
	w := &BootWatch{changed: make(chan struct{}, 1)}
	for _, kind := range []string{"domain", "agent", "reboot"} {
		un, err := hub.Subscribe(kind, name, func(ev Event) {
			if ev.Object != name {
				return
			}
			w.mu.Lock()
			w.events = append(w.events, ev)
			w.mu.Unlock()
			select {
			case w.changed <- struct{}{}:
			default:
			}
		})
		if err != nil {
			w.Stop()
			return nil, err
		}
		w.unsubs = append(w.unsubs, un)
	}
	return w, nil
}

// Stop ends the subscriptions.
func (w *BootWatch) Stop() {
	for _, u := range w.unsubs {
		u()
	}
	w.unsubs = nil
}

// Mark returns a position in the event history; waits look only after it.
func (w *BootWatch) Mark() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.events)
}

// Since lists the event names after mark.
func (w *BootWatch) Since(mark int) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, ev := range w.events[min(mark, len(w.events)):] {
		out = append(out, ev.Kind+" "+ev.Name)
	}
	return out
}

// ErrGuestStopped means the guest went away while a wait for it ran.
var ErrGuestStopped = errors.New("the guest stopped or paused by itself")

// WaitAgent waits, after mark, until the guest agent connects. A domain that
// stops, crashes or pauses on its own ends the wait at once with the event.
func (w *BootWatch) WaitAgent(ctx context.Context, mark int, limit time.Duration) error {
	return w.WaitEvent(ctx, mark, limit, "agent connected")
}

// WaitEvent waits, after mark, for an event "<kind> <name>" (e.g. "domain
// stopped (shutdown)"). Unexpected stops end the wait with ErrGuestStopped.
func (w *BootWatch) WaitEvent(ctx context.Context, mark int, limit time.Duration, want string) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		seen := w.Since(mark)
		for _, e := range seen {
			if e == want || strings.HasPrefix(e, want+" ") {
				return nil
			}
		}
		if !strings.HasPrefix(want, "domain stopped") && !strings.HasPrefix(want, "domain crashed") {
			for _, e := range seen {
				if strings.HasPrefix(e, "domain stopped") || strings.HasPrefix(e, "domain crashed") ||
					(w.PauseFails && strings.HasPrefix(e, "domain suspended")) {
					return fmt.Errorf("%w (%s) while waiting for %q; events: %s", ErrGuestStopped, e, want, strings.Join(seen, ", "))
				}
			}
		}
		select {
		case <-w.changed:
		case <-ctx.Done():
			if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.DeadlineExceeded) {
				return cause
			}
			return fmt.Errorf("no %q within %s; events seen: %s", want, limit, orNone(seen))
		}
	}
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
