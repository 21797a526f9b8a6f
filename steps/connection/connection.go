package connection

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/ovacts/ovacts/fixtures"
	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// driverOf returns the driver part of a libvirt URI scheme: "qemu" for "qemu+ssh".
func driverOf(uri string) (string, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", err
	}
	if u.Scheme == "" {
		return "", fmt.Errorf("URI %q has no scheme", harness.RedactURI(uri))
	}
	return strings.SplitN(u.Scheme, "+", 2)[0], nil
}

func connectionIsAlive(ctx context.Context) error {
	alive, err := W(ctx).Conn.IsAlive()
	if err != nil {
		return err
	}
	if !alive {
		return errors.New("IsAlive reports the connection dead")
	}
	return nil
}

func connectionReportsAUriWithTheRequested(ctx context.Context) error {
	w := W(ctx)
	got, err := w.Conn.GetURI()
	if err != nil {
		return err
	}
	want, err := driverOf(w.URI())
	if err != nil {
		return err
	}
	have, err := driverOf(got)
	if err != nil {
		return fmt.Errorf("GetURI returned %q: %w", harness.RedactURI(got), err)
	}
	if have != want {
		return fmt.Errorf("GetURI names driver %q, the run asked for %q", have, want)
	}
	return nil
}

func driverTypeMatchesTheUriSDriver(ctx context.Context) error {
	w := W(ctx)
	typ, err := w.Conn.GetType()
	if err != nil {
		return err
	}
	want, err := driverOf(w.URI())
	if err != nil {
		return err
	}
	if !strings.EqualFold(typ, want) {
		return fmt.Errorf("GetType is %q for a %q URI", typ, want)
	}
	return nil
}

func reportsALibvirtVersionOfAtLeast(ctx context.Context, who string, maj, min, mic int) error {
	w := W(ctx)
	var v uint32
	var err error
	if who == "daemon" {
		v, err = w.Conn.GetLibVersion()
	} else {
		v, err = libvirt.GetVersion()
	}
	if err != nil {
		return err
	}
	if floor := uint32(maj*1000000 + min*1000 + mic); v < floor {
		return fmt.Errorf("the %s reports libvirt %s, below %d.%d.%d", who, harness.VersionString(v), maj, min, mic)
	}
	return nil
}

func hypervisorReportsANonZeroVersion(ctx context.Context) error {
	v, err := W(ctx).Conn.GetVersion()
	if err != nil {
		return err
	}
	if v == 0 {
		return errors.New("GetVersion returned 0: the hypervisor version is unknown")
	}
	return nil
}

func hostNameIsAValidDnsName(ctx context.Context) error {
	h, err := W(ctx).Conn.GetHostname()
	if err != nil {
		return err
	}
	if len(h) > 253 || !stepkit.HostnamePattern.MatchString(h) {
		return fmt.Errorf("GetHostname returned %q, not a valid host name", h)
	}
	return nil
}

func capabilitiesXmlParsesAndNamesTheHost(ctx context.Context) error {
	caps, err := W(ctx).Capabilities()
	if err != nil {
		return err
	}
	if caps.Host.CPU == nil || caps.Host.CPU.Arch == "" {
		return errors.New("the capabilities name no host CPU architecture")
	}
	return nil
}

func capabilitiesOfferAtLeastOneHvmGuest(ctx context.Context) error {
	caps, err := W(ctx).Capabilities()
	if err != nil {
		return err
	}
	for _, g := range caps.Guests {
		if g.OSType == "hvm" && len(g.Arch.Domains) > 0 {
			return nil
		}
	}
	return fmt.Errorf("no hvm guest with a domain type among %d guests", len(caps.Guests))
}

func capabilitiesOfferHvmGuestsOfTheHost(ctx context.Context) error {
	caps, err := W(ctx).Capabilities()
	if err != nil {
		return err
	}
	host := ""
	if caps.Host.CPU != nil {
		host = caps.Host.CPU.Arch
	}
	var others []string
	for _, g := range caps.Guests {
		if g.OSType != "hvm" || len(g.Arch.Domains) == 0 {
			continue
		}
		if g.Arch.Name == host {
			return nil
		}
		others = append(others, g.Arch.Name)
	}
	return fmt.Errorf("no hvm guest of the host's architecture %q; the capabilities offer hvm guests of %v", host, others)
}

func everyOfferedDomainTypeStartsAMinimalDomain(ctx context.Context) error {
	w := W(ctx)
	if len(w.Caps.DomainTypes) == 0 {
		return fmt.Errorf("the capabilities offer no domain type for %s", w.Caps.GuestArch)
	}
	for _, typ := range w.Caps.DomainTypes {
		logical := "type-" + typ
		v := w.DomainVars(logical)
		v.Type = typ
		x, err := fixtures.Domain("minimal", v)
		if err != nil {
			return err
		}
		if err := w.CreateTransient(logical, x); err != nil {
			return fmt.Errorf("the stack offers domain type %s for %s, but a minimal %s domain does not start: %w", typ, w.Caps.GuestArch, typ, err)
		}
		if st, reason, err := w.WaitState(ctx, logical, libvirt.DOMAIN_RUNNING); err != nil || st != libvirt.DOMAIN_RUNNING {
			return fmt.Errorf("a %s domain started but is %s (%v)", typ, stepkit.DescribeState(st, reason), err)
		}
		if err := w.WithDomain(logical, func(d *libvirt.Domain) error { return d.Destroy() }); err != nil {
			return fmt.Errorf("destroying the %s domain: %w", typ, err)
		}
	}
	return nil
}

func everyCapabilitiesGuestNamesOSTypeArchAndDomainType(ctx context.Context) error {
	caps, err := W(ctx).Capabilities()
	if err != nil {
		return err
	}
	for i, g := range caps.Guests {
		if g.OSType == "" || g.Arch.Name == "" || len(g.Arch.Domains) == 0 {
			return fmt.Errorf("guest %d is incomplete: os_type %q, arch %q, %d domain types", i, g.OSType, g.Arch.Name, len(g.Arch.Domains))
		}
		for _, d := range g.Arch.Domains {
			if d.Type == "" {
				return fmt.Errorf("guest %d (%s) has a domain with no type", i, g.Arch.Name)
			}
		}
	}
	return nil
}

func capabilitiesHostUuidIsAValidUuid(ctx context.Context) error {
	caps, err := W(ctx).Capabilities()
	if err != nil {
		return err
	}
	if !stepkit.UUIDPattern.MatchString(strings.ToLower(caps.Host.UUID)) {
		return fmt.Errorf("host UUID %q is not a valid UUID", caps.Host.UUID)
	}
	return nil
}

func nodeInfoReportsACpuModelAt(ctx context.Context) error {
	ni, err := W(ctx).Conn.GetNodeInfo()
	if err != nil {
		return err
	}
	if ni.Model == "" || ni.Cpus < 1 || ni.Memory == 0 || ni.MHz == 0 {
		return fmt.Errorf("node info is not sane: %+v", *ni)
	}
	return nil
}

func nodeTopologyMultipliesOutToTheCpu(ctx context.Context) error {
	ni, err := W(ctx).Conn.GetNodeInfo()
	if err != nil {
		return err
	}
	if p := ni.Nodes * ni.Sockets * ni.Cores * ni.Threads; p != uint32(ni.Cpus) {
		return fmt.Errorf("nodes %d x sockets %d x cores %d x threads %d = %d, but %d CPUs", ni.Nodes, ni.Sockets, ni.Cores, ni.Threads, p, ni.Cpus)
	}
	return nil
}

func freeMemoryIsNoMoreThanThe(ctx context.Context) error {
	w := W(ctx)
	ni, err := w.Conn.GetNodeInfo()
	if err != nil {
		return err
	}
	free, err := w.Conn.GetFreeMemory()
	if err != nil {
		return err
	}
	if total := ni.Memory * 1024; free > total {
		return fmt.Errorf("free memory %d bytes exceeds the node's %d bytes", free, total)
	}
	return nil
}

func domainCapabilitiesParseAndMatchTheProbed(ctx context.Context) error {
	dc, err := W(ctx).DomainCaps("")
	if err != nil {
		return err
	}
	w := W(ctx)
	if dc.Domain != w.Caps.DomainType || dc.Arch != w.Caps.GuestArch {
		return fmt.Errorf("domain capabilities are for %s/%s, asked for %s/%s", dc.Domain, dc.Arch, w.Caps.DomainType, w.Caps.GuestArch)
	}
	return nil
}

func domainCapabilitiesReportAPositiveMaximumVcpu(ctx context.Context) error {
	dc, err := W(ctx).DomainCaps("")
	if err != nil {
		return err
	}
	if dc.VCPU == nil || dc.VCPU.Max == 0 {
		return errors.New("the domain capabilities have no positive <vcpu max>")
	}
	return nil
}

func maximumVcpuCountForTheProbedDomain(ctx context.Context) error {
	w := W(ctx)
	n, err := w.Conn.GetMaxVcpus(w.Caps.DomainType)
	if err != nil {
		return err
	}
	if n <= 0 {
		return fmt.Errorf("GetMaxVcpus(%q) = %d", w.Caps.DomainType, n)
	}
	return nil
}

func connectionOverALocalTransportReportsItself(ctx context.Context) error {
	w := W(ctx)
	u, err := url.Parse(w.URI())
	if err != nil {
		return err
	}
	if u.Host != "" {
		return harness.NotApplicable("the URI names a remote host; security depends on the transport")
	}
	sec, err := w.Conn.IsSecure()
	if err != nil {
		return err
	}
	if !sec {
		return errors.New("a local connection reports itself not secure")
	}
	return nil
}

func secondConnectionToTheSameUriSees(ctx context.Context) error {
	w := W(ctx)
	c2, err := libvirt.NewConnect(w.URI())
	if err != nil {
		return fmt.Errorf("opening a second connection: %w", err)
	}
	h1, err1 := w.Conn.GetHostname()
	h2, err2 := c2.GetHostname()
	caps1, err3 := w.Capabilities()
	x2, err4 := c2.GetCapabilities()
	closeErr := harness.CloseChecked(c2)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return err
	}
	var caps2 libvirtxml.Caps
	if err := caps2.Unmarshal(x2); err != nil {
		return err
	}
	if h1 != h2 || caps1.Host.UUID != caps2.Host.UUID {
		return fmt.Errorf("the two connections see different hosts: %s/%s and %s/%s", h1, caps1.Host.UUID, h2, caps2.Host.UUID)
	}
	return closeErr
}

func registerConnection(r *stepkit.Registry) {
	r.Step(`^the connection is alive$`, connectionIsAlive)
	r.Step(`^the connection reports a URI with the requested driver$`, connectionReportsAUriWithTheRequested)
	r.Step(`^the driver type matches the URI's driver$`, driverTypeMatchesTheUriSDriver)
	r.Step(`^the (client library|daemon) reports a libvirt version of at least (\d+)\.(\d+)\.(\d+)$`, reportsALibvirtVersionOfAtLeast)
	r.Step(`^the hypervisor reports a non-zero version$`, hypervisorReportsANonZeroVersion)
	r.Step(`^the host name is a valid DNS name$`, hostNameIsAValidDnsName)
	r.Step(`^the capabilities XML parses and names the host architecture$`, capabilitiesXmlParsesAndNamesTheHost)
	r.Step(`^the capabilities offer at least one hvm guest$`, capabilitiesOfferAtLeastOneHvmGuest)
	r.Step(`^the capabilities offer hvm guests of the host architecture$`, capabilitiesOfferHvmGuestsOfTheHost)
	r.Step(`^every domain type the capabilities offer for the host architecture starts a minimal domain$`, everyOfferedDomainTypeStartsAMinimalDomain)
	r.Step(`^every guest in the capabilities names an OS type, an architecture and a domain type$`, everyCapabilitiesGuestNamesOSTypeArchAndDomainType)
	r.Step(`^the capabilities host UUID is a valid UUID$`, capabilitiesHostUuidIsAValidUuid)
	r.Step(`^the node info reports a CPU model, at least one CPU and some memory$`, nodeInfoReportsACpuModelAt)
	r.Step(`^the node topology multiplies out to the CPU count$`, nodeTopologyMultipliesOutToTheCpu)
	r.Step(`^the free memory is no more than the node memory$`, freeMemoryIsNoMoreThanThe)
	r.Step(`^the domain capabilities parse and match the probed domain type and architecture$`, domainCapabilitiesParseAndMatchTheProbed)
	r.Step(`^the domain capabilities report a positive maximum vCPU count$`, domainCapabilitiesReportAPositiveMaximumVcpu)
	r.Step(`^the maximum vCPU count for the probed domain type is positive$`, maximumVcpuCountForTheProbedDomain)
	r.Step(`^a connection over a local transport reports itself secure$`, connectionOverALocalTransportReportsItself)
	r.Step(`^a second connection to the same URI sees the same host and closes with no references left$`, secondConnectionToTheSameUriSees)
}
