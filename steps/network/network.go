package network

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

func createTransientNetwork(ctx context.Context, mode, name string) error {
	return W(ctx).AddNetwork(name, mode, true)
}

func tryToDefineAnIsolatedNetworkAgainWithADifferentUUID(ctx context.Context, name string) error {
	w := W(ctx)
	doc := w.NetworkDoc(name, "isolated")
	doc.UUID = harness.NewUUID()
	x, err := doc.Marshal()
	if err != nil {
		return err
	}
	n, err := w.Conn.NetworkDefineXML(x)
	if err == nil {
		n.Free()
	}
	return w.Try(err)
}

func lifecycleNetwork(ctx context.Context, action, name string) error {
	w := W(ctx)
	if action == "start" {
		return w.StartNetwork(name)
	}
	return w.WithNetwork(name, func(n *libvirt.Network) error {
		switch action {
		case "destroy":
			return n.Destroy()
		}
		return n.Undefine()
	})
}

func thereIsNoNetwork(ctx context.Context, name string) error {
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
}

func bridgeOfNetworkOnTheHost(ctx context.Context, name, want string) error {
	w := W(ctx)
	br, ok := w.NetworkSt().Bridges[name]
	if !ok || br == "" {
		return fmt.Errorf("no bridge was noted when network %q started", name)
	}
	_, err := os.Stat("/sys/class/net/" + br)
	if exists := err == nil; exists != (want == "exists") {
		return fmt.Errorf("bridge %s of network %q: exists=%v, want %s", br, name, exists, want)
	}
	return nil
}

func xmlOfNetworkKeepsEveryFieldThat(ctx context.Context, name string) error {
	w := W(ctx)
	var want libvirtxml.Network
	if err := want.Unmarshal(w.NetworkSt().SentXML[name]); err != nil {
		return err
	}
	got, err := w.networkXML(name, 0)
	if err != nil {
		return err
	}
	if diff := cmp.Diff(&want, got, stepkit.UserSetOptions); diff != "" {
		return fmt.Errorf("the stack changed fields that were set (-sent +returned):\n%s", diff)
	}
	return nil
}

func xmlOfNetworkForwardsInMode(ctx context.Context, name, mode string) error {
	doc, err := W(ctx).networkXML(name, 0)
	if err != nil {
		return err
	}
	if doc.Forward == nil || doc.Forward.Mode != mode {
		return fmt.Errorf("network %q forward is %+v, want mode %s", name, doc.Forward, mode)
	}
	return nil
}

func addADHCPHostEntryLiveAndInItsConfiguration(ctx context.Context, mac, name string) error {
	w := W(ctx)
	return w.WithNetwork(name, func(n *libvirt.Network) error {
		return n.Update(libvirt.NETWORK_UPDATE_COMMAND_ADD_LAST, libvirt.NETWORK_SECTION_IP_DHCP_HOST, -1, w.dhcpHost(name, mac),
			libvirt.NETWORK_UPDATE_AFFECT_LIVE|libvirt.NETWORK_UPDATE_AFFECT_CONFIG)
	})
}

func xmlOfNetworkHasADhcpHost(ctx context.Context, which, name, mac string) error {
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
			if strings.EqualFold(h.MAC, mac) && h.IP == w.Subnet(name)+".50" {
				return nil
			}
		}
	}
	return fmt.Errorf("the %s XML of network %q has no DHCP host %s", which, name, mac)
}

func networkAnswersADHCPLeaseQueryWithTheGuestsLease(ctx context.Context, name, guest, secs string) error {
	w := W(ctx)
	mac, err := w.nicOn(guest, name)
	if err != nil {
		return err
	}
	_, subnet, err := net.ParseCIDR(w.Subnet(name) + ".0/24")
	if err != nil {
		return err
	}
	deadline := time.Now().Add(stepkit.Seconds(secs))
	for {
		var seen []string
		err := w.WithNetwork(name, func(n *libvirt.Network) error {
			leases, err := n.GetDHCPLeases()
			if err != nil {
				return err
			}
			seen, err = leaseOf(leases, mac, subnet)
			return err
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
}

// leaseOf: NET-010's lease query holds an IPv4 lease of mac inside subnet
// (errNoLease when there is none yet); it also says what it saw.
func leaseOf(leases []libvirt.NetworkDHCPLease, mac string, subnet *net.IPNet) ([]string, error) {
	var seen []string
	for _, l := range leases {
		seen = append(seen, l.Mac+" "+l.IPaddr)
		if strings.EqualFold(l.Mac, mac) {
			if ip := net.ParseIP(l.IPaddr); ip == nil || !subnet.Contains(ip) || l.Type != libvirt.IP_ADDR_TYPE_IPV4 {
				return seen, fmt.Errorf("the lease of %s is %s, outside the network's %s", mac, l.IPaddr, subnet)
			}
			return seen, nil
		}
	}
	return seen, errNoLease
}

func networkKeepsItsOwnUuid(ctx context.Context, name string) error {
	w := W(ctx)
	return w.WithNetwork(name, func(n *libvirt.Network) error {
		u, err := n.GetUUIDString()
		if err != nil {
			return err
		}
		return keptOwnUUID(name, u, w.UUIDFor("network "+name))
	})
}

// keptOwnUUID: NET-007's network still has the UUID it was defined with.
func keptOwnUUID(name, got, want string) error {
	if want == "" || got != want {
		return fmt.Errorf("network %q has UUID %s, not its own %q: the second definition replaced it", name, got, want)
	}
	return nil
}

func hostMasqueradesTheTrafficLeavingNetwork(ctx context.Context, name string) error {
	w := W(ctx)
	if ok, why := w.hostFirewallReadable(); !ok {
		return why
	}
	cidr := w.Subnet(name) + ".0/24"
	rules, err := natRules(ctx)
	if err != nil {
		return err
	}
	if masquerades(rules, cidr) {
		return nil
	}
	return fmt.Errorf("no masquerade rule for %s in the host's NAT rules (iptables-save -t nat, nft list ruleset)", cidr)
}

func portCreatedOnNetworkIsListedUntil(ctx context.Context, name string) error {
	return W(ctx).WithNewPort(name, func(n *libvirt.Network, p *libvirt.NetworkPort) error {
		id, err := p.GetUUIDString()
		if err != nil {
			return err
		}
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
		if c, err := count(); err != nil || c != 0 {
			return fmt.Errorf("the deleted port is still listed (%d, %v)", c, err)
		}
		return nil
	})
}

var errNoLease = errors.New("no lease yet")

// nicOn is the MAC of a domain's NIC on a logical network.
func (w *world) nicOn(dom, network string) (string, error) {
	doc, _, err := w.DomainXML(dom, 0)
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

// masquerades says whether NAT rules (iptables-save or nft output) hold a
// rule that masquerades traffic whose source is the subnet cidr: iptables'
// "-s CIDR ... -j MASQUERADE", nft's "ip saddr CIDR ... masquerade". A rule
// naming the subnet only as its destination, or negated ("! -s", "saddr !="),
// or jumping elsewhere does not count.
func masquerades(rules, cidr string) bool {
	for _, line := range strings.Split(rules, "\n") {
		f := strings.Fields(line)
		if iptablesMasquerades(f, cidr) || nftMasquerades(f, cidr) {
			return true
		}
	}
	return false
}

func iptablesMasquerades(f []string, cidr string) bool {
	if len(f) == 0 || f[0] != "-A" {
		return false
	}
	var source, target bool
	for i := 1; i+1 < len(f); i++ {
		switch {
		case (f[i] == "-s" || f[i] == "--source") && f[i-1] != "!":
			source = source || f[i+1] == cidr
		case f[i] == "-j" || f[i] == "--jump":
			target = f[i+1] == "MASQUERADE"
		}
	}
	return source && target
}

func nftMasquerades(f []string, cidr string) bool {
	var source, target bool
	for i, t := range f {
		switch {
		case t == "saddr" && i > 0 && f[i-1] == "ip" && i+1 < len(f):
			source = source || f[i+1] == cidr
		case t == "masquerade":
			target = true
		}
	}
	return source && target
}

func registerNetwork(r *stepkit.Registry) {
	r.Step(`^I create transient (isolated|NAT) network "([^"]*)"$`, createTransientNetwork)
	r.Step(`^I try to define an isolated network "([^"]*)" again with a different UUID$`, tryToDefineAnIsolatedNetworkAgainWithADifferentUUID)
	r.Step(`^I (start|destroy|undefine) network "([^"]*)"$`, lifecycleNetwork)
	r.Step(`^there is no network "([^"]*)"$`, thereIsNoNetwork)
	r.Step(`^the bridge of network "([^"]*)" (exists|does not exist) on the host$`, bridgeOfNetworkOnTheHost)
	r.Step(`^the XML of network "([^"]*)" keeps every field that was set$`, xmlOfNetworkKeepsEveryFieldThat)
	r.Step(`^the XML of network "([^"]*)" forwards in mode "([^"]*)"$`, xmlOfNetworkForwardsInMode)
	r.Step(`^I add a DHCP host entry for MAC "([^"]*)" to network "([^"]*)" live and in its configuration$`, addADHCPHostEntryLiveAndInItsConfiguration)
	r.Step(`^the (live|persistent) XML of network "([^"]*)" has a DHCP host entry for MAC "([^"]*)"$`, xmlOfNetworkHasADhcpHost)
	r.Step(`^network "([^"]*)" answers a DHCP lease query with the lease of guest "([^"]*)" within (\d+) seconds$`, networkAnswersADHCPLeaseQueryWithTheGuestsLease)
	r.Step(`^network "([^"]*)" keeps its own UUID$`, networkKeepsItsOwnUuid)
	r.Step(`^the host masquerades the traffic leaving network "([^"]*)"$`, hostMasqueradesTheTrafficLeavingNetwork)
	r.Step(`^a port created on network "([^"]*)" is listed until it is deleted$`, portCreatedOnNetworkIsListedUntil)
}
