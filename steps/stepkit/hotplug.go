package stepkit

import (
	"context"
	"fmt"

	"github.com/ovacts/ovacts/harness"
	"libvirt.org/go/libvirt"
)

// The devices hotplug scenarios use: buses that need no guest to complete an
// unplug (see fixtures/domains/hotplug.xml).
const (
	HotDiskTarget = "sdb"
	HotNICMAC     = "52:54:00:0a:c7:21"
	ColdNICMAC    = "52:54:00:0a:c7:22"
)

var ModifyFlags = map[string]libvirt.DomainDeviceModifyFlags{
	"live":                          libvirt.DOMAIN_DEVICE_MODIFY_LIVE,
	"in its configuration":          libvirt.DOMAIN_DEVICE_MODIFY_CONFIG,
	"live and in its configuration": libvirt.DOMAIN_DEVICE_MODIFY_LIVE | libvirt.DOMAIN_DEVICE_MODIFY_CONFIG,
}

// DeviceXML renders the SCSI disk (a raw volume of the "store" pool, made on
// first use) or the USB NIC (on the scenario's network "net").
func (w *World) DeviceXML(kind string) (string, error) {
	switch kind {
	case "USB NIC":
		return fmt.Sprintf(`<interface type='network'><source network='%s'/><mac address='%s'/><model type='usb-net'/></interface>`,
			w.Name("net"), HotNICMAC), nil
	case "virtio NIC": // a PCI device: for the configuration of a shut-off domain only
		return fmt.Sprintf(`<interface type='network'><source network='%s'/><mac address='%s'/><model type='virtio'/></interface>`,
			w.Name("net"), ColdNICMAC), nil
	}
	if w.hotplugSt().disk == "" {
		if err := w.EnsurePool("store"); err != nil {
			return "", err
		}
		if err := w.CreateVolume("hotdisk", "raw", 4, "store", ""); err != nil {
			return "", err
		}
		p, err := w.VolumePath("hotdisk", "store")
		if err != nil {
			return "", err
		}
		w.hotplugSt().disk = p
	}
	return fmt.Sprintf(`<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='%s'/><target dev='%s' bus='scsi'/></disk>`,
		harness.XMLEscape(w.hotplugSt().disk), HotDiskTarget), nil
}

func attachTheToDomain(ctx context.Context, kind, name, how string) error {
	w := W(ctx)
	x, err := w.DeviceXML(kind)
	if err != nil {
		return err
	}
	return w.WithDomain(name, func(d *libvirt.Domain) error { return d.AttachDeviceFlags(x, ModifyFlags[how]) })
}

func detachTheFromDomain(ctx context.Context, kind, name, how string) error {
	w := W(ctx)
	x, err := w.DeviceXML(kind)
	if err != nil {
		return err
	}
	return w.WithDomain(name, func(d *libvirt.Domain) error { return d.DetachDeviceFlags(x, ModifyFlags[how]) })
}

func registerHotplug(r *Registry) {
	r.Step(`^I attach the (SCSI disk|USB NIC|virtio NIC) to domain "([^"]*)" (live|in its configuration|live and in its configuration)$`, attachTheToDomain)
	r.Step(`^I detach the (SCSI disk|USB NIC|virtio NIC) from domain "([^"]*)" (live|in its configuration|live and in its configuration)$`, detachTheFromDomain)
}
