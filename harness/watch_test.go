package harness_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/reports"
)

// recorder is a Watcher that keeps what it was told.
type recorder struct {
	mu      sync.Mutex
	plan    []reports.Outcome
	conc    int
	started map[int]string
	steps   map[int][]string
	ended   map[int]bool
}

func (r *recorder) Planned(p harness.RunPlan) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.plan, r.conc = p.Scenarios, p.Concurrency
}

func (r *recorder) ScenarioStarted(id int, o reports.Outcome, _ time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.started[id] = o.ReqID
}

func (r *recorder) StepStarted(id int, step string, _ time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.steps[id] = append(r.steps[id], step)
}

func (r *recorder) ScenarioEnded(id int, _ time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ended[id] = true
}

// The watcher hears the plan (only the scenarios that will run), every
// scenario's start and end, and each step as it starts, by its keyword and
// text.
func TestWatcherFollowsTheRun(t *testing.T) {
	cfg := config(t)
	cfg.Tags = "@req:DOM-001 or @req:CONN-013 or @req:CONN-001"
	w := &recorder{started: map[int]string{}, steps: map[int][]string{}, ended: map[int]bool{}}
	cfg.Watch = w
	rep := run(t, context.Background(), cfg)
	ran := 0
	for _, o := range rep.Outcomes {
		if o.Status == reports.Passed || o.Status == reports.Failed {
			ran++
		}
	}
	if len(w.plan) != ran || ran < 2 || w.conc != 1 {
		t.Fatalf("planned %d scenarios at %d at once; %d ran at 1", len(w.plan), w.conc, ran)
	}
	for _, o := range w.plan {
		if o.ReqID == "CONN-013" {
			t.Error("a scenario decided before the run (CONN-013, not applicable) is in the plan")
		}
	}
	if len(w.started) != ran || len(w.ended) != ran {
		t.Errorf("%d started, %d ended, %d ran", len(w.started), len(w.ended), ran)
	}
	for id, req := range w.started {
		if !w.ended[id] || len(w.steps[id]) == 0 {
			t.Errorf("%s (%d): ended %v, steps %q", req, id, w.ended[id], w.steps[id])
		}
		if req == "DOM-001" && (w.steps[id][0] == "" || w.steps[id][0] != `When I define domain "vm" from fixture "minimal"` || w.steps[id][1][:5] != "Then ") {
			t.Errorf("DOM-001's first step is not named as written, with its keyword: %q", w.steps[id])
		}
	}
}
