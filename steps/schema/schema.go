// The XML interface contract (features/schema/schema.feature): every XML
// document the stack emits validates against libvirt's own RELAX NG schemas,
// and a definition validated against them is refused when it does not.

package schema

import (
	"context"
	"errors"
	"fmt"

	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
)

func validates(ctx context.Context, schema, doc string, err error) error {
	if err != nil {
		return err
	}
	return harness.ValidateXML(ctx, schema, doc)
}

func hostDocumentValidates(ctx context.Context, which string) error {
	w := W(ctx)
	switch which {
	case "host capabilities":
		x, err := w.Conn.GetCapabilities()
		return validates(ctx, "capability", x, err)
	case "domain capabilities":
		x, err := w.Conn.GetDomainCapabilities("", w.Caps.GuestArch, "", w.Caps.DomainType, 0)
		return validates(ctx, "domaincaps", x, err)
	}
	x, err := w.Conn.GetStoragePoolCapabilities(0)
	return validates(ctx, "storagepoolcaps", x, err)
}

func domainXMLValidates(ctx context.Context, which, dom string) error {
	flags := map[string]libvirt.DomainXMLFlags{
		"inactive":   libvirt.DOMAIN_XML_INACTIVE,
		"live":       0,
		"migratable": libvirt.DOMAIN_XML_MIGRATABLE,
	}[which]
	return W(ctx).WithDomain(dom, func(d *libvirt.Domain) error {
		if which == "live" {
			if on, err := d.IsActive(); err != nil || !on {
				return fmt.Errorf("domain %q is not running, it has no live XML (%v)", dom, err)
			}
		}
		x, err := d.GetXMLDesc(flags)
		return validates(ctx, "domain", x, err)
	})
}

func objectXMLValidates(ctx context.Context, kind, name string) error {
	w := W(ctx)
	switch kind {
	case "network":
		return w.WithNetwork(name, func(n *libvirt.Network) error {
			x, err := n.GetXMLDesc(0)
			return validates(ctx, "network", x, err)
		})
	case "storage pool":
		return w.WithPool(name, func(p *libvirt.StoragePool) error {
			x, err := p.GetXMLDesc(0)
			return validates(ctx, "storagepool", x, err)
		})
	case "secret":
		return w.WithSecret(name, func(s *libvirt.Secret) error {
			x, err := s.GetXMLDesc(0)
			return validates(ctx, "secret", x, err)
		})
	}
	return w.WithFilter(name, func(f *libvirt.NWFilter) error {
		x, err := f.GetXMLDesc(0)
		return validates(ctx, "nwfilter", x, err)
	})
}

func volumeXMLValidates(ctx context.Context, vol, pool string) error {
	return W(ctx).WithVolume(vol, pool, func(v *libvirt.StorageVol) error {
		x, err := v.GetXMLDesc(0)
		return validates(ctx, "storagevol", x, err)
	})
}

func domainChildXMLValidates(ctx context.Context, kind, name, dom string) error {
	w := W(ctx)
	if kind == "snapshot" {
		return w.WithSnapshot(dom, name, func(s *libvirt.DomainSnapshot) error {
			x, err := s.GetXMLDesc(0)
			return validates(ctx, "domainsnapshot", x, err)
		})
	}
	return w.WithDomain(dom, func(d *libvirt.Domain) error {
		c, err := d.CheckpointLookupByName(name, 0)
		if err != nil {
			return fmt.Errorf("looking up checkpoint %q of %q: %w", name, dom, err)
		}
		defer c.Free()
		x, err := c.GetXMLDesc(0)
		return validates(ctx, "domaincheckpoint", x, err)
	})
}

// everyHostObjectXMLValidates validates each node device's or host
// interface's XML; a host with none of them has nothing to show.
func everyHostObjectXMLValidates(ctx context.Context, kind string) error {
	w := W(ctx)
	var docs, names []string
	if kind == "node device" {
		devs, err := w.Conn.ListAllNodeDevices(0)
		if err != nil {
			return err
		}
		for i := range devs {
			n, _ := devs[i].GetName()
			x, e := devs[i].GetXMLDesc(0)
			err = errors.Join(err, e)
			docs, names = append(docs, x), append(names, n)
			devs[i].Free()
		}
		if err != nil {
			return err
		}
	} else {
		ifs, err := w.Conn.ListAllInterfaces(0)
		if err != nil {
			return err
		}
		for i := range ifs {
			n, _ := ifs[i].GetName()
			x, e := ifs[i].GetXMLDesc(0)
			err = errors.Join(err, e)
			docs, names = append(docs, x), append(names, n)
			ifs[i].Free()
		}
		if err != nil {
			return err
		}
	}
	if len(docs) == 0 {
		return harness.NotApplicable("the stack lists no %s to validate", kind)
	}
	schema := map[string]string{"node device": "nodedev", "host interface": "interface"}[kind]
	for i, x := range docs {
		if err := harness.ValidateXML(ctx, schema, x); err != nil {
			return fmt.Errorf("%s %q: %w", kind, names[i], err)
		}
	}
	return nil
}

func filterBindingXMLValidates(ctx context.Context, dom string) error {
	return W(ctx).WithNICBinding(dom, func(b *libvirt.NWFilterBinding, _ string) error {
		x, err := b.GetXMLDesc(0)
		return validates(ctx, "nwfilterbinding", x, err)
	})
}

func networkPortXMLValidates(ctx context.Context, name string) error {
	return W(ctx).WithNewPort(name, func(_ *libvirt.Network, p *libvirt.NetworkPort) error {
		x, err := p.GetXMLDesc(0)
		return validates(ctx, "networkport", x, err)
	})
}

func backupXMLValidates(ctx context.Context, dom string) error {
	return W(ctx).WithDomain(dom, func(d *libvirt.Domain) error {
		x, err := d.BackupGetXMLDesc(0)
		return validates(ctx, "domainbackup", x, err)
	})
}

// A domain XML with an element outside the schema: a definition that asks
// libvirt to validate it must be refused as VIR_ERR_XML_INVALID_SCHEMA (the
// same XML without validation is accepted: libvirt ignores unknown elements).
func tryToDefineDomainWithUnknownElement(ctx context.Context, name string) error {
	w := W(ctx)
	x, err := w.FixtureXML(name, "minimal")
	if err != nil {
		return err
	}
	x, err = stepkit.InsertBefore(x, "</domain>", "<ovacts-unknown-element/>")
	if err != nil {
		return err
	}
	return w.Try(w.defineValidated(name, x))
}

func defineDomainValidated(ctx context.Context, name, fixture string) error {
	w := W(ctx)
	x, err := w.FixtureXML(name, fixture)
	if err != nil {
		return err
	}
	return w.defineValidated(name, x)
}

// defineValidated defines a domain with VIR_DOMAIN_DEFINE_VALIDATE, recorded
// in the ledger first: a stack that accepts what it should refuse leaves an
// object that is the run's to remove.
func (w *world) defineValidated(name, x string) error {
	r := harness.Resource{Kind: harness.KindDomain, Name: w.Name(name), UUID: stepkit.UUIDOf(x)}
	return w.Tracker.Create(r, func() (string, error) {
		d, err := w.Conn.DomainDefineXMLFlags(x, libvirt.DOMAIN_DEFINE_VALIDATE)
		if err != nil {
			return "", err
		}
		defer d.Free()
		w.Remember(&w.DomainSt().SentXML, name, x)
		return "", w.Own(d)
	})
}

func registerSchema(r *stepkit.Registry) {
	r.Step(`^the (host capabilities|domain capabilities|storage pool capabilities) XML validates against libvirt's schema$`, hostDocumentValidates)
	r.Step(`^the (inactive|live|migratable) XML of domain "([^"]*)" validates against libvirt's schema$`, domainXMLValidates)
	r.Step(`^the XML of (network|storage pool|secret|network filter) "([^"]*)" validates against libvirt's schema$`, objectXMLValidates)
	r.Step(`^the XML of volume "([^"]*)" in pool "([^"]*)" validates against libvirt's schema$`, volumeXMLValidates)
	r.Step(`^the XML of (snapshot|checkpoint) "([^"]*)" of domain "([^"]*)" validates against libvirt's schema$`, domainChildXMLValidates)
	r.Step(`^the XML of every (node device|host interface) validates against libvirt's schema$`, everyHostObjectXMLValidates)
	r.Step(`^the XML of the filter binding of domain "([^"]*)"'s NIC validates against libvirt's schema$`, filterBindingXMLValidates)
	r.Step(`^the XML of a port created on network "([^"]*)" validates against libvirt's schema$`, networkPortXMLValidates)
	r.Step(`^the backup XML of domain "([^"]*)" validates against libvirt's schema$`, backupXMLValidates)
	r.Step(`^I try to define domain "([^"]*)" with an element the schema does not know, asking libvirt to validate it$`, tryToDefineDomainWithUnknownElement)
	r.Step(`^I define domain "([^"]*)" from fixture "([^"]*)", asking libvirt to validate it$`, defineDomainValidated)
}
