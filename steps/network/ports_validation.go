package network

import (
	"context"
	"errors"
	"fmt"

	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
)

func portKeepsBandwidth(ctx context.Context, network string) error {
	return W(ctx).WithNewPort(network, func(_ *libvirt.Network, p *libvirt.NetworkPort) error {
		const average, peak, burst = 1000, 2000, 1024 // KiB/s, KiB/s, KiB
		set := &libvirt.NetworkPortParameters{BandwidthInAverageSet: true, BandwidthInAverage: average,
			BandwidthInPeakSet: true, BandwidthInPeak: peak, BandwidthInBurstSet: true, BandwidthInBurst: burst}
		if err := p.SetParameters(set, 0); err != nil {
			return err
		}
		got, err := p.GetParameters(0)
		if err != nil {
			return err
		}
		if got.BandwidthInAverage != average || got.BandwidthInPeak != peak || got.BandwidthInBurst != burst {
			return fmt.Errorf("the port's inbound bandwidth reads average %d, peak %d, burst %d; want %d, %d, %d",
				got.BandwidthInAverage, got.BandwidthInPeak, got.BandwidthInBurst, average, peak, burst)
		}
		return nil
	})
}

func portFoundByUUID(ctx context.Context, network string) error {
	w := W(ctx)
	return w.WithNewPort(network, func(n *libvirt.Network, p *libvirt.NetworkPort) error {
		raw, err := p.GetUUID()
		if err != nil {
			return err
		}
		id, err := p.GetUUIDString()
		if err != nil {
			return err
		}
		if !stepkit.SameUUIDBytes(raw, id) {
			return fmt.Errorf("the port's UUID bytes %x are not its UUID string %s", raw, id)
		}
		q, err := n.LookupNetworkPortByUUID(raw)
		if err != nil {
			return err
		}
		defer q.Free()
		if got, err := q.GetUUIDString(); err != nil || got != id {
			return fmt.Errorf("looking up port %s by its UUID gives %s (%v)", id, got, err)
		}
		on, err := q.GetNetwork()
		if err != nil {
			return err
		}
		defer on.Free()
		name, err := on.GetName()
		if err != nil || name != w.Name(network) {
			return fmt.Errorf("the port's network is %q (%v), want %q", name, err, w.Name(network))
		}
		netRaw, err := on.GetUUID()
		netID, err2 := on.GetUUIDString()
		if err := errors.Join(err, err2); err != nil || !stepkit.SameUUIDBytes(netRaw, netID) {
			return fmt.Errorf("the network's UUID bytes %x are not its UUID string %s (%v)", netRaw, netID, err)
		}
		return nil
	})
}

func tryToDefineNetworkUnknownElement(ctx context.Context, logical string) error {
	w := W(ctx)
	x, err := w.NetworkDoc(logical, "isolated").Marshal()
	if err != nil {
		return err
	}
	if x, err = stepkit.InsertBefore(x, "</network>", "<ovacts-unknown-element/>"); err != nil {
		return err
	}
	r := harness.Resource{Kind: harness.KindNetwork, Name: w.Name(logical), UUID: w.UUIDFor("network " + logical)}
	return w.Try(w.Tracker.Create(r, func() (string, error) {
		n, err := w.Conn.NetworkDefineXMLFlags(x, libvirt.NETWORK_DEFINE_VALIDATE)
		if err != nil {
			return "", err
		}
		return "", n.Free()
	}))
}

func addNetworkValidated(ctx context.Context, how, logical string) error {
	return W(ctx).AddNetworkWith(logical, "isolated", how != "define", true)
}

func registerPortsValidation(r *stepkit.Registry) {
	r.Step(`^a port created on network "([^"]*)" keeps the inbound bandwidth it is given, read back as set$`, portKeepsBandwidth)
	r.Step(`^a port created on network "([^"]*)" is found by its UUID, on that network, with its UUID as bytes$`, portFoundByUUID)
	r.Step(`^I try to define an isolated network "([^"]*)" with an element the schema does not know, asking libvirt to validate it$`, tryToDefineNetworkUnknownElement)
	r.Step(`^I (define|create transient) isolated network "([^"]*)", asking libvirt to validate it$`, addNetworkValidated)
}
