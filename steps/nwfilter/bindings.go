package nwfilter

import (
	"context"
	"errors"
	"fmt"

	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
)

func tryToDefineFilterUnknownElement(ctx context.Context, logical string) error {
	w := W(ctx)
	x := fmt.Sprintf(`<filter name='%s' chain='root'><uuid>%s</uuid><rule action='accept' direction='out'><all/></rule><ovacts-unknown-element/></filter>`,
		harness.XMLEscape(w.Name(logical)), w.UUIDFor("filter "+logical))
	r := harness.Resource{Kind: harness.KindNWFilter, Name: w.Name(logical), UUID: w.UUIDFor("filter " + logical)}
	return w.Try(w.Tracker.Create(r, func() (string, error) {
		f, err := w.Conn.NWFilterDefineXMLFlags(x, libvirt.NWFILTER_DEFINE_VALIDATE)
		if err != nil {
			return "", err
		}
		return "", f.Free()
	}))
}

func noNetworkFilterDefined(ctx context.Context, name string) error {
	w := W(ctx)
	f, err := w.Conn.LookupNWFilterByName(w.Name(name))
	if err == nil {
		f.Free()
		return fmt.Errorf("network filter %q exists", name)
	}
	if !errors.Is(err, libvirt.ERR_NO_NWFILTER) {
		return fmt.Errorf("want VIR_ERR_NO_NWFILTER: %w", err)
	}
	return nil
}

func bindingsListHoldsNIC(ctx context.Context, dom, filter string) error {
	w := W(ctx)
	dev, err := w.NICDevice(dom)
	if err != nil {
		return err
	}
	all, err := w.Conn.ListAllNWFilterBindings(0)
	if err != nil {
		return err
	}
	// Read from the binding's XML: the Go binding's GetPortDev and
	// GetFilterName free strings the binding owns (docs/findings.md).
	found := false
	for i := range all {
		port, name, e := harness.BindingInfo(&all[i])
		err = errors.Join(err, e)
		if port == dev {
			if name != w.Name(filter) {
				err = errors.Join(err, fmt.Errorf("the binding of %s names filter %q, want %q", dev, name, w.Name(filter)))
			}
			found = true
		}
		all[i].Free()
	}
	if err == nil && !found {
		err = fmt.Errorf("the list of all filter bindings (%d) holds none of %s", len(all), dev)
	}
	return err
}

func registerBindings(r *stepkit.Registry) {
	r.Step(`^I try to define network filter "([^"]*)" with an element the schema does not know, asking libvirt to validate it$`, tryToDefineFilterUnknownElement)
	r.Step(`^no network filter "([^"]*)" was defined$`, noNetworkFilterDefined)
	r.Step(`^the list of all filter bindings holds the binding of domain "([^"]*)"'s NIC, naming filter "([^"]*)" and its host device$`, bindingsListHoldsNIC)
}
