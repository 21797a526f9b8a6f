// Devices of a running guest OS (features/guest/guest.feature): disk and NIC
// hotplug seen from inside, the serial console.

package guest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
)

func hotplugAMibDiskIntoGuest(ctx context.Context, mibs, logical string) error {
	w := W(ctx)
	gs, err := w.Guest(logical)
	if err != nil {
		return err
	}
	size, _ := strconv.Atoi(mibs)
	if err := w.EnsurePool("store"); err != nil {
		return err
	}
	if err := w.CreateVolume(logical+"-hot", "raw", size, "store", ""); err != nil {
		return err
	}
	p, err := w.VolumePath(logical+"-hot", "store")
	if err != nil {
		return err
	}
	gs.HotDisk = fmt.Sprintf(`<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='%s'/>`+
		`<target dev='vdz' bus='virtio'/><serial>%s</serial></disk>`, harness.XMLEscape(p), stepkit.HotSerial)
	return w.WithDomain(logical, func(d *libvirt.Domain) error {
		return d.AttachDeviceFlags(gs.HotDisk, libvirt.DOMAIN_DEVICE_MODIFY_LIVE)
	})
}

func hotplugANicOnNetworkIntoGuest(ctx context.Context, network, logical string) error {
	w := W(ctx)
	gs, err := w.Guest(logical)
	if err != nil {
		return err
	}
	gs.HotMAC = "52:54:00:" + harness.NewUUID()[0:2] + ":" + harness.NewUUID()[2:4] + ":" + harness.NewUUID()[4:6]
	gs.HotNIC = fmt.Sprintf(`<interface type='network'><mac address='%s'/><source network='%s'/><model type='virtio'/></interface>`,
		gs.HotMAC, harness.XMLEscape(w.Name(network)))
	return w.WithDomain(logical, func(d *libvirt.Domain) error {
		return d.AttachDeviceFlags(gs.HotNIC, libvirt.DOMAIN_DEVICE_MODIFY_LIVE)
	})
}

func unplugTheFromGuest(ctx context.Context, what, logical string) error {
	w := W(ctx)
	gs, err := w.Guest(logical)
	if err != nil {
		return err
	}
	xml := gs.HotDisk
	if what == "NIC" {
		xml = gs.HotNIC
	}
	if xml == "" {
		return fmt.Errorf("no %s was hotplugged into guest %q", what, logical)
	}
	return w.WithDomain(logical, func(d *libvirt.Domain) error {
		return d.DetachDeviceFlags(xml, libvirt.DOMAIN_DEVICE_MODIFY_LIVE)
	})
}

func guestTheWithinSeconds(ctx context.Context, logical, sees, what, secs string) error {
	w := W(ctx)
	gs, err := w.Guest(logical)
	if err != nil {
		return err
	}
	// The guest names devices in its own order: find them by serial and MAC.
	script := fmt.Sprintf(`grep -lx %s /sys/block/*/serial 2>/dev/null | head -1`, stepkit.HotSerial)
	if what == "NIC" {
		script = fmt.Sprintf(`grep -lix %s /sys/class/net/*/address 2>/dev/null | head -1`, gs.HotMAC)
	}
	return w.UntilAgent(ctx, stepkit.Seconds(secs), func(ctx context.Context) error {
		out, err := w.Exec(ctx, logical, script)
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
	gs, err := w.Guest(logical)
	if err != nil {
		return err
	}
	return w.OpenConsole(logical, gs)
}

func guestWritesToItsSerialPort(ctx context.Context, logical, text string) error {
	_, err := W(ctx).Exec(ctx, logical, fmt.Sprintf("echo %s > /dev/ttyS0", stepkit.ShellQuote(text)))
	return err
}

func consoleOfGuestShowsWithinSeconds(ctx context.Context, logical, text, secs string) error {
	w := W(ctx)
	gs, err := w.Guest(logical)
	if err != nil {
		return err
	}
	if gs.Console == nil {
		return errors.New("the console of the guest is not open")
	}
	return gs.Console.WaitFor(ctx, text, stepkit.Seconds(secs))
}
