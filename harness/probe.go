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
	"ovirt-changes":     {"leave to create, start, stop and remove VMs on that engine (--ovirt-allow-changes)", ""},
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

const (
	// Absent: the stack declares it lacks the capability (an unsupported
	// answer, a capability it does not advertise): not applicable.
	Absent NeedState = "absent"
	// NotProvided: the run lacks an input (no --peer-uri, no guest OS, a
	// remote stack for a host check): not run.
	NotProvided NeedState = "not-provided"
	// Broken: the stack claims the capability but it fails: the requirement
	// that states it fails, the scenarios that need it are blocked.
	Broken NeedState = "broken"
)

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
	Missing           map[string]Need `json:"missing,omitempty"`    // need -> why it is not there
	Guest             *Guest          `json:"guest,omitempty"`      // the probed guest OS, when scenarios need one
	Guestfs           *Guestfs        `json:"guestfs,omitempty"`    // the probed libguestfs, when scenarios need it
	OVirt             *OVirtEngine    `json:"ovirt,omitempty"`      // the engine of the ovirt-engine scenarios
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
// A declared absence (libvirt's unsupported answers, a capability not
// advertised) makes a capability absent; any other error makes it broken.
func Probe(conn *libvirt.Connect, uri string, tracker *Tracker, prefix string, owner Owner) (*Capabilities, error) {
	c := &Capabilities{Missing: map[string]Need{}}
	if why, state := notLocal(uri); why != "" {
		c.Lack("host", why, state)
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
	if c.Has("host") {
		if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
			c.HostKernel = strings.TrimSpace(string(b))
		}
	}
	c.probeGuestTypes(conn)
	c.probeOptional(conn)
	c.probeSecretStore(conn, tracker, prefix, owner)
	if c.Has("hvm") {
		c.probeKVM(conn, tracker, prefix, owner)
		if err := c.probePersistent(conn, tracker, prefix, owner); err != nil {
			return nil, err
		}
	}
	c.BreakAs("kvm", "hvm", "no kvm domain can be tried")
	c.BreakAs("persistent", "hvm", "no domain can be defined")
	if err := tracker.Cleanup(); err != nil {
		return nil, fmt.Errorf("probe: removing its own objects: %w", err)
	}
	return c, nil
}

// probeGuestTypes reads the capabilities: the host's architecture and the
// domain types offered for hvm guests of it. Capabilities that cannot be read
// or name no guest break "hvm" (CONN-007 states it); guests only of other
// architectures break it too (CONN-019): the stack is judged on its host's
// own architecture.
func (c *Capabilities) probeGuestTypes(conn *libvirt.Connect) {
	capsXML, err := conn.GetCapabilities()
	if err != nil {
		c.Break("hvm", "CONN-007", "the capabilities cannot be read: "+DescribeError(err))
		return
	}
	sum := sha256.Sum256([]byte(capsXML))
	c.CapsSHA256 = hex.EncodeToString(sum[:])
	var caps libvirtxml.Caps
	if err := caps.Unmarshal(capsXML); err != nil {
		c.Break("hvm", "CONN-007", "the capabilities XML does not parse: "+err.Error())
		return
	}
	if caps.Host.CPU != nil {
		c.Arch = caps.Host.CPU.Arch
	}
	c.GuestArch, c.DomainTypes = c.Arch, guestTypes(&caps, c.Arch)
	if len(c.DomainTypes) > 0 {
		c.DomainType = c.DomainTypes[0]
		return
	}
	offered := offeredGuests(&caps)
	switch {
	case len(caps.Guests) == 0:
		c.Break("hvm", "CONN-007", "the capabilities name no guest at all")
	case len(offered) == 0:
		c.Break("hvm", "CONN-019", fmt.Sprintf("the capabilities offer no hvm guest (host architecture %q)", c.Arch))
	default:
		c.Break("hvm", "CONN-019", fmt.Sprintf("the capabilities offer no hvm guest of the host's architecture %q, only %s", c.Arch, strings.Join(offered, ", ")))
	}
}

// unsupportedAnswer is libvirt's way of declaring it lacks something.
func unsupportedAnswer(err error) bool {
	return errors.Is(err, libvirt.ERR_NO_SUPPORT) || errors.Is(err, libvirt.ERR_ARGUMENT_UNSUPPORTED) ||
		errors.Is(err, libvirt.ERR_OPERATION_UNSUPPORTED)
}

// probeOptional asks for the optional subsystems: a list or capabilities
// call answers "not supported" where the driver has none, and changes nothing.
func (c *Capabilities) probeOptional(conn *libvirt.Connect) {
	judge := func(need string, err error, absent string) {
		switch {
		case err == nil:
		case unsupportedAnswer(err):
			c.Lack(need, absent+": "+DescribeError(err), Absent)
		default:
			c.Break(need, KnownNeeds[need].StatedBy, fmt.Sprintf("%s failed: %s", KnownNeeds[need].About, DescribeError(err)))
		}
	}
	if c.Has("hvm") {
		_, err := conn.GetDomainCapabilities("", c.GuestArch, "", "", 0)
		judge("domcaps", err, "the driver does not offer domain capabilities")
		c.DomainCaps = err == nil
	}
	fs, err := conn.ListAllNWFilters(0)
	for i := range fs {
		fs[i].Free()
	}
	judge("nwfilter", err, "the driver has no network filters")
	ss, err := conn.ListAllSecrets(0)
	for i := range ss {
		ss[i].Free()
	}
	judge("secrets", err, "the driver has no secrets")
}

// probeSecretStore defines and undefines a persistent secret of the run: a
// stack that lists secrets but cannot keep one has broken secrets (SEC-001).
func (c *Capabilities) probeSecretStore(conn *libvirt.Connect, tracker *Tracker, prefix string, owner Owner) {
	if !c.Has("secrets") {
		return
	}
	usage, uuid := prefix+"probe-secret", NewUUID()
	x := fmt.Sprintf(`<secret ephemeral='no' private='yes'><uuid>%s</uuid><description>%s</description><usage type='ceph'><name>%s</name></usage></secret>`,
		uuid, XMLEscape(owner.Text()), XMLEscape(usage))
	err := tracker.Create(Resource{Kind: KindSecret, Name: usage, UUID: uuid}, func() (string, error) {
		s, err := conn.SecretDefineXML(x, 0)
		if err != nil {
			return "", err
		}
		return "", s.Free()
	})
	switch {
	case err == nil:
	case unsupportedAnswer(err):
		c.Lack("secrets", "the driver does not define secrets: "+DescribeError(err), Absent)
	default:
		c.Break("secrets", "SEC-001", "defining a secret failed: "+DescribeError(err))
	}
}

// probeKVM decides "kvm": offered and a kvm domain starts; offered and it
// does not (broken, CONN-018); not offered by a local QEMU stack on a host
// that has /dev/kvm (broken, KVM-010); or not offered at all (absent).
func (c *Capabilities) probeKVM(conn *libvirt.Connect, tracker *Tracker, prefix string, owner Owner) {
	if slices.Contains(c.DomainTypes, "kvm") {
		// Offered is not usable: start a domain with no OS to find out.
		name := prefix + "probe-kvm"
		err := tryStart(conn, tracker, owner, name, fixtures.DomainVars{Name: name, UUID: NewUUID(), Type: "kvm", Arch: c.GuestArch})
		if err == nil {
			c.KVMUsable, c.DomainType = true, "kvm"
			return
		}
		c.KVMNote = "kvm offered but a kvm domain did not start: " + DescribeError(err)
		c.Break("kvm", "CONN-018", c.KVMNote)
	} else if st, err := os.Stat("/dev/kvm"); err == nil && st.Mode()&os.ModeCharDevice != 0 && c.Driver == "QEMU" && c.Has("host") {
		c.Break("kvm", "KVM-010", fmt.Sprintf("this host has /dev/kvm but the stack offers no kvm domain type (offers %s)", strings.Join(c.DomainTypes, ", ")))
	} else {
		c.Lack("kvm", fmt.Sprintf("the stack offers no kvm domain type (offers %s)", strings.Join(c.DomainTypes, ", ")), Absent)
	}
	if slices.Contains(c.DomainTypes, "qemu") {
		c.DomainType = "qemu"
	}
}

// probePersistent defines a minimal domain of the type scenarios will use.
func (c *Capabilities) probePersistent(conn *libvirt.Connect, tracker *Tracker, prefix string, owner Owner) error {
	name, uuid := prefix+"probe-persistent", NewUUID()
	xml, err := fixtures.Domain("minimal", fixtures.DomainVars{Name: name, UUID: uuid, Type: c.DomainType, Arch: c.GuestArch})
	if err != nil {
		return err
	}
	d, err := tracker.CreateDomain(name, uuid, xml, false)
	switch {
	case err == nil:
		err := OwnDomain(d, owner)
		d.Free()
		if err != nil {
			return fmt.Errorf("probe: %w", err)
		}
		c.Persistent = true
	case unsupportedAnswer(err):
		c.Lack("persistent", "the driver does not define persistent domains: "+DescribeError(err), Absent)
	default:
		c.Break("persistent", "DOM-001", fmt.Sprintf("defining a minimal %s domain failed: %s", c.DomainType, DescribeError(err)))
	}
	return nil
}

// LocalURI reports whether the stack runs on this host (so its files are ours to read).
func LocalURI(uri string) bool { why, _ := notLocal(uri); return why == "" }

// notLocal says why the stack's host devices cannot be inspected from here,
// or "": the test driver has none (absent); a remote stack's are elsewhere
// (not provided: run ovacts on that host).
func notLocal(uri string) (string, NeedState) {
	u, err := url.Parse(uri)
	if err != nil {
		return "the URI does not parse", NotProvided
	}
	if strings.HasPrefix(u.Scheme, "test") {
		return "the test driver runs in-process and creates no host devices", Absent
	}
	switch u.Hostname() {
	case "", "localhost", "127.0.0.1", "::1":
		return "", ""
	}
	return "the stack runs on " + u.Hostname() + ", not on this host: run ovacts there to check its host", NotProvided
}

// guestTypes lists the domain types offered for hvm guests of arch.
func guestTypes(caps *libvirtxml.Caps, arch string) []string {
	var out []string
	for _, g := range caps.Guests {
		if g.OSType != "hvm" || g.Arch.Name != arch {
			continue
		}
		for _, d := range g.Arch.Domains {
			if !slices.Contains(out, d.Type) {
				out = append(out, d.Type)
			}
		}
	}
	return out
}

// offeredGuests lists the hvm guest architectures the capabilities offer.
func offeredGuests(caps *libvirtxml.Caps) []string {
	var out []string
	for _, g := range caps.Guests {
		if g.OSType == "hvm" && !slices.Contains(out, g.Arch.Name) {
			out = append(out, g.Arch.Name)
		}
	}
	return out
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
