package harness

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/reports"
)

type plannedPickle struct {
	p       *catalogue.Pickle
	run     bool
	outcome *reports.Outcome
}

// stillRunnable are the pickles none of whose needs is known to be missing
// yet (libguestfs's own needs aside: their probe decides them).
func stillRunnable(pickles []*catalogue.Pickle, caps *Capabilities) []*catalogue.Pickle {
	var out []*catalogue.Pickle
	for _, p := range pickles {
		ok := true
		for _, n := range p.Req.Needs {
			if !caps.Has(n) && !strings.HasPrefix(n, "guestfs") {
				ok = false
			}
		}
		if ok {
			out = append(out, p)
		}
	}
	return out
}

// plan decides before the run what the probe already decided: a requirement
// that states a broken capability fails with the cause; a scenario that needs
// a capability the stack lacks is not applicable, one whose capability is
// broken is blocked, one whose input the run lacks is not run. It returns the
// expression that selects the rest (for godog).
func (r *runner) plan(pickles []*catalogue.Pickle, sel *catalogue.TagExpr) ([]*plannedPickle, *catalogue.TagExpr) {
	caps := r.caps
	runExpr := sel
	exclude := func(tag string) {
		not, _ := catalogue.ParseTagExpr("not " + tag)
		runExpr = runExpr.And(not)
	}
	for _, need := range slices.Sorted(maps.Keys(caps.Missing)) {
		exclude("@needs:" + need)
		if n := caps.Missing[need]; n.State == Broken && n.StatedBy != "" {
			exclude("@req:" + n.StatedBy)
		}
	}
	var order []*plannedPickle
	for _, p := range pickles {
		pp := &plannedPickle{p: p, run: runExpr.Match(p.Tags)}
		if !pp.run {
			pp.outcome = r.decide(p)
		}
		r.byID[p.ID] = pp
		order = append(order, pp)
	}
	return order, runExpr
}

// decide is the outcome of a scenario the probe decided.
func (r *runner) decide(p *catalogue.Pickle) *reports.Outcome {
	caps := r.caps
	o := r.baseOutcome(p)
	for _, need := range slices.Sorted(maps.Keys(caps.Missing)) {
		if n := caps.Missing[need]; n.State == Broken && n.StatedBy == p.Req.ID {
			o.Status, o.FailedStep = reports.Failed, "(the probe, before the run)"
			o.Reason = fmt.Sprintf("%s is broken: %s", need, n.Reason)
			return o
		}
	}
	var absent, blocked, notRun []string
	for _, need := range p.Req.Needs {
		n, missing := caps.Missing[need]
		if !missing {
			continue
		}
		switch n.State {
		case Absent:
			absent = append(absent, need)
		case Broken:
			blocked = append(blocked, need)
		default:
			notRun = append(notRun, need)
		}
	}
	// A broken capability outranks one the stack does not offer: what the
	// stack claims and fails at is a fault whatever else the scenario would
	// need, and reading it as not applicable would hide it. Both outrank a
	// missing input.
	switch {
	case len(blocked) > 0:
		n := caps.Missing[blocked[0]]
		o.Status, o.Capability, o.BlockedBy = reports.Blocked, blocked[0], n.StatedBy
		o.Reason = fmt.Sprintf("%s is broken (%s failed): %s", blocked[0], n.StatedBy, n.Reason)
	case len(absent) > 0:
		o.Status, o.Capability = reports.NotApplicable, absent[0]
		o.Reason = "needs " + absent[0] + ": " + caps.Missing[absent[0]].Reason
	case len(notRun) > 0:
		o.Status, o.Capability = reports.NotRun, notRun[0]
		o.Reason = "needs " + notRun[0] + ": " + caps.Missing[notRun[0]].Reason
	default:
		o.Status, o.SuiteError, o.Reason = reports.Failed, true, "the plan left this scenario out for no reason (internal error)"
	}
	return o
}

func tagNote(tags string) string {
	if tags == "" {
		return ""
	}
	return ", tags " + tags
}

func countSkipped(pp []*plannedPickle) int {
	n := 0
	for _, p := range pp {
		if !p.run {
			n++
		}
	}
	return n
}
