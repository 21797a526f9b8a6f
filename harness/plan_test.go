package harness

import (
	"strings"
	"testing"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/reports"
)

// decidePickle plans one scenario that needs needs against caps.
func decidePickle(caps *Capabilities, needs ...string) *reports.Outcome {
	r := &runner{caps: caps}
	p := &catalogue.Pickle{Name: "s", Req: &catalogue.Requirement{ID: "SMP-001", Level: "MUST", Area: "SMP", Needs: needs}}
	return r.decide(p)
}

// A broken capability outranks one the stack does not offer (the fault is
// never hidden as "not applicable"), and both outrank a missing input,
// whatever the order of the needs.
func TestPlanBrokenOutranksAbsent(t *testing.T) {
	caps := &Capabilities{}
	caps.Lack("nwfilter", "the driver does not offer network filters", Absent)
	caps.Break("kvm", "CONN-018", "kvm offered but a kvm domain did not start")
	caps.Lack("peer", "no --peer-uri", NotProvided)
	for _, needs := range [][]string{{"nwfilter", "kvm"}, {"kvm", "nwfilter"}, {"peer", "nwfilter", "kvm"}} {
		o := decidePickle(caps, needs...)
		if o.Status != reports.Blocked || o.Capability != "kvm" || o.BlockedBy != "CONN-018" || !strings.Contains(o.Reason, "CONN-018 failed") {
			t.Errorf("needs %v: %s (%s) by %q: %s, want blocked by CONN-018", needs, o.Status, o.Capability, o.BlockedBy, o.Reason)
		}
	}
	if o := decidePickle(caps, "peer", "nwfilter"); o.Status != reports.NotApplicable || o.Capability != "nwfilter" {
		t.Errorf("absent and not provided: %s (%s), want not applicable (nwfilter)", o.Status, o.Capability)
	}
	if o := decidePickle(caps, "peer"); o.Status != reports.NotRun || o.Capability != "peer" {
		t.Errorf("not provided: %s (%s), want not run (peer)", o.Status, o.Capability)
	}
}
