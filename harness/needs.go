// Capabilities and needs: what a scenario may need of the stack, what the
// probe found of each (absent, not provided, broken, and the requirement that
// states it), and how the report lists them.

package harness

import (
	"fmt"
	"sort"
	"strings"
)

// NeedDef describes a capability a scenario can declare with @needs:<name>,
// and the requirement that states it: when the probe finds the capability
// claimed but broken, that requirement fails with the cause and the scenarios
// that need it are blocked, naming it.
type NeedDef struct {
	About    string
	StatedBy string // "" for inputs of the run, which cannot be broken
}

// KnownNeeds are the capabilities a scenario can declare. The probe decides
// each one before the run: present, absent (the stack declares it lacks it),
// not provided (the run lacks an input) or broken (claimed but failing).
var KnownNeeds = map[string]NeedDef{
	"hvm":               {"hvm guests of the host's own architecture in the stack's capabilities", "CONN-019"},
	"domcaps":           {"domain capabilities (virConnectGetDomainCapabilities)", "CONN-013"},
	"persistent":        {"persistent domain definitions (virDomainDefineXML)", "DOM-001"},
	"kvm":               {"a usable KVM accelerator (a type='kvm' domain starts)", "CONN-018"},
	"host":              {"the stack runs on this host, so its host devices (bridges, files) can be inspected from here", ""},
	"nwfilter":          {"network filters (virNWFilter*)", "FLT-001"},
	"secrets":           {"secrets (virSecret*)", "SEC-001"},
	"peer":              {"a second stack to migrate to (--peer-uri), on another host (or another daemon with its own host UUID)", ""},
	"guest":             {"a guest OS that boots to a running guest agent (the guest fixture, --guest-kernel or --guest-disk)", "GUEST-001"},
	"guestfs":           {"libguestfs on the stack's host, and its Go binding built into ovacts", ""},
	"guestfs-appliance": {"libguestfs's appliance launches on the stack's host", "GFS-003"},
	"guestfs-libvirt":   {"libguestfs's libvirt backend on the stack: a local QEMU stack that can run the appliance as a domain", "GFS-011"},
	"guestfs-tools":     {"the libguestfs tools virt-inspector and virt-v2v, xmllint and virt-inspector's RELAX NG schema", ""},
	"ovirt-engine":      {"an oVirt engine to check (--ovirt-url, --ovirt-user, --ovirt-password-file, --ovirt-ca-file or --ovirt-insecure)", ""},
	"admin":             {"the daemon's admin interface (libvirt-admin): its UNIX socket on this host", ""},
	"schemas":           {"libvirt's RELAX NG schemas (of the daemon's version or newer) and xmllint on the host running ovacts", ""},
	"ovirt-changes":     {"leave to create, start, stop and remove VMs on that engine (--ovirt-allow-changes)", ""},
	// Calls the probe asks for with harmless arguments (harness/probe_caps.go).
	"hotplug":             {"device hotplug on a running domain (virDomainAttachDeviceFlags, virDomainDetachDeviceFlags)", "HOT-001"},
	"migration":           {"migration and its tuning calls (virDomainMigrate*)", "JOB-001"},
	"dirty-rate":          {"dirty page rate calculation (virDomainStartDirtyRateCalc)", "JOB-004"},
	"job-info":            {"a domain's job information (virDomainGetJobInfo)", "STAT-007"},
	"block-resize":        {"resizing a running domain's disk (virDomainBlockResize)", "BLOCK-002"},
	"block-copy":          {"block copy jobs (virDomainBlockCopy)", "BLOCK-003"},
	"disk-only-snapshots": {"disk-only external snapshots (VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY)", "SNAP-003"},
	"checkpoint-validate": {"checkpoints redefined checked against their bitmap (VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE_VALIDATE)", "BACKUP-004"},
	"backup":              {"backup jobs (virDomainBackupBegin)", "BACKUP-005"},
	"save-params":         {"saving through typed parameters (virDomainSaveParams)", "SAVE-008"},
	"save-state-flags":    {"choosing the restored state at save (VIR_DOMAIN_SAVE_RUNNING, VIR_DOMAIN_SAVE_PAUSED)", "SAVE-007"},
	"managed-save-xml":    {"the domain XML of a managed save image (virDomainManagedSaveGetXMLDesc)", "SAVE-009"},
	"tuning-live":         {"tuning a running domain (vCPU pinning and scheduler parameters with VIR_DOMAIN_AFFECT_LIVE)", "TUNE-001"},
	"tuning-config":       {"tuning a domain's definition (vCPU pinning with VIR_DOMAIN_AFFECT_CONFIG)", "TUNE-003"},
	"stats-cpu":           {"the CPU time group of domain statistics (VIR_DOMAIN_STATS_CPU_TOTAL)", "STAT-002"},
	"stats-balloon":       {"the balloon group of domain statistics (VIR_DOMAIN_STATS_BALLOON)", "STAT-002"},
	"stats-vcpu":          {"the vCPU group of domain statistics (VIR_DOMAIN_STATS_VCPU)", "STAT-002"},
	"stats-interface":     {"the interface group of domain statistics (VIR_DOMAIN_STATS_INTERFACE)", "STAT-003"},
	"stats-block":         {"the block group of domain statistics (VIR_DOMAIN_STATS_BLOCK)", "STAT-002"},
	"node-memory-stats":   {"the host's memory statistics (virNodeGetMemoryStats)", "STAT-009"},
	"pool-caps":           {"storage pool capabilities (virConnectGetStoragePoolCapabilities)", "SCHEMA-007"},
	"pool-lookup-by-path": {"looking a storage pool up by its target path (virStoragePoolLookupByTargetPath)", "STOR-020"},
	"pool-build":          {"building a transient pool as it is created (VIR_STORAGE_POOL_CREATE_WITH_BUILD)", "STOR-002"},
	"network-ports":       {"network ports (virNetworkPort*)", "NET-012"},
	"volume-upload":       {"uploading to a volume through a stream (virStorageVolUpload)", "STOR-011"},
	"volume-resize":       {"resizing a volume (virStorageVolResize)", "STOR-007"},
}

func knownNeedNames() []string { return sortedKeys(KnownNeeds) }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

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
