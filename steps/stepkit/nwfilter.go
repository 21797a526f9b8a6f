package stepkit

import (
	"context"
	"fmt"

	"github.com/ovacts/ovacts/harness"
	"libvirt.org/go/libvirt"
)

func (w *World) WithFilter(logical string, fn func(f *libvirt.NWFilter) error) error {
	f, err := w.Conn.LookupNWFilterByName(w.Name(logical))
	if err != nil {
		return fmt.Errorf("looking up network filter %q: %w", logical, err)
	}
	defer f.Free()
	return fn(f)
}

func defineNetworkFilter(ctx context.Context, name, ref string) error {
	w := W(ctx)
	body := `<rule action='accept' direction='out' priority='500'><all/></rule>`
	if ref != "" {
		body = `<filterref filter='clean-traffic'/>` + body
	}
	uuid := w.UUIDFor("nwfilter " + name)
	err := w.Tracker.Create(harness.Resource{Kind: harness.KindNWFilter, Name: w.Name(name), UUID: uuid}, func() (string, error) {
		f, err := w.Conn.NWFilterDefineXML(fmt.Sprintf(`<filter name='%s' chain='root'><uuid>%s</uuid>%s</filter>`, w.Name(name), uuid, body))
		if err != nil {
			return "", err
		}
		return "", f.Free()
	})
	if err != nil {
		return fmt.Errorf("defining network filter %q: %w", name, err)
	}
	return nil
}

// WithNICBinding runs fn on the filter binding of a domain's NIC.
func (w *World) WithNICBinding(dom string, fn func(b *libvirt.NWFilterBinding, dev string) error) error {
	dev, err := w.NICDevice(dom)
	if err != nil {
		return err
	}
	b, err := w.Conn.LookupNWFilterBindingByPortDev(dev)
	if err != nil {
		return fmt.Errorf("binding for %s: %w", dev, err)
	}
	defer b.Free()
	return fn(b, dev)
}

func registerNWFilter(r *Registry) {
	r.Step(`^I define network filter "([^"]*)"( referencing "clean-traffic")?$`, defineNetworkFilter)
}
