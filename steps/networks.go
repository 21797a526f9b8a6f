// Virtual networks as every area uses them: a scenario's network gets a
// subnet and a bridge of its own, recorded before it is created. The network
// area's steps are in network.go.

package steps

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/ovacts/ovacts/harness"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// subnet gives each network its own /24 among the 12,800 in 10.200.0.0 to
// 10.249.255.0, picked by hashing its name and how many tries it took: libvirt
// refuses a subnet that is already routed (by another run's network, or the host).
func (w *world) subnet(logical string) string {
	h := fnv.New32a()
	fmt.Fprintf(h, "%s/%d", w.Name(logical), w.networkSt().subnetTries[logical])
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
func (w *world) bridgeName(logical string) string {
	h := fnv.New64a()
	h.Write([]byte(w.Name(logical)))
	d := strconv.FormatUint(h.Sum64()%78364164096, 36) // 36^7
	return "ov" + strings.Repeat("0", 7-len(d)) + d
}

func (w *world) networkDoc(logical, mode string) *libvirtxml.Network {
	sn := w.subnet(logical)
	n := &libvirtxml.Network{Name: w.Name(logical), UUID: w.uuidFor("network " + logical), Bridge: &libvirtxml.NetworkBridge{Name: w.bridgeName(logical)},
		IPs: []libvirtxml.NetworkIP{{Address: sn + ".1", Netmask: "255.255.255.0",
			DHCP: &libvirtxml.NetworkDHCP{Ranges: []libvirtxml.NetworkDHCPRange{{Start: sn + ".100", End: sn + ".199"}}}}}}
	if mode == "NAT" {
		n.Forward = &libvirtxml.NetworkForward{Mode: "nat"}
	}
	return n
}

func (w *world) withNetwork(logical string, fn func(n *libvirt.Network) error) error {
	n, err := w.Conn.LookupNetworkByName(w.Name(logical))
	if err != nil {
		return fmt.Errorf("looking up network %q: %w", logical, err)
	}
	defer n.Free()
	return fn(n)
}

func (w *world) addNetwork(logical, mode string, transient bool) error {
	return w.addNetworkWith(logical, mode, transient, false)
}

// addNetworkWith is addNetwork, asking libvirt to validate the XML against
// its schema when validate is set.
func (w *world) addNetworkWith(logical, mode string, transient, validate bool) error {
	var x string
	var n *libvirt.Network
	err := w.Tracker.Create(harness.Resource{Kind: harness.KindNetwork, Name: w.Name(logical), UUID: w.uuidFor("network " + logical)}, func() (string, error) {
		return "", w.createNetwork(logical, mode, transient, validate, &x, &n)
	})
	if err != nil {
		return fmt.Errorf("creating %s network %q: %w", mode, logical, err)
	}
	w.remember(&w.networkSt().sentXML, logical, x)
	w.remember(&w.networkSt().modes, logical, mode)
	return n.Free()
}

// createNetwork defines or starts a network, on another subnet when the
// stack says the first one is in use.
func (w *world) createNetwork(logical, mode string, transient, validate bool, x *string, n **libvirt.Network) (err error) {
	for try := 0; ; try++ {
		if *x, err = w.networkDoc(logical, mode).Marshal(); err != nil {
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

func (w *world) nextSubnet(logical string) {
	if w.networkSt().subnetTries == nil {
		w.networkSt().subnetTries = map[string]int{}
	}
	w.networkSt().subnetTries[logical]++
}

func (w *world) networkXML(logical string, flags libvirt.NetworkXMLFlags) (*libvirtxml.Network, error) {
	var doc libvirtxml.Network
	err := w.withNetwork(logical, func(n *libvirt.Network) error {
		x, err := n.GetXMLDesc(flags)
		if err != nil {
			return err
		}
		return doc.Unmarshal(x)
	})
	return &doc, err
}

// startNetwork starts a network and notes its bridge, which must be gone after it stops.
func (w *world) startNetwork(logical string) error {
	return w.withNetwork(logical, func(n *libvirt.Network) error {
		err := n.Create()
		for try := 0; subnetTaken(err) && try < maxSubnetTries; try++ {
			// Move the definition to the next candidate subnet and start again.
			// Same UUID, so the define updates this network rather than making another.
			w.nextSubnet(logical)
			doc := w.networkDoc(logical, w.networkSt().modes[logical])
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
			w.remember(&w.networkSt().sentXML, logical, x)
			err = n.Create()
		}
		if err != nil {
			return fmt.Errorf("starting network %q: %w", logical, err)
		}
		// Best effort: drivers that make no host bridge (the test driver) have
		// no name to give; only the scenarios that need the host look at it.
		if br, err := n.GetBridgeName(); err == nil {
			w.remember(&w.networkSt().bridges, logical, br)
		}
		return nil
	})
}

func (w *world) dhcpHost(logical, mac string) string {
	return fmt.Sprintf(`<host mac='%s' ip='%s.50'/>`, mac, w.subnet(logical))
}
