package harness

import (
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// Kind is a type of libvirt object the suite can create.
type Kind string

const (
	KindDomain   Kind = "domain"
	KindNetwork  Kind = "network"
	KindPool     Kind = "pool"
	KindVolume   Kind = "volume"
	KindSecret   Kind = "secret"
	KindNWFilter Kind = "nwfilter"
	KindBinding  Kind = "nwfilter-binding"
	// KindAppliance is libguestfs's appliance domain (libvirt backend). libguestfs
	// names it guestfs-<random> itself; it is the suite's when it is transient
	// and its disks lie in a directory of an ovacts pool. Parent is that pool.
	KindAppliance Kind = "guestfs-appliance"
)

// Resource is one created object. Name is its libvirt name; Parent is the pool
// of a volume, and the directory of a pool (so that a pool undefined by its
// scenario still has its directory removed); for a secret, Name is its UUID.
type Resource struct {
	Kind   Kind
	Name   string
	Parent string
}

func (r Resource) String() string {
	switch {
	case r.Parent == "":
		return fmt.Sprintf("%s %s", r.Kind, r.Name)
	case r.Kind == KindPool:
		return fmt.Sprintf("%s %s (%s)", r.Kind, r.Name, r.Parent)
	case r.Kind == KindSecret:
		return fmt.Sprintf("%s %s (usage %s)", r.Kind, r.Name, r.Parent)
	case r.Kind == KindAppliance:
		return fmt.Sprintf("%s %s (disks in pool %s)", r.Kind, r.Name, r.Parent)
	}
	return fmt.Sprintf("%s %s/%s", r.Kind, r.Parent, r.Name)
}

// Tracker records every object created with success and removes them in
// reverse order (last created, first removed). Safe for concurrent use.
type Tracker struct {
	conn *libvirt.Connect
	mu   sync.Mutex
	list []tracked
}

// tracked is an object to remove, or a cleanup that is not an object (an
// event callback to deregister), kept in the same LIFO order.
type tracked struct {
	res  Resource
	undo func() error
}

// NewTracker returns an empty tracker on conn.
func NewTracker(conn *libvirt.Connect) *Tracker { return &Tracker{conn: conn} }

// Add records an object right after its create succeeded.
func (t *Tracker) Add(r Resource) {
	t.mu.Lock()
	t.list = append(t.list, tracked{res: r})
	t.mu.Unlock()
}

// Defer records a cleanup that is not an object, described by what.
func (t *Tracker) Defer(what string, undo func() error) {
	t.mu.Lock()
	t.list = append(t.list, tracked{res: Resource{Kind: "cleanup", Name: what}, undo: undo})
	t.mu.Unlock()
}

// Forget drops an object the scenario removed itself (e.g. undefine under test).
// Cleanup would find it gone anyway; forgetting keeps the log clean.
func (t *Tracker) Forget(r Resource) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := len(t.list) - 1; i >= 0; i-- {
		if t.list[i].undo == nil && t.list[i].res == r {
			t.list = append(t.list[:i], t.list[i+1:]...)
			return
		}
	}
}

// Pending lists what cleanup would remove, in removal order.
func (t *Tracker) Pending() []Resource {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Resource, 0, len(t.list))
	for i := len(t.list) - 1; i >= 0; i-- {
		out = append(out, t.list[i].res)
	}
	return out
}

// Cleanup removes every tracked object, newest first. NotFound counts as removed.
// It never panics; it returns every removal that failed.
func (t *Tracker) Cleanup() error {
	t.mu.Lock()
	list := t.list
	t.list = nil
	t.mu.Unlock()
	var errs []error
	for i := len(list) - 1; i >= 0; i-- {
		var err error
		if list[i].undo != nil {
			err = runSafely(list[i].undo)
		} else {
			err = Remove(t.conn, list[i].res)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("removing %s: %w", list[i].res, err))
		}
	}
	return errors.Join(errs...)
}

func runSafely(fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return fn()
}

// Remove deletes one object, whatever state it is in. Panics become errors.
func Remove(conn *libvirt.Connect, r Resource) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic while removing: %v", p)
		}
	}()
	switch r.Kind {
	case KindDomain:
		err = removeDomain(conn, r.Name)
	case KindNetwork:
		err = removeNetwork(conn, r.Name)
	case KindPool:
		err = removePool(conn, r.Name, r.Parent)
	case KindAppliance:
		err = removeDomain(conn, r.Name)
	case KindVolume:
		err = removeVolume(conn, r.Parent, r.Name)
	case KindSecret:
		err = removeSecret(conn, r.Name)
	case KindNWFilter:
		err = removeNWFilter(conn, r.Name)
	case KindBinding:
		err = removeBinding(conn, r.Name)
	default:
		err = fmt.Errorf("unknown kind %q", r.Kind)
	}
	if IsNotFound(err) {
		return nil
	}
	return err
}

func notRunning(err error) bool { return errors.Is(err, libvirt.ERR_OPERATION_INVALID) }

func removeDomain(conn *libvirt.Connect, name string) error {
	d, err := conn.LookupDomainByName(name)
	if err != nil {
		return err
	}
	defer d.Free()
	if active, err := d.IsActive(); err != nil {
		return err
	} else if active {
		if err := d.Destroy(); err != nil && !notRunning(err) {
			return err
		}
	}
	persistent, err := d.IsPersistent()
	if err != nil {
		return err
	}
	if !persistent {
		return nil
	}
	// Take everything attached to the definition with it; drivers that refuse a
	// flag get the next smaller set.
	for _, flags := range []libvirt.DomainUndefineFlagsValues{
		libvirt.DOMAIN_UNDEFINE_MANAGED_SAVE | libvirt.DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
			libvirt.DOMAIN_UNDEFINE_CHECKPOINTS_METADATA | libvirt.DOMAIN_UNDEFINE_NVRAM,
		libvirt.DOMAIN_UNDEFINE_MANAGED_SAVE | libvirt.DOMAIN_UNDEFINE_SNAPSHOTS_METADATA,
		0,
	} {
		err = d.UndefineFlags(flags)
		if err == nil || IsNotFound(err) {
			return err
		}
		if !errors.Is(err, libvirt.ERR_NO_SUPPORT) && !errors.Is(err, libvirt.ERR_INVALID_ARG) &&
			!errors.Is(err, libvirt.ERR_ARGUMENT_UNSUPPORTED) && !errors.Is(err, libvirt.ERR_CONFIG_UNSUPPORTED) {
			return err
		}
	}
	return err
}

func removeNetwork(conn *libvirt.Connect, name string) error {
	n, err := conn.LookupNetworkByName(name)
	if err != nil {
		return err
	}
	defer n.Free()
	if active, err := n.IsActive(); err != nil {
		return err
	} else if active {
		if err := n.Destroy(); err != nil && !notRunning(err) {
			return err
		}
	}
	if persistent, err := n.IsPersistent(); err != nil || !persistent {
		return err
	}
	return n.Undefine()
}

// removePool removes a pool the suite owns with everything in it: its volumes
// (files the stack made for scenarios, e.g. snapshot overlays and save images),
// its directory, and its definition. Only ever called for ovacts pools.
func removePool(conn *libvirt.Connect, name, dir string) error {
	p, err := conn.LookupStoragePoolByName(name)
	if IsNotFound(err) && dir != "" {
		// Undefined (or a stopped transient pool) but its directory may remain:
		// define it again just long enough to delete what is left.
		p, err = conn.StoragePoolDefineXML(fmt.Sprintf(`<pool type='dir'><name>%s</name><target><path>%s</path></target></pool>`,
			XMLEscape(name), XMLEscape(dir)), 0)
	}
	if err != nil {
		return err
	}
	defer p.Free()
	active, err := p.IsActive()
	if err != nil {
		return err
	}
	if !active {
		active = p.Create(0) == nil // to see and remove what is inside
	}
	var errs []error
	if active {
		// A pool that cannot refresh has lost its directory: nothing to delete in it.
		listable := p.Refresh(0) == nil
		if vols, err := p.ListAllStorageVolumes(0); err == nil && listable {
			for i := range vols {
				if err := vols[i].Delete(0); err != nil && !IsNotFound(err) {
					errs = append(errs, fmt.Errorf("deleting a volume: %w", err))
				}
				vols[i].Free()
			}
		}
		if err := p.Destroy(); err != nil && !notRunning(err) {
			errs = append(errs, err)
		}
		active = listable
	}
	if len(errs) == 0 && active {
		// The directory (for dir pools; it exists, the pool could start);
		// drivers without storage to delete say so.
		if err := p.Delete(0); err != nil && !errors.Is(err, libvirt.ERR_NO_SUPPORT) && !IsNotFound(err) {
			errs = append(errs, fmt.Errorf("deleting the pool's storage: %w", err))
		}
	}
	if persistent, err := p.IsPersistent(); err != nil {
		errs = append(errs, err)
	} else if persistent {
		if err := p.Undefine(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ImageDir is where the suite's directory pools live on the stack's host:
// libvirt's own image directory, present on every libvirt host.
const ImageDir = "/var/lib/libvirt/images"

// XMLEscape escapes text for an XML attribute or element written by hand.
func XMLEscape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

func removeVolume(conn *libvirt.Connect, pool, name string) error {
	p, err := conn.LookupStoragePoolByName(pool)
	if err != nil {
		return err
	}
	defer p.Free()
	v, err := p.LookupStorageVolByName(name)
	if err != nil {
		return err
	}
	defer v.Free()
	return v.Delete(0)
}

func removeSecret(conn *libvirt.Connect, uuid string) error {
	s, err := conn.LookupSecretByUUIDString(uuid)
	if err != nil {
		return err
	}
	defer s.Free()
	return s.Undefine()
}

func removeNWFilter(conn *libvirt.Connect, name string) error {
	f, err := conn.LookupNWFilterByName(name)
	if err != nil {
		return err
	}
	defer f.Free()
	return f.Undefine()
}

func removeBinding(conn *libvirt.Connect, portdev string) error {
	b, err := conn.LookupNWFilterBindingByPortDev(portdev)
	if err != nil {
		return err
	}
	defer b.Free()
	return b.Delete()
}

// BindingInfo returns a filter binding's port device and filter name.
//
// It reads them from the binding's XML: libvirt.org/go/libvirt v1.12007.0's
// NWFilterBinding.GetPortDev and GetFilterName C.free a string the binding
// owns (libvirt returns const char *), so a later Free aborts the process with
// a double free. TestNoBrokenBindingGetters keeps them out of the tree.
func BindingInfo(b *libvirt.NWFilterBinding) (portdev, filter string, err error) {
	x, err := b.GetXMLDesc(0)
	if err != nil {
		return "", "", err
	}
	var doc libvirtxml.NWFilterBinding
	if err := doc.Unmarshal(x); err != nil {
		return "", "", fmt.Errorf("binding XML: %w", err)
	}
	if doc.PortDev != nil {
		portdev = doc.PortDev.Name
	}
	if doc.FilterRef != nil {
		filter = doc.FilterRef.Filter
	}
	return portdev, filter, nil
}

// Owned lists every object on the stack whose name carries the ovacts prefix,
// in a safe removal order (bindings, domains, volumes, pools, networks, filters, secrets).
// Kinds the driver does not offer are left out.
func Owned(conn *libvirt.Connect) ([]Resource, error) {
	var out []Resource
	unsupported := func(err error) bool {
		return errors.Is(err, libvirt.ERR_NO_SUPPORT)
	}
	if bs, err := conn.ListAllNWFilterBindings(0); err == nil {
		for i := range bs {
			if dev, _, err := BindingInfo(&bs[i]); err == nil && strings.HasPrefix(dev, NamePrefix) {
				out = append(out, Resource{Kind: KindBinding, Name: dev})
			}
			bs[i].Free()
		}
	} else if !unsupported(err) {
		return nil, fmt.Errorf("listing nwfilter bindings: %w", err)
	}
	doms, err := conn.ListAllDomains(0)
	if err != nil {
		return nil, fmt.Errorf("listing domains: %w", err)
	}
	for i := range doms {
		if n, err := doms[i].GetName(); err == nil && strings.HasPrefix(n, NamePrefix) {
			out = append(out, Resource{Kind: KindDomain, Name: n})
		} else if err == nil && strings.HasPrefix(n, "guestfs-") {
			if pool := applianceOwner(&doms[i]); pool != "" {
				out = append(out, Resource{Kind: KindAppliance, Name: n, Parent: pool})
			}
		}
		doms[i].Free()
	}
	var pools []Resource
	if ps, err := conn.ListAllStoragePools(0); err == nil {
		for i := range ps {
			pn, err := ps[i].GetName()
			if err == nil {
				if vols, err := ps[i].ListAllStorageVolumes(0); err == nil {
					for j := range vols {
						if vn, err := vols[j].GetName(); err == nil && strings.HasPrefix(vn, NamePrefix) {
							out = append(out, Resource{Kind: KindVolume, Name: vn, Parent: pn})
						}
						vols[j].Free()
					}
				}
				if strings.HasPrefix(pn, NamePrefix) {
					pools = append(pools, Resource{Kind: KindPool, Name: pn})
				}
			}
			ps[i].Free()
		}
	} else if !unsupported(err) {
		return nil, fmt.Errorf("listing storage pools: %w", err)
	}
	out = append(out, pools...)
	if ns, err := conn.ListAllNetworks(0); err == nil {
		for i := range ns {
			if n, err := ns[i].GetName(); err == nil && strings.HasPrefix(n, NamePrefix) {
				out = append(out, Resource{Kind: KindNetwork, Name: n})
			}
			ns[i].Free()
		}
	} else if !unsupported(err) {
		return nil, fmt.Errorf("listing networks: %w", err)
	}
	if fs, err := conn.ListAllNWFilters(0); err == nil {
		for i := range fs {
			if n, err := fs[i].GetName(); err == nil && strings.HasPrefix(n, NamePrefix) {
				out = append(out, Resource{Kind: KindNWFilter, Name: n})
			}
			fs[i].Free()
		}
	} else if !unsupported(err) {
		return nil, fmt.Errorf("listing nwfilters: %w", err)
	}
	if ss, err := conn.ListAllSecrets(0); err == nil {
		for i := range ss {
			// Secrets have no name: ours carry the prefix in their usage id.
			if u, err := ss[i].GetUsageID(); err == nil && strings.HasPrefix(u, NamePrefix) {
				if id, err := ss[i].GetUUIDString(); err == nil {
					out = append(out, Resource{Kind: KindSecret, Name: id, Parent: u})
				}
			}
			ss[i].Free()
		}
	} else if !unsupported(err) {
		return nil, fmt.Errorf("listing secrets: %w", err)
	}
	return out, nil
}

// ownerName is the name that carries the run id: a secret's usage id, else the name.
func ownerName(r Resource) string {
	if r.Kind == KindSecret || r.Kind == KindAppliance {
		return r.Parent
	}
	return r.Name
}

// applianceOwner is the ovacts pool a transient libguestfs appliance works
// in: the directory under ImageDir, named with the prefix, of one of its disks.
// "" when it is not provably the suite's.
func applianceOwner(d *libvirt.Domain) string {
	if persistent, err := d.IsPersistent(); err != nil || persistent {
		return ""
	}
	x, err := d.GetXMLDesc(0)
	if err != nil {
		return ""
	}
	var doc libvirtxml.Domain
	if doc.Unmarshal(x) != nil || doc.Devices == nil {
		return ""
	}
	for _, disk := range doc.Devices.Disks {
		if disk.Source == nil || disk.Source.File == nil {
			continue
		}
		rel, err := filepath.Rel(ImageDir, filepath.Clean(disk.Source.File.File))
		if err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		if dir := strings.Split(rel, string(filepath.Separator))[0]; strings.HasPrefix(dir, NamePrefix) && dir != rel {
			return dir
		}
	}
	return ""
}

// SweepResult says what a sweep did.
type SweepResult struct {
	Removed   []Resource
	Kept      []Resource // prefixed objects of live runs on this host
	OtherHost []Resource // objects whose owner record names another host: never ours to judge
	Errors    []error
}

// ownerOf reads the ownership record of a domain (metadata) or a secret
// (description); other object types carry none.
func ownerOf(conn *libvirt.Connect, r Resource) (Owner, bool) {
	switch r.Kind {
	case KindDomain:
		d, err := conn.LookupDomainByName(r.Name)
		if err != nil {
			return Owner{}, false
		}
		defer d.Free()
		for _, impact := range []libvirt.DomainModificationImpact{libvirt.DOMAIN_AFFECT_LIVE, libvirt.DOMAIN_AFFECT_CONFIG} {
			if m, err := d.GetMetadata(libvirt.DOMAIN_METADATA_ELEMENT, OwnerNamespace, impact); err == nil {
				return ParseOwner(m)
			}
		}
	case KindSecret:
		s, err := conn.LookupSecretByUUIDString(r.Name)
		if err != nil {
			return Owner{}, false
		}
		defer s.Free()
		if x, err := s.GetXMLDesc(0); err == nil {
			var doc libvirtxml.Secret
			if doc.Unmarshal(x) == nil {
				return ParseOwner(doc.Description)
			}
		}
	}
	return Owner{}, false
}

// Sweep removes prefixed objects whose run is not alive. Objects of the current
// run and of live runs stay; foreign objects are never listed, so never touched.
func Sweep(conn *libvirt.Connect, alive func(runID string) bool) (SweepResult, error) {
	var res SweepResult
	owned, err := Owned(conn)
	if err != nil {
		return res, err
	}
	for _, r := range owned {
		runID, ok := OwnerRun(ownerName(r))
		if !ok {
			continue // "ovacts-" but not our naming scheme: not provably ours
		}
		if alive(runID) {
			res.Kept = append(res.Kept, r)
			continue
		}
		// Not registered alive here. If the object says it belongs to a run on
		// another host, this host cannot tell whether that run is alive.
		if o, ok := ownerOf(conn, r); ok && o.Host != ThisHost() {
			res.OtherHost = append(res.OtherHost, r)
			continue
		}
		// A secret is removed by UUID; its Parent held the usage id for matching only.
		if r.Kind == KindSecret {
			r = Resource{Kind: KindSecret, Name: r.Name}
		}
		if err := Remove(conn, r); err != nil {
			res.Errors = append(res.Errors, fmt.Errorf("removing %s: %w", r, err))
			continue
		}
		res.Removed = append(res.Removed, r)
	}
	return res, nil
}

// QEMULogDir is where libvirt's QEMU driver keeps one log per domain name; the
// file outlives the domain.
const QEMULogDir = "/var/log/libvirt/qemu"

// RemoveDomainLogs deletes the QEMU driver's logs of the suite's domains in dir
// whose run is not alive (this run's own at its end, and dead runs'). Only
// files named like ours are ever touched.
func RemoveDomainLogs(dir string, alive func(runID string) bool) (removed int, err error) {
	files, err := filepath.Glob(filepath.Join(dir, NamePrefix+"*.log*"))
	if err != nil {
		return 0, err
	}
	var errs []error
	for _, f := range files {
		base := filepath.Base(f)
		name := base[:strings.Index(base, ".log")]
		id, ours := OwnerRun(name)
		if !ours || alive(id) {
			continue
		}
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			errs = append(errs, err)
			continue
		}
		removed++
	}
	return removed, errors.Join(errs...)
}
