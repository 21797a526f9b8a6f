package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/ovacts/ovacts/harness"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// The devices hotplug scenarios use: buses that need no guest to complete an
// unplug (see fixtures/domains/hotplug.xml).
const (
	hotDiskTarget = "sdb"
	hotNICMAC     = "52:54:00:0a:c7:21"
	coldNICMAC    = "52:54:00:0a:c7:22"
)

var modifyFlags = map[string]libvirt.DomainDeviceModifyFlags{
	"live":                          libvirt.DOMAIN_DEVICE_MODIFY_LIVE,
	"in its configuration":          libvirt.DOMAIN_DEVICE_MODIFY_CONFIG,
	"live and in its configuration": libvirt.DOMAIN_DEVICE_MODIFY_LIVE | libvirt.DOMAIN_DEVICE_MODIFY_CONFIG,
}

// deviceXML renders the SCSI disk (a raw volume of the "store" pool, made on
// first use) or the USB NIC (on the scenario's network "net").
func (w *world) deviceXML(kind string) (string, error) {
	switch kind {
	case "USB NIC":
		return fmt.Sprintf(`<interface type='network'><source network='%s'/><mac address='%s'/><model type='usb-net'/></interface>`,
			w.Name("net"), hotNICMAC), nil
	case "virtio NIC": // a PCI device: for the configuration of a shut-off domain only
		return fmt.Sprintf(`<interface type='network'><source network='%s'/><mac address='%s'/><model type='virtio'/></interface>`,
			w.Name("net"), coldNICMAC), nil
	}
	if w.hotplugSt().disk == "" {
		if err := w.ensurePool("store"); err != nil {
			return "", err
		}
		if err := w.createVolume("hotdisk", "raw", 4, "store", ""); err != nil {
			return "", err
		}
		p, err := w.volumePath("hotdisk", "store")
		if err != nil {
			return "", err
		}
		w.hotplugSt().disk = p
	}
	return fmt.Sprintf(`<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='%s'/><target dev='%s' bus='scsi'/></disk>`,
		harness.XMLEscape(w.hotplugSt().disk), hotDiskTarget), nil
}

func hasDevice(doc *libvirtxml.Domain, kind string) bool {
	if doc.Devices == nil {
		return false
	}
	if mac := map[string]string{"USB NIC": hotNICMAC, "virtio NIC": coldNICMAC}[kind]; mac != "" {
		for _, n := range doc.Devices.Interfaces {
			if n.MAC != nil && strings.EqualFold(n.MAC.Address, mac) {
				return true
			}
		}
		return false
	}
	for _, d := range doc.Devices.Disks {
		if d.Target != nil && d.Target.Dev == hotDiskTarget {
			return true
		}
	}
	return false
}

// Hotplug: devices attached and detached live and in the configuration.
func registerHotplug(r *Registry) {
	r.Step(`^I attach the (SCSI disk|USB NIC|virtio NIC) to domain "([^"]*)" (live|in its configuration|live and in its configuration)$`, attachTheToDomain)
	r.Step(`^I detach the (SCSI disk|USB NIC|virtio NIC) from domain "([^"]*)" (live|in its configuration|live and in its configuration)$`, detachTheFromDomain)
	r.Step(`^I try to detach the (SCSI disk|USB NIC|virtio NIC) from domain "([^"]*)" live$`, tryToDetachTheFromDomainLive)
	r.Step(`^the (live|persistent) XML of domain "([^"]*)" (has|lacks) the (SCSI disk|USB NIC|virtio NIC)$`, xmlOfDomainThe)
}

func attachTheToDomain(ctx context.Context, kind, name, how string) error {
	w := W(ctx)
	x, err := w.deviceXML(kind)
	if err != nil {
		return err
	}
	return w.withDomain(name, func(d *libvirt.Domain) error { return d.AttachDeviceFlags(x, modifyFlags[how]) })
}

func detachTheFromDomain(ctx context.Context, kind, name, how string) error {
	w := W(ctx)
	x, err := w.deviceXML(kind)
	if err != nil {
		return err
	}
	return w.withDomain(name, func(d *libvirt.Domain) error { return d.DetachDeviceFlags(x, modifyFlags[how]) })
}

func tryToDetachTheFromDomainLive(ctx context.Context, kind, name string) error {
	w := W(ctx)
	x, err := w.deviceXML(kind)
	if err != nil {
		return err
	}
	err = w.withDomain(name, func(d *libvirt.Domain) error { return d.DetachDeviceFlags(x, libvirt.DOMAIN_DEVICE_MODIFY_LIVE) })
	if unsupported(err) {
		return err // the verdict of the level, not a refusal to judge
	}
	return w.try(err)
}

func xmlOfDomainThe(ctx context.Context, which, name, verb, kind string) error {
	w := W(ctx)
	flags := libvirt.DomainXMLFlags(0)
	if which == "persistent" {
		flags = libvirt.DOMAIN_XML_INACTIVE
	}
	// Unplug completes asynchronously on some buses: wait within the step deadline.
	return w.eventually(ctx, func() error {
		doc, _, err := w.domainXML(name, flags)
		if err != nil {
			return err
		}
		if has := hasDevice(doc, kind); has != (verb == "has") {
			return fmt.Errorf("the %s XML of domain %q %s the %s", which, name, map[bool]string{true: "has", false: "lacks"}[has], kind)
		}
		return nil
	})
}
