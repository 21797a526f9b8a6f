// Virtual networks as every area uses them: a scenario's network gets a
// subnet and a bridge of its own, recorded before it is created; and the
// network steps several areas take. The network area's own steps are in
// steps/network/.

package stepkit

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/ovacts/ovacts/harness"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

func defineAnNetwork(ctx context.Context, mode, name string) error {
	return W(ctx).AddNetwork(name, mode, false)
}

func activeNetwork(ctx context.Context, mode, name string) error {
	w := W(ctx)
	if err := w.AddNetwork(name, mode, false); err != nil {
		return err
	}
	return w.StartNetwork(name)
}

// WithNewPort creates a port on a logical network (createPort) and runs fn
// on the network and the port.
func (w *World) WithNewPort(network string, fn func(n *libvirt.Network, p *libvirt.NetworkPort) error) error {
	return w.WithNetwork(network, func(n *libvirt.Network) error {
		p, err := w.createPort(n)
		if err != nil {
			return err
		}
		defer p.Free()
		return fn(n, p)
	})
}

// createPort creates a port on a network, for an owner of the run, and
// tracks it: the port is deleted at cleanup unless it is gone already. The
// caller frees the handle.
func (w *World) createPort(n *libvirt.Network) (*libvirt.NetworkPort, error) {
	id := harness.NewUUID()
	net, err := n.GetName()
	if err != nil {
		return nil, err
	}
	p, err := n.PortCreateXML(fmt.Sprintf(`<networkport><uuid>%s</uuid><owner><name>%s</name><uuid>%s</uuid></owner><mac address='52:54:00:0a:c7:01'/></networkport>`,
		id, w.Name("port-owner"), harness.NewUUID()), 0)
	if err != nil {
		return nil, err
	}
	w.Tracker.Defer("network port "+id, func() error {
		n, err := w.Conn.LookupNetworkByName(net)
		if err == nil {
			defer n.Free()
			var q *libvirt.NetworkPort
			if q, err = n.LookupNetworkPortByUUIDString(id); err == nil {
				defer q.Free()
				err = q.Delete(0)
			}
		}
		if err != nil && !errors.Is(err, libvirt.ERR_NO_NETWORK_PORT) && !errors.Is(err, libvirt.ERR_NO_NETWORK) {
			return err
		}
		return nil
	})
	return p, nil
}

// Subnet gives each network its own /24 among the 12,800 in 10.200.0.0 to
// 10.249.255.0, picked by hashing its name and how many tries it took: libvirt
// refuses a subnet that is already routed (by another run's network, or the host).
func (w *World) Subnet(logical string) string {
	h := fnv.New32a()
	fmt.Fprintf(h, "%s/%d", w.Name(logical), w.NetworkSt().subnetTries[logical])
	n := h.Sum32() % 12800
	return fmt.Sprintf("10.%d.%d", 200+n/256, n%256)
}

// subnetTaken reports libvirt's refusal of a subnet that is already in use.
func subnetTaken(err error) bool {
	return err != nil && strings.Contains(err.Error(), "already in use by interface")
}

const maxSubnetTries = 8

// bridgeName names a network's bridge after the network's unique name: libvirt's
// own choice (the first free virbrN) races when networks start concurrently
// ("error creating bridge interface virbr1: File exists"). "ov" and 7 base-36
// digits fit the 15 characters a Linux interface name may have.
func (w *World) bridgeName(logical string) string {
	h := fnv.New64a()
	h.Write([]byte(w.Name(logical)))
	d := strconv.FormatUint(h.Sum64()%78364164096, 36) // 36^7
	return "ov" + strings.Repeat("0", 7-len(d)) + d
}

func (w *World) NetworkDoc(logical, mode string) *libvirtxml.Network {
	sn := w.Subnet(logical)
	n := &libvirtxml.Network{Name: w.Name(logical), UUID: w.UUIDFor("network " + logical), Bridge: &libvirtxml.NetworkBridge{Name: w.bridgeName(logical)},
		IPs: []libvirtxml.NetworkIP{{Address: sn + ".1", Netmask: "255.255.255.0",
			DHCP: &libvirtxml.NetworkDHCP{Ranges: []libvirtxml.NetworkDHCPRange{{Start: sn + ".100", End: sn + ".199"}}}}}}
	if mode == "NAT" {
		n.Forward = &libvirtxml.NetworkForward{Mode: "nat"}
	}
	return n
}

func (w *World) WithNetwork(logical string, fn func(n *libvirt.Network) error) error {
	n, err := w.Conn.LookupNetworkByName(w.Name(logical))
	if err != nil {
		return fmt.Errorf("looking up network %q: %w", logical, err)
	}
	defer n.Free()
	return fn(n)
}

func (w *World) AddNetwork(logical, mode string, transient bool) error {
	return w.AddNetworkWith(logical, mode, transient, false)
}

// AddNetworkWith is addNetwork, asking libvirt to validate the XML against
// its schema when validate is set.
func (w *World) AddNetworkWith(logical, mode string, transient, validate bool) error {
	var x string
	var n *libvirt.Network
	err := w.Tracker.Create(harness.Resource{Kind: harness.KindNetwork, Name: w.Name(logical), UUID: w.UUIDFor("network " + logical)}, func() (string, error) {
		return "", w.createNetwork(logical, mode, transient, validate, &x, &n)
	})
	if err != nil {
		return fmt.Errorf("creating %s network %q: %w", mode, logical, err)
	}
	w.Remember(&w.NetworkSt().SentXML, logical, x)
	w.Remember(&w.NetworkSt().modes, logical, mode)
	return n.Free()
}

// createNetwork defines or starts a network, on another subnet when the
// stack says the first one is in use.
func (w *World) createNetwork(logical, mode string, transient, validate bool, x *string, n **libvirt.Network) (err error) {
	for try := 0; ; try++ {
		if *x, err = w.NetworkDoc(logical, mode).Marshal(); err != nil {
			return err
		}
		switch {
		case !transient && validate:
			*n, err = w.Conn.NetworkDefineXMLFlags(*x, libvirt.NETWORK_DEFINE_VALIDATE)
			return err
		case !transient:
			*n, err = w.Conn.NetworkDefineXML(*x)
			return err
		case validate:
			*n, err = w.Conn.NetworkCreateXMLFlags(*x, libvirt.NETWORK_CREATE_VALIDATE)
		default:
			*n, err = w.Conn.NetworkCreateXML(*x)
		}
		if !subnetTaken(err) || try == maxSubnetTries {
			return err
		}
		w.nextSubnet(logical)
	}
}

func (w *World) nextSubnet(logical string) {
	if w.NetworkSt().subnetTries == nil {
		w.NetworkSt().subnetTries = map[string]int{}
	}
	w.NetworkSt().subnetTries[logical]++
}

// StartNetwork starts a network and notes its bridge, which must be gone after it stops.
func (w *World) StartNetwork(logical string) error {
	return w.WithNetwork(logical, func(n *libvirt.Network) error {
		err := n.Create()
		for try := 0; subnetTaken(err) && try < maxSubnetTries; try++ {
			// Move the definition to the next candidate subnet and start again.
			// Same UUID, so the define updates this network rather than making another.
			w.nextSubnet(logical)
			doc := w.NetworkDoc(logical, w.NetworkSt().modes[logical])
			u, uerr := n.GetUUIDString()
			if uerr != nil {
				return uerr
			}
			doc.UUID = u
			x, merr := doc.Marshal()
			if merr != nil {
				return merr
			}
			m, derr := w.Conn.NetworkDefineXML(x)
			if derr != nil {
				return fmt.Errorf("moving network %q to another subnet: %w", logical, derr)
			}
			m.Free()
			w.Remember(&w.NetworkSt().SentXML, logical, x)
			err = n.Create()
		}
		if err != nil {
			return fmt.Errorf("starting network %q: %w", logical, err)
		}
		// Best effort: drivers that make no host bridge (the test driver) have
		// no name to give; only the scenarios that need the host look at it.
		if br, err := n.GetBridgeName(); err == nil {
			w.Remember(&w.NetworkSt().Bridges, logical, br)
		}
		return nil
	})
}

func registerNetworks(r *Registry) {
	r.Step(`^I define an? (isolated|NAT) network "([^"]*)"$`, defineAnNetwork)
	r.Step(`^an active (isolated|NAT) network "([^"]*)"$`, activeNetwork)
}
