// Devices by the older calls and by alias (features/hotplug): the older attach
// and detach calls, detaching by a user alias, and changing a CD-ROM's medium
// live.

package hotplug

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
)

const cdromTarget = "sdc"

func attachDetachWithOlderCall(ctx context.Context, verb, dom string) error {
	w := W(ctx)
	x, err := w.DeviceXML("SCSI disk")
	if err != nil {
		return err
	}
	return w.WithDomain(dom, func(d *libvirt.Domain) error {
		if verb == "attach" {
			return d.AttachDevice(x)
		}
		return d.DetachDevice(x)
	})
}

func attachSCSIDiskWithAlias(ctx context.Context, dom, alias string) error {
	w := W(ctx)
	x, err := w.DeviceXML("SCSI disk")
	if err != nil {
		return err
	}
	if x, err = stepkit.InsertBefore(x, "</disk>", fmt.Sprintf("<alias name='%s'/>", harness.XMLEscape(alias))); err != nil {
		return err
	}
	return w.WithDomain(dom, func(d *libvirt.Domain) error { return d.AttachDeviceFlags(x, libvirt.DOMAIN_DEVICE_MODIFY_LIVE) })
}

func detachDeviceAlias(ctx context.Context, alias, dom string) error {
	return W(ctx).WithDomain(dom, func(d *libvirt.Domain) error {
		return d.DetachDeviceAlias(alias, libvirt.DOMAIN_DEVICE_MODIFY_LIVE)
	})
}

func cdromXML(source string) string {
	src := ""
	if source != "" {
		src = fmt.Sprintf("<source file='%s'/>", harness.XMLEscape(source))
	}
	return fmt.Sprintf(`<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>%s<target dev='%s' bus='scsi'/><readonly/></disk>`, src, cdromTarget)
}

func attachCDROM(ctx context.Context, ref, dom, how string) error {
	w := W(ctx)
	src, err := w.volumeRef(ref)
	if err != nil {
		return err
	}
	return w.WithDomain(dom, func(d *libvirt.Domain) error {
		return d.AttachDeviceFlags(cdromXML(src), stepkit.ModifyFlags[how])
	})
}

// volumeRef resolves `volume "v" of pool "p"` to the volume's path.
func (w *world) volumeRef(ref string) (string, error) {
	var vol, pool string
	if _, err := fmt.Sscanf(ref, "volume %q of pool %q", &vol, &pool); err != nil {
		return "", fmt.Errorf("not a volume reference: %s", ref)
	}
	return w.VolumePath(vol, pool)
}

func changeCDROMMedium(ctx context.Context, what, dom string) error {
	w := W(ctx)
	src := ""
	if ref, ok := cutPrefixSuffix(what, "insert ", " into"); ok {
		var err error
		if src, err = w.volumeRef(ref); err != nil {
			return err
		}
	}
	return w.WithDomain(dom, func(d *libvirt.Domain) error {
		// The domain's firmware may still be probing the drive just after
		// the start, and close the tray libvirt opened ("Tray of device ...
		// is not open", at the medium's removal or insertion): the change
		// waits for it to settle, and is tried again twice, two seconds apart,
		// before it counts as failed.
		if err := firmwareSettled(ctx, d); err != nil {
			return err
		}
		var err error
		for try := 0; try < 3; try++ {
			err = d.UpdateDeviceFlags(cdromXML(src), libvirt.DOMAIN_DEVICE_MODIFY_LIVE|libvirt.DOMAIN_DEVICE_MODIFY_FORCE)
			if err == nil || !trayClosedUnderIt(err) {
				return err
			}
			select {
			case <-ctx.Done():
				return err
			case <-time.After(2 * time.Second):
			}
		}
		return fmt.Errorf("the tray closed under the change three times, two seconds apart: %w", err)
	})
}

// trayClosedUnderIt is QEMU's answer when the guest closed the tray libvirt
// had just opened for a medium change.
func trayClosedUnderIt(err error) bool {
	lv, ok := harness.AsLibvirt(err)
	return ok && lv.Code == libvirt.ERR_INTERNAL_ERROR && strings.Contains(lv.Message, "Tray of ") && strings.Contains(lv.Message, "is not open")
}

func cutPrefixSuffix(s, prefix, suffix string) (string, bool) {
	if len(s) < len(prefix)+len(suffix) || s[:len(prefix)] != prefix || s[len(s)-len(suffix):] != suffix {
		return "", false
	}
	return s[len(prefix) : len(s)-len(suffix)], true
}

func cdromHolds(ctx context.Context, dom, what string) error {
	w := W(ctx)
	want := ""
	if what != "no medium" {
		var err error
		if want, err = w.volumeRef(what); err != nil {
			return err
		}
	}
	doc, _, err := w.DomainXML(dom, 0)
	if err != nil {
		return err
	}
	if doc.Devices != nil {
		for _, d := range doc.Devices.Disks {
			if d.Device != "cdrom" || d.Target == nil || d.Target.Dev != cdromTarget {
				continue
			}
			got := ""
			if d.Source != nil && d.Source.File != nil {
				got = d.Source.File.File
			}
			if got != want {
				return fmt.Errorf("the CD-ROM of %q holds %q, want %q", dom, got, want)
			}
			return nil
		}
	}
	return fmt.Errorf("domain %q has no CD-ROM %s in its live XML", dom, cdromTarget)
}

// firmwareSettle is how long a domain without an OS runs before its
// firmware has done with its drives: SeaBIOS probes the SCSI CD-ROM while it
// looks for something to boot, and a medium change in that window sees the
// tray libvirt opened closed again under it, after which libvirt's view of
// the tray is wrong and every later change fails (seen on libvirt 9.0 with
// QEMU 7.2 under TCG: 6 of 8 changes right after the start failed, none of 5
// six seconds later).
const firmwareSettle = 6 * time.Second

// firmwareSettled waits until the domain has run for firmwareSettle: from
// its QEMU's pid file on this host, or a whole firmwareSettle elsewhere.
func firmwareSettled(ctx context.Context, d *libvirt.Domain) error {
	wait := firmwareSettle
	if name, err := d.GetName(); err == nil {
		if st, err := os.Stat(filepath.Join("/run/libvirt/qemu", name+".pid")); err == nil {
			wait = firmwareSettle - time.Since(st.ModTime())
		}
	}
	if wait <= 0 {
		return nil
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(wait):
		return nil
	}
}

func registerDevices(r *stepkit.Registry) {
	r.Step(`^I (attach|detach) the SCSI disk (?:to|from) domain "([^"]*)" with the older call$`, attachDetachWithOlderCall)
	r.Step(`^I attach the SCSI disk to domain "([^"]*)" live with the alias "([^"]*)"$`, attachSCSIDiskWithAlias)
	r.Step(`^I detach the device with the alias "([^"]*)" from domain "([^"]*)" live$`, detachDeviceAlias)
	r.Step(`^I attach a SCSI CD-ROM holding (volume "[^"]*" of pool "[^"]*") to domain "([^"]*)" (live|in its configuration)$`, attachCDROM)
	r.Step(`^I (insert volume "[^"]*" of pool "[^"]*" into|eject the medium of) the CD-ROM of domain "([^"]*)" live$`, changeCDROMMedium)
	r.Step(`^the CD-ROM of domain "([^"]*)" holds (volume "[^"]*" of pool "[^"]*"|no medium) in the live XML$`, cdromHolds)
}
