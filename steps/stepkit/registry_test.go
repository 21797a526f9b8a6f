package stepkit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cucumber/godog"
	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/reports"
	"libvirt.org/go/libvirt"
)

func TestRegistryRefusesBadDefinitions(t *testing.T) {
	r := &Registry{}
	r.Step(`the connection is alive`, func(context.Context) error { return nil })
	r.Step(`^x$`, func() error { return nil })
	r.Step(`^y$`, func(context.Context) string { return "" })
	r.Step(`^(z$`, func(context.Context) error { return nil })
	if len(r.errs) != 4 || len(r.defs) != 0 {
		t.Fatalf("want 4 refusals, got %d errors and %d definitions: %v", len(r.errs), len(r.defs), r.errs)
	}
	if !strings.Contains(r.errs[0].Error(), "not anchored") {
		t.Errorf("unanchored: %v", r.errs[0])
	}
}

// "Not supported" is the stack declaring it lacks the feature: not
// applicable at every level, with libvirt's answer as the evidence (whether a
// profile may do without it is the verdict's to say).
func TestWrapperVerdictOnUnsupported(t *testing.T) {
	noSupport := libvirt.Error{Code: libvirt.ERR_NO_SUPPORT, Message: "this function is not supported by the connection driver"}
	fn, err := wrap(func(ctx context.Context) error { return noSupport }, stepWait{Arg: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	call := fn.(func(context.Context) error)
	for _, level := range []catalogue.Level{catalogue.MUST, catalogue.SHOULD, catalogue.MAY} {
		ctx, _ := StepWorld(level)
		err := call(ctx)
		var skip *harness.SkipError
		if !errors.As(err, &skip) || !errors.Is(err, godog.ErrSkip) || skip.Status != reports.NotApplicable ||
			!strings.Contains(skip.Reason, "VIR_ERR_NO_SUPPORT: this function is not supported") {
			t.Errorf("%s: got %v, want not applicable quoting libvirt's answer", level, err)
		}
	}
}

func TestUnsupportedRecognisesLibvirtsRefusals(t *testing.T) {
	for _, c := range []struct {
		err  libvirt.Error
		want bool
	}{
		{libvirt.Error{Code: libvirt.ERR_NO_SUPPORT}, true},
		{libvirt.Error{Code: libvirt.ERR_ARGUMENT_UNSUPPORTED, Message: "argument unsupported: Stats types bits 0x2 are not supported by this daemon"}, true},
		{libvirt.Error{Code: libvirt.ERR_OPERATION_UNSUPPORTED, Message: "Operation not supported: cannot create checkpoint for inactive domain"}, true},
		{libvirt.Error{Code: libvirt.ERR_INVALID_ARG, Message: "unsupported flags (0x10) in function testDomainSnapshotCreateXML"}, true},
		{libvirt.Error{Code: libvirt.ERR_INVALID_ARG, Message: "invalid argument: bad name"}, false},
		{libvirt.Error{Code: libvirt.ERR_OPERATION_INVALID}, false},
		{libvirt.Error{Code: libvirt.ERR_INTERNAL_ERROR, Message: "unsupported flags"}, false},
	} {
		if got := Unsupported(fmt.Errorf("step: %w", c.err)); got != c.want {
			t.Errorf("unsupported(%s %q) = %v", harness.ErrorCodeName(c.err.Code), c.err.Message, got)
		}
	}
}

func TestWrapperAppliesStepDeadlineAndInterrupt(t *testing.T) {
	fn, _ := wrap(func(ctx context.Context, name string) error {
		if _, ok := ctx.Deadline(); !ok {
			return errors.New("no deadline")
		}
		<-ctx.Done()
		return ctx.Err()
	}, stepWait{Arg: -1}, nil)
	call := fn.(func(context.Context, string) error)
	ctx, _ := StepWorld(catalogue.MUST)
	err := call(ctx, "x")
	if err == nil || !strings.Contains(err.Error(), "step timed out after") {
		t.Fatalf("want a step timeout, got %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	err = call(cancelled, "x")
	var skip *harness.SkipError
	if !errors.As(err, &skip) || skip.Status != reports.NotRun || skip.Capability != "interrupted" {
		t.Fatalf("want an interrupted skip, got %v", err)
	}
}

// A step that says how long it waits gets that long, even past --step-timeout
// (OVIRT-011 waits up to 300 s for a VM to come up).
func TestStatedWaitsOutlastTheStepTimeout(t *testing.T) {
	for pattern, want := range map[string]stepWait{
		`^VM "([^"]*)" reaches status "([^"]*)" within (\d+) seconds$`:          {Arg: 3},
		`^no (domain|device) event of "([^"]*)" arrives within (\d+) seconds?$`: {Arg: 3},
		`^guest "([^"]*)" has booted again within the boot limit$`:              {Arg: -1, BootLimit: true},
		`^the connection is alive$`:                                             {Arg: -1},
		`^a (?:quick )?thing "([^"]*)" within (\d+) seconds$`:                   {Arg: 2},
	} {
		if got := waitOf(pattern); got != want {
			t.Errorf("%s: %+v, want %+v", pattern, got, want)
		}
	}
	fn, _ := wrap(func(ctx context.Context, secs string) error {
		dl, _ := ctx.Deadline()
		if left := time.Until(dl); left < 100*time.Second {
			return fmt.Errorf("only %s to wait 120 s", left)
		}
		return nil
	}, waitOf(`^x within (\d+) seconds$`), nil)
	ctx, _ := StepWorld(catalogue.MUST) // a 50 ms step timeout
	if err := fn.(func(context.Context, string) error)(ctx, "120"); err != nil {
		t.Fatal(err)
	}
}

// A libguestfs step gets a multiple of the appliance launch the probe
// measured on this host when that is longer than --step-timeout, and a
// timeout says what was measured and what was allowed; other areas keep
// --step-timeout.
func TestApplianceStepsScaleWithTheMeasuredLaunch(t *testing.T) {
	caps := &harness.Capabilities{Guestfs: &harness.Guestfs{ProbeLaunch: 19 * time.Second}}
	gfs := &World{Scenario: harness.NewSelfTestScenario(nil, "qemu:///system", caps, &catalogue.Requirement{ID: "GFS-010", Area: "GFS", Level: catalogue.MUST}, "abcdefgh", time.Minute)}
	limit, why := stepWait{Arg: -1}.deadline(gfs, nil)
	if limit != 110*time.Second || !strings.Contains(why, "19.0 s") {
		t.Errorf("GFS step: %s (%s), want 1m50s from the measured launch", limit, why)
	}
	other := &World{Scenario: harness.NewSelfTestScenario(nil, "qemu:///system", caps, &catalogue.Requirement{ID: "DOM-001", Area: "DOM", Level: catalogue.MUST}, "abcdefgh", time.Minute)}
	if limit, why := (stepWait{Arg: -1}).deadline(other, nil); limit != time.Minute || why != "--step-timeout" {
		t.Errorf("DOM step: %s (%s)", limit, why)
	}
	quick := &World{Scenario: harness.NewSelfTestScenario(nil, "qemu:///system", &harness.Capabilities{Guestfs: &harness.Guestfs{ProbeLaunch: time.Second}},
		&catalogue.Requirement{ID: "GFS-010", Area: "GFS", Level: catalogue.MUST}, "abcdefgh", time.Minute)}
	if limit, _ := (stepWait{Arg: -1}).deadline(quick, nil); limit != time.Minute {
		t.Errorf("a fast launch lowered the step timeout to %s", limit)
	}
}
