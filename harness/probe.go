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
	"strings"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/fixtures"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

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
	c, v, err := identify(conn, uri)
	if err != nil {
		return nil, err
	}
	c.probeSchemas(v.client, v.daemon)
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

// libVersions are libvirt's packed versions of the client library and the daemon.
type libVersions struct{ client, daemon uint32 }

// identify is the part of the probe that only reads: the driver, the
// versions, the host name, the node, the host's facts (a local stack only)
// and the capabilities. It creates nothing on the stack (Observe is it alone).
func identify(conn *libvirt.Connect, uri string) (*Capabilities, libVersions, error) {
	c, v := &Capabilities{Missing: map[string]Need{}}, libVersions{}
	if why, state := notLocal(uri); why != "" {
		c.Lack("host", why, state)
	}
	var err error
	if c.Driver, err = conn.GetType(); err != nil {
		return nil, v, fmt.Errorf("probe: driver type: %w", err)
	}
	if uri, err := conn.GetURI(); err == nil {
		c.URI = RedactURI(uri)
	}
	if v.client, err = libvirt.GetVersion(); err == nil {
		c.LibvirtClient = VersionString(v.client)
	}
	if v.daemon, err = conn.GetLibVersion(); err == nil {
		c.LibvirtDaemon = VersionString(v.daemon)
	}
	if hv, err := conn.GetVersion(); err == nil {
		c.HypervisorVersion = VersionString(uint32(hv))
	}
	if c.Hostname, err = conn.GetHostname(); err != nil {
		return nil, v, fmt.Errorf("probe: hostname: %w", err)
	}
	if c.Has("host") {
		if here, err := os.Hostname(); err == nil {
			if why := otherHost(c.Hostname, here); why != "" {
				c.Lack("host", why, NotProvided)
			}
		}
	}
	if ni, err := conn.GetNodeInfo(); err == nil {
		c.HostCPUs = int(ni.Cpus)
	}
	if c.Has("host") {
		c.HostFacts = MeasureHost()
		c.HostKernel, _ = c.HostFacts.Get(FactKernel)
	}
	c.probeGuestTypes(conn)
	return c, v, nil
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
			c.Break(need, catalogue.KnownNeeds[need].StatedBy, fmt.Sprintf("%s failed: %s", catalogue.KnownNeeds[need].About, DescribeError(err)))
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

// otherHost says why a stack reached at a local address is not on this host
// after all, or "": its daemon answers another host name (it runs in a
// container or namespaces of its own, as the peers make test starts do), so
// the paths it reports are not this host's to read. libvirt may answer the
// fully qualified name of a short one: the first labels are compared.
func otherHost(daemon, here string) string {
	first := func(h string) string { l, _, _ := strings.Cut(strings.ToLower(h), "."); return l }
	if first(daemon) == first(here) {
		return ""
	}
	return fmt.Sprintf("the stack's daemon answers host name %q, this host is %q: it runs apart (another host, container or namespace), and its files are not this host's to read: run ovacts where it runs", daemon, here)
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
