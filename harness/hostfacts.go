package harness

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

// HostFact is one measured fact of the host a local stack runs on. The
// report records it (property host.<Name>), the waivers' conditions read it
// (reports.Waiver.When), and make test's own expectations are derived from
// it: no test or waiver encodes one machine's facts.
type HostFact struct {
	Name     string `json:"name"`     // e.g. "kvm", "qdisc.sfq"
	Value    string `json:"value"`    // e.g. "absent", "usable"
	Evidence string `json:"evidence"` // what was read or run, and its answer
}

// HostFacts is the facts of one host, in the order they were measured.
type HostFacts []HostFact

// Get returns the value of a fact ("" and false when it was not measured).
func (f HostFacts) Get(name string) (string, bool) {
	for _, x := range f {
		if x.Name == name {
			return x.Value, true
		}
	}
	return "", false
}

// Is reports whether fact name was measured with value v.
func (f HostFacts) Is(name, v string) bool { got, ok := f.Get(name); return ok && got == v }

// Properties renders the facts as report properties: host.<name> with its
// value, host.<name>.evidence with how it was measured.
func (f HostFacts) Properties() [][2]string {
	var props [][2]string
	for _, x := range f {
		props = append(props, [2]string{"host." + x.Name, x.Value})
		if x.Evidence != "" {
			props = append(props, [2]string{"host." + x.Name + ".evidence", x.Evidence})
		}
	}
	return props
}

// The facts' names and values, as the waivers and tests spell them.
const (
	FactKVM         = "kvm"             // absent | unusable | usable
	FactKVMBoots    = "kvm.boots-linux" // yes | no | no-kvm | unknown (set after the guest probe)
	FactCPUVirt     = "cpu.virt"        // vmx | svm | none
	FactVhostNet    = "vhost-net"       // present | absent
	FactTun         = "net.tun"         // present | absent
	FactIOMMU       = "iommu.groups"    // a count
	FactScheduler   = "disk.scheduler"  // the active I/O scheduler of the pools' disk, or "unknown"
	FactBlkioWeight = "blkio.weight"    // supported | unsupported | unknown
	FactSfq         = "qdisc.sfq"       // available | absent | unknown
	FactCgroup      = "cgroup"          // v2 | v1
	FactKernel      = "kernel"          // the release
	PoolsDir        = "/var/lib/libvirt/images"
	kvmGetAPIVer    = 0xAE00 // KVM_GET_API_VERSION
	kvmAPIVersion   = 12
)

// HostProbe measures a host's facts. Root is "/" on a live host; tests give a
// directory of the same layout. Try runs a command and returns its combined
// output (nil: no command is run, and the facts it measures are "unknown").
type HostProbe struct {
	Root     string
	PoolsDir string
	Try      func(name string, args ...string) (string, error)
	OpenKVM  func(path string) error // nil: /dev/kvm is only stat'ed
}

// MeasureHost measures this host's facts (the one place that does).
func MeasureHost() HostFacts {
	return HostProbe{Root: "/", PoolsDir: PoolsDir, Try: tryCommand, OpenKVM: openKVM}.Measure()
}

func tryCommand(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// openKVM opens /dev/kvm and asks its API version, as QEMU does first.
func openKVM(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	v, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), kvmGetAPIVer, uintptr(unsafe.Pointer(nil)))
	if errno != 0 {
		return fmt.Errorf("ioctl KVM_GET_API_VERSION: %w", errno)
	}
	if v != kvmAPIVersion {
		return fmt.Errorf("KVM API version %d, want %d", v, kvmAPIVersion)
	}
	return nil
}

// Measure measures every fact; a fact that cannot be measured says
// "unknown" with the reason, never a guess.
func (p HostProbe) Measure() HostFacts {
	var f HostFacts
	add := func(name, value, evidence string) { f = append(f, HostFact{name, value, evidence}) }
	set := func(name string) func(value, evidence string) {
		return func(value, evidence string) { add(name, value, evidence) }
	}
	kernel, err := os.ReadFile(p.path("/proc/sys/kernel/osrelease"))
	if err != nil {
		add(FactKernel, "unknown", err.Error())
	} else {
		add(FactKernel, strings.TrimSpace(string(kernel)), "")
	}
	set(FactCPUVirt)(p.cpuVirt())
	set(FactKVM)(p.kvm())
	set(FactVhostNet)(p.charDevice("/dev/vhost-net"))
	set(FactTun)(p.charDevice("/dev/net/tun"))
	groups, err := os.ReadDir(p.path("/sys/kernel/iommu_groups"))
	add(FactIOMMU, strconv.Itoa(len(groups)), "entries of /sys/kernel/iommu_groups"+errSuffix(err))
	sched, evidence := p.scheduler()
	add(FactScheduler, sched, evidence)
	set(FactBlkioWeight)(p.blkioWeight())
	set(FactSfq)(p.sfq())
	if _, err := os.Stat(p.path("/sys/fs/cgroup/cgroup.controllers")); err == nil {
		add(FactCgroup, "v2", "/sys/fs/cgroup/cgroup.controllers exists")
	} else {
		add(FactCgroup, "v1", "no /sys/fs/cgroup/cgroup.controllers")
	}
	return f
}

// blkioWeight says whether the kernel takes a cgroup's block I/O weight, as
// libvirt sets it: cgroup v1's blkio.bfq.weight or blkio.weight (bfq, cfq),
// cgroup v2's io.bfq.weight (bfq) or io.weight (the iocost controller).
// Without any, libvirt refuses: "blkio device weight is valid only for bfq
// or cfq scheduler".
func (p HostProbe) blkioWeight() (string, string) {
	v2 := p.path("/sys/fs/cgroup/cgroup.controllers")
	if _, err := os.Stat(v2); err == nil {
		if _, err := os.Stat(p.path("/sys/fs/cgroup/io.cost.qos")); err == nil {
			return "supported", "cgroup v2 with the iocost controller (/sys/fs/cgroup/io.cost.qos)"
		}
		if p.bfqListed() {
			return "supported", "cgroup v2, and the bfq scheduler is offered"
		}
		return "unsupported", "cgroup v2 without the iocost controller (no /sys/fs/cgroup/io.cost.qos) and no bfq scheduler offered"
	}
	dir := p.path("/sys/fs/cgroup/blkio")
	if _, err := os.Stat(dir); err != nil {
		return "unknown", "no cgroup v2 and no v1 blkio hierarchy at /sys/fs/cgroup/blkio"
	}
	for _, f := range []string{"blkio.bfq.weight", "blkio.weight"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return "supported", "cgroup v1 blkio offers " + f
		}
	}
	return "unsupported", "cgroup v1 blkio offers neither blkio.bfq.weight nor blkio.weight (no bfq or cfq scheduler)"
}

// bfqListed reports whether any block device offers the bfq scheduler.
func (p HostProbe) bfqListed() bool {
	lists, _ := filepath.Glob(p.path("/sys/block/*/queue/scheduler"))
	for _, l := range lists {
		if b, err := os.ReadFile(l); err == nil && strings.Contains(string(b), "bfq") {
			return true
		}
	}
	return false
}

func (p HostProbe) path(abs string) string { return filepath.Join(p.Root, abs) }

func errSuffix(err error) string {
	if err == nil || errors.Is(err, os.ErrNotExist) {
		return ""
	}
	return ": " + err.Error()
}

func (p HostProbe) cpuVirt() (string, string) {
	b, err := os.ReadFile(p.path("/proc/cpuinfo"))
	if err != nil {
		return "unknown", err.Error()
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, flags, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(name) != "flags" {
			continue
		}
		for _, fl := range strings.Fields(flags) {
			if fl == "vmx" || fl == "svm" {
				return fl, "flag " + fl + " in /proc/cpuinfo"
			}
		}
		return "none", "no vmx or svm flag in /proc/cpuinfo"
	}
	return "unknown", "no flags line in /proc/cpuinfo"
}

func (p HostProbe) charDevice(dev string) (string, string) {
	st, err := os.Stat(p.path(dev))
	switch {
	case err != nil:
		return "absent", "stat " + dev + ": " + strings.TrimPrefix(err.Error(), "stat "+p.path(dev)+": ")
	case st.Mode()&os.ModeCharDevice == 0:
		return "absent", dev + " is not a character device"
	}
	return "present", dev + " is a character device"
}

func (p HostProbe) kvm() (string, string) {
	v, evidence := p.charDevice("/dev/kvm")
	if v != "present" {
		return "absent", evidence
	}
	if p.OpenKVM == nil {
		return "unknown", evidence + "; not opened"
	}
	if err := p.OpenKVM(p.path("/dev/kvm")); err != nil {
		return "unusable", "/dev/kvm: " + err.Error()
	}
	return "usable", fmt.Sprintf("/dev/kvm opens and answers KVM API version %d", kvmAPIVersion)
}

// scheduler finds the active I/O scheduler of the block device holding the
// pools' directory (or its nearest existing parent).
func (p HostProbe) scheduler() (string, string) {
	dir := p.PoolsDir
	if dir == "" {
		dir = PoolsDir
	}
	var st syscall.Stat_t
	for {
		if err := syscall.Stat(p.path(dir), &st); err == nil {
			break
		}
		if dir == "/" {
			return "unknown", "cannot stat " + p.PoolsDir
		}
		dir = filepath.Dir(dir)
	}
	major, minor := unixMajor(st.Dev), unixMinor(st.Dev)
	sys := p.path(fmt.Sprintf("/sys/dev/block/%d:%d", major, minor))
	real, err := filepath.EvalSymlinks(sys)
	if err != nil {
		return "unknown", fmt.Sprintf("%s is on device %d:%d, which is not a block device with a queue", dir, major, minor)
	}
	if _, err := os.Stat(filepath.Join(real, "partition")); err == nil {
		real = filepath.Dir(real)
	}
	b, err := os.ReadFile(filepath.Join(real, "queue", "scheduler"))
	if err != nil {
		return "unknown", fmt.Sprintf("%s is on %s: %v", dir, filepath.Base(real), err)
	}
	active := ActiveScheduler(string(b))
	if active == "" {
		return "unknown", fmt.Sprintf("%s's scheduler list %q names no active one", filepath.Base(real), strings.TrimSpace(string(b)))
	}
	return active, fmt.Sprintf("%s is on %s, whose queue/scheduler is %q", dir, filepath.Base(real), strings.TrimSpace(string(b)))
}

// ActiveScheduler reads the bracketed entry of a queue/scheduler file
// ("none [mq-deadline] kyber" is mq-deadline).
func ActiveScheduler(list string) string {
	for _, s := range strings.Fields(list) {
		if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
			return strings.Trim(s, "[]")
		}
	}
	return ""
}

func unixMajor(dev uint64) uint64 { return (dev >> 8) & 0xfff }
func unixMinor(dev uint64) uint64 { return (dev & 0xff) | ((dev >> 12) & 0xfff00) }

// sfq adds an sfq queueing discipline to the loopback of a network namespace
// made for the purpose (so nothing of the host changes): what libvirt's
// interface bandwidth shaping does on a real interface.
func (p HostProbe) sfq() (string, string) {
	if p.Try == nil {
		return "unknown", "commands are not run"
	}
	const cmd = "unshare --net tc qdisc add dev lo root sfq"
	out, err := p.Try("unshare", "--net", "tc", "qdisc", "add", "dev", "lo", "root", "sfq")
	if err == nil {
		return "available", cmd + ": ok"
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) && (strings.Contains(out, "qdisc kind is unknown") || strings.Contains(out, "No such file or directory")) {
		return "absent", cmd + ": " + out
	}
	return "unknown", cmd + ": " + strings.TrimSpace(out+" "+err.Error())
}

// hostFactProperties are the measured facts of the stack's host, with what
// the guest probe found of KVM booting Linux; or why none were measured.
func (c *Capabilities) hostFactProperties() [][2]string {
	if len(c.HostFacts) == 0 {
		why := "the stack's host was not probed"
		if n, missing := c.Missing["host"]; missing {
			why = n.Reason
		}
		return [][2]string{{"host.facts", "not measured: " + why}}
	}
	facts := append(HostFacts{}, c.HostFacts...)
	facts = append(facts, c.kvmBootsLinux())
	return append([][2]string{{"host.facts", "measured"}}, facts.Properties()...)
}

// kvmBootsLinux is what the guest probe found: a Linux guest booted under
// KVM (yes), KVM was tried first and failed (no, with the probe's note), or
// there is no usable KVM to try (no-kvm).
func (c *Capabilities) kvmBootsLinux() HostFact {
	f := HostFact{Name: FactKVMBoots, Value: "unknown", Evidence: "no guest was probed"}
	g := c.Guest
	switch {
	case g != nil && g.Accel == "kvm":
		f.Value, f.Evidence = "yes", "the guest probe booted the guest OS under kvm"
	case g != nil && strings.Contains(g.AccelNote, "kvm:"):
		f.Value, f.Evidence = "no", "the guest probe tried kvm first: "+g.AccelNote
	case !c.KVMUsable:
		f.Value, f.Evidence = "no-kvm", "the stack runs no kvm domain"
		if c.KVMNote != "" {
			f.Evidence += ": " + c.KVMNote
		}
	case g != nil:
		f.Evidence = "the guest was booted under " + g.Accel + " only (--guest-accel)"
	}
	return f
}

// FactNames lists every fact a local run records (host.<name>), the guest
// probe's included: what a waiver's condition may name.
func FactNames() []string {
	return []string{FactKernel, FactCPUVirt, FactKVM, FactVhostNet, FactTun, FactIOMMU, FactScheduler, FactBlkioWeight, FactSfq, FactCgroup, FactKVMBoots}
}
