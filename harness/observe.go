package harness

import (
	"fmt"
	"slices"
	"strings"

	"libvirt.org/go/libvirtxml"
)

// Observation is what a stack is now, named as a run's report names it,
// read without creating anything on the stack: ovacts drift compares it with
// what a bundle recorded.
type Observation struct {
	// Properties: driver, uri, libvirt.client, libvirt.daemon,
	// hypervisor.version, hostname, host.arch, guest.arch, domain.types,
	// capabilities.sha256, host.facts and, on a local stack, host.<fact>.
	Properties map[string]string
	// HostWhy says why the host's facts were not measured ("" when they were).
	HostWhy string
	caps    *libvirtxml.Caps // nil when the capabilities did not read or parse
}

// Observe connects to uri and reads what the probe reads before it creates
// anything (identify): the versions, the driver, the capabilities and, when
// the stack runs on this host, the host's facts. The caller checks the URI
// (CheckURI) first.
func Observe(uri string) (*Observation, error) {
	conn, err := Open(uri)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	c, _, err := identify(conn, uri)
	if err != nil {
		return nil, err
	}
	o := &Observation{Properties: map[string]string{
		"driver":              c.Driver,
		"uri":                 c.URI,
		"libvirt.client":      c.LibvirtClient,
		"libvirt.daemon":      c.LibvirtDaemon,
		"hypervisor.version":  c.HypervisorVersion,
		"hostname":            c.Hostname,
		"host.arch":           c.Arch,
		"guest.arch":          c.GuestArch,
		"domain.types":        strings.Join(c.DomainTypes, ","),
		"capabilities.sha256": c.CapsSHA256,
	}}
	if n, missing := c.Missing["host"]; missing {
		o.HostWhy = n.Reason
		o.Properties["host.facts"] = "not measured: " + n.Reason
	} else {
		o.Properties["host.facts"] = "measured"
		for _, kv := range c.HostFacts.Properties() {
			o.Properties[kv[0]] = kv[1]
		}
	}
	if x, err := conn.GetCapabilities(); err == nil {
		var caps libvirtxml.Caps
		if caps.Unmarshal(x) == nil {
			o.caps = &caps
		}
	}
	return o, nil
}

// Offers reports whether the stack offers machine type m (a name or an
// alias's canonical name) for hvm guests of arch in domains of domType.
func (o *Observation) Offers(arch, domType, m string) bool {
	return o.caps != nil && slices.Contains(machines(o.caps, arch, domType), m)
}

// String names the stack observed in a few words.
func (o *Observation) String() string {
	p := o.Properties
	return fmt.Sprintf("%s, libvirt %s, hypervisor %s, %s", p["driver"], p["libvirt.daemon"], p["hypervisor.version"], p["host.arch"])
}
