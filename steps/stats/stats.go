package stats

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

func (w *world) domainStats(dom string, groups libvirt.DomainStatsTypes) (*libvirt.DomainStats, error) {
	var st *libvirt.DomainStats
	err := w.WithDomain(dom, func(d *libvirt.Domain) error {
		// ENFORCE: a driver without a group must say so instead of leaving it out.
		all, err := w.Conn.GetAllDomainStats([]*libvirt.Domain{d}, groups, libvirt.CONNECT_GET_ALL_DOMAINS_STATS_ENFORCE_STATS)
		if err != nil {
			return err
		}
		defer func() {
			for i := range all {
				all[i].Domain.Free()
			}
		}()
		if len(all) != 1 {
			return fmt.Errorf("stats for %d domains, asked for 1", len(all))
		}
		st = &all[0]
		return nil
	})
	return st, err
}

func stateStatisticsOfDomainSayItIs(ctx context.Context, dom, state string) error {
	st, err := W(ctx).domainStats(dom, libvirt.DOMAIN_STATS_STATE)
	if err != nil {
		return err
	}
	want := map[string]libvirt.DomainState{"running": libvirt.DOMAIN_RUNNING, "paused": libvirt.DOMAIN_PAUSED, "shut off": libvirt.DOMAIN_SHUTOFF}[state]
	if st.State == nil || !st.State.StateSet || st.State.State != want {
		return fmt.Errorf("state statistics of %q: %+v, want %s", dom, st.State, state)
	}
	return nil
}

func statisticsOfDomainInclude(ctx context.Context, dom, what string) error {
	group := map[string]libvirt.DomainStatsTypes{"CPU time": libvirt.DOMAIN_STATS_CPU_TOTAL, "the balloon size": libvirt.DOMAIN_STATS_BALLOON,
		"each vCPU": libvirt.DOMAIN_STATS_VCPU, "the disk": libvirt.DOMAIN_STATS_BLOCK, "the NIC": libvirt.DOMAIN_STATS_INTERFACE}[what]
	st, err := W(ctx).domainStats(dom, group)
	if err != nil {
		return err
	}
	ok := false
	switch what {
	case "CPU time":
		ok = st.Cpu != nil && st.Cpu.TimeSet
	case "the balloon size":
		ok = st.Balloon != nil && (st.Balloon.CurrentSet || st.Balloon.MaximumSet)
	case "each vCPU":
		ok = len(st.Vcpu) == 1
	case "the disk":
		ok = len(st.Block) == 1 && st.Block[0].NameSet && st.Block[0].Name == "vda"
	case "the NIC":
		ok = len(st.Net) == 1 && st.Net[0].NameSet && st.Net[0].Name != ""
	}
	if !ok {
		return fmt.Errorf("the %s statistics of %q are missing or incomplete", what, dom)
	}
	return nil
}

func blockStatisticsOfDiskVdaOfDomain(ctx context.Context, dom string) error {
	return W(ctx).WithDomain(dom, func(d *libvirt.Domain) error {
		s, err := d.BlockStats("vda")
		if err != nil {
			return err
		}
		if !s.RdReqSet || !s.WrReqSet {
			return errors.New("block statistics without read and write request counts")
		}
		return nil
	})
}

func interfaceStatisticsOfTheNicOfDomain(ctx context.Context, dom string) error {
	w := W(ctx)
	dev, err := w.NICDevice(dom)
	if err != nil {
		return err
	}
	return w.WithDomain(dom, func(d *libvirt.Domain) error {
		s, err := d.InterfaceStats(dev)
		if err != nil {
			return err
		}
		if !s.RxBytesSet || !s.TxBytesSet {
			return errors.New("interface statistics without byte counts")
		}
		return nil
	})
}

func memoryStatisticsOfDomainReportItsCurrent(ctx context.Context, dom string) error {
	return W(ctx).WithDomain(dom, func(d *libvirt.Domain) error {
		info, err := d.GetInfo()
		if err != nil {
			return err
		}
		s, err := d.MemoryStats(uint32(libvirt.DOMAIN_MEMORY_STAT_NR), 0)
		if err != nil {
			return err
		}
		return memoryStatsAgree(s, info.Memory)
	})
}

// memoryStatsAgree: STAT-005's statistics give the balloon's actual size as
// the domain's current memory (KiB), and no zero resident set.
func memoryStatsAgree(s []libvirt.DomainMemoryStat, current uint64) error {
	if len(s) == 0 {
		return errors.New("no memory statistics")
	}
	got := map[int32]uint64{}
	for _, st := range s {
		got[st.Tag] = st.Val
	}
	actual, ok := got[int32(libvirt.DOMAIN_MEMORY_STAT_ACTUAL_BALLOON)]
	if !ok {
		return fmt.Errorf("the memory statistics have no actual balloon size (tags %v)", got)
	}
	if actual != current {
		return fmt.Errorf("the balloon's actual size is %d KiB, the domain's current memory %d KiB", actual, current)
	}
	if rss, ok := got[int32(libvirt.DOMAIN_MEMORY_STAT_RSS)]; ok && rss == 0 {
		return errors.New("a running domain's resident set size is reported as 0")
	}
	return nil
}

func vcpuInformationOfDomainReportsVcpus(ctx context.Context, dom string, n int) error {
	return W(ctx).WithDomain(dom, func(d *libvirt.Domain) error {
		v, err := d.GetVcpus()
		if err != nil {
			return err
		}
		if len(v) != n {
			return fmt.Errorf("GetVcpus reports %d vCPUs, want %d", len(v), n)
		}
		return nil
	})
}

func jobInformationOfDomainReportsNoJob(ctx context.Context, dom string) error {
	return W(ctx).WithDomain(dom, func(d *libvirt.Domain) error {
		j, err := d.GetJobInfo()
		if err != nil {
			return err
		}
		if j.Type != libvirt.DOMAIN_JOB_NONE {
			return fmt.Errorf("job type %d on an idle domain", j.Type)
		}
		return nil
	})
}

func nodeCpuStatisticsReportKernelUserAnd(ctx context.Context) error {
	s, err := W(ctx).Conn.GetCPUStats(int(libvirt.NODE_CPU_STATS_ALL_CPUS), 0)
	if err != nil {
		return err
	}
	if !s.KernelSet || !s.UserSet || !s.IdleSet {
		return fmt.Errorf("node CPU statistics incomplete: %+v", *s)
	}
	return nil
}

func nodeMemoryStatisticsReportTotalAndFree(ctx context.Context) error {
	s, err := W(ctx).Conn.GetMemoryStats(libvirt.NODE_MEMORY_STATS_ALL_CELLS, 0)
	if err != nil {
		return err
	}
	if !s.TotalSet || !s.FreeSet || s.Free > s.Total {
		return fmt.Errorf("node memory statistics: %+v", *s)
	}
	return nil
}

func freeMemoryOfEveryNumaCellIs(ctx context.Context) error {
	w := W(ctx)
	ni, err := w.Conn.GetNodeInfo()
	if err != nil {
		return err
	}
	cells, err := w.Conn.GetCellsFreeMemory(0, int(ni.Nodes))
	if err != nil {
		return err
	}
	var sum uint64
	for _, c := range cells {
		sum += c
	}
	if len(cells) != int(ni.Nodes) || sum > ni.Memory*1024 {
		return fmt.Errorf("%d cells with %d bytes free, node info says %d cells and %d KiB", len(cells), sum, ni.Nodes, ni.Memory)
	}
	return nil
}

func everyNodeDeviceXMLParsesAndNamesItsCapability(ctx context.Context) error {
	devs, err := W(ctx).Conn.ListAllNodeDevices(0)
	if err != nil {
		return err
	}
	defer func() {
		for i := range devs {
			devs[i].Free()
		}
	}()
	if len(devs) == 0 {
		return errors.New("the node lists no devices")
	}
	for i := range devs {
		x, err := devs[i].GetXMLDesc(0)
		if err != nil {
			return err
		}
		var doc libvirtxml.NodeDevice
		if err := doc.Unmarshal(x); err != nil {
			return fmt.Errorf("node device XML does not parse: %w", err)
		}
		if doc.Name == "" || reflect.ValueOf(doc.Capability).IsZero() {
			return fmt.Errorf("node device %q names no capability", doc.Name)
		}
	}
	return nil
}

func registerStats(r *stepkit.Registry) {
	r.Step(`^the state statistics of domain "([^"]*)" say it is (running|paused|shut off)$`, stateStatisticsOfDomainSayItIs)
	r.Step(`^the statistics of domain "([^"]*)" include (CPU time|the balloon size|each vCPU|the disk|the NIC)$`, statisticsOfDomainInclude)
	r.Step(`^the block statistics of disk "vda" of domain "([^"]*)" answer$`, blockStatisticsOfDiskVdaOfDomain)
	r.Step(`^the interface statistics of the NIC of domain "([^"]*)" answer$`, interfaceStatisticsOfTheNicOfDomain)
	r.Step(`^the memory statistics of domain "([^"]*)" report its current memory as the balloon's actual size$`, memoryStatisticsOfDomainReportItsCurrent)
	r.Step(`^the vCPU information of domain "([^"]*)" reports (\d+) vCPUs?$`, vcpuInformationOfDomainReportsVcpus)
	r.Step(`^the job information of domain "([^"]*)" reports no job$`, jobInformationOfDomainReportsNoJob)
	r.Step(`^the node CPU statistics report kernel, user and idle time$`, nodeCpuStatisticsReportKernelUserAnd)
	r.Step(`^the node memory statistics report total and free memory$`, nodeMemoryStatisticsReportTotalAndFree)
	r.Step(`^the free memory of every NUMA cell is no more than the node's memory$`, freeMemoryOfEveryNumaCellIs)
	r.Step(`^every node device's XML parses and names its capability$`, everyNodeDeviceXMLParsesAndNamesItsCapability)
}
