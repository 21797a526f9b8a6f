package harness

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/fixtures"
	"libvirt.org/go/libvirt"
)

// The calls the probe asks before the run, each with arguments that change
// nothing: a call on a shut-off domain of its own that a driver having it
// refuses ("domain is not running"), a document that does not parse, a path
// no pool has. A driver without the call answers that it does not support it
// (VIR_ERR_NO_SUPPORT before the driver is reached; "unsupported flags" for a
// flag it does not take; VIR_ERR_ARGUMENT_UNSUPPORTED for a statistics
// group): the capability is absent, with that answer as the evidence. A
// driver having it refuses the arguments, or answers: present. Anything else
// is a fault of a call the stack has: the capability is broken, its
// requirement fails and the scenarios needing it are blocked.

// callSubject is what a call probe may call on: the connection, the probe's
// own shut-off domain (nil when none could be defined), one of the stack's
// networks (nil when it lists none).
type callSubject struct {
	conn *libvirt.Connect
	dom  *libvirt.Domain
	net  *libvirt.Network
}

// callProbe asks for one call a capability rests on. A capability with
// several probes is absent when one of them is, broken when one of them is.
type callProbe struct {
	need string
	api  string // the call and what it was given, for the evidence
	on   string // "conn", "domain" or "network": what the call needs
	call func(s *callSubject) error
}

// probeDisk is a disk no domain has, at a path nothing holds.
const probeDisk = `<disk type='file' device='disk'><source file='/nonexistent/ovacts-probe.img'/><target dev='vdz' bus='virtio'/></disk>`

// notADocument parses as XML but is no libvirt document.
const notADocument = `<ovacts-probe/>`

// callProbes are the probes, in order.
func callProbes() []callProbe {
	return []callProbe{
		{"hotplug", "virDomainAttachDeviceFlags(a disk, VIR_DOMAIN_AFFECT_LIVE) on a shut-off domain", "domain",
			func(s *callSubject) error {
				return s.dom.AttachDeviceFlags(probeDisk, libvirt.DOMAIN_DEVICE_MODIFY_LIVE)
			}},
		{"hotplug", "virDomainDetachDeviceFlags(a disk, VIR_DOMAIN_AFFECT_LIVE) on a shut-off domain", "domain",
			func(s *callSubject) error {
				return s.dom.DetachDeviceFlags(probeDisk, libvirt.DOMAIN_DEVICE_MODIFY_LIVE)
			}},
		{"migration", "virDomainMigrateGetMaxSpeed on a shut-off domain", "domain",
			func(s *callSubject) error { _, err := s.dom.MigrateGetMaxSpeed(0); return err }},
		{"dirty-rate", "virDomainStartDirtyRateCalc(0 seconds) on a shut-off domain", "domain",
			func(s *callSubject) error { return s.dom.StartDirtyRateCalc(0, 0) }},
		{"job-info", "virDomainGetJobInfo on a shut-off domain", "domain",
			func(s *callSubject) error { _, err := s.dom.GetJobInfo(); return err }},
		{"block-resize", "virDomainBlockResize(vda, 1 KiB) on a shut-off domain", "domain",
			func(s *callSubject) error { return s.dom.BlockResize("vda", 1, 0) }},
		{"block-copy", "virDomainBlockCopy(vda) on a shut-off domain", "domain", func(s *callSubject) error {
			return s.dom.BlockCopy("vda", probeDisk, &libvirt.DomainBlockCopyParameters{}, 0)
		}},
		{"disk-only-snapshots", "virDomainSnapshotCreateXML(no snapshot document, VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY)", "domain",
			func(s *callSubject) error {
				return freed(s.dom.CreateSnapshotXML(notADocument, libvirt.DOMAIN_SNAPSHOT_CREATE_DISK_ONLY))
			}},
		{"checkpoint-validate", "virDomainCheckpointCreateXML(no checkpoint document, VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE|REDEFINE_VALIDATE)", "domain",
			func(s *callSubject) error {
				return freed(s.dom.CreateCheckpointXML(notADocument, libvirt.DOMAIN_CHECKPOINT_CREATE_REDEFINE|libvirt.DOMAIN_CHECKPOINT_CREATE_REDEFINE_VALIDATE))
			}},
		{"backup", "virDomainBackupBegin(no backup document) on a shut-off domain", "domain",
			func(s *callSubject) error { return s.dom.BackupBegin(notADocument, "", 0) }},
		{"save-params", "virDomainSaveParams(no parameters) on a shut-off domain", "domain",
			func(s *callSubject) error { return s.dom.SaveParams(libvirt.DomainSaveRestoreParams{}, 0) }},
		{"save-state-flags", "virDomainSaveFlags(a path in no directory, VIR_DOMAIN_SAVE_RUNNING) on a shut-off domain", "domain",
			func(s *callSubject) error {
				return s.dom.SaveFlags("/nonexistent/ovacts-probe.save", "", libvirt.DOMAIN_SAVE_RUNNING)
			}},
		{"managed-save-xml", "virDomainManagedSaveGetXMLDesc on a domain with no managed save image", "domain",
			func(s *callSubject) error { _, err := s.dom.ManagedSaveGetXMLDesc(0); return err }},
		{"tuning-live", "virDomainPinVcpuFlags(vCPU 0, VIR_DOMAIN_AFFECT_LIVE) on a shut-off domain", "domain",
			func(s *callSubject) error { return s.dom.PinVcpuFlags(0, []bool{true}, libvirt.DOMAIN_AFFECT_LIVE) }},
		{"tuning-live", "virDomainSetSchedulerParametersFlags(cpu_shares, VIR_DOMAIN_AFFECT_LIVE) on a shut-off domain", "domain",
			func(s *callSubject) error {
				p := &libvirt.DomainSchedulerParameters{CpuSharesSet: true, CpuShares: 1024}
				return s.dom.SetSchedulerParametersFlags(p, libvirt.DOMAIN_AFFECT_LIVE)
			}},
		{"tuning-config", "virDomainPinVcpuFlags(vCPU 0, VIR_DOMAIN_AFFECT_CONFIG) on the probe's own domain", "domain",
			func(s *callSubject) error { return s.dom.PinVcpuFlags(0, []bool{true}, libvirt.DOMAIN_AFFECT_CONFIG) }},
		statsProbe("stats-cpu", libvirt.DOMAIN_STATS_CPU_TOTAL, "VIR_DOMAIN_STATS_CPU_TOTAL"),
		statsProbe("stats-balloon", libvirt.DOMAIN_STATS_BALLOON, "VIR_DOMAIN_STATS_BALLOON"),
		statsProbe("stats-vcpu", libvirt.DOMAIN_STATS_VCPU, "VIR_DOMAIN_STATS_VCPU"),
		statsProbe("stats-interface", libvirt.DOMAIN_STATS_INTERFACE, "VIR_DOMAIN_STATS_INTERFACE"),
		statsProbe("stats-block", libvirt.DOMAIN_STATS_BLOCK, "VIR_DOMAIN_STATS_BLOCK"),
		{"node-memory-stats", "virNodeGetMemoryStats(all cells)", "conn",
			func(s *callSubject) error {
				_, err := s.conn.GetMemoryStats(libvirt.NODE_MEMORY_STATS_ALL_CELLS, 0)
				return err
			}},
		{"pool-caps", "virConnectGetStoragePoolCapabilities", "conn",
			func(s *callSubject) error { _, err := s.conn.GetStoragePoolCapabilities(0); return err }},
		{"pool-lookup-by-path", "virStoragePoolLookupByTargetPath(a path no pool has)", "conn", func(s *callSubject) error {
			p, err := s.conn.LookupStoragePoolByTargetPath("/nonexistent/ovacts-probe")
			if err == nil {
				p.Free()
			}
			return err
		}},
		{"pool-build", "virStoragePoolCreateXML(no pool document, VIR_STORAGE_POOL_CREATE_WITH_BUILD)", "conn", func(s *callSubject) error {
			p, err := s.conn.StoragePoolCreateXML(notADocument, libvirt.STORAGE_POOL_CREATE_WITH_BUILD)
			if err == nil {
				p.Free()
				return errors.New("a pool was created from a document that is no pool")
			}
			return err
		}},
		{"network-ports", "virNetworkListAllPorts on one of the stack's networks", "network",
			func(s *callSubject) error { return freedPorts(s.net.ListAllPorts(0)) }},
	}
}

// statsProbe asks for one group of domain statistics of the probe's domain,
// enforced: a driver that cannot give the group says so.
func statsProbe(need string, group libvirt.DomainStatsTypes, name string) callProbe {
	return callProbe{need, "virDomainListGetStats(" + name + ", VIR_CONNECT_GET_ALL_DOMAINS_STATS_ENFORCE_STATS)", "domain",
		func(s *callSubject) error {
			st, err := s.conn.GetAllDomainStats([]*libvirt.Domain{s.dom}, group, libvirt.CONNECT_GET_ALL_DOMAINS_STATS_ENFORCE_STATS)
			for i := range st {
				st[i].Domain.Free()
			}
			return err
		}}
}

func freed[T interface{ Free() error }](v T, err error) error {
	if err == nil {
		v.Free()
		return errors.New("the call created an object from a document that describes none")
	}
	return err
}

func freedPorts(ps []libvirt.NetworkPort, err error) error {
	for i := range ps {
		ps[i].Free()
	}
	return err
}

// UnsupportedAnswer reports libvirt's ways of declaring that it lacks
// something: VIR_ERR_NO_SUPPORT for a call; VIR_ERR_ARGUMENT_UNSUPPORTED and
// VIR_ERR_OPERATION_UNSUPPORTED for an argument or an operation; and
// virCheckFlags' "unsupported flags" (VIR_ERR_INVALID_ARG) for a flag.
func UnsupportedAnswer(err error) bool {
	if unsupportedAnswer(err) {
		return true
	}
	lv, ok := AsLibvirt(err)
	return ok && lv.Code == libvirt.ERR_INVALID_ARG && strings.HasPrefix(lv.Message, "unsupported flags")
}

// refusedArguments reports the answers of a driver that has the call and
// judged what it was given: the domain is not running, an argument or the
// document is wrong, no pool has the path, the network listed a moment ago
// is gone (another run's: the driver looked it up, so it has the call).
func refusedArguments(err error) bool {
	for _, c := range []libvirt.ErrorNumber{libvirt.ERR_OPERATION_INVALID, libvirt.ERR_INVALID_ARG, libvirt.ERR_XML_ERROR,
		libvirt.ERR_XML_DETAIL, libvirt.ERR_CONFIG_UNSUPPORTED, libvirt.ERR_NO_STORAGE_POOL, libvirt.ERR_NO_NETWORK} {
		if errors.Is(err, c) {
			return true
		}
	}
	return false
}

// judgeCall records what one call probe found. Broken outranks absent, and
// the first evidence of an absence stands.
func (c *Capabilities) judgeCall(p callProbe, err error) {
	switch {
	case err == nil:
	case UnsupportedAnswer(err):
		c.Lack(p.need, fmt.Sprintf("%s answers %s", p.api, DescribeError(err)), Absent)
	case refusedArguments(err):
	default:
		if n, ok := c.Missing[p.need]; ok && n.State == Broken {
			return
		}
		c.Break(p.need, catalogue.KnownNeeds[p.need].StatedBy, fmt.Sprintf("%s failed: %s", p.api, DescribeError(err)))
	}
}

// probeCalls runs the call probes on a shut-off domain of the probe's own
// (defined only when the stack keeps persistent domains) and on the first
// network the stack lists. A probe with no subject decides nothing: its
// scenarios find out, and an unsupported answer there fails them.
func (c *Capabilities) probeCalls(conn *libvirt.Connect, tracker *Tracker, prefix string, owner Owner) error {
	s := &callSubject{conn: conn}
	if c.Persistent {
		name, uuid := prefix+"probe-calls", NewUUID()
		x, err := fixtures.Domain("minimal", fixtures.DomainVars{Name: name, UUID: uuid, Type: c.DomainType, Arch: c.GuestArch, Machine: c.Machine})
		if err != nil {
			return err
		}
		if s.dom, err = tracker.CreateDomain(name, uuid, x, false); err != nil {
			return fmt.Errorf("probe: defining the domain the call probes ask with: %w", err)
		}
		defer s.dom.Free()
		if err := OwnDomain(s.dom, owner); err != nil {
			return fmt.Errorf("probe: %w", err)
		}
	}
	if nets, err := conn.ListAllNetworks(0); err == nil && len(nets) > 0 {
		s.net = &nets[0]
		defer func() {
			for i := range nets {
				nets[i].Free()
			}
		}()
	}
	c.probeVolumeCalls(conn, tracker, prefix)
	for _, p := range callProbes() {
		if (p.on == "domain" && s.dom == nil) || (p.on == "network" && s.net == nil) {
			continue
		}
		c.judgeCall(p, p.call(s))
	}
	return nil
}
