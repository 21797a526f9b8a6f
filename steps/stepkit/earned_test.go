package stepkit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cucumber/godog"
	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/reports"
	"libvirt.org/go/libvirt"
)

// An unsupported answer to a step (a When or a Then, or a Given that acts) is
// a failure naming the answer, at every level and whatever the scenario
// declared: the probe found its capabilities present, so the stack took the
// scenario as far as an action it then says it lacks.
func TestUnsupportedAnswerToAStepFails(t *testing.T) {
	answers := []libvirt.Error{
		{Code: libvirt.ERR_NO_SUPPORT, Message: "this function is not supported by the connection driver: virDomainAttachDeviceFlags"},
		{Code: libvirt.ERR_ARGUMENT_UNSUPPORTED, Message: "argument unsupported: Stats types bits 0x2 are not supported by this daemon"},
		{Code: libvirt.ERR_OPERATION_UNSUPPORTED, Message: "Operation not supported: live disk resize"},
		{Code: libvirt.ERR_INVALID_ARG, Message: "unsupported flags (0x1) in function testDomainPinVcpuFlags"},
	}
	for _, answer := range answers {
		// As a step returns it: bare, and wrapped with what the step was doing.
		for _, returned := range []error{answer, fmt.Errorf("setting the vCPU pinning of vm live: %w", answer)} {
			fn, err := wrap(func(ctx context.Context) error { return returned }, stepWait{Arg: -1}, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, level := range []catalogue.Level{catalogue.MUST, catalogue.SHOULD, catalogue.MAY} {
				ctx, w := StepWorld(level)
				w.Req.Needs = []string{"hotplug", "persistent", "hotplug"}
				got := fn.(func(context.Context) error)(ctx)
				var skip *harness.SkipError
				var unsup *UnsupportedAction
				switch {
				case errors.As(got, &skip) || errors.Is(got, godog.ErrSkip):
					t.Errorf("%s %v: %v: a step's unsupported answer must fail, not skip", level, returned, got)
				case !errors.As(got, &unsup) || !errors.Is(got, answer.Code):
					t.Errorf("%s %v: got %T %v, want an UnsupportedAction wrapping the answer", level, returned, got, got)
				case !strings.Contains(got.Error(), harness.ErrorCodeName(answer.Code)+": "+answer.Message):
					t.Errorf("%s: %q does not name the answer", level, got)
				case !strings.Contains(got.Error(), "declared @needs:hotplug, @needs:persistent, which the probe found present"):
					t.Errorf("%s: %q does not name the declared capabilities once each", level, got)
				}
			}
		}
	}
}

// A declared capability check (a Given that asks the stack whether it has
// something, as firmware.go's domain capabilities check does) ends the
// scenario as not applicable with its evidence: classify leaves its answer
// alone, while the same stack's unsupported answer to an action fails.
func TestDeclaredCapabilityCheckIsNotApplicable(t *testing.T) {
	evidence := "the domain capabilities offer no efi firmware for kvm domains: <os supported='yes'><enum name='firmware'/></os>"
	check, err := wrap(func(ctx context.Context) error { return harness.NotApplicable("%s", evidence) }, stepWait{Arg: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, _ := StepWorld(catalogue.MUST)
	got := check.(func(context.Context) error)(ctx)
	var skip *harness.SkipError
	if !errors.As(got, &skip) || skip.Status != reports.NotApplicable || skip.Reason != evidence || !errors.Is(got, godog.ErrSkip) {
		t.Fatalf("a declared capability check: got %v, want not applicable with its evidence", got)
	}
	var unsup *UnsupportedAction
	if errors.As(got, &unsup) {
		t.Fatalf("a declared capability check's answer was taken for an unsupported action: %v", got)
	}
}

// unearned without a scenario (a helper's own call) still fails, naming the answer.
func TestUnearnedWithoutScenario(t *testing.T) {
	answer := libvirt.Error{Code: libvirt.ERR_NO_SUPPORT, Message: "this function is not supported by the connection driver: virDomainBlockResize"}
	got := classify(0, "", context.Background(), answer)
	var unsup *UnsupportedAction
	if !errors.As(got, &unsup) || !strings.Contains(got.Error(), "declared no capability") || !strings.Contains(got.Error(), "virDomainBlockResize") {
		t.Fatalf("got %v", got)
	}
}
