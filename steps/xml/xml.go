package xml

import (
	"context"
	"fmt"
	"strings"

	"github.com/cucumber/godog"
	"github.com/google/go-cmp/cmp"
	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
)

func inactiveXmlOfDomainKeepsEveryField(ctx context.Context, name, exceptTitle string) error {
	w := W(ctx)
	sent, ok := w.DomainSt().SentXML[name]
	if !ok {
		return fmt.Errorf("domain %q was not defined from a fixture in this scenario", name)
	}
	want, err := stepkit.ParseDomain(sent)
	if err != nil {
		return err
	}
	if exceptTitle != "" {
		want.Title = "" // changed on purpose by the scenario
	}
	got, _, err := w.DomainXML(name, libvirt.DOMAIN_XML_INACTIVE)
	if err != nil {
		return err
	}
	if diff := cmp.Diff(want, got, stepkit.UserSetOptions); diff != "" {
		return fmt.Errorf("the stack changed fields the user set (-sent +returned):\n%s", diff)
	}
	return nil
}

func xmlOfDomain(ctx context.Context, which, name, want string) error {
	w := W(ctx)
	flags := libvirt.DomainXMLFlags(0)
	if which == "inactive" {
		flags = libvirt.DOMAIN_XML_INACTIVE
	}
	doc, _, err := w.DomainXML(name, flags)
	if err != nil {
		return err
	}
	var id int
	if err := w.WithDomain(name, func(d *libvirt.Domain) error { id, err = stepkit.DomainID(d); return err }); err != nil {
		return err
	}
	switch {
	case want == "carries no ID" && doc.ID != nil && *doc.ID != -1:
		return fmt.Errorf("the %s XML carries id=%d", which, *doc.ID)
	case want == "carries its ID" && (doc.ID == nil || *doc.ID != id):
		return fmt.Errorf("the %s XML carries id %v, GetID says %d", which, doc.ID, id)
	}
	return nil
}

func redefineDomainWithTheTitle(ctx context.Context, name, title string) error {
	w := W(ctx)
	doc, _, err := w.DomainXML(name, libvirt.DOMAIN_XML_INACTIVE)
	if err != nil {
		return err
	}
	doc.Title = title
	x, err := doc.Marshal()
	if err != nil {
		return err
	}
	d, err := w.Conn.DomainDefineXML(x)
	if err != nil {
		return fmt.Errorf("redefining domain %q: %w", name, err)
	}
	d.Free()
	return nil
}

func domainHasTheTitle(ctx context.Context, name, title string) error {
	w := W(ctx)
	doc, _, err := w.DomainXML(name, libvirt.DOMAIN_XML_INACTIVE)
	if err != nil {
		return err
	}
	if doc.Title != title {
		return fmt.Errorf("domain %q XML has title %q, want %q", name, doc.Title, title)
	}
	var got string
	if err := w.WithDomain(name, func(d *libvirt.Domain) error {
		got, err = d.GetMetadata(libvirt.DOMAIN_METADATA_TITLE, "", libvirt.DOMAIN_AFFECT_CONFIG)
		return err
	}); err != nil {
		return err
	}
	if got != title {
		return fmt.Errorf("GetMetadata(title) of %q is %q, want %q", name, got, title)
	}
	return nil
}

func setTheFieldOfDomainThroughTheMetadataAPI(ctx context.Context, what, name, text string) error {
	typ := libvirt.DOMAIN_METADATA_TITLE
	if what == "description" {
		typ = libvirt.DOMAIN_METADATA_DESCRIPTION
	}
	return W(ctx).WithDomain(name, func(d *libvirt.Domain) error {
		return d.SetMetadata(typ, text, "", "", libvirt.DOMAIN_AFFECT_CONFIG)
	})
}

func setMetadataUnderKeyInNamespaceOnDomain(ctx context.Context, xml, key, ns, name string) error {
	return W(ctx).WithDomain(name, func(d *libvirt.Domain) error {
		return d.SetMetadata(libvirt.DOMAIN_METADATA_ELEMENT, xml, key, ns, libvirt.DOMAIN_AFFECT_CONFIG)
	})
}

func domainReturnsMetadataForNamespace(ctx context.Context, name, want, ns string) error {
	return W(ctx).WithDomain(name, func(d *libvirt.Domain) error {
		got, err := d.GetMetadata(libvirt.DOMAIN_METADATA_ELEMENT, ns, libvirt.DOMAIN_AFFECT_CONFIG)
		if err != nil {
			return err
		}
		if strings.TrimSpace(got) != want {
			return fmt.Errorf("metadata for %s is %q, want %q", ns, got, want)
		}
		return nil
	})
}

func redefiningDomainFromItsOwnInactiveXMLChangesNothing(ctx context.Context, name string) error {
	w := W(ctx)
	before, x, err := w.DomainXML(name, libvirt.DOMAIN_XML_INACTIVE)
	if err != nil {
		return err
	}
	d, err := w.Conn.DomainDefineXML(x)
	if err != nil {
		return fmt.Errorf("the stack refused its own XML: %w", err)
	}
	d.Free()
	after, _, err := w.DomainXML(name, libvirt.DOMAIN_XML_INACTIVE)
	if err != nil {
		return err
	}
	if diff := cmp.Diff(before, after); diff != "" {
		return fmt.Errorf("redefining from the returned XML changed it (-before +after):\n%s", diff)
	}
	return nil
}

func tryToDefineADomainFromThisXML(ctx context.Context, doc *godog.DocString) error {
	w := W(ctx)
	x := strings.NewReplacer("{name}", w.Name("bad"), "{type}", w.Caps.DomainType, "{arch}", w.Caps.GuestArch).Replace(doc.Content)
	// Recorded first: if the stack accepts it against the requirement, it
	// is ours to remove all the same.
	d, err := w.Tracker.CreateDomain(w.Name("bad"), stepkit.UUIDOf(x), x, false)
	if err != nil {
		return w.Try(err)
	}
	defer d.Free()
	// Accepted under another name: only a name of this run is ours, and only
	// with the UUID it has now.
	if n, nerr := d.GetName(); nerr == nil && n != w.Name("bad") && strings.HasPrefix(n, w.Prefix()) {
		if u, uerr := d.GetUUIDString(); uerr == nil {
			if err := w.Tracker.Add(harness.Resource{Kind: harness.KindDomain, Name: n, UUID: u}); err != nil {
				return err
			}
		}
	}
	return w.Try(nil)
}

func registerXML(r *stepkit.Registry) {
	r.Step(`^the inactive XML of domain "([^"]*)" keeps every field the fixture set( except the title)?$`, inactiveXmlOfDomainKeepsEveryField)
	r.Step(`^the (live|inactive) XML of domain "([^"]*)" (carries its ID|carries no ID)$`, xmlOfDomain)
	r.Step(`^I redefine domain "([^"]*)" with the title "([^"]*)"$`, redefineDomainWithTheTitle)
	r.Step(`^domain "([^"]*)" has the title "([^"]*)"$`, domainHasTheTitle)
	r.Step(`^I set the (title|description) of domain "([^"]*)" to "([^"]*)" through the metadata API$`, setTheFieldOfDomainThroughTheMetadataAPI)
	r.Step(`^I set metadata "([^"]*)" under key "([^"]*)" in namespace "([^"]*)" on domain "([^"]*)"$`, setMetadataUnderKeyInNamespaceOnDomain)
	r.Step(`^domain "([^"]*)" returns metadata "([^"]*)" for namespace "([^"]*)"$`, domainReturnsMetadataForNamespace)
	r.Step(`^redefining domain "([^"]*)" from its own inactive XML changes nothing$`, redefiningDomainFromItsOwnInactiveXMLChangesNothing)
	r.Step(`^I try to define a domain from this XML:$`, tryToDefineADomainFromThisXML)
}
