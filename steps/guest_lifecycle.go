// The guest OS's lifecycle steps (features/guest/guest.feature): boot,
// console boot marker, agent lifecycle events, shutdown, reboot, reset.

package steps

import (
	"context"
	"errors"
	"fmt"

	"github.com/ovacts/ovacts/harness"
	"libvirt.org/go/libvirt"
)

func probeBootedTheGuestOsWithKvm(ctx context.Context) error {
	g, err := W(ctx).theGuest()
	if err != nil {
		return err
	}
	switch {
	case g.Accel == "kvm":
		return nil
	case g.ForcedAccel:
		return harness.NotRun("--guest-accel %s: the probe did not try KVM", g.Accel)
	}
	return fmt.Errorf("the stack runs kvm domains, but the guest OS did not boot with KVM (%s): the guest scenarios ran with %s", g.AccelNote, g.Accel)
}

func runningGuest(ctx context.Context, logical, withDisk, network string) error {
	w := W(ctx)
	disk := ""
	if withDisk != "" {
		if err := w.ensurePool("store"); err != nil {
			return err
		}
		if err := w.createVolume(logical+"-data", "qcow2", 64, "store", ""); err != nil {
			return err
		}
		p, err := w.volumePath(logical+"-data", "store")
		if err != nil {
			return err
		}
		disk = p
	}
	if network != "" {
		network = w.Name(network)
	}
	if disk == "" && network == "" && w.SharesFixture(sharedGuest) {
		return w.sharedGuest(ctx, logical)
	}
	return w.runningGuest(ctx, logical, disk, network)
}

// sharedGuest is the guest booted once per run for the scenarios that only
// read it (@shared:guest: the agent's answers, the guest's description). A
// scenario that changes its guest (power, devices, clock, memory, console)
// boots its own.
const sharedGuest = "guest"

func (w *world) sharedGuest(ctx context.Context, logical string) error {
	v, err := w.Shared(ctx, sharedGuest, func(ctx context.Context, fix *harness.Scenario) (any, string, error) {
		fw := &world{Scenario: fix}
		// The fixture's own context: nothing in the build may reach the asking scenario's state.
		ctx = withWorld(harness.WithScenario(ctx, fix), fw)
		if err := fw.runningGuest(ctx, logical, "", ""); err != nil {
			return nil, "", err
		}
		g, _ := fw.theGuest()
		return sharedGuestOf{name: fix.Name(logical), state: fw.guestsSt().byDomain[logical]}, fmt.Sprintf("guest %s (%s), booted once for the run", fix.Name(logical), g.Accel), nil
	})
	if err != nil {
		return err
	}
	sg := v.(sharedGuestOf)
	w.Alias(logical, sg.name)
	if w.guestsSt().byDomain == nil {
		w.guestsSt().byDomain = map[string]*guestState{}
	}
	w.guestsSt().byDomain[logical] = sg.state
	return nil
}

type sharedGuestOf struct {
	name  string
	state *guestState
}

func startGuestWithItsConsoleOpen(ctx context.Context, logical string) error {
	return W(ctx).startGuest(ctx, logical, "", "", true)
}

func consoleOfGuestShowsItsBootMarker(ctx context.Context, logical string) error {
	w := W(ctx)
	gs, err := w.guest(logical)
	if err != nil {
		return err
	}
	g, _ := w.theGuest()
	if gs.console == nil {
		return errors.New("the console of the guest is not open")
	}
	marker := g.Meta.ReadyMarker
	if marker == "" {
		marker = "\n" // a vendor guest: any line of output
	}
	return gs.console.WaitFor(ctx, marker, g.BootLimit)
}

func agentLifecycleEventOfGuestArrivesWithin(ctx context.Context, state, logical string) error {
	w := W(ctx)
	gs, err := w.guest(logical)
	if err != nil {
		return err
	}
	g, _ := w.theGuest()
	return gs.watch.WaitEvent(ctx, gs.started, g.BootLimit, "agent "+state)
}

func shutDownOrRebootGuest(ctx context.Context, action, logical, how string) error {
	w := W(ctx)
	gs, err := w.guest(logical)
	if err != nil {
		return err
	}
	if action == "reboot" {
		if gs.bootID, err = w.bootID(ctx, logical); err != nil {
			return err
		}
	}
	gs.started = gs.watch.Mark()
	return w.withDomain(logical, func(d *libvirt.Domain) error {
		switch {
		case action == "shut down" && how == "through ACPI":
			return d.ShutdownFlags(libvirt.DOMAIN_SHUTDOWN_ACPI_POWER_BTN)
		case action == "shut down":
			return d.ShutdownFlags(libvirt.DOMAIN_SHUTDOWN_GUEST_AGENT)
		case how == "through ACPI":
			return d.Reboot(libvirt.DOMAIN_REBOOT_ACPI_POWER_BTN)
		}
		return d.Reboot(libvirt.DOMAIN_REBOOT_GUEST_AGENT)
	})
}

func resetGuest(ctx context.Context, logical string) error {
	w := W(ctx)
	gs, err := w.guest(logical)
	if err != nil {
		return err
	}
	if gs.bootID, err = w.bootID(ctx, logical); err != nil {
		return err
	}
	gs.started = gs.watch.Mark()
	return w.withDomain(logical, func(d *libvirt.Domain) error { return d.Reset(0) })
}

func guestStopsWithReasonWithinSeconds(ctx context.Context, logical, reason, secs string) error {
	w := W(ctx)
	gs, err := w.guest(logical)
	if err != nil {
		return err
	}
	return gs.watch.WaitEvent(ctx, gs.started, seconds(secs), "domain stopped ("+reason+")")
}

func rebootEventOfGuestArrivesWithinSeconds(ctx context.Context, logical, secs string) error {
	w := W(ctx)
	gs, err := w.guest(logical)
	if err != nil {
		return err
	}
	return gs.watch.WaitEvent(ctx, gs.started, seconds(secs), "reboot reboot")
}

func guestHasBootedAgainWithinTheBoot(ctx context.Context, logical string) error {
	w := W(ctx)
	gs, err := w.guest(logical)
	if err != nil {
		return err
	}
	g, _ := w.theGuest()
	if gs.bootID == "" {
		return errors.New("no boot id was noted before the reboot")
	}
	return w.untilAgent(ctx, g.BootLimit, func(ctx context.Context) error {
		id, err := w.bootID(ctx, logical)
		if err != nil {
			return err
		}
		if id == gs.bootID {
			return fmt.Errorf("the guest still runs the boot %s", id)
		}
		return nil
	})
}
