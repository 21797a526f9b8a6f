package snapshot

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// sameNames compares a list of snapshots (freed here) with a comma-separated list of names.
func sameNames(what string, list []libvirt.DomainSnapshot, want string) error {
	got, err := stepkit.SnapshotNames(list)
	if err != nil {
		return err
	}
	names := stepkit.SplitList(want)
	sort.Strings(names)
	if strings.Join(got, ",") != strings.Join(names, ",") {
		return fmt.Errorf("the %s are %q, want %q", what, got, names)
	}
	return nil
}

func (w *world) snapshotDoc(dom, snap string) (*libvirtxml.DomainSnapshot, error) {
	var doc libvirtxml.DomainSnapshot
	err := w.WithSnapshot(dom, snap, func(s *libvirt.DomainSnapshot) error {
		x, err := s.GetXMLDesc(0)
		if err != nil {
			return err
		}
		return doc.Unmarshal(x)
	})
	return &doc, err
}

func domainHasSnapshots(ctx context.Context, dom, list string) error {
	return W(ctx).WithDomain(dom, func(d *libvirt.Domain) error {
		snaps, err := d.ListAllSnapshots(0)
		if err != nil {
			return err
		}
		return sameNames(fmt.Sprintf("snapshots of domain %q", dom), snaps, list)
	})
}

func domainHasNoSnapshots(ctx context.Context, dom string) error {
	return W(ctx).WithDomain(dom, func(d *libvirt.Domain) error {
		n, err := d.SnapshotNum(0)
		if err != nil {
			return err
		}
		if n != 0 {
			return fmt.Errorf("domain %q has %d snapshots", dom, n)
		}
		return nil
	})
}

func currentSnapshotOfDomainIs(ctx context.Context, dom, snap string) error {
	return W(ctx).WithDomain(dom, func(d *libvirt.Domain) error {
		s, err := d.SnapshotCurrent(0)
		if err != nil {
			return err
		}
		defer s.Free()
		if n, err := s.GetName(); err != nil || n != snap {
			return fmt.Errorf("the current snapshot is %q (%v), want %q", n, err, snap)
		}
		return nil
	})
}

func snapshotOfDomainHas(ctx context.Context, snap, dom, want string) error {
	return W(ctx).WithSnapshot(dom, snap, func(s *libvirt.DomainSnapshot) error {
		p, err := s.GetParent(0)
		if want == "no parent" {
			if err == nil {
				n, _ := p.GetName()
				p.Free()
				return fmt.Errorf("snapshot %q has the parent %q", snap, n)
			}
			if !errors.Is(err, libvirt.ERR_NO_DOMAIN_SNAPSHOT) {
				return fmt.Errorf("want VIR_ERR_NO_DOMAIN_SNAPSHOT for a root snapshot's parent: %w", err)
			}
			return nil
		}
		if err != nil {
			return err
		}
		defer p.Free()
		n, err := p.GetName()
		if wantName := strings.Trim(strings.TrimPrefix(want, "the parent "), `"`); err != nil || n != wantName {
			return fmt.Errorf("snapshot %q has the parent %q (%v), want %q", snap, n, err, wantName)
		}
		return nil
	})
}

func childrenOfSnapshotOfDomainAre(ctx context.Context, snap, dom, list string) error {
	return W(ctx).WithSnapshot(dom, snap, func(s *libvirt.DomainSnapshot) error {
		kids, err := s.ListAllChildren(0)
		if err != nil {
			return err
		}
		return sameNames(fmt.Sprintf("children of snapshot %q", snap), kids, list)
	})
}

func snapshotOfDomainRecordedTheDomainAs(ctx context.Context, snap, dom, state string) error {
	doc, err := W(ctx).snapshotDoc(dom, snap)
	if err != nil {
		return err
	}
	want := map[string]string{"running": "running", "shut off": "shutoff"}[state]
	if doc.State != want {
		return fmt.Errorf("snapshot %q recorded state %q, want %q", snap, doc.State, want)
	}
	return nil
}

func revertEitherMadeTheCurrentSnapshotOf(ctx context.Context, snap, dom string) error {
	w := W(ctx)
	if w.LastErr != nil {
		return w.ExpectCode("VIR_ERR_CONFIG_UNSUPPORTED")
	}
	// A disk-only snapshot holds no memory: reverting the running domain to
	// it leaves it shut off, at that snapshot. A revert that did nothing
	// leaves it running.
	if err := stepkit.CheckState(ctx, dom, "shut off", ""); err != nil {
		return fmt.Errorf("the revert succeeded but: %w", err)
	}
	return w.WithDomain(dom, func(d *libvirt.Domain) error {
		cur, err := d.SnapshotCurrent(0)
		if err != nil {
			return fmt.Errorf("no current snapshot after the revert: %w", err)
		}
		defer cur.Free()
		if n, err := cur.GetName(); err != nil || n != snap {
			return fmt.Errorf("the current snapshot is %q (%v), want %q", n, err, snap)
		}
		return nil
	})
}

func domainNowWritesToTheOverlayOfSnapshot(ctx context.Context, dom, snap string) error {
	w := W(ctx)
	doc, _, err := w.DomainXML(dom, 0)
	if err != nil {
		return err
	}
	overlay := w.PoolDir("store") + "/" + w.Name(dom+"-"+snap+".qcow2")
	former, err := w.VolumePath(dom+"-disk", "store")
	if err != nil {
		return err
	}
	return writesToOverlay(doc, overlay, former)
}

// writesToOverlay: SNAP-003's live XML has the first disk on the snapshot's
// overlay, whose backing store is the former disk.
func writesToOverlay(doc *libvirtxml.Domain, overlay, former string) error {
	if doc.Devices == nil || len(doc.Devices.Disks) == 0 || doc.Devices.Disks[0].Source == nil || doc.Devices.Disks[0].Source.File == nil {
		return errors.New("the live XML has no file disk")
	}
	disk := doc.Devices.Disks[0]
	if got := disk.Source.File.File; got != overlay {
		return fmt.Errorf("the live disk is %s, not the snapshot's overlay %s", got, overlay)
	}
	if disk.BackingStore == nil || disk.BackingStore.Source == nil || disk.BackingStore.Source.File == nil {
		return fmt.Errorf("the overlay %s has no backing store in the live XML", overlay)
	}
	if got := disk.BackingStore.Source.File.File; got != former {
		return fmt.Errorf("the overlay is backed by %s, not by the former disk %s", got, former)
	}
	return nil
}

func deleteSnapshotOfDomain(ctx context.Context, snap, dom, children string) error {
	var flags libvirt.DomainSnapshotDeleteFlags
	if children != "" {
		flags = libvirt.DOMAIN_SNAPSHOT_DELETE_CHILDREN
	}
	return W(ctx).WithSnapshot(dom, snap, func(s *libvirt.DomainSnapshot) error { return s.Delete(flags) })
}

func domainListsCheckpoint(ctx context.Context, dom, cp string) error {
	return W(ctx).WithDomain(dom, func(d *libvirt.Domain) error {
		c, err := d.CheckpointLookupByName(cp, 0)
		if err != nil {
			return err
		}
		return c.Free()
	})
}

func registerSnapshot(r *stepkit.Registry) {
	r.Step(`^domain "([^"]*)" has (?:the )?snapshots? "([^"]*)"$`, domainHasSnapshots)
	r.Step(`^domain "([^"]*)" has no snapshots$`, domainHasNoSnapshots)
	r.Step(`^the current snapshot of domain "([^"]*)" is "([^"]*)"$`, currentSnapshotOfDomainIs)
	r.Step(`^snapshot "([^"]*)" of domain "([^"]*)" has (no parent|the parent "[^"]*")$`, snapshotOfDomainHas)
	r.Step(`^the children of snapshot "([^"]*)" of domain "([^"]*)" are "([^"]*)"$`, childrenOfSnapshotOfDomainAre)
	r.Step(`^snapshot "([^"]*)" of domain "([^"]*)" recorded the domain as (running|shut off)$`, snapshotOfDomainRecordedTheDomainAs)
	r.Step(`^the revert either made "([^"]*)" the current snapshot of the shut-off domain "([^"]*)" or was refused with VIR_ERR_CONFIG_UNSUPPORTED$`, revertEitherMadeTheCurrentSnapshotOf)
	r.Step(`^domain "([^"]*)" now writes to the overlay of snapshot "([^"]*)", backed by its former disk$`, domainNowWritesToTheOverlayOfSnapshot)
	r.Step(`^I delete snapshot "([^"]*)" of domain "([^"]*)"( with its children)?$`, deleteSnapshotOfDomain)
	r.Step(`^domain "([^"]*)" lists checkpoint "([^"]*)"$`, domainListsCheckpoint)
}
