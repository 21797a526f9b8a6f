package network

import (
	"errors"
	"net"
	"testing"

	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
)

// NET-007: a network whose UUID the second definition replaced fails.
func TestKeptOwnUUID(t *testing.T) {
	if err := keptOwnUUID("n", "u-1", "u-1"); err != nil {
		t.Fatal(err)
	}
	stepkit.WantErr(t, "a replaced UUID", keptOwnUUID("n", "u-2", "u-1"), "second definition replaced it")
	stepkit.WantErr(t, "no UUID noted", keptOwnUUID("n", "u-2", ""), "not its own")
}

// NET-010: no lease yet, a lease outside the subnet, or an IPv6 lease for the MAC.
func TestLeaseOf(t *testing.T) {
	_, subnet, _ := net.ParseCIDR("10.201.7.0/24")
	const mac = "52:54:00:aa:bb:cc"
	lease := func(m, ip string, typ libvirt.IPAddrType) libvirt.NetworkDHCPLease {
		return libvirt.NetworkDHCPLease{Mac: m, IPaddr: ip, Type: typ}
	}
	if _, err := leaseOf([]libvirt.NetworkDHCPLease{lease("52:54:00:AA:BB:CC", "10.201.7.57", libvirt.IP_ADDR_TYPE_IPV4)}, mac, subnet); err != nil {
		t.Fatal(err)
	}
	if seen, err := leaseOf([]libvirt.NetworkDHCPLease{lease("52:54:00:00:00:01", "10.201.7.9", libvirt.IP_ADDR_TYPE_IPV4)}, mac, subnet); !errors.Is(err, errNoLease) || len(seen) != 1 {
		t.Errorf("another guest's lease: %v %v", seen, err)
	}
	_, err := leaseOf([]libvirt.NetworkDHCPLease{lease(mac, "192.168.122.5", libvirt.IP_ADDR_TYPE_IPV4)}, mac, subnet)
	stepkit.WantErr(t, "a lease outside the subnet", err, "outside the network's 10.201.7.0/24")
	_, err = leaseOf([]libvirt.NetworkDHCPLease{lease(mac, "10.201.7.5", libvirt.IP_ADDR_TYPE_IPV6)}, mac, subnet)
	stepkit.WantErr(t, "a lease typed IPv6", err, "outside")
}

// Only a rule whose source is the network's subnet and whose target is
// MASQUERADE counts (NET-004): not a destination-only rule, a negated source,
// another target, nor a line that only mentions both words.
func TestMasqueradeRules(t *testing.T) {
	ipt := "-A LIBVIRT_PRT -s 10.201.7.0/24 ! -d 10.201.7.0/24 -p tcp -j MASQUERADE --to-ports 1024-65535\n"
	nft := "table ip libvirt_network {\n\tchain postrouting_nat {\n\t\tmeta l4proto tcp ip saddr 10.202.1.0/24 ip daddr != 10.202.1.0/24 counter packets 0 bytes 0 masquerade to :1024-65535\n\t}\n}\n"
	if !masquerades(ipt, "10.201.7.0/24") || !masquerades(nft, "10.202.1.0/24") {
		t.Error("a masquerade rule was missed")
	}
	for _, wrong := range []string{
		"-A LIBVIRT_FWO -s 10.201.7.0/24 -j ACCEPT",
		"-A LIBVIRT_PRT -d 10.201.7.0/24 -j MASQUERADE",
		"-A LIBVIRT_PRT ! -s 10.201.7.0/24 -d 10.201.7.0/24 -j MASQUERADE",
		"-A LIBVIRT_PRT -s 10.201.7.0/24 -j RETURN -m comment --comment MASQUERADE",
		"# 10.201.7.0/24 masquerade",
		"ip daddr 10.201.7.0/24 masquerade",
		"ip saddr != 10.201.7.0/24 ip daddr 10.201.7.0/24 masquerade",
		"ip saddr 10.201.7.0/24 ip daddr 224.0.0.0/24 counter return comment \"masquerade\"",
	} {
		if masquerades(wrong, "10.201.7.0/24") {
			t.Errorf("counted as masquerading the subnet: %s", wrong)
		}
	}
	if masquerades(ipt, "10.201.8.0/24") || masquerades(ipt, "10.201.7.0/2") {
		t.Error("another subnet's rule counted")
	}
}
