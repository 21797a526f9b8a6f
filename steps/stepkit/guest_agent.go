package stepkit

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"libvirt.org/go/libvirt"
)

func guestInfoOfReportsItsOperatingSystem(ctx context.Context, logical string) error {
	w := W(ctx)
	g, err := w.TheGuest()
	if err != nil {
		return err
	}
	return w.WithDomain(logical, func(d *libvirt.Domain) error {
		info, err := d.GetGuestInfo(libvirt.DOMAIN_GUEST_INFO_OS|libvirt.DOMAIN_GUEST_INFO_HOSTNAME, 0)
		if err != nil {
			return fmt.Errorf("guest info: %w", err)
		}
		if info.OS == nil || info.OS.ID == "" || info.OS.KernelRelease == "" {
			return fmt.Errorf("guest info has no OS id or kernel release: %+v", info.OS)
		}
		if info.Hostname == "" {
			return errors.New("guest info has no hostname")
		}
		if m := g.Meta; m.OSID != "" {
			if info.OS.ID != m.OSID || info.Hostname != m.Hostname || info.OS.KernelRelease != m.KernelRelease {
				return fmt.Errorf("guest info says OS %q, kernel %q, hostname %q; the guest is OS %q, kernel %q, hostname %q",
					info.OS.ID, info.OS.KernelRelease, info.Hostname, m.OSID, m.KernelRelease, m.Hostname)
			}
		}
		return nil
	})
}

func guestWritesMarkerInMemory(ctx context.Context, logical, marker string) error {
	_, err := W(ctx).Exec(ctx, logical, fmt.Sprintf("echo %s > %s", ShellQuote(marker), markerFile))
	return err
}

func guestHoldsMarkerInMemory(ctx context.Context, logical, marker, onPeer string) error {
	w := W(ctx)
	g, err := w.TheGuest()
	if err != nil {
		return err
	}
	var got string
	err = w.UntilAgent(ctx, g.BootLimit, func(ctx context.Context) error {
		out, err := w.execOn(ctx, onPeer != "", logical, "cat "+markerFile)
		got = strings.TrimSpace(out)
		return err
	})
	if err != nil {
		return fmt.Errorf("reading the marker: %w", err)
	}
	if got != marker {
		return fmt.Errorf("the guest%s holds marker %q, want %q", onPeer, got, marker)
	}
	return nil
}
