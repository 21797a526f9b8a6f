package stepkit

import (
	"context"
	"errors"
	"fmt"

	"github.com/ovacts/ovacts/fixtures"
	"libvirt.org/go/libvirt"
)

func domainWithANicOnNetwork(ctx context.Context, state, name, network, filter string) error {
	w := W(ctx)
	return w.DomainFromFixture(name, "netdev", state, func(v *fixtures.DomainVars) error {
		v.Network = w.Name(network)
		if filter != "" {
			v.Filter = w.Name(filter)
		}
		return nil
	})
}

func domainWithADisk(ctx context.Context, state, name, format string) error {
	w := W(ctx)
	return w.DomainFromFixture(name, "disk", state, func(v *fixtures.DomainVars) error {
		if err := w.EnsurePool("store"); err != nil {
			return err
		}
		if err := w.CreateVolume(name+"-disk", format, 64, "store", ""); err != nil {
			return err
		}
		p, err := w.VolumePath(name+"-disk", "store")
		v.Disk, v.DiskFormat = p, format
		return err
	})
}

func domainWithHotplugControllers(ctx context.Context, state, name string) error {
	return W(ctx).DomainFromFixture(name, "hotplug", state, nil)
}

func lifecycleDomain(ctx context.Context, action, name string) error {
	return lifecycle(W(ctx), action, name)
}

func tryLifecycleDomain(ctx context.Context, action, name string) error {
	w := W(ctx)
	return w.Try(lifecycle(w, action, name))
}

func noteIdentifierOfDomain(ctx context.Context, what, name string) error {
	w := W(ctx)
	return w.WithDomain(name, func(d *libvirt.Domain) error {
		if what == "UUID" {
			u, err := d.GetUUIDString()
			w.Remember(&w.DomainSt().Uuids, name, u)
			return err
		}
		id, err := DomainID(d)
		if err != nil {
			return err
		}
		if w.DomainSt().ids == nil {
			w.DomainSt().ids = map[string]int{}
		}
		w.DomainSt().ids[name] = id
		return nil
	})
}

func domainIs(ctx context.Context, name, state string) error {
	return CheckState(ctx, name, state, "")
}

func thereIsNoDomain(ctx context.Context, name string) error {
	w := W(ctx)
	d, err := w.Conn.LookupDomainByName(w.Name(name))
	if err == nil {
		d.Free()
		return fmt.Errorf("domain %q still exists", name)
	}
	if !errors.Is(err, libvirt.ERR_NO_DOMAIN) {
		return fmt.Errorf("looking up a missing domain should give VIR_ERR_NO_DOMAIN: %w", err)
	}
	if u := w.DomainSt().Uuids[name]; u != "" {
		d, err := w.Conn.LookupDomainByUUIDString(u)
		if err == nil {
			d.Free()
			return fmt.Errorf("domain %q is gone by name but still found by UUID %s", name, u)
		}
		if !errors.Is(err, libvirt.ERR_NO_DOMAIN) {
			return fmt.Errorf("looking up a missing UUID should give VIR_ERR_NO_DOMAIN: %w", err)
		}
	}
	return nil
}

func domainHasTheNoted(ctx context.Context, name, what string) error {
	w := W(ctx)
	return w.WithDomain(name, func(d *libvirt.Domain) error {
		if what == "UUID" {
			u, err := d.GetUUIDString()
			if err != nil {
				return err
			}
			if want, ok := w.DomainSt().Uuids[name]; !ok || u != want {
				return fmt.Errorf("domain %q has UUID %s, noted %q", name, u, want)
			}
			return nil
		}
		id, err := DomainID(d)
		if err != nil {
			return err
		}
		if want, ok := w.DomainSt().ids[name]; !ok || id != want {
			return fmt.Errorf("domain %q has ID %d, noted %d", name, id, want)
		}
		return nil
	})
}

func givenDefined(ctx context.Context, name, fixture string) error {
	w := W(ctx)
	x, err := w.FixtureXML(name, fixture)
	if err != nil {
		return err
	}
	return w.DefineDomain(name, x)
}

func createTransientFrom(ctx context.Context, name, fixture string) error {
	w := W(ctx)
	x, err := w.FixtureXML(name, fixture)
	if err != nil {
		return err
	}
	return w.CreateTransient(name, x)
}

func givenDomainInState(ctx context.Context, name, state string) error {
	w := W(ctx)
	return w.DomainFromFixture(name, "minimal", state, nil)
}

// DomainFromFixture defines a domain from a fixture, lets set fill the
// fixture's extra fields, and brings it to state.
func (w *World) DomainFromFixture(name, fixture, state string, set func(*fixtures.DomainVars) error) error {
	v := w.DomainVars(name)
	if set != nil {
		if err := set(&v); err != nil {
			return err
		}
	}
	x, err := fixtures.Domain(fixture, v)
	if err != nil {
		return err
	}
	if err := w.DefineDomain(name, x); err != nil {
		return err
	}
	if state == "shut off" {
		return nil
	}
	if err := lifecycle(w, "start", name); err != nil {
		return err
	}
	if state == "paused" {
		return lifecycle(w, "suspend", name)
	}
	return nil
}

// lifecycle performs one transition on a domain by logical name.
func lifecycle(w *World, action, name string) error {
	return w.WithDomain(name, func(d *libvirt.Domain) error {
		switch action {
		case "start":
			return d.Create()
		case "suspend":
			return d.Suspend()
		case "resume":
			return d.Resume()
		case "destroy":
			return d.Destroy()
		case "undefine":
			return d.Undefine()
		}
		return fmt.Errorf("unknown action %q", action)
	})
}

// DomainID returns the domain's ID, or -1 for an inactive domain.
func DomainID(d *libvirt.Domain) (int, error) {
	id, err := d.GetID()
	if id == ^uint(0) || uint32(id) == ^uint32(0) {
		active, aerr := d.IsActive()
		if aerr != nil {
			return 0, aerr
		}
		if !active {
			return -1, nil
		}
		return 0, fmt.Errorf("an active domain has no ID: %w", err)
	}
	return int(id), err
}

func CheckState(ctx context.Context, name, state, reason string) error {
	w := W(ctx)
	want := map[string]libvirt.DomainState{"running": libvirt.DOMAIN_RUNNING, "paused": libvirt.DOMAIN_PAUSED, "shut off": libvirt.DOMAIN_SHUTOFF}[state]
	st, rs, err := w.WaitState(ctx, name, want)
	if err != nil {
		return err
	}
	if st != want {
		return fmt.Errorf("domain %q is %s, want %s", name, DescribeState(st, rs), state)
	}
	if reason != "" && reasonNames[st][rs] != reason {
		return fmt.Errorf("domain %q is %s, want reason %q", name, DescribeState(st, rs), reason)
	}
	return nil
}

func registerDomain(r *Registry) {
	r.Step(`^a domain "([^"]*)" defined from fixture "([^"]*)"$`, givenDefined)
	r.Step(`^I define domain "([^"]*)" from fixture "([^"]*)"$`, givenDefined)
	r.Step(`^a domain "([^"]*)" that is (running|paused|shut off)$`, givenDomainInState)
	r.Step(`^a (running|shut off) domain "([^"]*)" with a NIC on network "([^"]*)"(?: filtered by "([^"]*)")?$`, domainWithANicOnNetwork)
	r.Step(`^a (running|paused|shut off) domain "([^"]*)" with a (raw|qcow2) disk$`, domainWithADisk)
	r.Step(`^a (running|shut off) domain "([^"]*)" with hotplug controllers$`, domainWithHotplugControllers)
	r.Step(`^I create transient domain "([^"]*)" from fixture "([^"]*)"$`, createTransientFrom)
	r.Step(`^I (start|suspend|resume|destroy|undefine) domain "([^"]*)"$`, lifecycleDomain)
	r.Step(`^I try to (start|suspend|resume|destroy|undefine) domain "([^"]*)"$`, tryLifecycleDomain)
	r.Step(`^I note the (UUID|ID) of domain "([^"]*)"$`, noteIdentifierOfDomain)

	r.Step(`^domain "([^"]*)" is (running|paused|shut off)$`, domainIs)
	r.Step(`^domain "([^"]*)" is (running|paused|shut off) with reason "([^"]*)"$`, CheckState)
	r.Step(`^there is no domain "([^"]*)"$`, thereIsNoDomain)
	r.Step(`^domain "([^"]*)" has the noted (UUID|ID)$`, domainHasTheNoted)
}
