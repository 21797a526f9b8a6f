package main

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/reports"
)

func scenario(id, title string, tags ...string) reports.Outcome {
	return reports.Outcome{ReqID: id, Level: "MUST", Area: strings.Split(id, "-")[0], Title: title, FeatureURI: "features/x/x.feature", Tags: tags}
}

// The estimate takes each scenario's time from the latest run when it has
// it, from the probes for what needs a guest or the appliance, and counts
// the others at the mean; as scenarios run and end it follows the clock.
func TestEstimateFromHistoryAndProbes(t *testing.T) {
	a, b, c := scenario("DOM-001", "a"), scenario("GUEST-002", "b", "@needs:guest"), scenario("NET-001", "c")
	var out bytes.Buffer
	p := newRunProgress(&out, reports.History{reports.HistoryKey(a): 10 * time.Second})
	p.Planned(harness.RunPlan{Scenarios: []reports.Outcome{a, b, c}, Concurrency: 1, GuestBoot: 30 * time.Second})
	if want := "estimate: about 1m0s for 3 scenario(s), 1 at once (1 timed by the latest run, 1 by the probes, 1 by neither)\n"; out.String() != want {
		t.Fatalf("the plan's estimate: %q, want %q", out.String(), want)
	}
	t0 := time.Date(2026, 12, 8, 1, 0, 0, 0, time.UTC)
	p.ScenarioStarted(1, a, t0)
	if n, left, ok := p.status(t0.Add(4 * time.Second)); n != 1 || !ok || left != 56*time.Second {
		t.Errorf("4s into DOM-001 (10s last time): %d running, %s left (%v), want 1 and 56s", n, left, ok)
	}
	p.ScenarioEnded(1, t0.Add(12*time.Second))
	// NET-001 now counts as the mean of what is done here: 12s.
	if n, left, _ := p.status(t0.Add(12 * time.Second)); n != 0 || left != 42*time.Second {
		t.Errorf("after DOM-001: %d running, %s left, want 0 and 42s", n, left)
	}
	p.ScenarioStarted(2, b, t0.Add(12*time.Second))
	p.ScenarioStarted(3, c, t0.Add(12*time.Second))
	// Past its estimate, a scenario adds nothing more.
	if _, left, _ := p.status(t0.Add(2 * time.Minute)); left != 0 {
		t.Errorf("every scenario past its estimate: %s left, want 0", left)
	}
	// Two at once halve it.
	q := newRunProgress(&bytes.Buffer{}, reports.History{reports.HistoryKey(a): 10 * time.Second, reports.HistoryKey(c): 30 * time.Second})
	q.Planned(harness.RunPlan{Scenarios: []reports.Outcome{a, c}, Concurrency: 2})
	if _, left, ok := q.status(t0); !ok || left != 20*time.Second {
		t.Errorf("40s of scenarios two at once: %s left, want 20s", left)
	}
}

// Without history or probes, there is no estimate until a scenario ends,
// and the plan says nothing it does not know.
func TestEstimateWithoutAnything(t *testing.T) {
	var out bytes.Buffer
	a, c := scenario("DOM-001", "a"), scenario("NET-001", "c")
	p := newRunProgress(&out, nil)
	p.Planned(harness.RunPlan{Scenarios: []reports.Outcome{a, c}, Concurrency: 1})
	t0 := time.Date(2026, 12, 8, 1, 0, 0, 0, time.UTC)
	if _, _, ok := p.status(t0); ok || out.Len() != 0 {
		t.Errorf("an estimate out of nothing: %q", out.String())
	}
	p.ScenarioStarted(1, a, t0)
	p.ScenarioEnded(1, t0.Add(6*time.Second))
	if _, left, ok := p.status(t0.Add(6 * time.Second)); !ok || left != 6*time.Second {
		t.Errorf("after one scenario of 6s, one left: %s (%v), want 6s", left, ok)
	}
}

// A scenario past a minute gets one notice naming its current step, then
// one a minute at most; a scenario that ended gets none.
func TestNoticeOfLongScenario(t *testing.T) {
	var out bytes.Buffer
	p := newRunProgress(&out, nil)
	t0 := time.Date(2026, 12, 8, 1, 0, 0, 0, time.UTC)
	p.ScenarioStarted(7, scenario("GUEST-003", "the guest <reboots>\x1b[2J"), t0)
	p.ScenarioStarted(8, scenario("DOM-002", "quick"), t0.Add(30*time.Second))
	p.StepStarted(7, `When I reboot domain "vm"`, t0.Add(5*time.Second))
	p.tick(t0.Add(59 * time.Second))
	if out.Len() != 0 {
		t.Fatalf("a notice before a minute: %q", out.String())
	}
	p.tick(t0.Add(60 * time.Second))
	want := `still running: GUEST-003 the guest <reboots>\x1b[2J, 1m0s so far; at step When I reboot domain "vm" (55s)` + "\n"
	if out.String() != want {
		t.Fatalf("the notice: %q, want %q", out.String(), want)
	}
	p.tick(t0.Add(90 * time.Second))
	if strings.Count(out.String(), "\n") != 2 || !strings.Contains(out.String(), "DOM-002 quick, 1m0s so far\n") {
		t.Fatalf("at 90s: GUEST-003 again, or DOM-002 (a minute in, no step) not noticed: %q", out.String())
	}
	p.tick(t0.Add(119 * time.Second))
	p.ScenarioEnded(8, t0.Add(119*time.Second))
	p.tick(t0.Add(120 * time.Second))
	if got := out.String(); strings.Count(got, "GUEST-003") != 2 || strings.Count(got, "DOM-002") != 1 {
		t.Fatalf("at 2m: GUEST-003's second notice, and none for DOM-002 that ended: %q", got)
	}
}

// On a terminal the live line says what runs and the estimate.
func TestLiveLineWithEstimate(t *testing.T) {
	var b bytes.Buffer
	t0 := time.Date(2026, 12, 8, 1, 0, 0, 0, time.UTC)
	clock := t0
	a, c := scenario("DOM-001", "a"), scenario("NET-001", "c")
	p := newRunProgress(&bytes.Buffer{}, reports.History{reports.HistoryKey(a): 10 * time.Second, reports.HistoryKey(c): 20 * time.Second})
	p.Planned(harness.RunPlan{Scenarios: []reports.Outcome{a, c}, Concurrency: 1})
	l := &liveLine{w: &b, now: func() time.Time { return clock }, watch: p}
	l.Write([]byte("selected 3 scenarios (profile core); 1 decided before the run\n\n"))
	l.Write([]byte("[  1/3] N/A    CONN-013  SHOULD x (0s)\n"))
	p.ScenarioStarted(1, a, t0)
	clock = t0.Add(4 * time.Second)
	l.refresh()
	if !strings.HasSuffix(b.String(), "\r\x1b[K[1/3 done, 1 running, 1 left, about 26s to go]") {
		t.Fatalf("the redrawn line: %q", b.String())
	}
}

// The run log is what the terminal showed, without its control codes.
func TestPlainLog(t *testing.T) {
	var b bytes.Buffer
	plainLog{&b}.Write([]byte("\r\x1b[K[  2/4] PASS x\n\x1b[1mbold\x1b[0m \\x1b kept\n"))
	if got := b.String(); got != "[  2/4] PASS x\nbold \\x1b kept\n" {
		t.Errorf("%q", got)
	}
}

// The run's goroutines, the ticker and the live line share the progress:
// under -race (make test) nothing is unguarded, and nothing deadlocks.
func TestProgressConcurrent(t *testing.T) {
	var b bytes.Buffer
	out := &lockedWriter{w: &b}
	p := newRunProgress(out, nil)
	l := &liveLine{w: out, now: func() time.Time { return time.Now().Add(2 * time.Minute) }, watch: p}
	p.out = &lockedWriter{w: l}
	p.Planned(harness.RunPlan{Concurrency: 4})
	stop := p.follow(time.Millisecond, func() time.Time { return time.Now().Add(2 * time.Minute) }, l)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				id := g*100 + i
				p.ScenarioStarted(id, scenario("DOM-001", fmt.Sprint(id)), time.Now())
				p.StepStarted(id, "When x", time.Now())
				fmt.Fprintf(p.out, "[%3d/200] PASS   DOM-001   MUST   x (0s)\n", g*50+i+1)
				p.ScenarioEnded(id, time.Now())
			}
		}()
	}
	wg.Wait()
	stop()
	stop()
	if n, _, _ := p.status(time.Now()); n != 0 {
		t.Errorf("%d still running after all ended", n)
	}
}
