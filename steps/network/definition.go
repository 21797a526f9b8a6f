// A network's XML as the network steps read it back, and its DHCP host
// entries.

package network

import (
	"fmt"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

func (w *world) networkXML(logical string, flags libvirt.NetworkXMLFlags) (*libvirtxml.Network, error) {
	var doc libvirtxml.Network
	err := w.WithNetwork(logical, func(n *libvirt.Network) error {
		x, err := n.GetXMLDesc(flags)
		if err != nil {
			return err
		}
		return doc.Unmarshal(x)
	})
	return &doc, err
}

func (w *world) dhcpHost(logical, mac string) string {
	return fmt.Sprintf(`<host mac='%s' ip='%s.50'/>`, mac, w.Subnet(logical))
}
