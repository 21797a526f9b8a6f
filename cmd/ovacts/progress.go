package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/internal/safeio"
	"github.com/ovacts/ovacts/reports"
)

// runProgress follows a run (a harness.Watcher) for its progress: the
// estimate of the time left, from the latest earlier run's durations per
// scenario where it has them, else from the probes' measurements (a guest's
// boot, the appliance's launch) for the scenarios that need them, else from
// the pace of this run; and a notice, at most once a minute, for each
// scenario running past a minute, naming its current step.
type runProgress struct {
	mu      sync.Mutex
	out     io.Writer // the progress: its notices and its estimate go there
	history reports.History
	conc    int
	guest   time.Duration // one boot of the guest, measured by the probe
	launch  time.Duration // one launch of the appliance
	pending map[string][]time.Duration
	unknown map[string]int // pending scenarios with no estimate, by key
	running map[int]*running
	doneN   int
	doneSum time.Duration
	// planMean is the mean of the scenarios the plan could estimate: what
	// one it could not counts until one ends.
	planMean time.Duration
}

// running is a scenario under way.
type running struct {
	key, label    string
	expect        time.Duration // 0: unknown
	started, step time.Time
	stepText      string
	noticed       time.Time
}

// noticeAfter is how long a scenario runs before its notice, and how long
// between two notices of one scenario.
const noticeAfter = time.Minute

func newRunProgress(out io.Writer, history reports.History) *runProgress {
	return &runProgress{out: out, history: history, conc: 1, pending: map[string][]time.Duration{},
		unknown: map[string]int{}, running: map[int]*running{}}
}

// expect is a scenario's estimate and where it comes from; 0 when neither
// the history nor the probes give one.
func (p *runProgress) expect(o reports.Outcome) (time.Duration, string) {
	if d, ok := p.history[reports.HistoryKey(o)]; ok {
		return d, "history"
	}
	var d time.Duration
	if slices.Contains(o.Tags, "@needs:guest") {
		d += p.guest
	}
	if slices.Contains(o.Tags, "@needs:guestfs-appliance") || slices.Contains(o.Tags, "@needs:guestfs-libvirt") {
		d += p.launch
	}
	if d > 0 {
		return d, "probes"
	}
	return 0, ""
}

func (p *runProgress) Planned(plan harness.RunPlan) {
	p.mu.Lock()
	p.conc = max(plan.Concurrency, 1)
	p.guest, p.launch = plan.GuestBoot, plan.ApplianceLaunch
	from := map[string]int{}
	for _, o := range plan.Scenarios {
		d, src := p.expect(o)
		from[src]++
		if d == 0 {
			p.unknown[reports.HistoryKey(o)]++
			continue
		}
		p.pending[reports.HistoryKey(o)] = append(p.pending[reports.HistoryKey(o)], d)
	}
	if n := len(plan.Scenarios) - from[""]; n > 0 {
		var sum time.Duration
		for _, ds := range p.pending {
			for _, d := range ds {
				sum += d
			}
		}
		p.planMean = sum / time.Duration(n)
	}
	left, ok := p.left(time.Time{})
	p.mu.Unlock()
	if !ok || len(plan.Scenarios) == 0 {
		return
	}
	fmt.Fprintf(p.out, "estimate: about %s for %d scenario(s), %d at once (%d timed by the latest run, %d by the probes, %d by neither)\n",
		left.Round(time.Second), len(plan.Scenarios), p.conc, from["history"], from["probes"], from[""])
}

func (p *runProgress) ScenarioStarted(id int, o reports.Outcome, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	key := reports.HistoryKey(o)
	r := &running{key: key, label: o.ReqID + " " + safeio.Printable(o.Title), started: at}
	if ds := p.pending[key]; len(ds) > 0 {
		r.expect, p.pending[key] = ds[0], ds[1:]
	} else if p.unknown[key] > 0 {
		p.unknown[key]--
	}
	p.running[id] = r
}

func (p *runProgress) StepStarted(id int, step string, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r := p.running[id]; r != nil {
		r.stepText, r.step = step, at
	}
}

func (p *runProgress) ScenarioEnded(id int, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r := p.running[id]; r != nil {
		p.doneN++
		p.doneSum += at.Sub(r.started)
		delete(p.running, id)
	}
}

// left is the estimate of the time left at now (the zero time: before any
// scenario started), and whether there is one. A scenario without an
// estimate of its own counts as the mean of those done here, else of those
// the plan estimated; with neither there is no estimate. Callers hold p.mu.
func (p *runProgress) left(now time.Time) (time.Duration, bool) {
	var sum time.Duration
	for _, ds := range p.pending {
		for _, d := range ds {
			sum += d
		}
	}
	mean := p.planMean
	if p.doneN > 0 {
		mean = p.doneSum / time.Duration(p.doneN)
	}
	unknown := 0
	for _, c := range p.unknown {
		unknown += c
	}
	if p.planMean == 0 && p.doneN == 0 {
		return 0, false
	}
	sum += mean * time.Duration(unknown)
	for _, r := range p.running {
		expect := r.expect
		if expect == 0 {
			expect = mean
		}
		if !now.IsZero() {
			expect -= now.Sub(r.started)
		}
		sum += max(expect, 0)
	}
	return sum / time.Duration(p.conc), true
}

// status is the live line's part of the progress: how many run, and the
// estimate.
func (p *runProgress) status(now time.Time) (int, time.Duration, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	d, ok := p.left(now)
	return len(p.running), d, ok
}

// tick writes a notice for each scenario past a minute that has had none
// for a minute: one line each, the longest running first.
func (p *runProgress) tick(now time.Time) {
	p.mu.Lock()
	var lines []string
	var long []*running
	for _, r := range p.running {
		if now.Sub(r.started) >= noticeAfter && (r.noticed.IsZero() || now.Sub(r.noticed) >= noticeAfter) {
			long = append(long, r)
		}
	}
	sort.Slice(long, func(i, j int) bool { return long[i].started.Before(long[j].started) })
	for _, r := range long {
		r.noticed = now
		line := fmt.Sprintf("still running: %s, %s so far", r.label, now.Sub(r.started).Round(time.Second))
		if r.stepText != "" {
			line += fmt.Sprintf("; at step %s (%s)", r.stepText, now.Sub(r.step).Round(time.Second))
		}
		lines = append(lines, line)
	}
	p.mu.Unlock()
	for _, l := range lines {
		fmt.Fprintln(p.out, l)
	}
}

// follow ticks every interval until stop is called (once or more); on a
// terminal the live line is redrawn too.
func (p *runProgress) follow(interval time.Duration, now func() time.Time, live *liveLine) (stop func()) {
	t := time.NewTicker(interval)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-done:
				return
			case <-t.C:
				p.tick(now())
				if live != nil {
					live.refresh()
				}
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { t.Stop(); close(done); <-finished }) }
}

// lockedWriter serialises the progress's writers: the run's goroutines and
// the ticker.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}
