package harness

import (
	"time"

	"github.com/ovacts/ovacts/reports"
)

// Watcher follows a run as it goes, for a progress display: the plan once,
// then each scenario's start, steps and end. Its methods are called from
// the scenarios' goroutines, and must not block.
type Watcher interface {
	Planned(RunPlan)
	ScenarioStarted(id int, o reports.Outcome, at time.Time)
	StepStarted(id int, step string, at time.Time)
	ScenarioEnded(id int, at time.Time)
}

// RunPlan is what a run is about to do: the scenarios that will run (their
// outcomes not yet decided), how many at once, and what the probes measured
// (zero when not measured): one boot of the guest to a running agent, one
// launch of libguestfs's appliance.
type RunPlan struct {
	Scenarios       []reports.Outcome
	Concurrency     int
	GuestBoot       time.Duration
	ApplianceLaunch time.Duration
}

// planned tells the watcher what the run will do.
func (r *runner) planned(order []*plannedPickle) {
	if r.cfg.Watch == nil {
		return
	}
	plan := RunPlan{Concurrency: r.cfg.Concurrency}
	for _, pp := range order {
		if pp.run {
			plan.Scenarios = append(plan.Scenarios, watched(pp))
		}
	}
	if g := r.caps.Guest; g != nil {
		plan.GuestBoot = g.ProbeBoot
	}
	if g := r.caps.Guestfs; g != nil {
		plan.ApplianceLaunch = g.ProbeLaunch
	}
	r.cfg.Watch.Planned(plan)
}

// watched is what a watcher knows of a scenario: its requirement, title,
// feature and tags (not its steps, which the step definitions would have to
// locate).
func watched(pp *plannedPickle) reports.Outcome {
	p := pp.p
	return reports.Outcome{ReqID: p.Req.ID, Level: string(p.Req.Level), Area: p.Req.Area, Title: p.Name,
		Feature: p.Req.Feature, FeatureURI: p.URI, Line: p.Line, Tags: p.Tags}
}
