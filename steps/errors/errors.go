package errors

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
)

// absentUUID is a fresh random UUID that no object of the stack has: the
// stack's own list is asked first, so a stack that happens to hold it cannot
// make a correct run fail.
func absentUUID(list func() ([]string, error)) (string, error) {
	have, err := list()
	if err != nil {
		return "", err
	}
	for {
		u := harness.NewUUID()
		if !slices.Contains(have, u) {
			return u, nil
		}
	}
}

func (w *world) domainUUIDs() ([]string, error) {
	doms, err := w.Conn.ListAllDomains(0)
	if err != nil {
		return nil, err
	}
	var out []string
	for i := range doms {
		if u, err := doms[i].GetUUIDString(); err == nil {
			out = append(out, u)
		}
		doms[i].Free()
	}
	return out, nil
}

func (w *world) secretUUIDs() ([]string, error) {
	ss, err := w.Conn.ListAllSecrets(0)
	if err != nil {
		return nil, err
	}
	var out []string
	for i := range ss {
		if u, err := ss[i].GetUUIDString(); err == nil {
			out = append(out, u)
		}
		ss[i].Free()
	}
	return out, nil
}

func tryToLookUpAnAbsentDomain(ctx context.Context, by string) error {
	w := W(ctx)
	var d *libvirt.Domain
	var err error
	switch by {
	case "name":
		d, err = w.Conn.LookupDomainByName(w.Name("absent"))
	case "UUID":
		u, lerr := absentUUID(w.domainUUIDs)
		if lerr != nil {
			return fmt.Errorf("listing the domains' UUIDs: %w", lerr)
		}
		d, err = w.Conn.LookupDomainByUUIDString(u)
	case "ID":
		d, err = w.Conn.LookupDomainById(^uint32(0) >> 1) // 2^31-1: no driver hands out such an ID
	}
	if d != nil {
		d.Free()
	}
	return w.Try(err)
}

func tryToLookUpAnAbsentObject(ctx context.Context, kind string) error {
	w := W(ctx)
	var err error
	switch kind {
	case "network":
		var n *libvirt.Network
		if n, err = w.Conn.LookupNetworkByName(w.Name("absent")); n != nil {
			n.Free()
		}
	case "storage pool":
		var p *libvirt.StoragePool
		if p, err = w.Conn.LookupStoragePoolByName(w.Name("absent")); p != nil {
			p.Free()
		}
	case "secret":
		u, lerr := absentUUID(w.secretUUIDs)
		if lerr != nil {
			return lerr // not supported: the secrets need decides; anything else is a failure
		}
		var s *libvirt.Secret
		if s, err = w.Conn.LookupSecretByUUIDString(u); s != nil {
			s.Free()
		}
	case "network filter":
		var f *libvirt.NWFilter
		if f, err = w.Conn.LookupNWFilterByName(w.Name("absent")); f != nil {
			f.Free()
		}
	}
	// The driver may not offer the object type at all: that is the level's call.
	if errors.Is(err, libvirt.ERR_NO_SUPPORT) {
		return err
	}
	return w.Try(err)
}

// Errors raised by the client library before any driver (a bad URI) carry no origin.
func errorIsTypedWithACodeAn(ctx context.Context, origin string) error {
	w := W(ctx)
	if !w.Tried || w.LastErr == nil {
		return errors.New("no failed call to inspect")
	}
	var lv libvirt.Error
	if !errors.As(w.LastErr, &lv) {
		return fmt.Errorf("errors.As found no libvirt.Error in %T: %v", w.LastErr, w.LastErr)
	}
	if lv.Code == libvirt.ERR_OK || (origin != "" && lv.Domain == libvirt.FROM_NONE) || lv.Message == "" || lv.Level != libvirt.ERR_ERROR {
		return fmt.Errorf("incomplete error: code %d, origin %d, level %d, message %q", lv.Code, lv.Domain, lv.Level, lv.Message)
	}
	return nil
}

func tryToConnectTo(ctx context.Context, uri string) error {
	w := W(ctx)
	c, err := libvirt.NewConnect(uri)
	if err == nil {
		return fmt.Errorf("connecting to %q succeeded; it should have been refused (and closing gave %v)", uri, harness.CloseChecked(c))
	}
	return w.Try(err)
}

func runSConnectionStillAnswers(ctx context.Context) error {
	w := W(ctx)
	if alive, err := w.Conn.IsAlive(); err != nil || !alive {
		return fmt.Errorf("the main connection is not alive after a failed connect: %v", err)
	}
	_, err := w.Conn.GetHostname()
	return err
}

func callsThroughAHandleKeptFromBeforeUndefiningFail(ctx context.Context, name string) error {
	w := W(ctx)
	d, err := w.Conn.LookupDomainByName(w.Name(name))
	if err != nil {
		return err
	}
	defer d.Free()
	if err := d.Undefine(); err != nil {
		return fmt.Errorf("undefining: %w", err)
	}
	_, _, err = d.GetState()
	if !errors.Is(err, libvirt.ERR_NO_DOMAIN) {
		return fmt.Errorf("GetState on a stale handle: want VIR_ERR_NO_DOMAIN, got %v", harness.DescribeError(err))
	}
	_, err = d.GetXMLDesc(0)
	if !errors.Is(err, libvirt.ERR_NO_DOMAIN) {
		return fmt.Errorf("GetXMLDesc on a stale handle: want VIR_ERR_NO_DOMAIN, got %v", harness.DescribeError(err))
	}
	return nil
}

func registerErrors(r *stepkit.Registry) {
	r.Step(`^I try to look up a domain by (name|UUID|ID) that does not exist$`, tryToLookUpAnAbsentDomain)
	r.Step(`^I try to look up a (network|storage pool|secret|network filter) that does not exist$`, tryToLookUpAnAbsentObject)
	r.Step(`^the error is typed with a code, (an origin, )?an error level and a message$`, errorIsTypedWithACodeAn)
	r.Step(`^I try to connect to "([^"]*)"$`, tryToConnectTo, stepkit.Takes(0, harness.ArgURI))
	r.Step(`^the run's connection still answers$`, runSConnectionStillAnswers)
	r.Step(`^calls through a handle kept from before undefining domain "([^"]*)" fail with VIR_ERR_NO_DOMAIN$`, callsThroughAHandleKeptFromBeforeUndefiningFail)
}
