package steps

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ovacts/ovacts/harness"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// subnet gives each network its own /24 among the 12,800 in 10.200.0.0 to
// 10.249.255.0, picked by hashing its name and how many tries it took: libvirt
// refuses a subnet that is already routed (by another run's network, or the host).
func (w *world) subnet(logical string) string {
	h := fnv.New32a()
	fmt.Fprintf(h, "%s/%d", w.Name(logical), w.subnetTries[logical])
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
	var x string
	var n *libvirt.Network
	err := w.Tracker.Create(harness.Resource{Kind: harness.KindNetwork, Name: w.Name(logical), UUID: w.uuidFor("network " + logical)}, func() (string, error) {
		return "", w.createNetwork(logical, mode, transient, &x, &n)
	})
	if err != nil {
		return fmt.Errorf("creating %s network %q: %w", mode, logical, err)
	}
	w.remember(&w.sentNetXML, logical, x)
	w.remember(&w.netModes, logical, mode)
	return n.Free()
}

// createNetwork defines or starts a network, on another subnet when the
// stack says the first one is in use.
func (w *world) createNetwork(logical, mode string, transient bool, x *string, n **libvirt.Network) (err error) {
	for try := 0; ; try++ {
		if *x, err = w.networkDoc(logical, mode).Marshal(); err != nil {
			return err
		}
		if !transient {
			*n, err = w.Conn.NetworkDefineXML(*x)
			return err
		}
		if *n, err = w.Conn.NetworkCreateXML(*x); !subnetTaken(err) || try == maxSubnetTries {
			return err
		}
		w.nextSubnet(logical)
	}
}

func (w *world) nextSubnet(logical string) {
	if w.subnetTries == nil {
		w.subnetTries = map[string]int{}
	}
	w.subnetTries[logical]++
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
			doc := w.networkDoc(logical, w.netModes[logical])
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
			w.remember(&w.sentNetXML, logical, x)
			err = n.Create()
		}
		if err != nil {
			return fmt.Errorf("starting network %q: %w", logical, err)
		}
		// Best effort: drivers that make no host bridge (the test driver) have
		// no name to give; only the scenarios that need the host look at it.
		if br, err := n.GetBridgeName(); err == nil {
			w.remember(&w.bridges, logical, br)
		}
		return nil
	})
}

func (w *world) dhcpHost(logical, mac string) string {
	return fmt.Sprintf(`<host mac='%s' ip='%s.50'/>`, mac, w.subnet(logical))
}

// Virtual networks: isolated and NAT, transient, autostart, live updates, events, ports.
func registerNetwork(r *Registry) {
	r.Step(`^I define an? (isolated|NAT) network "([^"]*)"$`, func(ctx context.Context, mode, name string) error {
		return W(ctx).addNetwork(name, mode, false)
	})
	r.Step(`^an active (isolated|NAT) network "([^"]*)"$`, func(ctx context.Context, mode, name string) error {
		w := W(ctx)
		if err := w.addNetwork(name, mode, false); err != nil {
			return err
		}
		return w.startNetwork(name)
	})
	r.Step(`^I create transient (isolated|NAT) network "([^"]*)"$`, func(ctx context.Context, mode, name string) error {
		return W(ctx).addNetwork(name, mode, true)
	})
	r.Step(`^I try to define an isolated network "([^"]*)" again with a different UUID$`, func(ctx context.Context, name string) error {
		w := W(ctx)
		doc := w.networkDoc(name, "isolated")
		doc.UUID = harness.NewUUID()
		x, err := doc.Marshal()
		if err != nil {
			return err
		}
		n, err := w.Conn.NetworkDefineXML(x)
		if err == nil {
			n.Free()
		}
		return w.try(err)
	})
	r.Step(`^I (start|destroy|undefine) network "([^"]*)"$`, func(ctx context.Context, action, name string) error {
		w := W(ctx)
		if action == "start" {
			return w.startNetwork(name)
		}
		return w.withNetwork(name, func(n *libvirt.Network) error {
			switch action {
			case "destroy":
				return n.Destroy()
			}
			return n.Undefine()
		})
	})
	r.Step(`^there is no network "([^"]*)"$`, func(ctx context.Context, name string) error {
		w := W(ctx)
		n, err := w.Conn.LookupNetworkByName(w.Name(name))
		if err == nil {
			n.Free()
			return fmt.Errorf("network %q still exists", name)
		}
		if !errors.Is(err, libvirt.ERR_NO_NETWORK) {
			return fmt.Errorf("want VIR_ERR_NO_NETWORK: %w", err)
		}
		return nil
	})
	r.Step(`^the bridge of network "([^"]*)" (exists|does not exist) on the host$`, func(ctx context.Context, name, want string) error {
		w := W(ctx)
		br, ok := w.bridges[name]
		if !ok || br == "" {
			return fmt.Errorf("no bridge was noted when network %q started", name)
		}
		_, err := os.Stat("/sys/class/net/" + br)
		if exists := err == nil; exists != (want == "exists") {
			return fmt.Errorf("bridge %s of network %q: exists=%v, want %s", br, name, exists, want)
		}
		return nil
	})
	r.Step(`^the XML of network "([^"]*)" keeps every field that was set$`, func(ctx context.Context, name string) error {
		w := W(ctx)
		var want libvirtxml.Network
		if err := want.Unmarshal(w.sentNetXML[name]); err != nil {
			return err
		}
		got, err := w.networkXML(name, 0)
		if err != nil {
			return err
		}
		if diff := cmp.Diff(&want, got, userSetOptions); diff != "" {
			return fmt.Errorf("the stack changed fields that were set (-sent +returned):\n%s", diff)
		}
		return nil
	})
	r.Step(`^the XML of network "([^"]*)" forwards in mode "([^"]*)"$`, func(ctx context.Context, name, mode string) error {
		doc, err := W(ctx).networkXML(name, 0)
		if err != nil {
			return err
		}
		if doc.Forward == nil || doc.Forward.Mode != mode {
			return fmt.Errorf("network %q forward is %+v, want mode %s", name, doc.Forward, mode)
		}
		return nil
	})
	r.Step(`^I add a DHCP host entry for MAC "([^"]*)" to network "([^"]*)" live and in its configuration$`, func(ctx context.Context, mac, name string) error {
		w := W(ctx)
		return w.withNetwork(name, func(n *libvirt.Network) error {
			return n.Update(libvirt.NETWORK_UPDATE_COMMAND_ADD_LAST, libvirt.NETWORK_SECTION_IP_DHCP_HOST, -1, w.dhcpHost(name, mac),
				libvirt.NETWORK_UPDATE_AFFECT_LIVE|libvirt.NETWORK_UPDATE_AFFECT_CONFIG)
		})
	})
	r.Step(`^the (live|persistent) XML of network "([^"]*)" has a DHCP host entry for MAC "([^"]*)"$`, func(ctx context.Context, which, name, mac string) error {
		w := W(ctx)
		flags := libvirt.NetworkXMLFlags(0)
		if which == "persistent" {
			flags = libvirt.NETWORK_XML_INACTIVE
		}
		doc, err := w.networkXML(name, flags)
		if err != nil {
			return err
		}
		for _, ip := range doc.IPs {
			if ip.DHCP == nil {
				continue
			}
			for _, h := range ip.DHCP.Hosts {
				if strings.EqualFold(h.MAC, mac) && h.IP == w.subnet(name)+".50" {
					return nil
				}
			}
		}
		return fmt.Errorf("the %s XML of network %q has no DHCP host %s", which, name, mac)
	})
	r.Step(`^network "([^"]*)" answers a DHCP lease query with the lease of guest "([^"]*)" within (\d+) seconds$`, func(ctx context.Context, name, guest, secs string) error {
		w := W(ctx)
		mac, err := w.nicOn(guest, name)
		if err != nil {
			return err
		}
		_, subnet, err := net.ParseCIDR(w.subnet(name) + ".0/24")
		if err != nil {
			return err
		}
		deadline := time.Now().Add(seconds(secs))
		for {
			var seen []string
			err := w.withNetwork(name, func(n *libvirt.Network) error {
				leases, err := n.GetDHCPLeases()
				if err != nil {
					return err
				}
				for _, l := range leases {
					seen = append(seen, l.Mac+" "+l.IPaddr)
					if strings.EqualFold(l.Mac, mac) {
						if ip := net.ParseIP(l.IPaddr); ip == nil || !subnet.Contains(ip) || l.Type != libvirt.IP_ADDR_TYPE_IPV4 {
							return fmt.Errorf("the lease of %s is %s, outside the network's %s", mac, l.IPaddr, subnet)
						}
						return nil
					}
				}
				return errNoLease
			})
			if !errors.Is(err, errNoLease) {
				return err
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("no lease for the guest's MAC %s within %s s; the network answers %v", mac, secs, seen)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(500 * time.Millisecond):
			}
		}
	})
	r.Step(`^network "([^"]*)" keeps its own UUID$`, func(ctx context.Context, name string) error {
		w := W(ctx)
		return w.withNetwork(name, func(n *libvirt.Network) error {
			u, err := n.GetUUIDString()
			if err != nil {
				return err
			}
			if want := w.uuidFor("network " + name); u != want {
				return fmt.Errorf("network %q has UUID %s, not its own %s: the second definition replaced it", name, u, want)
			}
			return nil
		})
	})
	r.Step(`^the host masquerades the traffic leaving network "([^"]*)"$`, func(ctx context.Context, name string) error {
		w := W(ctx)
		if ok, why := w.hostFirewallReadable(); !ok {
			return why
		}
		cidr := w.subnet(name) + ".0/24"
		rules, err := natRules(ctx)
		if err != nil {
			return err
		}
		if masquerades(rules, cidr) {
			return nil
		}
		return fmt.Errorf("no masquerade rule for %s in the host's NAT rules (iptables-save -t nat, nft list ruleset)", cidr)
	})
	r.Step(`^a port created on network "([^"]*)" is listed until it is deleted$`, func(ctx context.Context, name string) error {
		w := W(ctx)
		return w.withNetwork(name, func(n *libvirt.Network) error {
			id := harness.NewUUID()
			p, err := n.PortCreateXML(fmt.Sprintf(`<networkport><uuid>%s</uuid><owner><name>%s</name><uuid>%s</uuid></owner><mac address='52:54:00:0a:c7:01'/></networkport>`,
				id, w.Name("port-owner"), harness.NewUUID()), 0)
			if err != nil {
				return err
			}
			defer p.Free()
			deleted := false
			w.Tracker.Defer("network port "+id, func() error {
				if deleted {
					return nil
				}
				if err := p.Delete(0); err != nil && !errors.Is(err, libvirt.ERR_NO_NETWORK_PORT) && !errors.Is(err, libvirt.ERR_NO_NETWORK) {
					return err
				}
				return nil
			})
			count := func() (int, error) {
				ports, err := n.ListAllPorts(0)
				found := 0
				for i := range ports {
					if u, err := ports[i].GetUUIDString(); err == nil && u == id {
						found++
					}
					ports[i].Free()
				}
				return found, err
			}
			if c, err := count(); err != nil || c != 1 {
				return fmt.Errorf("the new port is listed %d times (%v)", c, err)
			}
			if err := p.Delete(0); err != nil {
				return err
			}
			deleted = true
			if c, err := count(); err != nil || c != 0 {
				return fmt.Errorf("the deleted port is still listed (%d, %v)", c, err)
			}
			return nil
		})
	})
}

var errNoLease = errors.New("no lease yet")

// nicOn is the MAC of a domain's NIC on a logical network.
func (w *world) nicOn(dom, network string) (string, error) {
	doc, _, err := w.domainXML(dom, 0)
	if err != nil {
		return "", err
	}
	if doc.Devices != nil {
		for _, i := range doc.Devices.Interfaces {
			if i.Source != nil && i.Source.Network != nil && i.Source.Network.Network == w.Name(network) && i.MAC != nil {
				return strings.ToLower(i.MAC.Address), nil
			}
		}
	}
	return "", fmt.Errorf("domain %q has no NIC on network %q", dom, network)
}

// hostFirewallReadable says whether the stack's firewall is this host's:
// the test driver has none (not applicable); a remote stack's is elsewhere.
func (w *world) hostFirewallReadable() (bool, error) {
	if n, missing := w.Caps.Missing["host"]; missing {
		if n.State == harness.Absent {
			return false, harness.NotApplicable("the stack has no host firewall to NAT with: %s", n.Reason)
		}
		return false, harness.NotRun("the stack's firewall cannot be read from here: %s", n.Reason)
	}
	return true, nil
}

// natRules is the host's NAT table, from whichever firewall libvirt drives:
// iptables (libvirt up to 10) or nftables (libvirt 10.4 and later).
func natRules(ctx context.Context) (string, error) {
	var out strings.Builder
	var errs []error
	for _, cmd := range [][]string{{"iptables-save", "-t", "nat"}, {"nft", "list", "ruleset"}} {
		b, err := exec.CommandContext(ctx, cmd[0], cmd[1:]...).Output()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", cmd[0], err))
			continue
		}
		out.Write(b)
	}
	if out.Len() == 0 {
		return "", fmt.Errorf("the host's NAT rules cannot be read: %w", errors.Join(errs...))
	}
	return out.String(), nil
}

// masquerades says whether NAT rules (iptables-save or nft output) masquerade
// traffic from the subnet cidr.
func masquerades(rules, cidr string) bool {
	for _, line := range strings.Split(rules, "\n") {
		l := strings.ToLower(line)
		if strings.Contains(l, cidr) && strings.Contains(l, "masquerade") {
			return true
		}
	}
	return false
}
