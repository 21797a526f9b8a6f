// The legacy listing steps (features/listing/listing.feature).

package listing

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// listing is one snapshot of a kind's objects: what the legacy calls say,
// and what the list-all call says right after, active and inactive apart.
type listing struct {
	numActive, numInactive int
	active, inactive       []string // legacy names (domain IDs for active domains)
	allActive, allInactive []string // from the list-all call
	hasInactive            bool
}

// within judges l's legacy answers against the list-all calls around them
// (before's, then l's own): other scenarios may add or remove objects
// meanwhile, so every object listed by both must be in the legacy list,
// nothing outside either may be, and the count must lie between.
func (l listing) within(before listing) bool {
	return agreeWithin(l.numActive, l.active, before.allActive, l.allActive) &&
		(!l.hasInactive || agreeWithin(l.numInactive, l.inactive, before.allInactive, l.allInactive))
}

func agreeWithin(n int, legacy, before, after []string) bool {
	var both []string
	union := map[string]bool{}
	for _, x := range before {
		union[x] = true
		if slices.Contains(after, x) {
			both = append(both, x)
		}
	}
	for _, x := range after {
		union[x] = true
	}
	for _, x := range both {
		if !slices.Contains(legacy, x) {
			return false
		}
	}
	for _, x := range legacy {
		if !union[x] {
			return false
		}
	}
	return n >= len(both) && n <= len(union) && len(legacy) >= len(both) && len(legacy) <= len(union)
}

func (l listing) String() string {
	return fmt.Sprintf("count %d, listed %v, list-all %v; inactive: count %d, listed %v, list-all %v",
		l.numActive, l.active, l.allActive, l.numInactive, l.inactive, l.allInactive)
}

// stable takes snapshots until the legacy answers of one agree with the
// list-all calls around them, at most ten times: a stack that disagrees
// disagrees every time, while other scenarios' changes come and go.
func stable(what string, take func() (listing, error)) (listing, error) {
	prev, err := take()
	if err != nil {
		return prev, err
	}
	for range 10 {
		cur, err := take()
		if err != nil || cur.within(prev) {
			return cur, err
		}
		prev = cur
		time.Sleep(50 * time.Millisecond)
	}
	return prev, fmt.Errorf("the legacy %s listings disagree with the list of all, 10 times in a row: %s", what, prev)
}

func (w *world) domainListing() (listing, error) {
	var l listing
	c := w.Conn
	ids := func() ([]string, error) { // active domains are listed by ID
		ids, err := c.ListDomains()
		out := make([]string, 0, len(ids))
		for _, id := range ids {
			out = append(out, strconv.Itoa(int(id)))
		}
		return out, err
	}
	if err := l.legacy("domain", ids, c.NumOfDomains, c.ListDefinedDomains, c.NumOfDefinedDomains); err != nil {
		return l, err
	}
	all, err := c.ListAllDomains(0)
	if err != nil {
		return l, err
	}
	for i := range all {
		if on, _ := all[i].IsActive(); on {
			id, _ := all[i].GetID()
			l.allActive = append(l.allActive, strconv.Itoa(int(id)))
		} else if p, _ := all[i].IsPersistent(); p {
			n, _ := all[i].GetName()
			l.allInactive = append(l.allInactive, n)
		}
		all[i].Free()
	}
	return l, nil
}

// legacy fills the legacy half of a listing from a kind's four calls.
func (l *listing) legacy(kind string, list func() ([]string, error), num func() (int, error), listDefined func() ([]string, error), numDefined func() (int, error)) error {
	var err error
	if l.active, err = list(); err != nil {
		return fmt.Errorf("listing the active %ss: %w", kind, err)
	}
	if l.numActive, err = num(); err != nil {
		return fmt.Errorf("counting the active %ss: %w", kind, err)
	}
	if l.inactive, err = listDefined(); err != nil {
		return fmt.Errorf("listing the defined %ss: %w", kind, err)
	}
	if l.numInactive, err = numDefined(); err != nil {
		return fmt.Errorf("counting the defined %ss: %w", kind, err)
	}
	l.hasInactive = true
	return nil
}

// activeObject is a network or a storage pool, as a list-all call gives it.
type activeObject interface {
	GetName() (string, error)
	IsActive() (bool, error)
	Free() error
}

// splitActive fills the list-all half of a listing, and frees the objects.
func splitActive[T any, P interface {
	*T
	activeObject
}](l *listing, all []T) {
	for i := range all {
		o := P(&all[i])
		n, _ := o.GetName()
		if on, _ := o.IsActive(); on {
			l.allActive = append(l.allActive, n)
		} else {
			l.allInactive = append(l.allInactive, n)
		}
		o.Free()
	}
}

func (w *world) networkListing() (listing, error) {
	var l listing
	c := w.Conn
	if err := l.legacy("network", c.ListNetworks, c.NumOfNetworks, c.ListDefinedNetworks, c.NumOfDefinedNetworks); err != nil {
		return l, err
	}
	all, err := c.ListAllNetworks(0)
	splitActive(&l, all)
	return l, err
}

func (w *world) poolListing() (listing, error) {
	var l listing
	c := w.Conn
	if err := l.legacy("storage pool", c.ListStoragePools, c.NumOfStoragePools, c.ListDefinedStoragePools, c.NumOfDefinedStoragePools); err != nil {
		return l, err
	}
	all, err := c.ListAllStoragePools(0)
	splitActive(&l, all)
	return l, err
}

func legacyListingsAgree(ctx context.Context, kind, on, off string) error {
	w := W(ctx)
	take := map[string]func() (listing, error){"domain": w.domainListing, "network": w.networkListing, "storage pool": w.poolListing}[kind]
	l, err := stable(kind, take)
	if err != nil {
		return err
	}
	// Our own objects are where they belong (an active domain is listed by its ID).
	want := w.Name(on)
	if kind == "domain" {
		err := w.WithDomain(on, func(d *libvirt.Domain) error {
			id, err := d.GetID()
			want = strconv.Itoa(int(id))
			return err
		})
		if err != nil {
			return err
		}
	}
	if !slices.Contains(l.active, want) || !slices.Contains(l.inactive, w.Name(off)) {
		return fmt.Errorf("the legacy %s listings do not list %q as active and %q as inactive: %s", kind, on, off, l)
	}
	return nil
}

func legacyVolumeListingAgrees(ctx context.Context, pool, vol string) error {
	w := W(ctx)
	return w.WithPool(pool, func(p *libvirt.StoragePool) error {
		l, err := stable("volume", func() (listing, error) {
			var l listing
			var err error
			if l.active, err = p.ListStorageVolumes(); err != nil {
				return l, fmt.Errorf("virStoragePoolListVolumes: %w", err)
			}
			if l.numActive, err = p.NumOfStorageVolumes(); err != nil {
				return l, fmt.Errorf("virStoragePoolNumOfVolumes: %w", err)
			}
			all, err := p.ListAllStorageVolumes(0)
			for i := range all {
				n, _ := all[i].GetName()
				l.allActive = append(l.allActive, n)
				all[i].Free()
			}
			return l, err
		})
		if err != nil {
			return err
		}
		if !slices.Contains(l.active, w.Name(vol)) {
			return fmt.Errorf("the legacy volume listing of pool %q lacks %q: %s", pool, vol, l)
		}
		return nil
	})
}

func legacyFlatListingAgrees(ctx context.Context, kind, logical string) error {
	w := W(ctx)
	take := func() (listing, error) {
		var l listing
		var err error
		if kind == "secret" {
			if l.active, err = w.Conn.ListSecrets(); err != nil {
				return l, fmt.Errorf("virConnectListSecrets: %w", err)
			}
			if l.numActive, err = w.Conn.NumOfSecrets(); err != nil {
				return l, fmt.Errorf("virConnectNumOfSecrets: %w", err)
			}
			all, err := w.Conn.ListAllSecrets(0)
			for i := range all {
				u, _ := all[i].GetUUIDString()
				l.allActive = append(l.allActive, u)
				all[i].Free()
			}
			return l, err
		}
		if l.active, err = w.Conn.ListNWFilters(); err != nil {
			return l, fmt.Errorf("virConnectListNWFilters: %w", err)
		}
		if l.numActive, err = w.Conn.NumOfNWFilters(); err != nil {
			return l, fmt.Errorf("virConnectNumOfNWFilters: %w", err)
		}
		all, err := w.Conn.ListAllNWFilters(0)
		for i := range all {
			n, _ := all[i].GetName()
			l.allActive = append(l.allActive, n)
			all[i].Free()
		}
		return l, err
	}
	l, err := stable(kind, take)
	if err != nil {
		return err
	}
	want := w.Name(logical)
	if kind == "secret" {
		err = w.WithSecret(logical, func(s *libvirt.Secret) error {
			want, err = s.GetUUIDString()
			return err
		})
		if err != nil {
			return err
		}
	}
	if !slices.Contains(l.active, want) {
		return fmt.Errorf("the legacy %s listing lacks %q: %s", kind, logical, l)
	}
	return nil
}

// legacyNodeDeviceListingAgrees lists devices by capability (the Go binding
// passes a capability, never NULL, to the legacy calls): per capability the
// legacy count and names agree with the list-all devices that have it, and
// every device that stays is in the listing of its capabilities.
func legacyNodeDeviceListingAgrees(ctx context.Context) error {
	w := W(ctx)
	byCap, all, err := w.nodeDevicesByCap()
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for c := range byCap {
		l, err := stable("node device ("+c+")", func() (listing, error) {
			var l listing
			var err error
			if l.active, err = w.Conn.ListDevices(c, 0); err != nil {
				return l, fmt.Errorf("virNodeListDevices(%s): %w", c, err)
			}
			if l.numActive, err = w.Conn.NumOfDevices(c, 0); err != nil {
				return l, fmt.Errorf("virNodeNumOfDevices(%s): %w", c, err)
			}
			now, _, err := w.nodeDevicesByCap()
			l.allActive = now[c]
			return l, err
		})
		if err != nil {
			return err
		}
		for _, n := range l.active {
			seen[n] = true
		}
	}
	_, after, err := w.nodeDevicesByCap()
	if err != nil {
		return err
	}
	checked := 0
	for _, n := range all {
		if !slices.Contains(after, n) {
			continue // gone meanwhile (a running domain's NIC, say)
		}
		if !seen[n] {
			return fmt.Errorf("node device %s is in no legacy listing of its capabilities", n)
		}
		ok, err := w.checkNodeDevice(n, after)
		if err != nil {
			return err
		}
		if ok {
			checked++
		}
	}
	return someDevicesChecked(checked, len(all))
}

// nodeDevicesByCap lists every device, and the devices of each capability.
func (w *world) nodeDevicesByCap() (map[string][]string, []string, error) {
	devs, err := w.Conn.ListAllNodeDevices(0)
	if err != nil {
		return nil, nil, err
	}
	byCap := map[string][]string{}
	var all []string
	for i := range devs {
		n, err := devs[i].GetName()
		if err != nil {
			devs[i].Free()
			return nil, nil, fmt.Errorf("a listed node device's name: %w", err)
		}
		caps, err := devs[i].ListCaps()
		devs[i].Free()
		if skip, err := capsListed(n, err); err != nil || skip {
			if err != nil {
				return nil, nil, err
			}
			continue // removed between the listing and the question
		}
		all = append(all, n)
		for _, c := range caps {
			byCap[c] = append(byCap[c], n)
		}
	}
	return byCap, all, nil
}

// checkNodeDevice: looked up by name, a device gives its name and
// capabilities as its XML does, and its parent is a device of the node.
// It says whether the device was there to check.
func (w *world) checkNodeDevice(name string, all []string) (bool, error) {
	d, err := w.Conn.LookupDeviceByName(name)
	if harness.IsNotFound(err) {
		return false, nil // removed meanwhile
	}
	if err != nil {
		return false, fmt.Errorf("looking up node device %s: %w", name, err)
	}
	defer d.Free()
	return true, checkNodeDeviceAnswers(d, name, all)
}

func checkNodeDeviceAnswers(d *libvirt.NodeDevice, name string, all []string) error {
	x, err := d.GetXMLDesc(0)
	if err != nil {
		return err
	}
	var def libvirtxml.NodeDevice
	if err := def.Unmarshal(x); err != nil {
		return fmt.Errorf("node device %s: the XML does not parse: %w", name, err)
	}
	got, err := d.GetName()
	if err != nil || got != def.Name {
		return fmt.Errorf("node device %s: name %q (%v), the XML says %q", name, got, err, def.Name)
	}
	// Not d.GetParent(): the Go binding (libvirt.org/go/libvirt v1.12007.0)
	// frees the string virNodeDeviceGetParent returns, which the device owns,
	// and the process crashes at the device's Free (docs/findings.md). The
	// parent the XML names must be a device.
	if def.Parent != "" && !slices.Contains(all, def.Parent) {
		return fmt.Errorf("node device %s: its XML names parent %q, which is not a device of the node", name, def.Parent)
	}
	n, err := d.NumOfCaps()
	if err != nil {
		return fmt.Errorf("node device %s: number of capabilities: %w", name, err)
	}
	caps, err := d.ListCaps()
	if err != nil || len(caps) != n || len(caps) == 0 {
		return fmt.Errorf("node device %s: %d capabilities counted, %v listed (%v)", name, n, caps, err)
	}
	return nil
}

func registerListing(r *stepkit.Registry) {
	r.Step(`^the legacy (domain|network|storage pool) listings agree with the list of all, with "([^"]*)" active and "([^"]*)" inactive$`, legacyListingsAgree)
	r.Step(`^the legacy volume listing of pool "([^"]*)" agrees with its list of all volumes, with "([^"]*)" in it$`, legacyVolumeListingAgrees)
	r.Step(`^the legacy (secret|network filter) listing agrees with the list of all, with "([^"]*)" in it$`, legacyFlatListingAgrees)
	r.Step(`^the legacy node device listing agrees with the list of all, and each device's name and capabilities match its XML and its parent is a device$`, legacyNodeDeviceListingAgrees)
}
