package domain

import (
	"context"
	"fmt"

	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

func defineDomainFromFixtureWithoutAUuid(ctx context.Context, name, fixture string) error {
	w := W(ctx)
	x, err := w.FixtureXML(name, fixture)
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
	return w.DefineDomain(name, x)
}

func tryToDefineDomainAgainWithADifferentUUID(ctx context.Context, name string) error {
	w := W(ctx)
	x, err := w.FixtureXML(name, "minimal") // a fresh random UUID
	if err != nil {
		return err
	}
	// Recorded with its own UUID: if the stack accepts it against the
	// requirement, it is ours to remove.
	d, err := w.Tracker.CreateDomain(w.Name(name), stepkit.UUIDOf(x), x, false)
	if err == nil {
		d.Free()
	}
	return w.Try(err)
}

func renameDomainTo(ctx context.Context, from, to string) error {
	w := W(ctx)
	return w.WithDomain(from, func(d *libvirt.Domain) error {
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

func setTheMemoryOfDomainInItsConfiguration(ctx context.Context, name string, mib int) error {
	return W(ctx).WithDomain(name, func(d *libvirt.Domain) error {
		return d.SetMemoryFlags(uint64(mib)*1024, libvirt.DOMAIN_MEM_CONFIG)
	})
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

func lookingUpDomainByNameUUIDAndIDGivesTheSameDomain(ctx context.Context, name string) error {
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
	id, err := stepkit.DomainID(byName)
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
		i, err := stepkit.DomainID(d)
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
	return W(ctx).WithDomain(name, func(d *libvirt.Domain) error {
		id, err := stepkit.DomainID(d)
		if err != nil {
			return err
		}
		if (want == "no ID") != (id == -1) || (want == "a positive ID" && id <= 0) {
			return fmt.Errorf("domain %q has ID %d, want %s", name, id, want)
		}
		return nil
	})
}

func domainHasAValidGeneratedUuid(ctx context.Context, name string) error {
	return W(ctx).WithDomain(name, func(d *libvirt.Domain) error {
		u, err := d.GetUUIDString()
		if err != nil {
			return err
		}
		if !stepkit.UUIDPattern.MatchString(u) || u == "00000000-0000-0000-0000-000000000000" {
			return fmt.Errorf("domain %q has UUID %q, not a valid non-nil UUID", name, u)
		}
		return nil
	})
}

func infoOfDomainReportsMibOfMaximum(ctx context.Context, name string, maxMiB, memMiB, vcpus int) error {
	return W(ctx).WithDomain(name, func(d *libvirt.Domain) error {
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

func registerDomain(r *stepkit.Registry) {
	r.Step(`^I define domain "([^"]*)" from fixture "([^"]*)" without a UUID$`, defineDomainFromFixtureWithoutAUuid)
	r.Step(`^I try to define domain "([^"]*)" again with a different UUID$`, tryToDefineDomainAgainWithADifferentUUID)
	r.Step(`^I rename domain "([^"]*)" to "([^"]*)"$`, renameDomainTo)
	r.Step(`^I set the memory of domain "([^"]*)" to (\d+) MiB in its configuration$`, setTheMemoryOfDomainInItsConfiguration)
	r.Step(`^the (active|inactive|persistent|transient|autostart|running|paused|shut off) domain list (includes|excludes) "([^"]*)"$`, domainList)
	r.Step(`^looking up domain "([^"]*)" by name, UUID and ID gives the same domain$`, lookingUpDomainByNameUUIDAndIDGivesTheSameDomain)
	r.Step(`^domain "([^"]*)" has (a positive ID|no ID)$`, domainHasID)
	r.Step(`^domain "([^"]*)" has a valid generated UUID$`, domainHasAValidGeneratedUuid)
	r.Step(`^the info of domain "([^"]*)" reports (\d+) MiB of maximum memory, (\d+) MiB of memory and (\d+) vCPUs?$`, infoOfDomainReportsMibOfMaximum)
}
