package harness

import (
	"fmt"
	"slices"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// PeerInfo is what the probe learned about the peer stack.
type PeerInfo struct {
	URI      string `json:"uri"` // redacted
	Hostname string `json:"hostname"`
	HostUUID string `json:"hostUUID"`
	Libvirt  string `json:"libvirt"`
}

// probePeer checks the peer can be a migration destination for the stack's
// domains; "" when it can. Without --peer-uri the peer is a missing precondition.
func (r *runner) probePeer() string {
	if r.peer == nil {
		return "no second stack: give one with --peer-uri (make test starts one with scripts/peer.sh)"
	}
	peerCaps, peerHost, err := hostFacts(r.peer)
	if err != nil {
		return "the peer does not describe itself: " + DescribeError(err)
	}
	selfCaps, _, err := hostFacts(r.conn)
	if err != nil {
		return "the stack does not describe itself: " + DescribeError(err)
	}
	if u := selfCaps.Host.UUID; u != "" && u == peerCaps.Host.UUID {
		return fmt.Sprintf("the peer is the same host as the stack (host UUID %s); libvirt refuses to migrate a domain to its own host", u)
	}
	if types := guestTypes(peerCaps, r.caps.Arch); !slices.Contains(types, r.caps.DomainType) {
		return fmt.Sprintf("the peer offers no %s domains (offers %v)", r.caps.DomainType, types)
	}
	info := &PeerInfo{Hostname: peerHost, HostUUID: peerCaps.Host.UUID}
	if uri, err := r.peer.GetURI(); err == nil {
		info.URI = RedactURI(uri)
	}
	if v, err := r.peer.GetLibVersion(); err == nil {
		info.Libvirt = VersionString(v)
	}
	r.peerCaps = info
	return ""
}

func hostFacts(c *libvirt.Connect) (*libvirtxml.Caps, string, error) {
	x, err := c.GetCapabilities()
	if err != nil {
		return nil, "", err
	}
	var caps libvirtxml.Caps
	if err := caps.Unmarshal(x); err != nil {
		return nil, "", fmt.Errorf("capabilities do not parse: %w", err)
	}
	host, err := c.GetHostname()
	if err != nil {
		return nil, "", err
	}
	return &caps, host, nil
}
