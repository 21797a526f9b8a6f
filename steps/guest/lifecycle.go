// The guest OS's lifecycle steps (features/guest/guest.feature): boot,
// console boot marker, agent lifecycle events, shutdown, reboot, reset.

package guest

import (
	"context"
	"errors"
	"fmt"

	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
)

func probeBootedTheGuestOsWithKvm(ctx context.Context) error {
	g, err := W(ctx).TheGuest()
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

func startGuestWithItsConsoleOpen(ctx context.Context, logical string) error {
	return W(ctx).StartGuest(ctx, logical, "", "", true)
}

func consoleOfGuestShowsItsBootMarker(ctx context.Context, logical string) error {
	w := W(ctx)
	gs, err := w.Guest(logical)
	if err != nil {
		return err
	}
	g, _ := w.TheGuest()
	if gs.Console == nil {
		return errors.New("the console of the guest is not open")
	}
	marker := g.Meta.ReadyMarker
	if marker == "" {
		marker = "\n" // a vendor guest: any line of output
	}
	return gs.Console.WaitFor(ctx, marker, g.BootLimit)
}

func agentLifecycleEventOfGuestArrivesWithin(ctx context.Context, state, logical string) error {
	w := W(ctx)
	gs, err := w.Guest(logical)
	if err != nil {
		return err
	}
	g, _ := w.TheGuest()
	return gs.Watch.WaitEvent(ctx, gs.Started, g.BootLimit, "agent "+state)
}

func shutDownOrRebootGuest(ctx context.Context, action, logical, how string) error {
	w := W(ctx)
	gs, err := w.Guest(logical)
	if err != nil {
		return err
	}
	if action == "reboot" {
		if gs.BootID, err = w.bootID(ctx, logical); err != nil {
			return err
		}
	}
	gs.Started = gs.Watch.Mark()
	return w.WithDomain(logical, func(d *libvirt.Domain) error {
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
	gs, err := w.Guest(logical)
	if err != nil {
		return err
	}
	if gs.BootID, err = w.bootID(ctx, logical); err != nil {
		return err
	}
	gs.Started = gs.Watch.Mark()
	return w.WithDomain(logical, func(d *libvirt.Domain) error { return d.Reset(0) })
}

func guestStopsWithReasonWithinSeconds(ctx context.Context, logical, reason, secs string) error {
	w := W(ctx)
	gs, err := w.Guest(logical)
	if err != nil {
		return err
	}
	return gs.Watch.WaitEvent(ctx, gs.Started, stepkit.Seconds(secs), "domain stopped ("+reason+")")
}

func rebootEventOfGuestArrivesWithinSeconds(ctx context.Context, logical, secs string) error {
	w := W(ctx)
	gs, err := w.Guest(logical)
	if err != nil {
		return err
	}
	return gs.Watch.WaitEvent(ctx, gs.Started, stepkit.Seconds(secs), "reboot reboot")
}

func guestHasBootedAgainWithinTheBootLimit(ctx context.Context, logical string) error {
	w := W(ctx)
	gs, err := w.Guest(logical)
	if err != nil {
		return err
	}
	g, _ := w.TheGuest()
	if gs.BootID == "" {
		return errors.New("no boot id was noted before the reboot")
	}
	return w.UntilAgent(ctx, g.BootLimit, func(ctx context.Context) error {
		id, err := w.bootID(ctx, logical)
		if err != nil {
			return err
		}
		if id == gs.BootID {
			return fmt.Errorf("the guest still runs the boot %s", id)
		}
		return nil
	})
}
