package steps

import (
	"context"
	"errors"
	"fmt"

	"github.com/ovacts/ovacts/fixtures"
	"github.com/ovacts/ovacts/harness"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// Domain lifecycle: define, start, suspend, resume, destroy, undefine,
// transient domains, autostart, lookups and listings.
func registerDomain(r *Registry) {
	r.Step(`^a domain "([^"]*)" defined from fixture "([^"]*)"$`, givenDefined)
	r.Step(`^I define domain "([^"]*)" from fixture "([^"]*)"$`, givenDefined)
	r.Step(`^a domain "([^"]*)" that is (running|paused|shut off)$`, givenDomainInState)
	r.Step(`^a (running|shut off) domain "([^"]*)" with a NIC on network "([^"]*)"(?: filtered by "([^"]*)")?$`, domainWithANicOnNetwork)
	r.Step(`^a (running|paused|shut off) domain "([^"]*)" with a (raw|qcow2) disk$`, domainWithADisk)
	r.Step(`^a (running|shut off) domain "([^"]*)" with hotplug controllers$`, domainWithHotplugControllers)
	r.Step(`^I create transient domain "([^"]*)" from fixture "([^"]*)"$`, createTransientFrom)
	r.Step(`^I define domain "([^"]*)" from fixture "([^"]*)" without a UUID$`, defineDomainFromFixtureWithoutAUuid)
	r.Step(`^I (start|suspend|resume|destroy|undefine) domain "([^"]*)"$`, lifecycleDomain)
	r.Step(`^I try to (start|suspend|resume|destroy|undefine) domain "([^"]*)"$`, tryLifecycleDomain)
	r.Step(`^I try to define domain "([^"]*)" again with a different UUID$`, tryToDefineDomainAgainWithA)
	r.Step(`^I rename domain "([^"]*)" to "([^"]*)"$`, renameDomainTo)
	r.Step(`^I set the memory of domain "([^"]*)" to (\d+) MiB in its configuration$`, setTheMemoryOfDomainToMib)
	r.Step(`^I note the (UUID|ID) of domain "([^"]*)"$`, noteIdentifierOfDomain)

	r.Step(`^domain "([^"]*)" is (running|paused|shut off)$`, domainIs)
	r.Step(`^domain "([^"]*)" is (running|paused|shut off) with reason "([^"]*)"$`, checkState)
	r.Step(`^there is no domain "([^"]*)"$`, thereIsNoDomain)
	r.Step(`^the (active|inactive|persistent|transient|autostart|running|paused|shut off) domain list (includes|excludes) "([^"]*)"$`, domainList)
	r.Step(`^looking up domain "([^"]*)" by name, UUID and ID gives the same domain$`, lookingUpDomainByNameUuidAnd)
	r.Step(`^domain "([^"]*)" has (a positive ID|no ID)$`, domainHasID)
	r.Step(`^domain "([^"]*)" has the noted (UUID|ID)$`, domainHasTheNoted)
	r.Step(`^domain "([^"]*)" has a valid generated UUID$`, domainHasAValidGeneratedUuid)
	r.Step(`^the info of domain "([^"]*)" reports (\d+) MiB of maximum memory, (\d+) MiB of memory and (\d+) vCPUs?$`, infoOfDomainReportsMibOfMaximum)
}

func domainWithANicOnNetwork(ctx context.Context, state, name, network, filter string) error {
	w := W(ctx)
	return w.domainFromFixture(name, "netdev", state, func(v *fixtures.DomainVars) error {
		v.Network = w.Name(network)
		if filter != "" {
			v.Filter = w.Name(filter)
		}
		return nil
	})
}

func domainWithADisk(ctx context.Context, state, name, format string) error {
	w := W(ctx)
	return w.domainFromFixture(name, "disk", state, func(v *fixtures.DomainVars) error {
		if err := w.ensurePool("store"); err != nil {
			return err
		}
		if err := w.createVolume(name+"-disk", format, 64, "store", ""); err != nil {
			return err
		}
		p, err := w.volumePath(name+"-disk", "store")
		v.Disk, v.DiskFormat = p, format
		return err
	})
}

func domainWithHotplugControllers(ctx context.Context, state, name string) error {
	return W(ctx).domainFromFixture(name, "hotplug", state, nil)
}

func defineDomainFromFixtureWithoutAUuid(ctx context.Context, name, fixture string) error {
	w := W(ctx)
	x, err := w.fixtureXML(name, fixture)
	if err != nil {
		return err
	}
	var doc libvirtxml.Domain
	if err := doc.Unmarshal(x); err != nil {
		return err
	}
	doc.UUID = ""
	if x, err = doc.Marshal(); err != nil {
		return err
	}
	return w.defineDomain(name, x)
}

func lifecycleDomain(ctx context.Context, action, name string) error {
	return lifecycle(W(ctx), action, name)
}

func tryLifecycleDomain(ctx context.Context, action, name string) error {
	w := W(ctx)
	return w.try(lifecycle(w, action, name))
}

func tryToDefineDomainAgainWithA(ctx context.Context, name string) error {
	w := W(ctx)
	x, err := w.fixtureXML(name, "minimal") // a fresh random UUID
	if err != nil {
		return err
	}
	// Recorded with its own UUID: if the stack accepts it against the
	// requirement, it is ours to remove.
	d, err := w.Tracker.CreateDomain(w.Name(name), uuidOf(x), x, false)
	if err == nil {
		d.Free()
	}
	return w.try(err)
}

func renameDomainTo(ctx context.Context, from, to string) error {
	w := W(ctx)
	return w.withDomain(from, func(d *libvirt.Domain) error {
		uuid, err := d.GetUUIDString()
		if err != nil {
			return err
		}
		// Recorded under its new name before the rename.
		return w.Tracker.Create(harness.Resource{Kind: harness.KindDomain, Name: w.Name(to), UUID: uuid}, func() (string, error) {
			return "", d.Rename(w.Name(to), 0)
		})
	})
}

func setTheMemoryOfDomainToMib(ctx context.Context, name string, mib int) error {
	return W(ctx).withDomain(name, func(d *libvirt.Domain) error {
		return d.SetMemoryFlags(uint64(mib)*1024, libvirt.DOMAIN_MEM_CONFIG)
	})
}

func noteIdentifierOfDomain(ctx context.Context, what, name string) error {
	w := W(ctx)
	return w.withDomain(name, func(d *libvirt.Domain) error {
		if what == "UUID" {
			u, err := d.GetUUIDString()
			w.remember(&w.domainSt().uuids, name, u)
			return err
		}
		id, err := domainID(d)
		if err != nil {
			return err
		}
		if w.domainSt().ids == nil {
			w.domainSt().ids = map[string]int{}
		}
		w.domainSt().ids[name] = id
		return nil
	})
}

func domainIs(ctx context.Context, name, state string) error {
	return checkState(ctx, name, state, "")
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
	if u := w.domainSt().uuids[name]; u != "" {
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

func domainList(ctx context.Context, list, verb, name string) error {
	w := W(ctx)
	flags := map[string]libvirt.ConnectListAllDomainsFlags{
		"active": libvirt.CONNECT_LIST_DOMAINS_ACTIVE, "inactive": libvirt.CONNECT_LIST_DOMAINS_INACTIVE,
		"persistent": libvirt.CONNECT_LIST_DOMAINS_PERSISTENT, "transient": libvirt.CONNECT_LIST_DOMAINS_TRANSIENT,
		"autostart": libvirt.CONNECT_LIST_DOMAINS_AUTOSTART, "running": libvirt.CONNECT_LIST_DOMAINS_RUNNING,
		"paused": libvirt.CONNECT_LIST_DOMAINS_PAUSED, "shut off": libvirt.CONNECT_LIST_DOMAINS_SHUTOFF,
	}[list]
	doms, err := w.Conn.ListAllDomains(flags)
	if err != nil {
		return err
	}
	found := false
	for i := range doms {
		if n, err := doms[i].GetName(); err == nil && n == w.Name(name) {
			found = true
		}
		doms[i].Free()
	}
	if found != (verb == "includes") {
		return fmt.Errorf("the %s domain list %s %q, want it to be %s", list, map[bool]string{true: "includes", false: "excludes"}[found], name, verb[:len(verb)-1]+"d")
	}
	return nil
}

func lookingUpDomainByNameUuidAnd(ctx context.Context, name string) error {
	w := W(ctx)
	byName, err := w.Conn.LookupDomainByName(w.Name(name))
	if err != nil {
		return err
	}
	defer byName.Free()
	uuid, err := byName.GetUUIDString()
	if err != nil {
		return err
	}
	id, err := domainID(byName)
	if err != nil {
		return err
	}
	byUUID, err := w.Conn.LookupDomainByUUIDString(uuid)
	if err != nil {
		return fmt.Errorf("lookup by UUID %s: %w", uuid, err)
	}
	defer byUUID.Free()
	byID, err := w.Conn.LookupDomainById(uint32(id))
	if err != nil {
		return fmt.Errorf("lookup by ID %d: %w", id, err)
	}
	defer byID.Free()
	for how, d := range map[string]*libvirt.Domain{"UUID": byUUID, "ID": byID} {
		n, err := d.GetName()
		if err != nil {
			return err
		}
		u, err := d.GetUUIDString()
		if err != nil {
			return err
		}
		i, err := domainID(d)
		if err != nil {
			return err
		}
		if n != w.Name(name) || u != uuid || i != id {
			return fmt.Errorf("lookup by %s gave %s/%s/%d, by name %s/%s/%d", how, n, u, i, w.Name(name), uuid, id)
		}
	}
	return nil
}

func domainHasID(ctx context.Context, name, want string) error {
	return W(ctx).withDomain(name, func(d *libvirt.Domain) error {
		id, err := domainID(d)
		if err != nil {
			return err
		}
		if (want == "no ID") != (id == -1) || (want == "a positive ID" && id <= 0) {
			return fmt.Errorf("domain %q has ID %d, want %s", name, id, want)
		}
		return nil
	})
}

func domainHasTheNoted(ctx context.Context, name, what string) error {
	w := W(ctx)
	return w.withDomain(name, func(d *libvirt.Domain) error {
		if what == "UUID" {
			u, err := d.GetUUIDString()
			if err != nil {
				return err
			}
			if want, ok := w.domainSt().uuids[name]; !ok || u != want {
				return fmt.Errorf("domain %q has UUID %s, noted %q", name, u, want)
			}
			return nil
		}
		id, err := domainID(d)
		if err != nil {
			return err
		}
		if want, ok := w.domainSt().ids[name]; !ok || id != want {
			return fmt.Errorf("domain %q has ID %d, noted %d", name, id, want)
		}
		return nil
	})
}

func domainHasAValidGeneratedUuid(ctx context.Context, name string) error {
	return W(ctx).withDomain(name, func(d *libvirt.Domain) error {
		u, err := d.GetUUIDString()
		if err != nil {
			return err
		}
		if !uuidPattern.MatchString(u) || u == "00000000-0000-0000-0000-000000000000" {
			return fmt.Errorf("domain %q has UUID %q, not a valid non-nil UUID", name, u)
		}
		return nil
	})
}

func infoOfDomainReportsMibOfMaximum(ctx context.Context, name string, maxMiB, memMiB, vcpus int) error {
	return W(ctx).withDomain(name, func(d *libvirt.Domain) error {
		info, err := d.GetInfo()
		if err != nil {
			return err
		}
		if info.MaxMem != uint64(maxMiB)*1024 || info.Memory != uint64(memMiB)*1024 || int(info.NrVirtCpu) != vcpus {
			return fmt.Errorf("domain %q info: max %d KiB, memory %d KiB, %d vCPUs; want %d KiB, %d KiB, %d",
				name, info.MaxMem, info.Memory, info.NrVirtCpu, maxMiB*1024, memMiB*1024, vcpus)
		}
		return nil
	})
}

func givenDefined(ctx context.Context, name, fixture string) error {
	w := W(ctx)
	x, err := w.fixtureXML(name, fixture)
	if err != nil {
		return err
	}
	return w.defineDomain(name, x)
}

func createTransientFrom(ctx context.Context, name, fixture string) error {
	w := W(ctx)
	x, err := w.fixtureXML(name, fixture)
	if err != nil {
		return err
	}
	return w.createTransient(name, x)
}

func givenDomainInState(ctx context.Context, name, state string) error {
	w := W(ctx)
	return w.domainFromFixture(name, "minimal", state, nil)
}

// domainFromFixture defines a domain from a fixture, lets set fill the
// fixture's extra fields, and brings it to state.
func (w *world) domainFromFixture(name, fixture, state string, set func(*fixtures.DomainVars) error) error {
	v := w.domainVars(name)
	if set != nil {
		if err := set(&v); err != nil {
			return err
		}
	}
	x, err := fixtures.Domain(fixture, v)
	if err != nil {
		return err
	}
	if err := w.defineDomain(name, x); err != nil {
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
func lifecycle(w *world, action, name string) error {
	return w.withDomain(name, func(d *libvirt.Domain) error {
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

// domainID returns the domain's ID, or -1 for an inactive domain.
func domainID(d *libvirt.Domain) (int, error) {
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

func checkState(ctx context.Context, name, state, reason string) error {
	w := W(ctx)
	want := map[string]libvirt.DomainState{"running": libvirt.DOMAIN_RUNNING, "paused": libvirt.DOMAIN_PAUSED, "shut off": libvirt.DOMAIN_SHUTOFF}[state]
	st, rs, err := w.waitState(ctx, name, want)
	if err != nil {
		return err
	}
	if st != want {
		return fmt.Errorf("domain %q is %s, want %s", name, describeState(st, rs), state)
	}
	if reason != "" && reasonNames[st][rs] != reason {
		return fmt.Errorf("domain %q is %s, want reason %q", name, describeState(st, rs), reason)
	}
	return nil
}
