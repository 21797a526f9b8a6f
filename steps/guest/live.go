// Live vCPU and memory changes seen in a guest OS (features/guest): vCPUs
// plugged into a running guest, seen present by its kernel and brought online
// through its agent; its balloon inflated, seen as memory the guest no longer
// has.

package guest

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
)

func runningGuestWithVCPUs(ctx context.Context, logical string, n int) error {
	w := W(ctx)
	if w.GuestsSt().Vcpus == nil {
		w.GuestsSt().Vcpus = map[string]int{}
	}
	w.GuestsSt().Vcpus[logical] = n
	return w.RunningGuest(ctx, logical, "", "")
}

func plugVCPUsLive(ctx context.Context, logical string, n uint) error {
	return W(ctx).WithDomain(logical, func(d *libvirt.Domain) error {
		return d.SetVcpusFlags(n, libvirt.DOMAIN_VCPU_LIVE)
	})
}

// cpuCount counts the CPUs of a kernel CPU list ("0-1,3").
func cpuCount(list string) (int, error) {
	n := 0
	for _, part := range strings.Split(strings.TrimSpace(list), ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return 0, fmt.Errorf("not a CPU list: %q", list)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return 0, fmt.Errorf("not a CPU list: %q", list)
			}
		}
		n += b - a + 1
	}
	return n, nil
}

// guestCPUs counts the guest kernel's present or online CPUs.
func (w *world) guestCPUs(ctx context.Context, logical, which string) (int, error) {
	out, err := w.Exec(ctx, logical, "cat /sys/devices/system/cpu/"+which)
	if err != nil {
		return 0, err
	}
	return cpuCount(out)
}

func guestSeesVCPUsPresent(ctx context.Context, logical string, n int, secs string) error {
	w := W(ctx)
	return w.UntilAgent(ctx, stepkit.Seconds(secs), func(ctx context.Context) error {
		got, err := w.guestCPUs(ctx, logical, "present")
		if err == nil && got != n {
			err = fmt.Errorf("the guest has %d CPUs present, want %d", got, n)
		}
		return err
	})
}

func bringVCPUsOnline(ctx context.Context, logical string) error {
	return W(ctx).WithDomain(logical, func(d *libvirt.Domain) error {
		gv, err := d.GetGuestVcpus(0)
		if err != nil {
			return err
		}
		offline := make([]bool, len(gv.Vcpus))
		any := false
		for i, present := range gv.Vcpus {
			// The online bitmap ends at its last online vCPU.
			if present && !(i < len(gv.Online) && gv.Online[i]) {
				offline[i], any = true, true
			}
		}
		if !any {
			return nil // the guest's kernel onlined them itself
		}
		return d.SetGuestVcpus(offline, true, 0)
	})
}

func agentReportsVCPUsOnline(ctx context.Context, logical string, n int) error {
	w := W(ctx)
	return w.WithDomain(logical, func(d *libvirt.Domain) error {
		gv, err := d.GetGuestVcpus(0)
		if err != nil {
			return err
		}
		online := 0
		for _, on := range gv.Online {
			if on {
				online++
			}
		}
		counted, err := w.guestCPUs(ctx, logical, "online")
		if err != nil {
			return err
		}
		if online != n || counted != n {
			return fmt.Errorf("the agent reports %d vCPUs online, the guest's kernel %d; want %d", online, counted, n)
		}
		return nil
	})
}

// guestMemTotal is the guest kernel's MemTotal, in KiB.
func (w *world) guestMemTotal(ctx context.Context, logical string) (int, error) {
	out, err := w.Exec(ctx, logical, "grep MemTotal: /proc/meminfo")
	if err != nil {
		return 0, err
	}
	f := strings.Fields(out)
	if len(f) < 2 {
		return 0, fmt.Errorf("no MemTotal in the guest's /proc/meminfo: %q", out)
	}
	return strconv.Atoi(f[1])
}

func setGuestMemoryLive(ctx context.Context, logical string, mib uint64) error {
	w := W(ctx)
	before, err := w.guestMemTotal(ctx, logical)
	if err != nil {
		return err
	}
	gs, err := w.Guest(logical)
	if err != nil {
		return err
	}
	gs.MemBefore = before
	return w.WithDomain(logical, func(d *libvirt.Domain) error {
		if err := d.SetMemoryStatsPeriod(1, libvirt.DOMAIN_MEM_LIVE); err != nil {
			return err
		}
		return d.SetMemoryFlags(mib<<10, libvirt.DOMAIN_MEM_LIVE)
	})
}

func guestSeesMemoryShrink(ctx context.Context, logical string, mib int, secs string) error {
	w := W(ctx)
	gs, err := w.Guest(logical)
	if err != nil {
		return err
	}
	before := gs.MemBefore
	if before == 0 {
		return fmt.Errorf("the scenario did not note the memory of guest %q before", logical)
	}
	return w.UntilAgent(ctx, stepkit.Seconds(secs), func(ctx context.Context) error {
		now, err := w.guestMemTotal(ctx, logical)
		if err == nil && before-now < mib<<10 {
			err = fmt.Errorf("the guest's MemTotal went from %d to %d KiB, want at least %d MiB less", before, now, mib)
		}
		return err
	})
}

func balloonReports(ctx context.Context, logical string, mib uint64, secs string) error {
	w := W(ctx)
	return w.WithDomain(logical, func(d *libvirt.Domain) error {
		return w.UntilAgent(ctx, stepkit.Seconds(secs), func(context.Context) error {
			stats, err := d.MemoryStats(uint32(libvirt.DOMAIN_MEMORY_STAT_NR), 0)
			if err != nil {
				return err
			}
			for _, s := range stats {
				if s.Tag == int32(libvirt.DOMAIN_MEMORY_STAT_ACTUAL_BALLOON) {
					if s.Val != mib<<10 {
						return fmt.Errorf("the balloon reports %d KiB, want %d MiB", s.Val, mib)
					}
					return nil
				}
			}
			return fmt.Errorf("the memory statistics of %q carry no balloon size", logical)
		})
	})
}

func registerLive(r *stepkit.Registry) {
	r.Step(`^a running guest "([^"]*)" that may have (\d+) vCPUs, 1 of them plugged$`, runningGuestWithVCPUs)
	r.Step(`^I plug vCPUs into guest "([^"]*)" live until it has (\d+)$`, plugVCPUsLive)
	r.Step(`^guest "([^"]*)" sees (\d+) vCPUs present within (\d+) seconds$`, guestSeesVCPUsPresent)
	r.Step(`^I bring every vCPU of guest "([^"]*)" online through its agent$`, bringVCPUsOnline)
	r.Step(`^the agent of guest "([^"]*)" reports (\d+) vCPUs online, and the guest counts as many online$`, agentReportsVCPUsOnline)
	r.Step(`^I set the memory of guest "([^"]*)" to (\d+) MiB live$`, setGuestMemoryLive)
	r.Step(`^guest "([^"]*)" sees its memory shrink by at least (\d+) MiB within (\d+) seconds$`, guestSeesMemoryShrink)
	r.Step(`^the balloon of guest "([^"]*)" reports (\d+) MiB within (\d+) seconds$`, balloonReports)
}
