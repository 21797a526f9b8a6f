// libguestfs with the stack under test (features/libguestfs/interop.feature).

package libguestfs

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ovacts/ovacts/fixtures"
	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// applianceDomains lists the stack's domains named like libguestfs's appliances.
func (w *world) applianceDomains() (map[string]string, error) {
	doms, err := w.Conn.ListAllDomains(libvirt.CONNECT_LIST_DOMAINS_TRANSIENT)
	if err != nil {
		return nil, fmt.Errorf("listing domains: %w", err)
	}
	out := map[string]string{}
	for i := range doms {
		if name, err := doms[i].GetName(); err == nil && strings.HasPrefix(name, "guestfs-") {
			if x, err := doms[i].GetXMLDesc(0); err == nil {
				out[name] = x
			}
		}
		doms[i].Free()
	}
	return out, nil
}

// diskSources are the file sources of a domain's disks.
func diskSources(domXML string) ([]string, error) {
	var doc libvirtxml.Domain
	if err := doc.Unmarshal(domXML); err != nil {
		return nil, err
	}
	var out []string
	if doc.Devices == nil {
		return nil, nil
	}
	for _, d := range doc.Devices.Disks {
		if d.Source != nil && d.Source.File != nil {
			out = append(out, d.Source.File.File)
		}
	}
	return out, nil
}

func libguestfsHandleOnTheLibvirtBackendOf(ctx context.Context) error {
	w := W(ctx)
	return w.openGuestfs(w.libvirtBackend())
}

func stackRunsTheApplianceAsATransient(ctx context.Context, logical string) error {
	w := W(ctx)
	st := w.gfs()
	p, err := w.gfsDisk(logical)
	if err != nil {
		return err
	}
	if st.appliance == "" {
		return errors.New("no new guestfs-* domain with the scenario's disk appeared on the stack during launch")
	}
	return w.withDomain0(st.appliance, func(d *libvirt.Domain) error {
		state, _, err := d.GetState()
		if err != nil {
			return err
		}
		persistent, err := d.IsPersistent()
		if err != nil {
			return err
		}
		if state != libvirt.DOMAIN_RUNNING || persistent {
			return fmt.Errorf("appliance domain %s: state %d, persistent %v; want running and transient", st.appliance, state, persistent)
		}
		x, err := d.GetXMLDesc(0)
		if err != nil {
			return err
		}
		srcs, err := diskSources(x)
		if err != nil {
			return err
		}
		for _, s := range srcs {
			if s == p {
				return nil
			}
		}
		return fmt.Errorf("appliance domain %s has disks %v, not %s", st.appliance, srcs, p)
	})
}

func applianceSDomainIsGoneFromThe(ctx context.Context) error {
	w := W(ctx)
	st := w.gfs()
	if st.appliance == "" {
		return errors.New("no appliance domain was noted")
	}
	d, err := w.Conn.LookupDomainByName(st.appliance)
	if err == nil {
		d.Free()
		return fmt.Errorf("appliance domain %s is still on the stack after the handle closed", st.appliance)
	}
	if !errors.Is(err, libvirt.ERR_NO_DOMAIN) {
		return fmt.Errorf("looking up %s: %w", st.appliance, err)
	}
	return nil
}

func shutOffDomainWhoseDiskIs(ctx context.Context, name, logical string) error {
	w := W(ctx)
	p, err := w.gfsDisk(logical)
	if err != nil {
		return err
	}
	return w.DomainFromFixture(name, "disk", "shut off", func(v *fixtures.DomainVars) error {
		v.Disk, v.DiskFormat = p, harness.DiskFormat(p)
		return nil
	})
}

func libguestfsAddsDomainReadOnly(ctx context.Context, name string) error {
	w := W(ctx)
	return w.withHandle(func(h gfsHandle) error {
		n, err := h.AddDomain(w.Name(name), w.URI(), true)
		if err != nil {
			return fmt.Errorf("add_domain %s: %w", w.Name(name), err)
		}
		w.gfs().added = n
		return nil
	})
}

func libguestfsAddedDisks(ctx context.Context, n string) error {
	if got := W(ctx).gfs().added; strconv.Itoa(got) != n {
		return fmt.Errorf("add_domain added %d disks, want %s", got, n)
	}
	return nil
}

func libguestfsMakesAnExt4FilesystemOnVolumeHolding(ctx context.Context, vol, pool, file, text string) error {
	w := W(ctx)
	p, format, err := w.volumeFile(vol, pool)
	if err != nil {
		return err
	}
	if err := w.openGuestfs("direct"); err != nil {
		return err
	}
	h, err := w.handle()
	if err != nil {
		return err
	}
	if err := h.AddDrive(p, format, false); err != nil {
		return fmt.Errorf("add_drive %s: %w", p, err)
	}
	if err := h.Launch(); err != nil {
		return fmt.Errorf("launch: %w", err)
	}
	devs, err := h.Devices()
	if err != nil || len(devs) != 1 {
		return fmt.Errorf("list_devices: %v %v", devs, err)
	}
	if err := h.Mkfs("ext4", devs[0]); err != nil {
		return fmt.Errorf("mkfs ext4 %s: %w", devs[0], err)
	}
	if err := h.Mount(devs[0], "/", false); err != nil {
		return fmt.Errorf("mount: %w", err)
	}
	if err := h.Write(file, []byte(text+"\n")); err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	if err := h.UmountAll(); err != nil {
		return fmt.Errorf("umount_all: %w", err)
	}
	if err := h.Shutdown(); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return w.closeGuestfs()
}

func attachVolumeInPoolToGuest(ctx context.Context, vol, pool, logical string) error {
	w := W(ctx)
	if _, err := w.Guest(logical); err != nil {
		return err
	}
	p, format, err := w.volumeFile(vol, pool)
	if err != nil {
		return err
	}
	disk := fmt.Sprintf(`<disk type='file' device='disk'><driver name='qemu' type='%s'/><source file='%s'/>`+
		`<target dev='vdy' bus='virtio'/><serial>%s</serial><readonly/></disk>`, format, harness.XMLEscape(p), gfsSerial)
	return w.WithDomain(logical, func(d *libvirt.Domain) error {
		return d.AttachDeviceFlags(disk, libvirt.DOMAIN_DEVICE_MODIFY_LIVE)
	})
}

func guestReadsFromThatVolumeWithinSeconds(ctx context.Context, logical, text, file, secs string) error {
	w := W(ctx)
	script := fmt.Sprintf(`d=$(grep -lx %s /sys/block/*/serial 2>/dev/null | head -1)
[ -n "$d" ] || { echo "no disk with serial %s yet" >&2; exit 1; }
d=/dev/$(basename $(dirname $d))
mkdir -p /mnt/gfs
grep -q " /mnt/gfs " /proc/mounts || mount -o ro -t ext4 "$d" /mnt/gfs || exit 1
cat /mnt/gfs%s`, gfsSerial, gfsSerial, stepkit.ShellQuote(file))
	return w.UntilAgent(ctx, stepkit.Seconds(secs), func(ctx context.Context) error {
		out, err := w.Exec(ctx, logical, script)
		if err != nil {
			return err
		}
		if strings.TrimSpace(out) != text {
			return fmt.Errorf("the guest reads %q from %s, want %q", strings.TrimSpace(out), file, text)
		}
		return nil
	})
}

// volumeFile is a volume's path and format (raw unless its XML says otherwise).
func (w *world) volumeFile(vol, pool string) (path, format string, err error) {
	doc, err := w.VolumeDoc(vol, pool)
	if err != nil {
		return "", "", err
	}
	if doc.Target == nil || doc.Target.Path == "" {
		return "", "", fmt.Errorf("volume %q in pool %q has no target path", vol, pool)
	}
	format = "raw"
	if doc.Target.Format != nil {
		format = doc.Target.Format.Type
	}
	return doc.Target.Path, format, nil
}

// withDomain0 looks a domain up by its real name (not a logical one).
func (w *world) withDomain0(name string, fn func(d *libvirt.Domain) error) error {
	d, err := w.Conn.LookupDomainByName(name)
	if err != nil {
		return fmt.Errorf("looking up domain %s: %w", name, err)
	}
	defer d.Free()
	return fn(d)
}

func registerInterop(r *stepkit.Registry) {
	r.Step(`^a libguestfs handle on the libvirt backend of the stack under test$`, libguestfsHandleOnTheLibvirtBackendOf)
	r.Step(`^the stack runs the appliance as a transient domain with disk "([^"]*)"$`, stackRunsTheApplianceAsATransient)
	r.Step(`^the appliance's domain is gone from the stack$`, applianceSDomainIsGoneFromThe)
	r.Step(`^a shut off domain "([^"]*)" whose disk is "([^"]*)"$`, shutOffDomainWhoseDiskIs)
	r.Step(`^libguestfs adds domain "([^"]*)" of the stack under test read-only$`, libguestfsAddsDomainReadOnly)
	r.Step(`^libguestfs added (\d+) disks?$`, libguestfsAddedDisks)
	r.Step(`^libguestfs makes an ext4 filesystem on volume "([^"]*)" in pool "([^"]*)" holding "([^"]*)" with "([^"]*)"$`, libguestfsMakesAnExt4FilesystemOnVolumeHolding, stepkit.Takes(2, harness.ArgInnerPath))
	r.Step(`^I attach volume "([^"]*)" in pool "([^"]*)" to guest "([^"]*)"$`, attachVolumeInPoolToGuest)
	r.Step(`^guest "([^"]*)" reads "([^"]*)" from "([^"]*)" on that volume within (\d+) seconds$`, guestReadsFromThatVolumeWithinSeconds, stepkit.Takes(2, harness.ArgInnerPath))
}
