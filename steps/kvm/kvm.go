package kvm

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"github.com/ovacts/ovacts/fixtures"
	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps/stepkit"
	"golang.org/x/sys/unix"
	"libvirt.org/go/libvirt"
)

// KVM host checks. Those that read the host (the @needs:host scenarios) run only
// where the stack is this machine; the others ask libvirt.

var cpuFlags = regexp.MustCompile(`(?m)^flags\s*:.*\b(vmx|svm)\b`)

// cgroupControllers lists the controllers this host offers: cgroup v2's
// cgroup.controllers, else the enabled and mounted v1 hierarchies.
func cgroupControllers() (map[string]bool, error) {
	out := map[string]bool{}
	if b, err := os.ReadFile("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		for _, c := range strings.Fields(string(b)) {
			out[c] = true
		}
		// v2 folds cpuacct into cpu and blkio into io, and has no devices
		// controller: libvirt restricts devices with BPF programs instead,
		// when the kernel lets it query them (as libvirt checks).
		if out["cpu"] {
			out["cpuacct"] = true
		}
		if out["io"] {
			out["blkio"] = true
		}
		out["devices"] = cgroupV2DevicesAvailable("/sys/fs/cgroup") == nil
		return out, nil
	}
	enabled := map[string]bool{}
	f, err := os.Open("/proc/cgroups")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) == 4 && fs[3] == "1" {
			enabled[fs[0]] = true
		}
	}
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(string(mounts), "\n") {
		// "... - cgroup cgroup rw,cpu,cpuacct"
		_, after, ok := strings.Cut(line, " - cgroup ")
		if !ok {
			continue
		}
		fs := strings.Fields(after)
		if len(fs) < 2 {
			continue
		}
		for _, opt := range strings.Split(fs[1], ",") {
			if enabled[opt] {
				out[opt] = true
			}
		}
	}
	return out, nil
}

// cgroupV2DevicesAvailable asks the kernel what libvirt asks before it
// controls devices on cgroup v2 (virCgroupV2DevicesAvailable): the BPF
// programs of type cgroup-device attached to the cgroup root.
func cgroupV2DevicesAvailable(root string) error {
	f, err := os.Open(root)
	if err != nil {
		return err
	}
	defer f.Close()
	const bpfProgQuery, bpfCgroupDevice = 16, 6
	var attr struct {
		TargetFD, AttachType, QueryFlags, AttachFlags uint32
		ProgIDs                                       uint64
		ProgCnt                                       uint32
		_                                             [100]byte
	}
	attr.TargetFD, attr.AttachType = uint32(f.Fd()), bpfCgroupDevice
	if _, _, e := unix.Syscall(unix.SYS_BPF, bpfProgQuery, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr)); e != 0 {
		return fmt.Errorf("the kernel does not let libvirt query cgroup device programs (bpf BPF_PROG_QUERY): %w", e)
	}
	return nil
}

// qemuProcess is the identity the QEMU of a running domain runs as: its uid,
// gid and supplementary groups, read from the process itself.
type qemuProcess struct {
	pid    int
	uid    uint32
	gid    uint32
	groups []uint32
}

// qemuOf finds the QEMU process of a running domain (libvirt's pid file) and
// reads its credentials.
func (w *world) qemuOf(dom string) (*qemuProcess, error) {
	b, err := os.ReadFile(fmt.Sprintf("/run/libvirt/qemu/%s.pid", w.Name(dom)))
	if err != nil {
		return nil, fmt.Errorf("the QEMU of domain %q: %w", dom, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("the QEMU pid file of domain %q: %w", dom, err)
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	p := &qemuProcess{pid: pid}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, _ := strings.Cut(line, ":")
		f := strings.Fields(v)
		switch {
		case k == "Uid" && len(f) > 0:
			n, _ := strconv.ParseUint(f[0], 10, 32)
			p.uid = uint32(n)
		case k == "Gid" && len(f) > 0:
			n, _ := strconv.ParseUint(f[0], 10, 32)
			p.gid = uint32(n)
		case k == "Groups":
			for _, g := range f {
				n, _ := strconv.ParseUint(g, 10, 32)
				p.groups = append(p.groups, uint32(n))
			}
		}
	}
	return p, nil
}

// openAs opens path for reading and writing as the given identity, in a
// child process: what the kernel says, not what the mode bits suggest.
func openAs(ctx context.Context, path string, uid, gid uint32, groups []uint32) error {
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", `exec 3<>"$1"`, "sh", path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid, Groups: groups}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s as uid %d gid %d groups %v: %s", path, uid, gid, groups, strings.TrimSpace(string(out)))
	}
	return nil
}

// openDevice opens a device node read-only (never following a link, never
// waiting on it): a node with no driver behind it (a module not loaded)
// answers ENODEV, which is what the check needs; writing is libvirt's to do.
func openDevice(dev string) error {
	f, err := os.OpenFile(dev, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	return f.Close()
}

func hostCpuReportsHardwareVirtualization(ctx context.Context) error {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return err
	}
	if !cpuFlags.Match(b) {
		return errors.New("/proc/cpuinfo has neither the vmx nor the svm flag: the CPU reports no hardware virtualization")
	}
	return nil
}

// hostHasTheDevice: dev is one of harness.CheckedDevices (the step declares
// it), a character device, not a link.
func hostHasTheDevice(ctx context.Context, dev string) error {
	st, err := os.Lstat(dev)
	if err != nil {
		return fmt.Errorf("%s: %w", dev, err)
	}
	if st.Mode()&os.ModeCharDevice == 0 {
		return fmt.Errorf("%s is not a character device", dev)
	}
	if err := openDevice(dev); err != nil {
		return fmt.Errorf("%s exists but cannot be opened: %w", dev, err)
	}
	return nil
}

func qemuStackOnThisHostOffersThe(ctx context.Context) error {
	w := W(ctx)
	if w.Caps.Driver != "QEMU" {
		return harness.NotApplicable("the stack's driver is %s, not QEMU", w.Caps.Driver)
	}
	st, err := os.Stat("/dev/kvm")
	return kvmTypeOffered(st, err, w.Caps.GuestArch, w.Caps.DomainTypes)
}

// kvmTypeOffered: KVM-010 on a host whose /dev/kvm is st (or statErr): a
// character device there makes a stack that offers no kvm type fail.
func kvmTypeOffered(st os.FileInfo, statErr error, arch string, types []string) error {
	if statErr != nil || st.Mode()&os.ModeCharDevice == 0 {
		return harness.NotApplicable("this host has no /dev/kvm (%v): nothing for libvirt to offer", statErr)
	}
	if !slices.Contains(types, "kvm") {
		return fmt.Errorf("this host has /dev/kvm, but the stack offers no kvm domain type for %s (offers %s): libvirt's QEMU cannot use KVM",
			arch, strings.Join(types, ", "))
	}
	return nil
}

func hostOffersTheCgroupController(ctx context.Context, c string) error {
	have, err := cgroupControllers()
	if err != nil {
		return err
	}
	if !have[c] {
		return fmt.Errorf("the cgroup controller %q is not enabled and mounted", c)
	}
	return nil
}

func hostHasIommuGroupsForDeviceAssignment(ctx context.Context) error {
	entries, err := os.ReadDir("/sys/kernel/iommu_groups")
	if err != nil {
		return fmt.Errorf("no IOMMU groups: %w", err)
	}
	if len(entries) == 0 {
		return errors.New("/sys/kernel/iommu_groups is empty: no IOMMU is enabled, so devices cannot be assigned")
	}
	return nil
}

func runningKvmDomain(ctx context.Context, name string) error {
	w := W(ctx)
	return w.DomainFromFixture(name, "minimal", "running", func(v *fixtures.DomainVars) error {
		v.Type = "kvm"
		return nil
	})
}

func qemuOfDomainCanOpenDevKvm(ctx context.Context, dom string) error {
	w := W(ctx)
	q, err := w.qemuOf(dom)
	if err != nil {
		return err
	}
	if err := openAs(ctx, "/dev/kvm", q.uid, q.gid, q.groups); err != nil {
		return fmt.Errorf("the QEMU user (pid %d) cannot open /dev/kvm: %w", q.pid, err)
	}
	return nil
}

func qemuReportsKvmAccelerationEnabledForDomain(ctx context.Context, dom string) error {
	return W(ctx).WithDomain(dom, func(d *libvirt.Domain) error {
		out, err := d.QemuMonitorCommand(`{"execute":"query-kvm"}`, libvirt.DOMAIN_QEMU_MONITOR_COMMAND_DEFAULT)
		if err != nil {
			return err
		}
		var reply struct {
			Return struct{ Enabled, Present bool } `json:"return"`
		}
		if err := json.Unmarshal([]byte(out), &reply); err != nil {
			return fmt.Errorf("query-kvm reply %q: %w", out, err)
		}
		if !reply.Return.Enabled || !reply.Return.Present {
			return fmt.Errorf("query-kvm says present=%v enabled=%v", reply.Return.Present, reply.Return.Enabled)
		}
		return nil
	})
}

func domainCapabilitiesForTypeKvmOfferThe(ctx context.Context, list string) error {
	dc, err := W(ctx).DomainCaps("kvm")
	if err != nil {
		return err
	}
	if dc.Domain != "kvm" {
		return fmt.Errorf("the domain capabilities describe type %q, asked for kvm", dc.Domain)
	}
	for _, mode := range stepkit.SplitList(list) {
		found := false
		if dc.CPU != nil {
			for _, m := range dc.CPU.Modes {
				if m.Name == mode && m.Supported == "yes" {
					found = true
				}
			}
		}
		if !found {
			return fmt.Errorf("the kvm domain capabilities do not offer CPU mode %q", mode)
		}
	}
	return nil
}

func everyClaimedKVMMachineTypeIsAccepted(ctx context.Context) error {
	w := W(ctx)
	caps, err := w.Capabilities()
	if err != nil {
		return err
	}
	var machines []string
	for _, g := range caps.Guests {
		if g.OSType != "hvm" || g.Arch.Name != w.Caps.GuestArch {
			continue
		}
		for _, d := range g.Arch.Domains {
			if d.Type == "kvm" {
				for _, m := range append(g.Arch.Machines, d.Machines...) {
					machines = append(machines, m.Name)
				}
			}
		}
	}
	if len(machines) == 0 {
		return errors.New("the capabilities claim no machine type for kvm")
	}
	for _, m := range machines {
		if _, err := w.Conn.GetDomainCapabilities("", w.Caps.GuestArch, m, "kvm", 0); err != nil {
			return fmt.Errorf("machine type %q: %w", m, err)
		}
	}
	return nil
}

func registerKVM(r *stepkit.Registry) {
	r.Step(`^the host CPU reports hardware virtualization$`, hostCpuReportsHardwareVirtualization)
	r.Step(`^the host has the device (/dev/\S+)$`, hostHasTheDevice, stepkit.Takes(0, harness.ArgDevice))
	r.Step(`^a QEMU stack on this host offers the kvm domain type when the host has /dev/kvm$`, qemuStackOnThisHostOffersThe)
	r.Step(`^the host offers the cgroup controller "([^"]*)"$`, hostOffersTheCgroupController)
	r.Step(`^the host has IOMMU groups for device assignment$`, hostHasIommuGroupsForDeviceAssignment)
	r.Step(`^a running kvm domain "([^"]*)"$`, runningKvmDomain)
	r.Step(`^the QEMU of domain "([^"]*)" can open /dev/kvm$`, qemuOfDomainCanOpenDevKvm)
	r.Step(`^QEMU reports KVM acceleration enabled for domain "([^"]*)"$`, qemuReportsKvmAccelerationEnabledForDomain)
	r.Step(`^the domain capabilities for type kvm offer the CPU modes? "([^"]*)"$`, domainCapabilitiesForTypeKvmOfferThe)
	r.Step(`^every machine type the capabilities claim for kvm is accepted by the kvm domain capabilities$`, everyClaimedKVMMachineTypeIsAccepted)
}
