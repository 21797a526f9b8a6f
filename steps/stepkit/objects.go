package stepkit

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"

	"libvirt.org/go/libvirt"
)

// object is what domains, storage pools and networks share: the steps about
// being active, persistent, autostarted and found by UUID are written once.
type object interface {
	IsActive() (bool, error)
	IsPersistent() (bool, error)
	GetAutostart() (bool, error)
	SetAutostart(bool) error
	GetUUIDString() (string, error)
	GetName() (string, error)
	Free() error
}

func (w *World) withObject(kind, logical string, fn func(o object) error) error {
	var o object
	var err error
	switch kind {
	case "domain":
		o, err = w.Conn.LookupDomainByName(w.Name(logical))
	case "storage pool":
		o, err = w.Conn.LookupStoragePoolByName(w.Name(logical))
	case "network":
		o, err = w.Conn.LookupNetworkByName(w.Name(logical))
	default:
		return fmt.Errorf("unknown object kind %q", kind)
	}
	if err != nil {
		return fmt.Errorf("looking up %s %q: %w", kind, logical, err)
	}
	defer o.Free()
	return fn(o)
}

func (w *World) lookupByUUID(kind, uuid string) (object, error) {
	switch kind {
	case "storage pool":
		return w.Conn.LookupStoragePoolByUUIDString(uuid)
	case "network":
		return w.Conn.LookupNetworkByUUIDString(uuid)
	}
	return w.Conn.LookupDomainByUUIDString(uuid)
}

func objectIs(ctx context.Context, kind, name, want string) error {
	return W(ctx).withObject(kind, name, func(o object) error {
		var got bool
		var err error
		if want == "active" || want == "inactive" {
			got, err = o.IsActive()
		} else {
			got, err = o.IsPersistent()
		}
		if err != nil {
			return err
		}
		if got != (want == "active" || want == "persistent") {
			return fmt.Errorf("%s %q is not %s", kind, name, want)
		}
		return nil
	})
}

func setAutostartOfObject(ctx context.Context, onoff, kind, name string) error {
	return W(ctx).withObject(kind, name, func(o object) error { return o.SetAutostart(onoff == "on") })
}

func objectHasAutostart(ctx context.Context, kind, name, want string) error {
	return W(ctx).withObject(kind, name, func(o object) error {
		a, err := o.GetAutostart()
		if err != nil {
			return err
		}
		if a != (want == "on") {
			return fmt.Errorf("%s %q autostart is %v, want %s", kind, name, a, want)
		}
		return nil
	})
}

func lookingUpByNameAndUUIDGivesTheSame(ctx context.Context, kind, name string) error {
	w := W(ctx)
	return w.withObject(kind, name, func(o object) error {
		u, err := o.GetUUIDString()
		if err != nil {
			return err
		}
		byUUID, err := w.lookupByUUID(kind, u)
		if err != nil {
			return fmt.Errorf("lookup by UUID %s: %w", u, err)
		}
		defer byUUID.Free()
		if n, err := byUUID.GetName(); err != nil || n != w.Name(name) {
			return fmt.Errorf("lookup by UUID %s gave %q (%v)", u, n, err)
		}
		return nil
	})
}

// NICDevice returns the host device of a domain's one NIC, from its live XML.
func (w *World) NICDevice(dom string) (string, error) {
	doc, _, err := w.DomainXML(dom, 0)
	if err != nil {
		return "", err
	}
	if doc.Devices == nil || len(doc.Devices.Interfaces) != 1 || doc.Devices.Interfaces[0].Target == nil {
		return "", fmt.Errorf("domain %q has no NIC with a host device in its live XML", dom)
	}
	return doc.Devices.Interfaces[0].Target.Dev, nil
}

var _ object = (*libvirt.Domain)(nil)

// SameUUIDBytes says whether an object's raw UUID (virXxxGetUUID) is the one
// its UUID string (virXxxGetUUIDString) spells.
func SameUUIDBytes(raw []byte, s string) bool {
	return len(raw) == 16 && hex.EncodeToString(raw) == strings.ReplaceAll(strings.ToLower(s), "-", "")
}

func registerObjects(r *Registry) {
	r.Step(`^(domain|storage pool|network) "([^"]*)" is (active|inactive|persistent|transient)$`, objectIs)
	r.Step(`^I set autostart (on|off) for (domain|storage pool|network) "([^"]*)"$`, setAutostartOfObject)
	r.Step(`^(domain|storage pool|network) "([^"]*)" has autostart (on|off)$`, objectHasAutostart)
	r.Step(`^looking up (storage pool|network) "([^"]*)" by name and UUID gives the same (?:pool|network)$`, lookingUpByNameAndUUIDGivesTheSame)
}
