package harness

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/ovacts/ovacts/fixtures"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// KnownNeeds are the capabilities a scenario can declare with @needs:<name>.
// The probe decides each one before the run; a scenario whose needs are not met
// is skipped with the reason, without running.
var KnownNeeds = map[string]string{
	"domcaps":         "domain capabilities (virConnectGetDomainCapabilities)",
	"persistent":      "persistent domain definitions (virDomainDefineXML)",
	"kvm":             "a usable KVM accelerator (a type='kvm' domain starts)",
	"host":            "the stack runs on this host, so its host devices (bridges, files) can be inspected from here",
	"nwfilter":        "network filters (virNWFilter*)",
	"secrets":         "secrets (virSecret*)",
	"peer":            "a second stack to migrate to (--peer-uri), on another host (or another daemon with its own host UUID)",
	"guest":           "a guest OS that boots to a running guest agent (the guest fixture, --guest-kernel or --guest-disk)",
	"guestfs":         "libguestfs on the stack's host: the Go binding built in, and an appliance that launches",
	"guestfs-libvirt": "libguestfs's libvirt backend on the stack: a local QEMU stack that can run the appliance as a domain",
	"guestfs-tools":   "the libguestfs tools virt-inspector and virt-v2v, xmllint and virt-inspector's RELAX NG schema",
	"ovirt-engine":    "an oVirt engine to check (--ovirt-url, --ovirt-user, --ovirt-password-file, --ovirt-ca-file or --ovirt-insecure)",
	"ovirt-changes":   "leave to create, start, stop and remove VMs on that engine (--ovirt-allow-changes)",
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

// Capabilities is what the probe learned about the stack, once, before any scenario.
type Capabilities struct {
	URI               string            `json:"uri"` // redacted
	Driver            string            `json:"driver"`
	LibvirtClient     string            `json:"libvirtClient"`
	LibvirtDaemon     string            `json:"libvirtDaemon"`
	HypervisorVersion string            `json:"hypervisorVersion"`
	Hostname          string            `json:"hostname"`
	Arch              string            `json:"arch"`
	GuestArch         string            `json:"guestArch"`
	DomainTypes       []string          `json:"domainTypes"` // offered for hvm guests of GuestArch
	DomainType        string            `json:"domainType"`  // what scenarios use
	KVMUsable         bool              `json:"kvmUsable"`
	KVMNote           string            `json:"kvmNote,omitempty"`
	DomainCaps        bool              `json:"domainCaps"`
	Persistent        bool              `json:"persistent"`
	CapsSHA256        string            `json:"capsSHA256"`           // digest of the capabilities XML
	HostKernel        string            `json:"hostKernel,omitempty"` // local stacks only
	Missing           map[string]string `json:"missing,omitempty"`    // need -> why it is missing
	Guest             *Guest            `json:"guest,omitempty"`      // the probed guest OS, when scenarios need one
	Guestfs           *Guestfs          `json:"guestfs,omitempty"`    // the probed libguestfs, when scenarios need it
	OVirt             *OVirtEngine      `json:"ovirt,omitempty"`      // the engine of the ovirt-engine scenarios
	// Precondition lists the missing needs that are the run's setup, not the
	// stack (no guest OS given): their skips say "precondition".
	Precondition []string `json:"precondition,omitempty"`
}

// Has reports whether a declared need is met, and if not, why.
func (c *Capabilities) Has(need string) (bool, string) {
	if why, missing := c.Missing[need]; missing {
		return false, why
	}
	return true, ""
}

// Lack records a missing need with its reason, once: the first reason stands.
// A precondition (the run's setup, not the stack) makes its skips say so.
func (c *Capabilities) Lack(need, why string, kind SkipKind) {
	if _, already := c.Missing[need]; already {
		return
	}
	c.Missing[need] = why
	if kind == SkipPrecondition {
		c.Precondition = append(c.Precondition, need)
	}
}

// VersionString renders libvirt's packed version numbers (major*1e6+minor*1e3+micro).
func VersionString(v uint32) string {
	return fmt.Sprintf("%d.%d.%d", v/1000000, v/1000%1000, v%1000)
}

// NewUUID returns a random RFC 4122 version 4 UUID.
func NewUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Probe asks the stack what it is and what it can do. Objects it creates to find
// out are named with prefix and tracked, so they are removed like any other.
func Probe(conn *libvirt.Connect, uri string, tracker *Tracker, prefix string, owner Owner) (*Capabilities, error) {
	c := &Capabilities{Missing: map[string]string{}}
	if why := notLocal(uri); why != "" {
		c.Missing["host"] = why
	}
	var err error
	if c.Driver, err = conn.GetType(); err != nil {
		return nil, fmt.Errorf("probe: driver type: %w", err)
	}
	if uri, err := conn.GetURI(); err == nil {
		c.URI = RedactURI(uri)
	}
	if v, err := libvirt.GetVersion(); err == nil {
		c.LibvirtClient = VersionString(v)
	}
	if v, err := conn.GetLibVersion(); err == nil {
		c.LibvirtDaemon = VersionString(v)
	}
	if v, err := conn.GetVersion(); err == nil {
		c.HypervisorVersion = VersionString(uint32(v))
	}
	if c.Hostname, err = conn.GetHostname(); err != nil {
		return nil, fmt.Errorf("probe: hostname: %w", err)
	}
	capsXML, err := conn.GetCapabilities()
	if err != nil {
		return nil, fmt.Errorf("probe: capabilities: %w", err)
	}
	var caps libvirtxml.Caps
	if err := caps.Unmarshal(capsXML); err != nil {
		return nil, fmt.Errorf("probe: capabilities XML does not parse: %w", err)
	}
	sum := sha256.Sum256([]byte(capsXML))
	c.CapsSHA256 = hex.EncodeToString(sum[:])
	if _, remote := c.Missing["host"]; !remote {
		if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
			c.HostKernel = strings.TrimSpace(string(b))
		}
	}
	if caps.Host.CPU != nil {
		c.Arch = caps.Host.CPU.Arch
	}
	c.GuestArch, c.DomainTypes = guestTypes(&caps, c.Arch)
	if len(c.DomainTypes) == 0 {
		return nil, fmt.Errorf("probe: the capabilities offer no hvm guest")
	}

	if _, err := conn.GetDomainCapabilities("", c.GuestArch, "", "", 0); err == nil {
		c.DomainCaps = true
	} else if errors.Is(err, libvirt.ERR_NO_SUPPORT) {
		c.Missing["domcaps"] = "the driver does not offer domain capabilities: " + DescribeError(err)
	} else {
		c.Missing["domcaps"] = "domain capabilities failed: " + DescribeError(err)
	}

	// Optional subsystems: a list call answers VIR_ERR_NO_SUPPORT where the
	// driver has none, and changes nothing.
	if fs, err := conn.ListAllNWFilters(0); err != nil {
		c.Missing["nwfilter"] = "the driver has no network filters: " + DescribeError(err)
	} else {
		for i := range fs {
			fs[i].Free()
		}
	}
	if ss, err := conn.ListAllSecrets(0); err != nil {
		c.Missing["secrets"] = "the driver has no secrets: " + DescribeError(err)
	} else {
		for i := range ss {
			ss[i].Free()
		}
	}

	c.DomainType = c.DomainTypes[0]
	if slices.Contains(c.DomainTypes, "kvm") {
		// Offered is not usable: start a domain with no OS to find out.
		name := prefix + "probe-kvm"
		err := tryStart(conn, tracker, owner, name, fixtures.DomainVars{Name: name, UUID: NewUUID(), Type: "kvm", Arch: c.GuestArch})
		if err == nil {
			c.KVMUsable, c.DomainType = true, "kvm"
		} else {
			c.KVMNote = "kvm offered but a kvm domain did not start: " + DescribeError(err)
			c.Missing["kvm"] = c.KVMNote
		}
	} else {
		c.Missing["kvm"] = fmt.Sprintf("the stack offers no kvm domain type (offers %s)", strings.Join(c.DomainTypes, ", "))
	}
	if !c.KVMUsable && slices.Contains(c.DomainTypes, "qemu") {
		c.DomainType = "qemu"
	}

	name, uuid := prefix+"probe-persistent", NewUUID()
	xml, err := fixtures.Domain("minimal", fixtures.DomainVars{Name: name, UUID: uuid, Type: c.DomainType, Arch: c.GuestArch})
	if err != nil {
		return nil, err
	}
	if d, err := tracker.CreateDomain(name, uuid, xml, false); err == nil {
		err := OwnDomain(d, owner)
		d.Free()
		if err != nil {
			tracker.Cleanup()
			return nil, fmt.Errorf("probe: %w", err)
		}
		c.Persistent = true
	} else if errors.Is(err, libvirt.ERR_NO_SUPPORT) {
		c.Missing["persistent"] = "the driver does not define persistent domains: " + DescribeError(err)
	} else {
		return nil, fmt.Errorf("probe: defining a minimal %s domain failed: %w", c.DomainType, err)
	}
	if err := tracker.Cleanup(); err != nil {
		return nil, fmt.Errorf("probe: removing its own objects: %w", err)
	}
	return c, nil
}

// LocalURI reports whether the stack runs on this host (so its files are ours to read).
func LocalURI(uri string) bool { return notLocal(uri) == "" }

// notLocal says why the stack's host devices cannot be inspected from here, or "".
func notLocal(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return "the URI does not parse"
	}
	if strings.HasPrefix(u.Scheme, "test") {
		return "the test driver runs in-process and creates no host devices"
	}
	switch u.Hostname() {
	case "", "localhost", "127.0.0.1", "::1":
		return ""
	}
	return "the stack runs on " + u.Hostname() + ", not on this host"
}

// guestTypes picks the hvm guest arch (the host's when offered) and its domain types.
func guestTypes(caps *libvirtxml.Caps, hostArch string) (string, []string) {
	byArch := map[string][]string{}
	var arches []string
	for _, g := range caps.Guests {
		if g.OSType != "hvm" {
			continue
		}
		if _, seen := byArch[g.Arch.Name]; !seen {
			arches = append(arches, g.Arch.Name)
		}
		for _, d := range g.Arch.Domains {
			if !slices.Contains(byArch[g.Arch.Name], d.Type) {
				byArch[g.Arch.Name] = append(byArch[g.Arch.Name], d.Type)
			}
		}
	}
	arch := hostArch
	if _, ok := byArch[arch]; !ok {
		if len(arches) == 0 {
			return "", nil
		}
		arch = arches[0]
	}
	return arch, byArch[arch]
}

func tryStart(conn *libvirt.Connect, tracker *Tracker, owner Owner, name string, v fixtures.DomainVars) error {
	xml, err := fixtures.Domain("minimal", v)
	if err != nil {
		return err
	}
	d, err := tracker.CreateDomain(name, v.UUID, xml, true)
	if err != nil {
		return err
	}
	defer d.Free()
	return OwnDomain(d, owner)
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
	if c.HostKernel != "" {
		props = append(props, [2]string{"host.kernel", c.HostKernel})
	}
	if g := c.Guest; g != nil {
		props = append(props, [2]string{"guest.source", g.Describe()}, [2]string{"guest.accel", g.Accel},
			[2]string{"guest.domain.type", g.DomainType}, [2]string{"guest.probe.boot.seconds", fmt.Sprintf("%.2f", g.ProbeBoot.Seconds())})
		if g.AccelNote != "" {
			props = append(props, [2]string{"guest.accel.note", g.AccelNote})
		}
	} else if why, missing := c.Missing["guest"]; missing {
		props = append(props, [2]string{"guest.missing", why})
	}
	if g := c.Guestfs; g != nil {
		props = append(props, [2]string{"guestfs.version", g.Version}, [2]string{"guestfs.accel", g.Accel},
			[2]string{"guestfs.probe.launch.seconds", fmt.Sprintf("%.2f", g.ProbeLaunch.Seconds())})
		if g.AccelNote != "" {
			props = append(props, [2]string{"guestfs.accel.note", g.AccelNote})
		}
	} else if why, missing := c.Missing["guestfs"]; missing {
		props = append(props, [2]string{"guestfs.missing", why})
	}
	if e := c.OVirt; e != nil {
		props = append(props, [2]string{"ovirt.engine.url", e.Base}, [2]string{"ovirt.engine.user", e.User})
	} else if why, missing := c.Missing["ovirt-engine"]; missing {
		props = append(props, [2]string{"ovirt.engine.missing", why})
	}
	return props
}
