// A NIC's bandwidth changed live (features/tuning), and the older scheduler
// calls agreeing with the current ones.

package tuning

import (
	"context"
	"fmt"

	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
)

func limitNICBandwidthLive(ctx context.Context, dom string, kibs uint) error {
	w := W(ctx)
	dev, err := w.NICDevice(dom)
	if err != nil {
		return err
	}
	return w.WithDomain(dom, func(d *libvirt.Domain) error {
		return d.SetInterfaceParameters(dev, &libvirt.DomainInterfaceParameters{BandwidthInAverageSet: true, BandwidthInAverage: kibs},
			libvirt.DOMAIN_AFFECT_LIVE)
	})
}

func nicHasBandwidth(ctx context.Context, dom string, kibs int) error {
	w := W(ctx)
	dev, err := w.NICDevice(dom)
	if err != nil {
		return err
	}
	err = w.WithDomain(dom, func(d *libvirt.Domain) error {
		p, err := d.GetInterfaceParameters(dev, libvirt.DOMAIN_AFFECT_LIVE)
		if err != nil {
			return err
		}
		if !p.BandwidthInAverageSet || p.BandwidthInAverage != uint(kibs) {
			return fmt.Errorf("the call gives the NIC %s an inbound average of %d KiB/s, want %d", dev, p.BandwidthInAverage, kibs)
		}
		return nil
	})
	if err != nil {
		return err
	}
	doc, _, err := w.DomainXML(dom, 0)
	if err != nil {
		return err
	}
	if doc.Devices != nil {
		for _, n := range doc.Devices.Interfaces {
			if n.Target == nil || n.Target.Dev != dev {
				continue
			}
			if b := n.Bandwidth; b != nil && b.Inbound != nil && b.Inbound.Average != nil && *b.Inbound.Average == kibs {
				return nil
			}
			return fmt.Errorf("the live XML gives the NIC %s the bandwidth %+v, want an inbound average of %d KiB/s", dev, n.Bandwidth, kibs)
		}
	}
	return fmt.Errorf("the live XML of %q has no NIC %s", dom, dev)
}

func olderSchedulerCallAnswersShares(ctx context.Context, dom string) error {
	return W(ctx).WithDomain(dom, func(d *libvirt.Domain) error {
		p, err := d.GetSchedulerParameters()
		if err != nil {
			return err
		}
		if !p.CpuSharesSet || p.CpuShares != cpuShares {
			return fmt.Errorf("the older scheduler call answers cpu_shares %d (set: %v), want %d", p.CpuShares, p.CpuSharesSet, cpuShares)
		}
		return nil
	})
}

func registerBandwidth(r *stepkit.Registry) {
	r.Step(`^I limit the inbound bandwidth of the NIC of domain "([^"]*)" to (\d+) KiB/s live$`, limitNICBandwidthLive)
	r.Step(`^the NIC of domain "([^"]*)" has an inbound bandwidth of (\d+) KiB/s, in the call and in its live XML$`, nicHasBandwidth)
	r.Step(`^the older scheduler call of domain "([^"]*)" answers the CPU shares it was given$`, olderSchedulerCallAnswersShares)
}
