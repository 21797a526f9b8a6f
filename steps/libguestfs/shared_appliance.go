// The libguestfs appliance launched once per run for the scenarios that only
// inspect (@shared:inspection).

package libguestfs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps/stepkit"
)

// SharedInspection is the appliance launched once per run on two read-only
// disks, a phony Debian guest and a blank disk, for the scenarios that only
// inspect them (GFS-008, GFS-009). Under TCG each launch costs about 19 s. A
// libguestfs handle is not safe for concurrent use: every call on it holds
// the fixture's lock. Scenarios that write, shut down or close a handle open
// their own.
const SharedInspection = "inspection"

// inspectionAppliance is the shared fixture's value.
type inspectionAppliance struct {
	h       gfsHandle
	mu      *sync.Mutex
	devices map[string]string // logical disk -> the appliance's device
	backend string
}

func applianceLaunchedOnPhonyDebianAndBlankDisk(ctx context.Context, version, phony, hostname, blank string) error {
	w := W(ctx)
	build := func(ctx context.Context, fw *world) (inspectionAppliance, error) {
		return fw.launchInspectionAppliance(ctx, version, phony, hostname, blank)
	}
	if !w.SharesFixture(SharedInspection) {
		a, err := build(ctx, w)
		if err != nil {
			return err
		}
		w.gfs().devices = a.devices
		return nil
	}
	v, err := w.Shared(ctx, SharedInspection, func(ctx context.Context, fix *harness.Scenario) (any, string, error) {
		fw := &world{&stepkit.World{Scenario: fix}}
		// The fixture's own context: nothing in the build may reach the asking scenario's state.
		a, err := build(stepkit.WithWorld(harness.WithScenario(ctx, fix), fw.World), fw)
		if err != nil {
			return nil, "", err
		}
		a.mu = &sync.Mutex{}
		return a, fmt.Sprintf("libguestfs appliance (backend %s, accel %s) on read-only disks %s and %s, launched once for the run",
			a.backend, fw.Caps.Guestfs.Accel, fix.Name(phony), fix.Name(blank)), nil
	})
	if err != nil {
		return err
	}
	a := v.(inspectionAppliance)
	st := w.gfs()
	if st.h != nil {
		return errors.New("the scenario already has a libguestfs handle")
	}
	st.h, st.mu, st.shared, st.backend, st.devices = a.h, a.mu, true, a.backend, a.devices
	return nil
}

// launchInspectionAppliance makes both disks in w's pool, opens w's handle
// (closed by w's cleanup), adds them read-only and launches.
func (w *world) launchInspectionAppliance(ctx context.Context, version, phony, hostname, blank string) (inspectionAppliance, error) {
	if err := w.hostImage(ctx, phony, func(dir string) error { return phonyDebian(dir, version, hostname) }); err != nil {
		return inspectionAppliance{}, err
	}
	if err := w.openGuestfs("direct"); err != nil {
		return inspectionAppliance{}, err
	}
	st := w.gfs()
	a := inspectionAppliance{h: st.h, backend: st.backend, devices: map[string]string{}}
	bp, err := w.gfsDisk(blank)
	if err != nil {
		return a, err
	}
	if err := st.h.DiskCreate(bp, "raw", 32*stepkit.MiB, "", ""); err != nil {
		return a, fmt.Errorf("disk_create %s: %w", bp, err)
	}
	logicals := []string{phony, blank}
	for _, logical := range logicals {
		p, err := w.gfsDisk(logical)
		if err != nil {
			return a, err
		}
		if err := st.h.AddDrive(p, harness.DiskFormat(p), true); err != nil {
			return a, fmt.Errorf("add_drive_opts %s read-only: %w", p, err)
		}
	}
	if err := st.h.Launch(); err != nil {
		return a, fmt.Errorf("launch (backend %s, accel %s): %w", st.backend, w.Caps.Guestfs.Accel, err)
	}
	devs, err := st.h.Devices()
	if err != nil {
		return a, fmt.Errorf("list_devices: %w", err)
	}
	if len(devs) != len(logicals) {
		return a, fmt.Errorf("list_devices gives %v for %d added disks", devs, len(logicals))
	}
	for i, logical := range logicals {
		a.devices[logical] = devs[i] // libguestfs lists devices in the order they were added
	}
	return a, nil
}

// onDevice reports whether an inspection root (a device or a partition of
// it) lives on dev.
func onDevice(root, dev string) bool {
	rest, ok := strings.CutPrefix(root, dev)
	return ok && strings.Trim(rest, "0123456789") == ""
}

func inspectionFindsNoOperatingSystemOnDiskButOne(ctx context.Context, blank, phony string) error {
	st := W(ctx).gfs()
	if st.inspected == nil {
		return errors.New("no inspection ran")
	}
	dev := map[string]string{}
	for _, logical := range []string{blank, phony} {
		d, ok := st.devices[logical]
		if !ok {
			return fmt.Errorf("disk %q is not one of the appliance's (%v)", logical, st.devices)
		}
		dev[logical] = d
	}
	var onBlank, onPhony []string
	for _, root := range st.roots {
		if onDevice(root, dev[blank]) {
			onBlank = append(onBlank, root)
		}
		if onDevice(root, dev[phony]) {
			onPhony = append(onPhony, root)
		}
	}
	if len(onBlank) > 0 {
		return fmt.Errorf("inspect_os finds roots %v on blank disk %q (%s)", onBlank, blank, dev[blank])
	}
	// The control: inspection in the same appliance does find an OS where there is one.
	if len(onPhony) != 1 {
		return fmt.Errorf("inspect_os finds roots %v on disk %q (%s), want one: an inspection that finds nothing proves nothing about the blank disk",
			onPhony, phony, dev[phony])
	}
	return nil
}

func registerSharedAppliance(r *stepkit.Registry) {
	r.Step(`^a libguestfs appliance launched on a phony Debian (\d+\.\d+) disk "([^"]*)" with hostname "([^"]*)" and a blank disk "([^"]*)", both read-only$`, applianceLaunchedOnPhonyDebianAndBlankDisk)
	r.Step(`^the inspection finds no operating system on disk "([^"]*)" but one on disk "([^"]*)"$`, inspectionFindsNoOperatingSystemOnDiskButOne)
}
