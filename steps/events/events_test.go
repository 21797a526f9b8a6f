package events

import (
	"strings"
	"testing"
	"time"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/steps/stepkit"
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
		ctx, w := stepkit.StepWorld(catalogue.SHOULD)
		l := w.EventsLog()
		l.Add("callback", "vm", "started (booted)")
		w.EventSt().Deregistered = map[string][2]int{"vm": {1, 0}}
		for _, e := range c.afterDereg {
			l.Add("callback", "vm", e)
		}
		if c.control {
			l.Add(controlKind, "vm", "stopped (destroyed)")
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
