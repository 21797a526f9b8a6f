package nwfilter

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

func (w *world) filterDoc(logical string) (*libvirtxml.NWFilter, error) {
	var doc libvirtxml.NWFilter
	err := w.WithFilter(logical, func(f *libvirt.NWFilter) error {
		x, err := f.GetXMLDesc(0)
		if err != nil {
			return err
		}
		return doc.Unmarshal(x)
	})
	return &doc, err
}

func lookingUpNetworkFilterByNameAndUUIDGivesTheSameFilter(ctx context.Context, name string) error {
	w := W(ctx)
	return w.WithFilter(name, func(f *libvirt.NWFilter) error {
		u, err := f.GetUUIDString()
		if err != nil {
			return err
		}
		o, err := w.Conn.LookupNWFilterByUUIDString(u)
		if err != nil {
			return fmt.Errorf("lookup by UUID: %w", err)
		}
		defer o.Free()
		if n, err := o.GetName(); err != nil || n != w.Name(name) {
			return fmt.Errorf("lookup by UUID %s gave %q (%v)", u, n, err)
		}
		return nil
	})
}

func xmlOfNetworkFilterKeepsItsAccept(ctx context.Context, name, ref string) error {
	doc, err := W(ctx).filterDoc(name)
	if err != nil {
		return err
	}
	var rules, refs int
	for _, e := range doc.Entries {
		if e.Rule != nil && e.Rule.Action == "accept" && e.Rule.Direction == "out" && e.Rule.All != nil {
			rules++
		}
		if e.Ref != nil && e.Ref.Filter == "clean-traffic" {
			refs++
		}
	}
	if rules != 1 || (ref != "") != (refs == 1) {
		return fmt.Errorf("filter %q: %d accept rules, %d clean-traffic references", name, rules, refs)
	}
	return nil
}

func undefineNetworkFilter(ctx context.Context, name string) error {
	w := W(ctx)
	return w.Try(w.WithFilter(name, func(f *libvirt.NWFilter) error { return f.Undefine() }))
}

func thereIsNoNetworkFilter(ctx context.Context, name string) error {
	w := W(ctx)
	if w.LastErr != nil {
		return fmt.Errorf("undefining failed: %w", w.LastErr)
	}
	return noNetworkFilterDefined(ctx, name)
}

func networkFilterStillExists(ctx context.Context, name string) error {
	return W(ctx).WithFilter(name, func(*libvirt.NWFilter) error { return nil })
}

func nicOfDomainHasAFilterBinding(ctx context.Context, dom, filter string) error {
	w := W(ctx)
	return w.WithNICBinding(dom, func(b *libvirt.NWFilterBinding, dev string) error {
		_, got, err := harness.BindingInfo(b)
		if err != nil {
			return err
		}
		if err := bindingUses(dev, got, w.Name(filter)); err != nil {
			return err
		}
		w.Remember(&w.filterSt().bindings, dom, dev)
		return nil
	})
}

func filterBindingOfDomainIsGone(ctx context.Context, dom string) error {
	w := W(ctx)
	dev, ok := w.filterSt().bindings[dom]
	if !ok {
		return fmt.Errorf("no binding of domain %q was seen", dom)
	}
	b, err := w.Conn.LookupNWFilterBindingByPortDev(dev)
	var name string
	if err == nil {
		_, name, err = harness.BindingInfo(b)
		b.Free()
		if err != nil {
			return fmt.Errorf("reading the binding still on %s: %w", dev, err)
		}
	}
	return bindingGone(dev, err, name, w.Prefix())
}

// bindingUses: FLT-003's binding of dev uses the filter the NIC names.
func bindingUses(dev, got, want string) error {
	if got != want {
		return fmt.Errorf("the binding of %s uses filter %q, want %q", dev, got, want)
	}
	return nil
}

// bindingGone: after the domain's destruction, the lookup of dev's binding
// answers VIR_ERR_NO_NWFILTER_BINDING, or finds a binding that is not the
// run's (the device name reused); a binding to one of the run's filters
// (named with prefix) is still there.
func bindingGone(dev string, lookupErr error, name, prefix string) error {
	switch {
	case lookupErr == nil && strings.HasPrefix(name, prefix):
		return fmt.Errorf("the binding of %s to %s is still there", dev, name)
	case lookupErr == nil:
		return nil
	case !errors.Is(lookupErr, libvirt.ERR_NO_NWFILTER_BINDING):
		return fmt.Errorf("want VIR_ERR_NO_NWFILTER_BINDING: %w", lookupErr)
	}
	return nil
}

func registerNWFilter(r *stepkit.Registry) {
	r.Step(`^looking up network filter "([^"]*)" by name and UUID gives the same filter$`, lookingUpNetworkFilterByNameAndUUIDGivesTheSameFilter)
	r.Step(`^the XML of network filter "([^"]*)" keeps its accept rule( and its reference to "clean-traffic")?$`, xmlOfNetworkFilterKeepsItsAccept)
	r.Step(`^I (?:try to )?undefine network filter "([^"]*)"$`, undefineNetworkFilter)
	r.Step(`^there is no network filter "([^"]*)"$`, thereIsNoNetworkFilter)
	r.Step(`^network filter "([^"]*)" still exists$`, networkFilterStillExists)
	r.Step(`^the NIC of domain "([^"]*)" has a filter binding to "([^"]*)"$`, nicOfDomainHasAFilterBinding)
	r.Step(`^the filter binding of domain "([^"]*)" is gone$`, filterBindingOfDomainIsGone)
}
