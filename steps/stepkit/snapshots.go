package stepkit

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

func (w *World) WithSnapshot(dom, snap string, fn func(s *libvirt.DomainSnapshot) error) error {
	return w.WithDomain(dom, func(d *libvirt.Domain) error {
		s, err := d.SnapshotLookupByName(snap, 0)
		if err != nil {
			return fmt.Errorf("looking up snapshot %q of %q: %w", snap, dom, err)
		}
		defer s.Free()
		return fn(s)
	})
}

func SnapshotNames(list []libvirt.DomainSnapshot) ([]string, error) {
	var out []string
	var err error
	for i := range list {
		n, e := list[i].GetName()
		if e != nil && err == nil {
			err = e
		}
		out = append(out, n)
		list[i].Free()
	}
	sort.Strings(out)
	return out, err
}

func takeSnapshotOfDomain(ctx context.Context, kind, snap, dom string) error {
	w := W(ctx)
	doc := libvirtxml.DomainSnapshot{Name: snap, Description: "ovacts conformance snapshot"}
	var flags libvirt.DomainSnapshotCreateFlags
	if kind == "a disk-only external" {
		// The overlay goes into the scenario's pool, recorded as the run's,
		// which takes it along at cleanup.
		overlay, err := w.PoolFile("store", dom+"-"+snap+".qcow2")
		if err != nil {
			return err
		}
		flags = libvirt.DOMAIN_SNAPSHOT_CREATE_DISK_ONLY
		doc.Disks = &libvirtxml.DomainSnapshotDisks{Disks: []libvirtxml.DomainSnapshotDisk{{Name: "vda", Snapshot: "external",
			Source: &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: overlay}}}}}
	}
	x, err := doc.Marshal()
	if err != nil {
		return err
	}
	return w.WithDomain(dom, func(d *libvirt.Domain) error {
		s, err := d.CreateSnapshotXML(x, flags)
		if err != nil {
			return fmt.Errorf("taking snapshot %q: %w", snap, err)
		}
		return s.Free()
	})
}

func revertDomainToSnapshot(ctx context.Context, try, dom, snap string) error {
	w := W(ctx)
	err := w.WithSnapshot(dom, snap, func(s *libvirt.DomainSnapshot) error { return s.RevertToSnapshot(0) })
	if err == nil {
		err = w.recordStackNamedDisks(dom)
	}
	if try == "" {
		return err
	}
	if Unsupported(err) {
		return err
	}
	return w.Try(err)
}

// recordStackNamedDisks records the disk files of the domain's definition
// that the stack created in the scenario's pool under names of its own:
// reverting to an external snapshot (libvirt 9.7 and later) starts a new
// overlay beside the snapshot's, named after the disk.
func (w *World) recordStackNamedDisks(dom string) error {
	doc, _, err := w.DomainXML(dom, libvirt.DOMAIN_XML_INACTIVE)
	if err != nil || doc.Devices == nil {
		return err
	}
	dir := w.PoolDir("store")
	for _, d := range doc.Devices.Disks {
		if d.Source == nil || d.Source.File == nil || filepath.Dir(d.Source.File.File) != dir {
			continue
		}
		if _, err := w.PoolFileNamed("store", filepath.Base(d.Source.File.File)); err != nil {
			return err
		}
	}
	return nil
}

func createCheckpointOfDomain(ctx context.Context, cp, dom string) error {
	x, err := (&libvirtxml.DomainCheckpoint{Name: cp}).Marshal()
	if err != nil {
		return err
	}
	return W(ctx).WithDomain(dom, func(d *libvirt.Domain) error {
		c, err := d.CreateCheckpointXML(x, 0)
		if err != nil {
			return err
		}
		return c.Free()
	})
}

func registerSnapshots(r *Registry) {
	r.Step(`^I take (an internal|a disk-only external) snapshot "([^"]*)" of domain "([^"]*)"$`, takeSnapshotOfDomain)
	r.Step(`^I (?:(try to) )?revert domain "([^"]*)" to snapshot "([^"]*)"$`, revertDomainToSnapshot)
	r.Step(`^I create checkpoint "([^"]*)" of domain "([^"]*)"$`, createCheckpointOfDomain)
}
