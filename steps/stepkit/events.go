package stepkit

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ovacts/ovacts/harness"
)

// EventLog collects the events of one scenario's objects. Callbacks run on
// libvirt's event loop goroutine; steps read under the mutex.
type EventLog struct {
	mu     sync.Mutex
	byObj  map[string][]string // "domain vm" -> ["defined", "started (booted)", ...]
	Notify chan struct{}
}

func (l *EventLog) Add(kind, logical, event string) {
	l.mu.Lock()
	if l.byObj == nil {
		l.byObj = map[string][]string{}
	}
	key := kind + " " + logical
	l.byObj[key] = append(l.byObj[key], event)
	l.mu.Unlock()
	select {
	case l.Notify <- struct{}{}:
	default:
	}
}

func (l *EventLog) Get(kind, logical string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.byObj[kind+" "+logical]...)
}

func (w *World) EventsLog() *EventLog {
	if w.EventSt().Log == nil {
		w.EventSt().Log = &EventLog{Notify: make(chan struct{}, 1)}
	}
	return w.EventSt().Log
}

// Watch subscribes the scenario to the run's shared registration for kind,
// for objects of this scenario only.
func (w *World) Watch(kind string) error {
	l := w.EventsLog()
	prefix := w.ScenarioPrefix()
	unsubscribe, err := w.Events.Subscribe(kind, prefix, func(ev harness.Event) {
		l.Add(kind, strings.TrimPrefix(ev.Object, prefix), ev.Name)
	})
	if err != nil {
		return err
	}
	w.Tracker.Defer(kind+" event subscription", func() error { unsubscribe(); return nil })
	return nil
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

func SplitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func watchEvents(ctx context.Context, kind string) error {
	return W(ctx).Watch(kind)
}

func eventsOfIncludeInOrderWithinSeconds(ctx context.Context, kind, name, list string, secs int) error {
	w := W(ctx)
	if w.EventSt().Log == nil {
		return fmt.Errorf("no %s events are watched in this scenario", kind)
	}
	want := SplitList(list)
	deadline := time.After(time.Duration(secs) * time.Second)
	for {
		got := w.EventSt().Log.Get(kind, name)
		if isSubsequence(want, got) {
			return nil
		}
		select {
		case <-w.EventSt().Log.Notify:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			return fmt.Errorf("%s events of %q: want %q in order within %ds, got %q", kind, name, want, secs, got)
		case <-ctx.Done():
			return fmt.Errorf("%s events of %q: want %q, got %q: %w", kind, name, want, got, ctx.Err())
		}
	}
}

func registerEvents(r *Registry) {
	r.Step(`^I watch (domain|device|storage pool|network|secret) events$`, watchEvents)
	r.Step(`^the (domain|peer domain|device|storage pool|network|secret|callback) events of "([^"]*)" include, in order, "([^"]*)" within (\d+) seconds?$`, eventsOfIncludeInOrderWithinSeconds)
}
