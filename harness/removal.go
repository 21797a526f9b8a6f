package harness

import (
	"errors"
	"fmt"
	"strings"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// found is what a look at the stack says of a recorded object.
type found struct {
	present bool   // something answers to the recorded name
	ours    bool   // and it is the recorded object: its UUID or path matches
	why     string // why it is not, when present and not ours
	owner   *Owner // the record it carries, where its type has room for one
}

// Remove deletes r if it is still the object the run made: its name and its
// UUID or path match the record. A missing object, or another object under
// the same name, is left alone and counts as done. Panics become errors.
func Remove(conn *libvirt.Connect, r Resource) error {
	_, err := handle(conn, r, func(found) bool { return true })
	return err
}

// handle looks r up, judges whether it is the recorded object, asks decide
// whether to remove it, and then does.
func handle(conn *libvirt.Connect, r Resource, decide func(found) bool) (f found, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic while removing: %v", p)
		}
	}()
	switch r.Kind {
	case KindDomain, KindAppliance:
		f, err = handleDomain(conn, r, decide)
	case KindNetwork:
		f, err = handleNetwork(conn, r, decide)
	case KindPool:
		f, err = handlePool(conn, r, decide, nil)
	case KindVolume, KindFile:
		f, err = handleVolume(conn, r, decide)
	case KindSecret:
		f, err = handleSecret(conn, r, decide)
	case KindNWFilter:
		f, err = handleNWFilter(conn, r, decide)
	case KindBinding:
		f, err = handleBinding(conn, r, decide)
	case KindDir:
		f, err = handleDir(r, decide)
	default:
		err = fmt.Errorf("unknown kind %q", r.Kind)
	}
	if IsNotFound(err) {
		return f, nil
	}
	return f, err
}

func notRunning(err error) bool { return errors.Is(err, libvirt.ERR_OPERATION_INVALID) }

// sameUUID judges an object by the UUID the suite chose or was given; without
// one, only a matching owner record can speak for it.
func sameUUID(got, want string, owner *Owner) (bool, string) {
	switch {
	case want != "" && !strings.EqualFold(got, want):
		return false, fmt.Sprintf("its UUID %s is not the recorded %s", got, want)
	case want == "" && owner == nil:
		return false, "no UUID was recorded for it and it carries no owner record"
	}
	return true, ""
}

func handleDomain(conn *libvirt.Connect, r Resource, decide func(found) bool) (found, error) {
	d, err := conn.LookupDomainByName(r.Name)
	if err != nil {
		return found{}, err
	}
	defer d.Free()
	f := found{present: true}
	if r.Kind == KindAppliance {
		f.ours, f.why = applianceIn(d, r.Path)
	} else {
		uuid, err := d.GetUUIDString()
		if err != nil {
			return f, err
		}
		f.owner = domainOwner(d)
		f.ours, f.why = sameUUID(uuid, r.UUID, f.owner)
	}
	if !f.ours || !decide(f) {
		return f, nil
	}
	return f, destroyAndUndefine(d)
}

func destroyAndUndefine(d *libvirt.Domain) error {
	if active, err := d.IsActive(); err != nil {
		return err
	} else if active {
		if err := d.Destroy(); err != nil && !notRunning(err) {
			return err
		}
	}
	persistent, err := d.IsPersistent()
	if err != nil || !persistent {
		return err
	}
	// Take everything attached to the definition with it; drivers that refuse a
	// flag get the next smaller set.
	for _, flags := range []libvirt.DomainUndefineFlagsValues{
		libvirt.DOMAIN_UNDEFINE_MANAGED_SAVE | libvirt.DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
			libvirt.DOMAIN_UNDEFINE_CHECKPOINTS_METADATA | libvirt.DOMAIN_UNDEFINE_NVRAM | libvirt.DOMAIN_UNDEFINE_TPM,
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

// domainOwner reads the owner record of a domain's metadata, live or inactive.
func domainOwner(d *libvirt.Domain) *Owner {
	for _, impact := range []libvirt.DomainModificationImpact{libvirt.DOMAIN_AFFECT_LIVE, libvirt.DOMAIN_AFFECT_CONFIG} {
		if m, err := d.GetMetadata(libvirt.DOMAIN_METADATA_ELEMENT, OwnerNamespace, impact); err == nil {
			if o, ok := ParseOwner(m); ok {
				return &o
			}
		}
	}
	return nil
}

// applianceIn says whether d is a transient libguestfs appliance with a disk
// in dir (a pool directory of the run's ledger).
func applianceIn(d *libvirt.Domain, dir string) (bool, string) {
	if persistent, err := d.IsPersistent(); err != nil || persistent {
		return false, "it is persistent: not an appliance"
	}
	x, err := d.GetXMLDesc(0)
	if err != nil {
		return false, "its XML cannot be read: " + DescribeError(err)
	}
	var doc libvirtxml.Domain
	if doc.Unmarshal(x) != nil || doc.Devices == nil {
		return false, "its XML does not parse"
	}
	for _, disk := range doc.Devices.Disks {
		if disk.Source != nil && disk.Source.File != nil && within(dir, disk.Source.File.File) {
			return true, ""
		}
	}
	return false, "none of its disks is in " + dir
}

func handleNetwork(conn *libvirt.Connect, r Resource, decide func(found) bool) (found, error) {
	n, err := conn.LookupNetworkByName(r.Name)
	if err != nil {
		return found{}, err
	}
	defer n.Free()
	f, err := byUUID(n.GetUUIDString, r)
	if err != nil || !f.ours || !decide(f) {
		return f, err
	}
	if active, err := n.IsActive(); err != nil {
		return f, err
	} else if active {
		if err := n.Destroy(); err != nil && !notRunning(err) {
			return f, err
		}
	}
	if persistent, err := n.IsPersistent(); err != nil || !persistent {
		return f, err
	}
	return f, n.Undefine()
}

func handleSecret(conn *libvirt.Connect, r Resource, decide func(found) bool) (found, error) {
	if r.UUID == "" {
		return found{}, nil // nothing to look it up by
	}
	s, err := conn.LookupSecretByUUIDString(r.UUID)
	if err != nil {
		return found{}, err
	}
	defer s.Free()
	f := found{present: true}
	x, err := s.GetXMLDesc(0)
	if err != nil {
		return f, err
	}
	var doc libvirtxml.Secret
	if err := doc.Unmarshal(x); err != nil {
		return f, fmt.Errorf("secret XML: %w", err)
	}
	if o, ok := ParseOwner(doc.Description); ok {
		f.owner = &o
	}
	usage := ""
	if doc.Usage != nil {
		usage = doc.Usage.Name + doc.Usage.Volume + doc.Usage.Target
	}
	if f.ours = usage == r.Name; !f.ours {
		f.why = fmt.Sprintf("its usage %q is not the recorded %q", usage, r.Name)
	}
	if !f.ours || !decide(f) {
		return f, nil
	}
	return f, s.Undefine()
}

func handleNWFilter(conn *libvirt.Connect, r Resource, decide func(found) bool) (found, error) {
	nf, err := conn.LookupNWFilterByName(r.Name)
	if err != nil {
		return found{}, err
	}
	defer nf.Free()
	f, err := byUUID(nf.GetUUIDString, r)
	if err != nil || !f.ours || !decide(f) {
		return f, err
	}
	return f, nf.Undefine()
}

// byUUID judges an object found by its recorded name by its UUID: ours only
// if it is the recorded one (a network or a filter carries no owner record).
func byUUID(uuidOf func() (string, error), r Resource) (found, error) {
	f := found{present: true}
	uuid, err := uuidOf()
	if err != nil {
		return f, err
	}
	f.ours, f.why = sameUUID(uuid, r.UUID, nil)
	return f, nil
}

func handleBinding(conn *libvirt.Connect, r Resource, decide func(found) bool) (found, error) {
	b, err := conn.LookupNWFilterBindingByPortDev(r.Name)
	if err != nil {
		return found{}, err
	}
	defer b.Free()
	f := found{present: true}
	_, filter, err := BindingInfo(b)
	if err != nil {
		return f, err
	}
	if f.ours = filter == r.Parent; !f.ours {
		f.why = fmt.Sprintf("it binds filter %q, not the recorded %q", filter, r.Parent)
	}
	if !f.ours || !decide(f) {
		return f, nil
	}
	return f, b.Delete()
}
