// Domain jobs and migration tuning (features/jobs): the migration settings of
// a running domain read back, the dirty-page rate it measures, and the
// statistics of all domains at once.

package jobs

import (
	"context"
	"fmt"

	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
)

// migrationTunings are the three settings: how each is set and read, and its
// unit in the calls' terms.
var migrationTunings = map[string]struct {
	set func(d *libvirt.Domain, v uint64) error
	get func(d *libvirt.Domain) (uint64, error)
}{
	"maximum migration speed": { // MiB/s
		set: func(d *libvirt.Domain, v uint64) error { return d.MigrateSetMaxSpeed(v, 0) },
		get: func(d *libvirt.Domain) (uint64, error) { return d.MigrateGetMaxSpeed(0) },
	},
	"maximum migration downtime": { // ms
		set: func(d *libvirt.Domain, v uint64) error { return d.MigrateSetMaxDowntime(v, 0) },
		get: func(d *libvirt.Domain) (uint64, error) { return d.MigrateGetMaxDowntime(0) },
	},
	"migration compression cache": { // bytes
		set: func(d *libvirt.Domain, v uint64) error { return d.MigrateSetCompressionCache(v<<20, 0) },
		get: func(d *libvirt.Domain) (uint64, error) {
			b, err := d.MigrateGetCompressionCache(0)
			return b >> 20, err
		},
	},
}

func setMigrationTuning(ctx context.Context, what, dom string, v uint64, _ string) error {
	return W(ctx).WithDomain(dom, func(d *libvirt.Domain) error { return migrationTunings[what].set(d, v) })
}

func domainHasMigrationTuning(ctx context.Context, dom, what string, want uint64, unit string) error {
	return W(ctx).WithDomain(dom, func(d *libvirt.Domain) error {
		got, err := migrationTunings[what].get(d)
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("the %s of %q is %d %s, want %d", what, dom, got, unit, want)
		}
		return nil
	})
}

func startDirtyRateCalc(ctx context.Context, secs int, dom string) error {
	return W(ctx).WithDomain(dom, func(d *libvirt.Domain) error { return d.StartDirtyRateCalc(secs, 0) })
}

// runningDomainStats is one domain's entry in the statistics of all running domains
// (virConnectGetAllDomainStats, not the per-domain call), every group asked
// for enforced: a stack without one says so rather than leaving it out.
func (w *world) runningDomainStats(dom string, types libvirt.DomainStatsTypes) (*libvirt.DomainStats, error) {
	all, err := w.Conn.GetAllDomainStats(nil, types, libvirt.CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE|libvirt.CONNECT_GET_ALL_DOMAINS_STATS_ENFORCE_STATS)
	if err != nil {
		return nil, err
	}
	var mine *libvirt.DomainStats
	for i := range all {
		if n, _ := all[i].Domain.GetName(); n == w.Name(dom) {
			mine = &all[i]
		}
		all[i].Domain.Free()
	}
	if mine == nil {
		return nil, fmt.Errorf("the statistics of all running domains (%d) do not list %q", len(all), dom)
	}
	return mine, nil
}

func statsReportDirtyRate(ctx context.Context, dom string, period, within int) error {
	w := W(ctx)
	return w.EventuallyFor(ctx, within, func() error {
		st, err := w.runningDomainStats(dom, libvirt.DOMAIN_STATS_DIRTYRATE)
		if err != nil {
			return err
		}
		dr := st.DirtyRate
		switch {
		case dr == nil || !dr.CalcStatusSet:
			return fmt.Errorf("the statistics of %q carry no dirty rate", dom)
		case dr.CalcStatus != int(libvirt.DOMAIN_DIRTYRATE_MEASURED):
			return fmt.Errorf("the dirty rate calculation of %q has status %d, not measured (%d)", dom, dr.CalcStatus, libvirt.DOMAIN_DIRTYRATE_MEASURED)
		case !dr.CalcPeriodSet || dr.CalcPeriod != period || !dr.MegabytesPerSecondSet || dr.MegabytesPerSecond < 0:
			return fmt.Errorf("the dirty rate of %q: period %d s (set: %v), %d MiB/s (set: %v), want a rate over %d s",
				dom, dr.CalcPeriod, dr.CalcPeriodSet, dr.MegabytesPerSecond, dr.MegabytesPerSecondSet, period)
		}
		return nil
	})
}

func allDomainStatsListDomain(ctx context.Context, dom string, vcpus int) error {
	w := W(ctx)
	st, err := w.runningDomainStats(dom, libvirt.DOMAIN_STATS_STATE|libvirt.DOMAIN_STATS_VCPU|libvirt.DOMAIN_STATS_BLOCK)
	if err != nil {
		return err
	}
	if st.State == nil || !st.State.StateSet || st.State.State != libvirt.DOMAIN_RUNNING {
		return fmt.Errorf("the statistics of all domains do not give %q as running: %+v", dom, st.State)
	}
	if len(st.Vcpu) != vcpus {
		return fmt.Errorf("the statistics of all domains give %q %d vCPUs, want %d", dom, len(st.Vcpu), vcpus)
	}
	for _, b := range st.Block {
		if b.NameSet && b.Name == stepkit.VdaDisk {
			return nil
		}
	}
	return fmt.Errorf("the statistics of all domains list no disk %s of %q (%d disks)", stepkit.VdaDisk, dom, len(st.Block))
}

func registerJobs(r *stepkit.Registry) {
	r.Step(`^I set the (maximum migration speed|maximum migration downtime|migration compression cache) of domain "([^"]*)" to (\d+) (MiB/s|ms|MiB)$`, setMigrationTuning)
	r.Step(`^domain "([^"]*)" has a (maximum migration speed|maximum migration downtime|migration compression cache) of (\d+) (MiB/s|ms|MiB)$`, domainHasMigrationTuning)
	r.Step(`^I start a (\d+) second dirty page rate calculation on domain "([^"]*)"$`, startDirtyRateCalc)
	r.Step(`^the statistics of domain "([^"]*)" report a measured dirty page rate over (\d+) seconds? within (\d+) seconds$`, statsReportDirtyRate)
	r.Step(`^the statistics of all running domains list domain "([^"]*)" running, with (\d+) vCPUs? and its disk vda$`, allDomainStatsListDomain)
}
