// The tuning and QoS steps (features/tuning/tuning.feature).

package tuning

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// A tuning is one setting: the value the steps set, how, how the call reads
// it back, and where the domain's XML shows it. Values are the node's last
// CPU for a pinning (a change from the default of every CPU on a host with
// more than one), and values no default has for the others.
type tuning struct {
	set     func(w *world, d *libvirt.Domain, f libvirt.DomainModificationImpact) error
	get     func(w *world, d *libvirt.Domain, f libvirt.DomainModificationImpact) (string, error)
	fromXML func(def *libvirtxml.Domain) string
	want    func(w *world) (string, error)
}

const (
	cpuShares   = 512
	blkioWeight = 500
	softLimit   = 60000 // KiB
	totalIops   = 1000
)

var tunings = map[string]tuning{
	"vCPU pinning": {
		set: func(w *world, d *libvirt.Domain, f libvirt.DomainModificationImpact) error {
			m, err := w.lastCPUMap()
			if err != nil {
				return err
			}
			return d.PinVcpuFlags(0, m, f)
		},
		get: func(_ *world, d *libvirt.Domain, f libvirt.DomainModificationImpact) (string, error) {
			pins, err := d.GetVcpuPinInfo(f)
			if err != nil || len(pins) == 0 {
				return "", fmt.Errorf("vCPU pin info: %d vCPUs (%v)", len(pins), err)
			}
			return cpuList(pins[0]), nil
		},
		fromXML: func(def *libvirtxml.Domain) string {
			if def.CPUTune != nil {
				for _, p := range def.CPUTune.VCPUPin {
					if p.VCPU == 0 {
						return p.CPUSet
					}
				}
			}
			return ""
		},
		want: lastCPU,
	},
	"emulator pinning": {
		set: func(w *world, d *libvirt.Domain, f libvirt.DomainModificationImpact) error {
			m, err := w.lastCPUMap()
			if err != nil {
				return err
			}
			return d.PinEmulator(m, f)
		},
		get: func(_ *world, d *libvirt.Domain, f libvirt.DomainModificationImpact) (string, error) {
			m, err := d.GetEmulatorPinInfo(f)
			return cpuList(m), err
		},
		fromXML: func(def *libvirtxml.Domain) string {
			if def.CPUTune != nil && def.CPUTune.EmulatorPin != nil {
				return def.CPUTune.EmulatorPin.CPUSet
			}
			return ""
		},
		want: lastCPU,
	},
	"CPU shares": {
		set: func(_ *world, d *libvirt.Domain, f libvirt.DomainModificationImpact) error {
			return d.SetSchedulerParametersFlags(&libvirt.DomainSchedulerParameters{CpuSharesSet: true, CpuShares: cpuShares}, f)
		},
		get: func(_ *world, d *libvirt.Domain, f libvirt.DomainModificationImpact) (string, error) {
			p, err := d.GetSchedulerParametersFlags(f)
			if err != nil || !p.CpuSharesSet {
				return "", fmt.Errorf("scheduler parameters without cpu_shares (%v)", err)
			}
			return strconv.FormatUint(p.CpuShares, 10), nil
		},
		fromXML: func(def *libvirtxml.Domain) string {
			if def.CPUTune != nil && def.CPUTune.Shares != nil {
				return strconv.FormatUint(uint64(def.CPUTune.Shares.Value), 10)
			}
			return ""
		},
		want: constant(cpuShares),
	},
	"block I/O weight": {
		set: func(_ *world, d *libvirt.Domain, f libvirt.DomainModificationImpact) error {
			return d.SetBlkioParameters(&libvirt.DomainBlkioParameters{WeightSet: true, Weight: blkioWeight}, f)
		},
		get: func(_ *world, d *libvirt.Domain, f libvirt.DomainModificationImpact) (string, error) {
			p, err := d.GetBlkioParameters(f)
			if err != nil || !p.WeightSet {
				return "", fmt.Errorf("blkio parameters without weight (%v)", err)
			}
			return strconv.FormatUint(uint64(p.Weight), 10), nil
		},
		fromXML: func(def *libvirtxml.Domain) string {
			if def.BlockIOTune != nil && def.BlockIOTune.Weight != 0 {
				return strconv.FormatUint(uint64(def.BlockIOTune.Weight), 10)
			}
			return ""
		},
		want: constant(blkioWeight),
	},
	"memory soft limit": {
		set: func(_ *world, d *libvirt.Domain, f libvirt.DomainModificationImpact) error {
			return d.SetMemoryParameters(&libvirt.DomainMemoryParameters{SoftLimitSet: true, SoftLimit: softLimit}, f)
		},
		get: func(_ *world, d *libvirt.Domain, f libvirt.DomainModificationImpact) (string, error) {
			p, err := d.GetMemoryParameters(f)
			if err != nil || !p.SoftLimitSet {
				return "", fmt.Errorf("memory parameters without soft_limit (%v)", err)
			}
			return strconv.FormatUint(p.SoftLimit, 10), nil
		},
		fromXML: func(def *libvirtxml.Domain) string {
			if def.MemoryTune != nil && def.MemoryTune.SoftLimit != nil {
				return strconv.FormatUint(kib(*def.MemoryTune.SoftLimit), 10)
			}
			return ""
		},
		want: constant(softLimit),
	},
	"disk I/O limit": {
		set: func(_ *world, d *libvirt.Domain, f libvirt.DomainModificationImpact) error {
			return d.SetBlockIoTune("vda", &libvirt.DomainBlockIoTuneParameters{TotalIopsSecSet: true, TotalIopsSec: totalIops}, f)
		},
		get: func(_ *world, d *libvirt.Domain, f libvirt.DomainModificationImpact) (string, error) {
			p, err := d.GetBlockIoTune("vda", f)
			if err != nil || !p.TotalIopsSecSet {
				return "", fmt.Errorf("block I/O tune of vda without total_iops_sec (%v)", err)
			}
			return strconv.FormatUint(p.TotalIopsSec, 10), nil
		},
		fromXML: func(def *libvirtxml.Domain) string {
			if def.Devices != nil {
				for _, disk := range def.Devices.Disks {
					if disk.Target != nil && disk.Target.Dev == "vda" && disk.IOTune != nil && disk.IOTune.TotalIopsSec != 0 {
						return strconv.FormatUint(disk.IOTune.TotalIopsSec, 10)
					}
				}
			}
			return ""
		},
		want: constant(totalIops),
	},
}

func tuningNames() string {
	names := make([]string, 0, len(tunings))
	for n := range tunings {
		names = append(names, regexp.QuoteMeta(n))
	}
	slices.Sort(names)
	return strings.Join(names, "|")
}

func constant(v int) func(*world) (string, error) {
	return func(*world) (string, error) { return strconv.Itoa(v), nil }
}

func kib(l libvirtxml.DomainMemoryTuneLimit) uint64 {
	switch l.Unit {
	case "", "KiB", "k", "K":
		return l.Value
	case "MiB", "M":
		return l.Value << 10
	case "bytes", "b":
		return l.Value >> 10
	}
	return l.Value
}

func impact(where string) libvirt.DomainModificationImpact {
	if where == "live" {
		return libvirt.DOMAIN_AFFECT_LIVE
	}
	return libvirt.DOMAIN_AFFECT_CONFIG
}

// lastCPUMap is a CPU map of the node's highest online CPU.
func (w *world) lastCPUMap() ([]bool, error) {
	online, total, err := w.Conn.GetCPUMap(0)
	if err != nil {
		return nil, fmt.Errorf("node CPU map: %w", err)
	}
	m := make([]bool, total)
	for i := int(total) - 1; i >= 0; i-- {
		if online[i] {
			m[i] = true
			return m, nil
		}
	}
	return nil, errors.New("the node has no CPU online")
}

func lastCPU(w *world) (string, error) {
	m, err := w.lastCPUMap()
	return cpuList(m), err
}

// cpuList renders a CPU map as libvirt writes a cpuset ("0-2,5").
func cpuList(m []bool) string {
	out := ""
	for i := 0; i < len(m); i++ {
		if !m[i] {
			continue
		}
		j := i
		for j+1 < len(m) && m[j+1] {
			j++
		}
		if out != "" {
			out += ","
		}
		if j > i {
			out += fmt.Sprintf("%d-%d", i, j)
		} else {
			out += strconv.Itoa(i)
		}
		i = j
	}
	return out
}

// domainDef is the domain's live XML, or its definition's.
func (w *world) domainDef(d *libvirt.Domain, where string) (*libvirtxml.Domain, error) {
	var flags libvirt.DomainXMLFlags
	if where != "live" {
		flags = libvirt.DOMAIN_XML_INACTIVE
	}
	x, err := d.GetXMLDesc(flags)
	if err != nil {
		return nil, err
	}
	var def libvirtxml.Domain
	if err := def.Unmarshal(x); err != nil {
		return nil, fmt.Errorf("the domain XML does not parse with libvirtxml: %w", err)
	}
	return &def, nil
}

func setTheTuningOfDomain(ctx context.Context, name, logical, where string) error {
	w := W(ctx)
	return w.WithDomain(logical, func(d *libvirt.Domain) error {
		if err := tunings[name].set(w, d, impact(where)); err != nil {
			return fmt.Errorf("setting the %s of %s %s: %w", name, logical, where, err)
		}
		return nil
	})
}

func domainHasTheTuningSet(ctx context.Context, logical, name, where string) error {
	w := W(ctx)
	t := tunings[name]
	want, err := t.want(w)
	if err != nil {
		return err
	}
	return w.WithDomain(logical, func(d *libvirt.Domain) error {
		got, err := t.get(w, d, impact(where))
		if err != nil {
			return fmt.Errorf("reading the %s of %s %s: %w", name, logical, where, err)
		}
		def, err := w.domainDef(d, where)
		if err != nil {
			return err
		}
		if inXML := t.fromXML(def); got != want || inXML != want {
			return fmt.Errorf("the %s of %s (%s) reads %q from the call and %q from the XML, want %q", name, logical, where, got, inXML, want)
		}
		return nil
	})
}

func addIOThreadToDomainLive(ctx context.Context, id, logical string) error {
	n, _ := strconv.ParseUint(id, 10, 32)
	return W(ctx).WithDomain(logical, func(d *libvirt.Domain) error { return d.AddIOThread(uint(n), libvirt.DOMAIN_AFFECT_LIVE) })
}

func pinIOThreadOfDomainLive(ctx context.Context, id, logical string) error {
	w := W(ctx)
	n, _ := strconv.ParseUint(id, 10, 32)
	m, err := w.lastCPUMap()
	if err != nil {
		return err
	}
	return w.WithDomain(logical, func(d *libvirt.Domain) error { return d.PinIOThread(uint(n), m, libvirt.DOMAIN_AFFECT_LIVE) })
}

// ioThread is the live IOThread id's pinning, from the call and the XML
// ("" when it is not listed there).
func (w *world) ioThread(logical, id string) (call, inXML string, listed bool, err error) {
	n, _ := strconv.ParseUint(id, 10, 32)
	err = w.WithDomain(logical, func(d *libvirt.Domain) error {
		info, err := d.GetIOThreadInfo(libvirt.DOMAIN_AFFECT_LIVE)
		if err != nil {
			return fmt.Errorf("IOThread info: %w", err)
		}
		for _, t := range info {
			if t.IOThreadID == uint(n) {
				call = cpuList(t.CpuMap)
			}
		}
		def, err := w.domainDef(d, "live")
		if err != nil {
			return err
		}
		if def.IOThreadIDs != nil {
			for _, t := range def.IOThreadIDs.IOThreads {
				listed = listed || t.ID == uint(n)
			}
		}
		if def.CPUTune != nil {
			for _, p := range def.CPUTune.IOThreadPin {
				if p.IOThread == uint(n) {
					inXML = p.CPUSet
				}
			}
		}
		return nil
	})
	return call, inXML, listed, err
}

func domainListsIOThreadPinned(ctx context.Context, logical, id string) error {
	w := W(ctx)
	want, err := lastCPU(w)
	if err != nil {
		return err
	}
	call, inXML, listed, err := w.ioThread(logical, id)
	if err != nil {
		return err
	}
	if call != want || inXML != want || !listed {
		return fmt.Errorf("IOThread %s of %s: pinned to %q in the call, %q in the XML (listed there: %v); want %q", id, logical, call, inXML, listed, want)
	}
	return nil
}

func removeIOThreadFromDomainLive(ctx context.Context, id, logical string) error {
	n, _ := strconv.ParseUint(id, 10, 32)
	return W(ctx).WithDomain(logical, func(d *libvirt.Domain) error { return d.DelIOThread(uint(n), libvirt.DOMAIN_AFFECT_LIVE) })
}

func domainListsNoIOThread(ctx context.Context, logical, id string) error {
	call, inXML, listed, err := W(ctx).ioThread(logical, id)
	if err != nil {
		return err
	}
	if call != "" || inXML != "" || listed {
		return fmt.Errorf("IOThread %s of %s is still there: call %q, XML pin %q, listed %v", id, logical, call, inXML, listed)
	}
	return nil
}

func cpuStatisticsOfDomainCountItsCPUTime(ctx context.Context, logical string) error {
	return W(ctx).WithDomain(logical, func(d *libvirt.Domain) error {
		sum, err := d.GetCPUStats(-1, 1, 0)
		if err != nil {
			return fmt.Errorf("total CPU statistics: %w", err)
		}
		if len(sum) != 1 || !sum[0].CpuTimeSet || sum[0].CpuTime == 0 {
			return fmt.Errorf("the total CPU statistics of a running domain count no CPU time: %+v", sum)
		}
		if s := sum[0]; s.UserTimeSet && s.SystemTimeSet && s.UserTime+s.SystemTime == 0 {
			return fmt.Errorf("a running domain spent %d ns of CPU time, none of it in user or system time", s.CpuTime)
		}
		return nil
	})
}

func registerTuning(r *stepkit.Registry) {
	r.Step(`^I set the (`+tuningNames()+`) of domain "([^"]*)" (live|in its configuration)$`, setTheTuningOfDomain)
	r.Step(`^domain "([^"]*)" has the (`+tuningNames()+`) set, (live|in its configuration), in the call and in its XML$`, domainHasTheTuningSet)
	r.Step(`^I add IOThread (\d+) to domain "([^"]*)" live$`, addIOThreadToDomainLive)
	r.Step(`^I pin IOThread (\d+) of domain "([^"]*)" to the node's last CPU live$`, pinIOThreadOfDomainLive)
	r.Step(`^domain "([^"]*)" lists IOThread (\d+) pinned to the node's last CPU, live, in the call and in its XML$`, domainListsIOThreadPinned)
	r.Step(`^I remove IOThread (\d+) from domain "([^"]*)" live$`, removeIOThreadFromDomainLive)
	r.Step(`^domain "([^"]*)" lists no IOThread (\d+), live$`, domainListsNoIOThread)
	r.Step(`^the CPU statistics of domain "([^"]*)" count its CPU time$`, cpuStatisticsOfDomainCountItsCPUTime)
}
