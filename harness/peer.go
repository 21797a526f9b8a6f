package harness

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

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
	r.caps.Machine, r.caps.MachineNote = migratableMachine(r.conn, selfCaps, peerCaps, r.caps.GuestArch, r.caps.DomainType)
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

// migratableMachine picks the machine type of the run's domains when the
// peer lacks the stack's default one (a peer of an older QEMU generation): the
// newest of the default's family that both offer, as a cluster of mixed hosts
// does (oVirt's cluster compatibility level). "" keeps the stack's default:
// the peer offers it, or nothing of its family is common (the migrations then
// fail with the stack's own reason). The note says why, for the report.
func migratableMachine(conn *libvirt.Connect, self, peer *libvirtxml.Caps, arch, domType string) (string, string) {
	x, err := conn.GetDomainCapabilities("", arch, "", domType, 0)
	if err != nil {
		return "", ""
	}
	var dc libvirtxml.DomainCaps
	if dc.Unmarshal(x) != nil || dc.Machine == "" {
		return "", ""
	}
	return pickMachine(dc.Machine, machines(self, arch, domType), machines(peer, arch, domType))
}

// pickMachine is migratableMachine's choice, given the stack's default
// machine type and what each side offers.
func pickMachine(def string, ours, theirs []string) (string, string) {
	if slices.Contains(theirs, def) {
		return "", ""
	}
	family, _, ok := machineVersion(def)
	if !ok {
		return "", ""
	}
	best, bestV := "", [2]int{-1, -1}
	for _, m := range ours {
		f, v, ok := machineVersion(m)
		if ok && f == family && slices.Contains(theirs, m) && (v[0] > bestV[0] || v[0] == bestV[0] && v[1] > bestV[1]) {
			best, bestV = m, v
		}
	}
	if best == "" {
		return "", ""
	}
	return best, fmt.Sprintf("the peer does not offer the stack's default machine type %s: domains use %s, the newest of its family both offer", def, best)
}

// machines lists the machine types (names and the canonical names of
// aliases) the capabilities offer for arch and domain type.
func machines(caps *libvirtxml.Caps, arch, domType string) []string {
	var out []string
	add := func(ms []libvirtxml.CapsGuestMachine) {
		for _, m := range ms {
			out = append(out, m.Name)
			if m.Canonical != "" {
				out = append(out, m.Canonical)
			}
		}
	}
	for _, g := range caps.Guests {
		if g.OSType != "hvm" || g.Arch.Name != arch {
			continue
		}
		add(g.Arch.Machines)
		for _, d := range g.Arch.Domains {
			if d.Type == domType {
				add(d.Machines)
			}
		}
	}
	return out
}

// machineVersion splits a versioned machine type: "pc-i440fx-7.2" is family
// "pc-i440fx-", version 7.2.
func machineVersion(m string) (string, [2]int, bool) {
	i := strings.LastIndexByte(m, '-')
	if i < 0 {
		return "", [2]int{}, false
	}
	maj, min, ok := strings.Cut(m[i+1:], ".")
	a, err1 := strconv.Atoi(maj)
	b, err2 := strconv.Atoi(min)
	if !ok || err1 != nil || err2 != nil {
		return "", [2]int{}, false
	}
	return m[:i+1], [2]int{a, b}, true
}
