package steps

import (
	"strings"
	"testing"
	"time"

	"github.com/ovacts/ovacts/catalogue"
	"libvirt.org/go/libvirt"
)

// The "no callback event" check ends with the control callback's event, and
// still catches a deregistered callback that fires, or an event that never
// comes.
func TestDeregisteredCallbackCheck(t *testing.T) {
	for _, c := range []struct {
		name             string
		afterDereg       []string // events logged for the deregistered callback
		control          bool     // the control callback gets the event
		want             string   // "" passes
		fasterThanWindow bool
	}{
		{"silent after deregistration", nil, true, "", true},
		{"fires after deregistration", []string{"stopped (destroyed)"}, true, "still fired", true},
		{"no event at all", nil, false, "cannot be judged", false},
		{"fires, and no control event", []string{"stopped (destroyed)"}, false, "still fired", false},
	} {
		ctx, w := stepWorld(catalogue.SHOULD)
		l := w.eventsLog()
		l.add("callback", "vm", "started (booted)")
		w.eventSt().deregistered = map[string][2]int{"vm": {1, 0}}
		for _, e := range c.afterDereg {
			l.add("callback", "vm", e)
		}
		if c.control {
			l.add(controlKind, "vm", "stopped (destroyed)")
		}
		start := time.Now()
		err := noCallbackEventOfArrivesWithinSeconds(ctx, "vm", 1)
		took := time.Since(start)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
		if c.fasterThanWindow && took > 500*time.Millisecond {
			t.Errorf("%s: took %s although the control callback had its event", c.name, took)
		}
	}
}

// Only states libvirt describes as passing are waited on; a settled state
// that is not the one wanted is the answer at once.
func TestInTransit(t *testing.T) {
	for _, c := range []struct {
		st     libvirt.DomainState
		reason int
		want   bool
	}{
		{libvirt.DOMAIN_SHUTDOWN, 0, true},
		{libvirt.DOMAIN_NOSTATE, 0, true},
		{libvirt.DOMAIN_PAUSED, int(libvirt.DOMAIN_PAUSED_MIGRATION), true},
		{libvirt.DOMAIN_PAUSED, int(libvirt.DOMAIN_PAUSED_SAVE), true},
		{libvirt.DOMAIN_PAUSED, int(libvirt.DOMAIN_PAUSED_USER), false},
		{libvirt.DOMAIN_PAUSED, int(libvirt.DOMAIN_PAUSED_FROM_SNAPSHOT), false},
		{libvirt.DOMAIN_RUNNING, int(libvirt.DOMAIN_RUNNING_RESTORED), false},
		{libvirt.DOMAIN_SHUTOFF, int(libvirt.DOMAIN_SHUTOFF_SAVED), false},
	} {
		if got := inTransit(c.st, c.reason); got != c.want {
			t.Errorf("inTransit(%s): %v, want %v", describeState(c.st, c.reason), got, c.want)
		}
	}
}

// The legacy listings are judged against the list-all calls around them:
// other scenarios' objects may come and go, but a stack whose legacy call
// leaves out, invents or miscounts an object that stays fails.
func TestLegacyListingWithin(t *testing.T) {
	before, after := []string{"a", "b", "gone"}, []string{"a", "b", "new"}
	for _, c := range []struct {
		name   string
		n      int
		legacy []string
		want   bool
	}{
		{"as before", 3, []string{"a", "b", "gone"}, true},
		{"as after", 3, []string{"a", "b", "new"}, true},
		{"between", 2, []string{"a", "b"}, true},
		{"leaves out a stable object", 2, []string{"a", "new"}, false},
		{"invents an object", 3, []string{"a", "b", "ghost"}, false},
		{"miscounts", 7, []string{"a", "b"}, false},
		{"counts none", 0, []string{"a", "b"}, false},
	} {
		if got := agreeWithin(c.n, c.legacy, before, after); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
