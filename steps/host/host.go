// The host CPU and node facts steps (features/host/host.feature).

package host

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// runnable: a comparison's answer for a CPU the hypervisor can run.
func runnable(r libvirt.CPUCompareResult) bool {
	return r == libvirt.CPU_COMPARE_IDENTICAL || r == libvirt.CPU_COMPARE_SUPERSET
}

var compareNames = map[libvirt.CPUCompareResult]string{libvirt.CPU_COMPARE_ERROR: "error", libvirt.CPU_COMPARE_INCOMPATIBLE: "incompatible",
	libvirt.CPU_COMPARE_IDENTICAL: "identical", libvirt.CPU_COMPARE_SUPERSET: "superset"}

func cpuModelsAreListedTheHostCPUsAmongThem(ctx context.Context) error {
	w := W(ctx)
	caps, err := w.Capabilities()
	if err != nil {
		return err
	}
	if caps.Host.CPU == nil || caps.Host.CPU.Arch == "" {
		return errors.New("the capabilities describe no host CPU architecture")
	}
	names, err := w.Conn.GetCPUModelNames(caps.Host.CPU.Arch, 0)
	if err != nil {
		return fmt.Errorf("CPU model names of %s: %w", caps.Host.CPU.Arch, err)
	}
	return hostCPUModelListed(caps.Host.CPU.Arch, caps.Host.CPU.Model, names)
}

// hostCPUModelListed: HOST-001 holds when the architecture's model list is
// not empty and holds the host CPU's model; capabilities that name no host
// CPU model leave the claim unchecked, and fail it.
func hostCPUModelListed(arch, model string, names []string) error {
	switch {
	case len(names) == 0:
		return fmt.Errorf("no CPU model of %s is listed", arch)
	case model == "":
		return fmt.Errorf("the capabilities name no host CPU model, so none can be found among the %d models listed for %s", len(names), arch)
	case !slices.Contains(names, model):
		return fmt.Errorf("the capabilities' host CPU model %q is not among the %d models listed for %s", model, len(names), arch)
	}
	return nil
}

// hostModel is the domain capabilities' host-model CPU as a CPU definition.
func (w *world) hostModel() (*libvirtxml.DomainCaps, string, error) {
	dc, err := w.DomainCaps("")
	if err != nil {
		return nil, "", err
	}
	for _, m := range dc.CPU.Modes {
		if m.Name != "host-model" || m.Supported != "yes" || len(m.Models) == 0 {
			continue
		}
		cpu := libvirtxml.DomainCPU{Mode: "custom", Match: "exact", Model: &libvirtxml.DomainCPUModel{Value: m.Models[0].Name, Fallback: "forbid"}}
		for _, f := range m.Features {
			cpu.Features = append(cpu.Features, libvirtxml.DomainCPUFeature{Policy: f.Policy, Name: f.Name})
		}
		x, err := cpu.Marshal()
		return dc, x, err
	}
	return dc, "", harness.NotApplicable("the domain capabilities offer no host-model CPU")
}

func baselineOfTheHostModelCPUIsRunnable(ctx context.Context) error {
	w := W(ctx)
	dc, host, err := w.hostModel()
	if err != nil {
		return err
	}
	base, err := w.Conn.BaselineHypervisorCPU(dc.Path, dc.Arch, dc.Machine, dc.Domain, []string{host}, 0)
	if err != nil {
		return fmt.Errorf("baseline of the host-model CPU: %w", err)
	}
	var cpu libvirtxml.DomainCPU
	if err := cpu.Unmarshal(base); err != nil || cpu.Model == nil || cpu.Model.Value == "" {
		return fmt.Errorf("the baseline names no CPU model (%v): %s", err, base)
	}
	res, err := w.Conn.CompareHypervisorCPU(dc.Path, dc.Arch, dc.Machine, dc.Domain, base, libvirt.CONNECT_COMPARE_CPU_FAIL_INCOMPATIBLE)
	if err != nil || !runnable(res) {
		return fmt.Errorf("the baseline (model %s) compares as %s on the hypervisor (%v)", cpu.Model.Value, compareNames[res], err)
	}
	return nil
}

func unusableCPUModelComparesIncompatible(ctx context.Context) error {
	w := W(ctx)
	dc, err := w.DomainCaps("")
	if err != nil {
		return err
	}
	for _, m := range dc.CPU.Modes {
		if m.Name != "custom" {
			continue
		}
		for _, model := range m.Models {
			if model.Usable != "no" {
				continue
			}
			x := fmt.Sprintf("<cpu mode='custom' match='exact'><model fallback='forbid'>%s</model></cpu>", model.Name)
			res, err := w.Conn.CompareHypervisorCPU(dc.Path, dc.Arch, dc.Machine, dc.Domain, x, 0)
			if err != nil {
				return fmt.Errorf("comparing CPU model %s: %w", model.Name, err)
			}
			if res != libvirt.CPU_COMPARE_INCOMPATIBLE {
				return fmt.Errorf("CPU model %s is marked unusable, yet compares as %s", model.Name, compareNames[res])
			}
			return nil
		}
	}
	return harness.NotApplicable("the hypervisor can run every CPU model it lists: none is marked unusable")
}

func baselineOfTheHostCPUIsRunnableOnTheHost(ctx context.Context) error {
	w := W(ctx)
	caps, err := w.Capabilities()
	if err != nil {
		return err
	}
	if caps.Host.CPU == nil || caps.Host.CPU.Model == "" {
		return harness.NotApplicable("the capabilities describe the host CPU by no model: there is nothing to take a baseline of")
	}
	host, err := caps.Host.CPU.Marshal()
	if err != nil {
		return err
	}
	base, err := w.Conn.BaselineCPU([]string{host}, 0)
	if err != nil {
		return fmt.Errorf("baseline of the host CPU: %w", err)
	}
	res, err := w.Conn.CompareCPU(base, 0)
	if err != nil || !runnable(res) {
		return fmt.Errorf("the baseline of the host CPU compares as %s with the host (%v): %s", compareNames[res], err, base)
	}
	return nil
}

func nodeCPUMapCountsTheNodesCPUs(ctx context.Context) error {
	w := W(ctx)
	online, total, err := w.Conn.GetCPUMap(0)
	if err != nil {
		return fmt.Errorf("node CPU map: %w", err)
	}
	info, err := w.Conn.GetNodeInfo()
	if err != nil {
		return err
	}
	n := 0
	for _, on := range online {
		if on {
			n++
		}
	}
	if int(total) < int(info.Cpus) || n < 1 || n > int(total) {
		return fmt.Errorf("the CPU map has %d CPUs, %d online; the node info counts %d active", total, n, info.Cpus)
	}
	return nil
}

func freePagesOfCell0AreNoMoreThanItHas(ctx context.Context) error {
	w := W(ctx)
	caps, err := w.Capabilities()
	if err != nil {
		return err
	}
	if caps.Host.NUMA == nil || caps.Host.NUMA.Cells == nil || len(caps.Host.NUMA.Cells.Cells) == 0 {
		return harness.NotApplicable("the capabilities describe no NUMA cell")
	}
	cell := caps.Host.NUMA.Cells.Cells[0]
	var sizes []uint64
	have := map[uint64]uint64{}
	for _, p := range cell.PageInfo {
		sizes = append(sizes, uint64(p.Size))
		have[uint64(p.Size)] = uint64(p.Count)
	}
	if len(sizes) == 0 {
		return harness.NotApplicable("the capabilities name no page sizes for NUMA cell 0")
	}
	free, err := w.Conn.GetFreePages(sizes, cell.ID, 1, 0)
	if err != nil {
		return fmt.Errorf("free pages of cell %d: %w", cell.ID, err)
	}
	if len(free) != len(sizes) {
		return fmt.Errorf("free pages for %d sizes, asked for %d", len(free), len(sizes))
	}
	for i, s := range sizes {
		if free[i] > have[s] {
			return fmt.Errorf("%d free pages of %d KiB in cell %d, which has %d", free[i], s, cell.ID, have[s])
		}
	}
	return nil
}

func nodeSecurityModelIsTheCapabilities(ctx context.Context) error {
	w := W(ctx)
	caps, err := w.Capabilities()
	if err != nil {
		return err
	}
	m, err := w.Conn.GetSecurityModel()
	if err != nil {
		return fmt.Errorf("node security model: %w", err)
	}
	want, doi := "", ""
	if len(caps.Host.SecModel) > 0 {
		want, doi = caps.Host.SecModel[0].Name, caps.Host.SecModel[0].DOI
	}
	if m.Model != want || m.Doi != doi {
		return fmt.Errorf("the node's security model is %q (DOI %q); the capabilities name %q (DOI %q)", m.Model, m.Doi, want, doi)
	}
	return nil
}

// readOnly opens a read-only connection to the stack, closed at cleanup.
func (w *world) readOnly() (*libvirt.Connect, error) {
	c, err := libvirt.NewConnectReadOnly(w.URI())
	if err != nil {
		return nil, fmt.Errorf("opening a read-only connection: %w", err)
	}
	w.Tracker.Defer("read-only connection", func() error { return harness.CloseChecked(c) })
	return c, nil
}

func readOnlyConnectionListsDomain(ctx context.Context, logical string) error {
	w := W(ctx)
	c, err := w.readOnly()
	if err != nil {
		return err
	}
	doms, err := c.ListAllDomains(0)
	if err != nil {
		return fmt.Errorf("listing domains read-only: %w", err)
	}
	found := false
	for i := range doms {
		if n, _ := doms[i].GetName(); n == w.Name(logical) {
			found = true
		}
		doms[i].Free()
	}
	if !found {
		return fmt.Errorf("the read-only connection does not list domain %s among %d", w.Name(logical), len(doms))
	}
	return nil
}

func tryToDefineDomainOverAReadOnlyConnection(ctx context.Context, logical string) error {
	w := W(ctx)
	c, err := w.readOnly()
	if err != nil {
		return err
	}
	x, err := w.FixtureXML(logical, "minimal")
	if err != nil {
		return err
	}
	// Recorded first: a stack that accepts it against the requirement made an object of ours.
	err = w.Tracker.Create(harness.Resource{Kind: harness.KindDomain, Name: w.Name(logical), UUID: stepkit.UUIDOf(x)}, func() (string, error) {
		d, err := c.DomainDefineXML(x)
		if err == nil {
			d.Free()
		}
		return "", err
	})
	return w.Try(err)
}

func registerHost(r *stepkit.Registry) {
	r.Step(`^the CPU models of the host's architecture are listed, the host CPU's among them$`, cpuModelsAreListedTheHostCPUsAmongThem)
	r.Step(`^the baseline of the host-model CPU compares as runnable on the hypervisor$`, baselineOfTheHostModelCPUIsRunnable)
	r.Step(`^a CPU model the domain capabilities mark unusable compares as incompatible$`, unusableCPUModelComparesIncompatible)
	r.Step(`^the baseline of the host CPU compares as runnable on the host$`, baselineOfTheHostCPUIsRunnableOnTheHost)
	r.Step(`^the node CPU map counts the node's CPUs, with at least one online$`, nodeCPUMapCountsTheNodesCPUs)
	r.Step(`^the free pages of each page size of NUMA cell 0 are no more than the cell has$`, freePagesOfCell0AreNoMoreThanItHas)
	r.Step(`^the node's security model is the first one the capabilities name$`, nodeSecurityModelIsTheCapabilities)
	r.Step(`^a read-only connection lists domain "([^"]*)"$`, readOnlyConnectionListsDomain)
	r.Step(`^I try to define domain "([^"]*)" over a read-only connection$`, tryToDefineDomainOverAReadOnlyConnection)
}
