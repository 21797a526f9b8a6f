// The legacy listings of host interfaces and of a domain's snapshots
// (features/listing/listing.feature).

package listing

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
)

func (w *world) interfaceListing() (listing, error) {
	var l listing
	c := w.Conn
	if err := l.legacy("interface", c.ListInterfaces, c.NumOfInterfaces, c.ListDefinedInterfaces, c.NumOfDefinedInterfaces); err != nil {
		return l, err
	}
	all, err := c.ListAllInterfaces(0)
	splitActive(&l, all)
	return l, err
}

func legacyInterfaceListingsAgree(ctx context.Context) error {
	w := W(ctx)
	l, err := stable("host interface", w.interfaceListing)
	if err != nil {
		return err
	}
	if len(l.allActive) == 0 {
		return harness.NotApplicable("the stack lists no active host interface")
	}
	// An interface whose MAC no other has (bridges share their first port's)
	// is found again by its name and by its MAC; interfaces of other
	// scenarios may vanish meanwhile, so the first that stays is taken.
	macs := map[string][]string{}
	for _, n := range l.allActive {
		if i, err := w.Conn.LookupInterfaceByName(n); err == nil {
			if m, err := i.GetMACString(); err == nil {
				macs[strings.ToLower(m)] = append(macs[strings.ToLower(m)], n)
			}
			i.Free()
		}
	}
	for mac, names := range macs {
		if len(names) != 1 {
			continue
		}
		i, err := w.Conn.LookupInterfaceByMACString(mac)
		if harness.IsNotFound(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("looking up interface %s by its MAC %s: %w", names[0], mac, err)
		}
		defer i.Free()
		n, err := i.GetName()
		if err != nil {
			return err
		}
		if n != names[0] {
			return fmt.Errorf("looking up MAC %s gives interface %q, but %q has it", mac, n, names[0])
		}
		on, err := i.IsActive()
		if err != nil || !on {
			return fmt.Errorf("interface %q, listed active, is not active (%v)", n, err)
		}
		return nil
	}
	return fmt.Errorf("no active host interface with a MAC of its own was found by name and MAC: %v", macs)
}

func legacySnapshotListingsAgree(ctx context.Context, dom, current, parent string) error {
	return W(ctx).WithDomain(dom, func(d *libvirt.Domain) error {
		all, err := d.ListAllSnapshots(0)
		if err != nil {
			return err
		}
		want, err := stepkit.SnapshotNames(all)
		if err != nil {
			return err
		}
		names, err := d.SnapshotListNames(0)
		if err != nil {
			return err
		}
		n, err := d.SnapshotNum(0)
		if err != nil {
			return err
		}
		slices.Sort(names)
		if n != len(want) || !slices.Equal(names, want) {
			return fmt.Errorf("the legacy snapshot listing gives %d, %q; the list of all %q", n, names, want)
		}
		if has, err := d.HasCurrentSnapshot(0); err != nil || !has {
			return fmt.Errorf("domain %q has no current snapshot (%v)", dom, err)
		}
		return checkSnapshotPair(d, current, parent)
	})
}

func checkSnapshotPair(d *libvirt.Domain, current, parent string) error {
	cur, err := d.SnapshotLookupByName(current, 0)
	if err != nil {
		return err
	}
	defer cur.Free()
	par, err := d.SnapshotLookupByName(parent, 0)
	if err != nil {
		return err
	}
	defer par.Free()
	if is, err := cur.IsCurrent(0); err != nil || !is {
		return fmt.Errorf("snapshot %q is not current (%v)", current, err)
	}
	if is, err := par.IsCurrent(0); err != nil || is {
		return fmt.Errorf("snapshot %q is current too (%v)", parent, err)
	}
	if meta, err := cur.HasMetadata(0); err != nil || !meta {
		return fmt.Errorf("snapshot %q has no metadata (%v)", current, err)
	}
	num, err := par.NumChildren(0)
	if err != nil {
		return err
	}
	kids, err := par.ListChildrenNames(0)
	if err != nil {
		return err
	}
	if num != 1 || !slices.Equal(kids, []string{current}) {
		return fmt.Errorf("snapshot %q counts %d children, lists %q; want only %q", parent, num, kids, current)
	}
	return nil
}

// someDevicesChecked: LIST-006 passes only having checked a device.
func someDevicesChecked(checked, listed int) error {
	if checked == 0 {
		return fmt.Errorf("no node device was checked: %d listed, none still there to check", listed)
	}
	return nil
}

// capsListed judges a device's capability listing during the listing of
// all: a device removed meanwhile (VIR_ERR_NO_NODE_DEVICE) is skipped, any
// other failure fails the check, naming the device and the answer.
func capsListed(name string, err error) (skip bool, _ error) {
	switch {
	case err == nil:
		return false, nil
	case harness.IsNotFound(err):
		return true, nil
	}
	return true, fmt.Errorf("node device %s: listing its capabilities: %w", name, err)
}

func registerInterfacesSnapshots(r *stepkit.Registry) {
	r.Step(`^the legacy host interface listings agree with the list of all, and an interface is found again by its name and by its MAC$`, legacyInterfaceListingsAgree)
	r.Step(`^the legacy snapshot listings of domain "([^"]*)" agree with its list of all, "([^"]*)" the current snapshot and the only child of "([^"]*)"$`, legacySnapshotListingsAgree)
}
