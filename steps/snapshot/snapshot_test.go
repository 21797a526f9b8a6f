package snapshot

import (
	"testing"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// SNAP-003: the live disk must be the snapshot's overlay, backed by the former disk.
func TestWritesToOverlay(t *testing.T) {
	disk := func(src, backing string) *libvirtxml.Domain {
		d := libvirtxml.DomainDisk{Source: &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: src}}}
		if backing != "" {
			d.BackingStore = &libvirtxml.DomainDiskBackingStore{Source: &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: backing}}}
		}
		return &libvirtxml.Domain{Devices: &libvirtxml.DomainDeviceList{Disks: []libvirtxml.DomainDisk{d}}}
	}
	const overlay, former = "/p/vm-ext.qcow2", "/p/vm-disk"
	if err := writesToOverlay(disk(overlay, former), overlay, former); err != nil {
		t.Fatal(err)
	}
	stepkit.WantErr(t, "still on the former disk", writesToOverlay(disk(former, ""), overlay, former), "not the snapshot's overlay")
	stepkit.WantErr(t, "an overlay without backing", writesToOverlay(disk(overlay, ""), overlay, former), "has no backing store")
	stepkit.WantErr(t, "an overlay backed by another", writesToOverlay(disk(overlay, "/p/other"), overlay, former), "backed by /p/other")
	stepkit.WantErr(t, "no disk", writesToOverlay(&libvirtxml.Domain{}, overlay, former), "no file disk")
}

// SNAP-010: a refusal other than VIR_ERR_CONFIG_UNSUPPORTED fails.
func TestRevertRefusal(t *testing.T) {
	ctx, w := stepkit.StepWorld(catalogue.SHOULD)
	w.Tried, w.LastErr = true, libvirt.Error{Code: libvirt.ERR_CONFIG_UNSUPPORTED, Message: "unsupported configuration: revert to external snapshot not supported yet"}
	if err := revertEitherMadeTheCurrentSnapshotOf(ctx, "ext", "vm"); err != nil {
		t.Fatal(err)
	}
	w.LastErr = libvirt.Error{Code: libvirt.ERR_INTERNAL_ERROR, Message: "internal error: qemu unexpectedly closed the monitor"}
	stepkit.WantErr(t, "a crashed revert", revertEitherMadeTheCurrentSnapshotOf(ctx, "ext", "vm"), "expected VIR_ERR_CONFIG_UNSUPPORTED, got")
}
