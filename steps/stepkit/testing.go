package stepkit

// What the tests of the areas share: a world on libvirt's test driver, and
// the check that a step failed saying what it saw.

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/harness"
)

// StepWorld is a scenario's world on no connection, for a requirement of the
// level, with a 50 ms step timeout.
func StepWorld(level catalogue.Level) (context.Context, *World) {
	s := harness.NewSelfTestScenario(nil, "test:///default", &harness.Capabilities{}, &catalogue.Requirement{ID: "T-001", Level: level}, "abcdefgh", 50*time.Millisecond)
	w := &World{Scenario: s}
	return WithWorld(context.Background(), w), w
}

// WantErr fails the test unless err is a failure whose message holds saying.
func WantErr(t *testing.T, what string, err error, saying string) {
	t.Helper()
	var skip *harness.SkipError
	switch {
	case err == nil:
		t.Errorf("%s passed", what)
	case errors.As(err, &skip):
		t.Errorf("%s: %s, not a failure: %v", what, skip.Status, err)
	case !strings.Contains(err.Error(), saying):
		t.Errorf("%s: %v, want it to say %q", what, err, saying)
	}
}
