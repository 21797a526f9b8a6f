// Devices of a running guest OS (features/guest/guest.feature): disk and NIC
// hotplug seen from inside, the serial console.

package steps

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ovacts/ovacts/harness"
	"libvirt.org/go/libvirt"
)

func hotplugAMibDiskIntoGuest(ctx context.Context, mibs, logical string) error {
	w := W(ctx)
	gs, err := w.guest(logical)
	if err != nil {
		return err
	}
	size, _ := strconv.Atoi(mibs)
	if err := w.ensurePool("store"); err != nil {
		return err
	}
	if err := w.createVolume(logical+"-hot", "raw", size, "store", ""); err != nil {
		return err
	}
	p, err := w.volumePath(logical+"-hot", "store")
	if err != nil {
		return err
	}
	gs.hotDisk = fmt.Sprintf(`<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='%s'/>`+
		`<target dev='vdz' bus='virtio'/><serial>%s</serial></disk>`, harness.XMLEscape(p), hotSerial)
	return w.withDomain(logical, func(d *libvirt.Domain) error {
		return d.AttachDeviceFlags(gs.hotDisk, libvirt.DOMAIN_DEVICE_MODIFY_LIVE)
	})
}

func hotplugANicOnNetworkIntoGuest(ctx context.Context, network, logical string) error {
	w := W(ctx)
	gs, err := w.guest(logical)
	if err != nil {
		return err
	}
	gs.hotMAC = "52:54:00:" + harness.NewUUID()[0:2] + ":" + harness.NewUUID()[2:4] + ":" + harness.NewUUID()[4:6]
	gs.hotNIC = fmt.Sprintf(`<interface type='network'><mac address='%s'/><source network='%s'/><model type='virtio'/></interface>`,
		gs.hotMAC, harness.XMLEscape(w.Name(network)))
	return w.withDomain(logical, func(d *libvirt.Domain) error {
		return d.AttachDeviceFlags(gs.hotNIC, libvirt.DOMAIN_DEVICE_MODIFY_LIVE)
	})
}

func unplugTheFromGuest(ctx context.Context, what, logical string) error {
	w := W(ctx)
	gs, err := w.guest(logical)
	if err != nil {
		return err
	}
	xml := gs.hotDisk
	if what == "NIC" {
		xml = gs.hotNIC
	}
	if xml == "" {
		return fmt.Errorf("no %s was hotplugged into guest %q", what, logical)
	}
	return w.withDomain(logical, func(d *libvirt.Domain) error {
		return d.DetachDeviceFlags(xml, libvirt.DOMAIN_DEVICE_MODIFY_LIVE)
	})
}

func guestTheWithinSeconds(ctx context.Context, logical, sees, what, secs string) error {
	w := W(ctx)
	gs, err := w.guest(logical)
	if err != nil {
		return err
	}
	// The guest names devices in its own order: find them by serial and MAC.
	script := fmt.Sprintf(`grep -lx %s /sys/block/*/serial 2>/dev/null | head -1`, hotSerial)
	if what == "NIC" {
		script = fmt.Sprintf(`grep -lix %s /sys/class/net/*/address 2>/dev/null | head -1`, gs.hotMAC)
	}
	return w.untilAgent(ctx, seconds(secs), func(ctx context.Context) error {
		out, err := w.exec(ctx, logical, script)
		if err != nil {
			return err
		}
		found := strings.TrimSpace(out) != ""
		if found != (sees == "sees") {
			return fmt.Errorf("the guest %s the %s (%s)", map[bool]string{true: "still sees", false: "does not see"}[found], what, strings.TrimSpace(out))
		}
		return nil
	})
}

func openTheConsoleOfGuest(ctx context.Context, logical string) error {
	w := W(ctx)
	gs, err := w.guest(logical)
	if err != nil {
		return err
	}
	return w.openConsole(logical, gs)
}

func guestWritesToItsSerialPort(ctx context.Context, logical, text string) error {
	_, err := W(ctx).exec(ctx, logical, fmt.Sprintf("echo %s > /dev/ttyS0", shellQuote(text)))
	return err
}

func consoleOfGuestShowsWithinSeconds(ctx context.Context, logical, text, secs string) error {
	w := W(ctx)
	gs, err := w.guest(logical)
	if err != nil {
		return err
	}
	if gs.console == nil {
		return errors.New("the console of the guest is not open")
	}
	return gs.console.WaitFor(ctx, text, seconds(secs))
}
