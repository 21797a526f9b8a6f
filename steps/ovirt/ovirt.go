package ovirt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// oVirt host readiness: what the engine and VDSM demand of a KVM host.

// clusterLevels are the minimum versions a cluster level needs (VDSM v4.50.7).
var clusterLevels = map[string]struct{ libvirt, qemu uint32 }{
	"4.7": {libvirt: 8_000_000},
	"4.8": {libvirt: 10_010_000, qemu: 9_001_000},
}

// engineMachines is ovirt-engine's ClusterEmulatedMachines for x86_64 per
// cluster level (its pre_upgrade/0000_config.sql): the engine picks the first
// the host offers, and a host that offers none is incompatible.
var engineMachines = map[string][]string{
	"4.7": {"pc-q35-rhel8.5.0", "pc-q35-4.1", "pc-i440fx-rhel7.6.0", "pc-i440fx-2.12"},
}

// lockDrivers are libvirt's lock manager plugins (VDSM configures sanlock).
var lockDrivers = []string{"/usr/lib/x86_64-linux-gnu/libvirt/lock-driver", "/usr/lib64/libvirt/lock-driver", "/usr/lib/libvirt/lock-driver"}

func stackRunsKvmDomainsOrTheEngine(ctx context.Context) error {
	w := W(ctx)
	if !w.Caps.KVMUsable {
		why := w.Caps.KVMNote
		if why == "" {
			why = w.Caps.Missing["kvm"].Reason
		}
		return fmt.Errorf("no usable KVM (%s): the engine would mark this host non-operational, KVM_NOT_RUNNING", why)
	}
	return nil
}

func hostSLibvirtAndQemuAllowCluster(ctx context.Context, level string) error {
	w := W(ctx)
	need, ok := clusterLevels[level]
	if !ok {
		return fmt.Errorf("no minimum versions known for cluster level %s", level)
	}
	lv, err := w.Conn.GetLibVersion()
	if err != nil {
		return err
	}
	hv, err := w.Conn.GetVersion()
	if err != nil {
		return err
	}
	var short []string
	if lv < need.libvirt {
		short = append(short, fmt.Sprintf("libvirt %s < %s", harness.VersionString(lv), harness.VersionString(need.libvirt)))
	}
	if uint32(hv) < need.qemu {
		short = append(short, fmt.Sprintf("QEMU %s < %s", harness.VersionString(uint32(hv)), harness.VersionString(need.qemu)))
	}
	if len(short) > 0 {
		return fmt.Errorf("cluster level %s needs newer versions: %s", level, strings.Join(short, ", "))
	}
	return nil
}

func hostOffersAKvmMachineTypeOf(ctx context.Context, level string) error {
	w := W(ctx)
	list, ok := engineMachines[level]
	if !ok {
		return fmt.Errorf("no engine machine list known for cluster level %s", level)
	}
	x, err := w.Conn.GetCapabilities()
	if err != nil {
		return err
	}
	var caps libvirtxml.Caps
	if err := caps.Unmarshal(x); err != nil {
		return err
	}
	offered := map[string]bool{}
	for _, g := range caps.Guests {
		if g.OSType != "hvm" || g.Arch.Name != "x86_64" {
			continue
		}
		for _, d := range g.Arch.Domains {
			if d.Type != "kvm" {
				continue
			}
			for _, m := range append(d.Machines, g.Arch.Machines...) {
				offered[m.Name] = true
			}
		}
	}
	for _, m := range list {
		if offered[m] {
			return nil // the engine would pick this one
		}
	}
	return fmt.Errorf("the host offers none of the engine's machine types for %s (%s): the engine would find it incompatible", level, strings.Join(list, ", "))
}

func networkFiltersAreDefined(ctx context.Context, list string) error {
	w := W(ctx)
	var missing []string
	for _, name := range stepkit.SplitList(list) {
		f, err := w.Conn.LookupNWFilterByName(name)
		if errors.Is(err, libvirt.ERR_NO_NWFILTER) {
			missing = append(missing, name)
			continue
		}
		if err != nil {
			return err
		}
		f.Free()
	}
	if len(missing) > 0 {
		return fmt.Errorf("libvirt's network filter configuration lacks %s, which VDSM's vdsm-no-mac-spoofing filter references", strings.Join(missing, ", "))
	}
	return nil
}

func libvirtLockManagerPluginIsInstalled(ctx context.Context) error {
	var found []string
	for _, dir := range lockDrivers {
		for _, p := range []string{"sanlock.so", "lockd.so"} {
			if _, err := os.Stat(filepath.Join(dir, p)); err == nil && !slices.Contains(found, p) {
				found = append(found, p)
			}
		}
	}
	if len(found) == 0 {
		return fmt.Errorf("no lock manager plugin (sanlock.so, which VDSM configures, or lockd.so) in %s", strings.Join(lockDrivers, ", "))
	}
	return nil
}

func registerOVirt(r *stepkit.Registry) {
	r.Step(`^the stack runs KVM domains, or the engine would mark the host KVM_NOT_RUNNING$`, stackRunsKvmDomainsOrTheEngine)
	r.Step(`^the host's libvirt and QEMU allow cluster level "([^"]*)"$`, hostSLibvirtAndQemuAllowCluster)
	r.Step(`^the host offers a kvm machine type of the engine's list for cluster level "([^"]*)"$`, hostOffersAKvmMachineTypeOf)
	r.Step(`^the network filters "([^"]*)" are defined$`, networkFiltersAreDefined)
	r.Step(`^a libvirt lock manager plugin is installed$`, libvirtLockManagerPluginIsInstalled)
}
