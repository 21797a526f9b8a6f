// Capabilities: what the probe found of each need a scenario may declare
// (absent, not provided, broken, and the requirement that states it), and how
// the report lists them. The needs themselves are catalogue.KnownNeeds.

package harness

import (
	"fmt"
	"strings"
)

// NeedState is what the probe found of a capability that is not there.
type NeedState string

// Need is a capability that is not there, and why.
type Need struct {
	State    NeedState `json:"state"`
	Reason   string    `json:"reason"`             // the evidence, or the input that is missing
	StatedBy string    `json:"statedBy,omitempty"` // Broken: the requirement that fails for it
}

// Capabilities is what the probe learned about the stack, once, before any scenario.
type Capabilities struct {
	URI               string          `json:"uri"` // redacted
	Driver            string          `json:"driver"`
	LibvirtClient     string          `json:"libvirtClient"`
	LibvirtDaemon     string          `json:"libvirtDaemon"`
	HypervisorVersion string          `json:"hypervisorVersion"`
	Hostname          string          `json:"hostname"`
	Arch              string          `json:"arch"`
	GuestArch         string          `json:"guestArch"`
	DomainTypes       []string        `json:"domainTypes"` // offered for hvm guests of GuestArch
	DomainType        string          `json:"domainType"`  // what scenarios use
	KVMUsable         bool            `json:"kvmUsable"`
	KVMNote           string          `json:"kvmNote,omitempty"`
	DomainCaps        bool            `json:"domainCaps"`
	Persistent        bool            `json:"persistent"`
	CapsSHA256        string          `json:"capsSHA256"`           // digest of the capabilities XML
	HostKernel        string          `json:"hostKernel,omitempty"` // local stacks only
	HostFacts         HostFacts       `json:"hostFacts,omitempty"`  // local stacks only (MeasureHost)
	HostCPUs          int             `json:"hostCPUs,omitempty"`   // the stack's host's active CPUs (node info)
	AdminURI          string          `json:"adminURI,omitempty"`   // the daemon's admin URI, when the admin interface answers
	Machine           string          `json:"machine,omitempty"`    // the machine type of the run's domains, when not the stack's default
	MachineNote       string          `json:"machineNote,omitempty"`
	Missing           map[string]Need `json:"missing,omitempty"` // need -> why it is not there
	Guest             *Guest          `json:"guest,omitempty"`   // the probed guest OS, when scenarios need one
	Guestfs           *Guestfs        `json:"guestfs,omitempty"` // the probed libguestfs, when scenarios need it
	OVirt             *OVirtEngine    `json:"ovirt,omitempty"`   // the engine of the ovirt-engine scenarios
}

// Has reports whether a declared need is met.
func (c *Capabilities) Has(need string) bool {
	_, missing := c.Missing[need]
	return !missing
}

// Lack records that a need is absent or not provided, once: the first reason
// stands.
func (c *Capabilities) Lack(need, why string, state NeedState) {
	if _, already := c.Missing[need]; !already {
		c.Record(need, Need{State: state, Reason: why})
	}
}

// Record sets what a probe found of a need, replacing what was recorded.
// Lack and Break record through it; nothing else writes Missing.
func (c *Capabilities) Record(need string, n Need) {
	if c.Missing == nil {
		c.Missing = map[string]Need{}
	}
	c.Missing[need] = n
}

// Break records that a claimed capability is broken: requirement statedBy
// fails with the cause, and what needs the capability is blocked. It
// overrides a reason recorded before.
func (c *Capabilities) Break(need, statedBy, why string) {
	c.Record(need, Need{State: Broken, Reason: why, StatedBy: statedBy})
}

// BreakAs records need as broken because another capability it depends on
// is, stated by the same requirement.
func (c *Capabilities) BreakAs(need, dependsOn, why string) bool {
	d, ok := c.Missing[dependsOn]
	if !ok || d.State != Broken {
		return false
	}
	c.Break(need, d.StatedBy, fmt.Sprintf("%s: %s is broken: %s", why, dependsOn, d.Reason))
	return true
}

// Properties renders the capabilities as ordered report properties.
func (c *Capabilities) Properties() [][2]string {
	props := [][2]string{
		{"uri", c.URI},
		{"driver", c.Driver},
		{"libvirt.client", c.LibvirtClient},
		{"libvirt.daemon", c.LibvirtDaemon},
		{"hypervisor.version", c.HypervisorVersion},
		{"host.arch", c.Arch},
		{"guest.arch", c.GuestArch},
		{"domain.types", strings.Join(c.DomainTypes, ",")},
		{"domain.type", c.DomainType},
		{"kvm.usable", fmt.Sprint(c.KVMUsable)},
		{"domcaps", fmt.Sprint(c.DomainCaps)},
		{"capabilities.sha256", c.CapsSHA256},
	}
	props = append(props, c.hostFactProperties()...)
	if c.Machine != "" {
		props = append(props, [2]string{"machine", c.Machine}, [2]string{"machine.note", c.MachineNote})
	}
	if g := c.Guest; g != nil {
		props = append(props, [2]string{"guest.source", g.Describe()}, [2]string{"guest.accel", g.Accel},
			[2]string{"guest.domain.type", g.DomainType}, [2]string{"guest.probe.boot.seconds", fmt.Sprintf("%.2f", g.ProbeBoot.Seconds())})
		if g.AccelNote != "" {
			props = append(props, [2]string{"guest.accel.note", g.AccelNote})
		}
	} else if n, missing := c.Missing["guest"]; missing {
		props = append(props, [2]string{"guest.missing", string(n.State) + ": " + n.Reason})
	}
	if g := c.Guestfs; g != nil {
		props = append(props, [2]string{"guestfs.version", g.Version})
		if g.Accel != "" {
			props = append(props, [2]string{"guestfs.accel", g.Accel}, [2]string{"guestfs.probe.launch.seconds", fmt.Sprintf("%.2f", g.ProbeLaunch.Seconds())})
		}
		if g.AccelNote != "" {
			props = append(props, [2]string{"guestfs.accel.note", g.AccelNote})
		}
	}
	if n, missing := c.Missing["guestfs-appliance"]; missing {
		props = append(props, [2]string{"guestfs.missing", string(n.State) + ": " + n.Reason})
	}
	if e := c.OVirt; e != nil {
		props = append(props, [2]string{"ovirt.engine.url", e.Base}, [2]string{"ovirt.engine.user", e.User}, [2]string{"ovirt.engine.tls", e.TLS})
	} else if n, missing := c.Missing["ovirt-engine"]; missing {
		props = append(props, [2]string{"ovirt.engine.missing", n.Reason})
	}
	return props
}
