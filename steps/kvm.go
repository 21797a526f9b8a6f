package steps

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"regexp"
	"strconv"
	"strings"
	"syscall"

	"github.com/ovacts/ovacts/fixtures"
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
		// v2 folds cpuacct into cpu and does devices with BPF.
		if out["cpu"] {
			out["cpuacct"] = true
		}
		out["devices"] = true
		if out["io"] {
			out["blkio"] = true
		}
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

// qemuIdentity starts a kvm domain (the scenario's) and reads the uid and gid
// libvirt runs its QEMU as from the domain's DAC label.
func (w *world) qemuIdentity(dom string) (uid, gid int, err error) {
	doc, _, err := w.domainXML(dom, 0)
	if err != nil {
		return 0, 0, err
	}
	for _, sl := range doc.SecLabel {
		if sl.Model == "dac" && sl.Label != "" {
			// "+64055:+107"
			u, g, ok := strings.Cut(strings.ReplaceAll(sl.Label, "+", ""), ":")
			if ok {
				uid, err1 := strconv.Atoi(u)
				gid, err2 := strconv.Atoi(g)
				if err := errors.Join(err1, err2); err == nil {
					return uid, gid, nil
				}
			}
		}
	}
	return 0, 0, fmt.Errorf("domain %q has no DAC label to tell which user runs QEMU", dom)
}

// canOpen reports whether uid/gid (with uid's supplementary groups) may read and write path.
func canOpen(path string, uid, gid int) (bool, string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return false, "", err
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return false, "", errors.New("no owner information")
	}
	mode := st.Mode().Perm()
	groups := map[int]bool{gid: true}
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		if ids, err := u.GroupIds(); err == nil {
			for _, id := range ids {
				if n, err := strconv.Atoi(id); err == nil {
					groups[n] = true
				}
			}
		}
	}
	desc := fmt.Sprintf("%s is %d:%d %s; QEMU runs as %d:%d", path, sys.Uid, sys.Gid, mode, uid, gid)
	switch {
	case uid == 0 || (int(sys.Uid) == uid && mode&0o600 == 0o600):
		return true, desc, nil
	case groups[int(sys.Gid)] && mode&0o060 == 0o060:
		return true, desc, nil
	default:
		return mode&0o006 == 0o006, desc, nil
	}
}

func registerKVM(r *Registry) {
	r.Step(`^the host CPU reports hardware virtualization$`, func(ctx context.Context) error {
		b, err := os.ReadFile("/proc/cpuinfo")
		if err != nil {
			return err
		}
		if !cpuFlags.Match(b) {
			return errors.New("/proc/cpuinfo has neither the vmx nor the svm flag: the CPU reports no hardware virtualization")
		}
		return nil
	})
	r.Step(`^the host has the device (/dev/\S+)$`, func(ctx context.Context, dev string) error {
		st, err := os.Stat(dev)
		if err != nil {
			return fmt.Errorf("%s: %w", dev, err)
		}
		if st.Mode()&os.ModeCharDevice == 0 {
			return fmt.Errorf("%s is not a character device", dev)
		}
		return nil
	})
	r.Step(`^the host offers the cgroup controller "([^"]*)"$`, func(ctx context.Context, c string) error {
		have, err := cgroupControllers()
		if err != nil {
			return err
		}
		if !have[c] {
			return fmt.Errorf("the cgroup controller %q is not enabled and mounted", c)
		}
		return nil
	})
	r.Step(`^the host has IOMMU groups for device assignment$`, func(ctx context.Context) error {
		entries, err := os.ReadDir("/sys/kernel/iommu_groups")
		if err != nil {
			return fmt.Errorf("no IOMMU groups: %w", err)
		}
		if len(entries) == 0 {
			return errors.New("/sys/kernel/iommu_groups is empty: no IOMMU is enabled, so devices cannot be assigned")
		}
		return nil
	})
	r.Step(`^a running kvm domain "([^"]*)"$`, func(ctx context.Context, name string) error {
		w := W(ctx)
		return w.domainFromFixture(name, "minimal", "running", func(v *fixtures.DomainVars) error {
			v.Type = "kvm"
			return nil
		})
	})
	r.Step(`^the QEMU of domain "([^"]*)" can open /dev/kvm$`, func(ctx context.Context, dom string) error {
		w := W(ctx)
		uid, gid, err := w.qemuIdentity(dom)
		if err != nil {
			return err
		}
		ok, desc, err := canOpen("/dev/kvm", uid, gid)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("the QEMU user cannot open /dev/kvm: %s", desc)
		}
		return nil
	})
	r.Step(`^QEMU reports KVM acceleration enabled for domain "([^"]*)"$`, func(ctx context.Context, dom string) error {
		return W(ctx).withDomain(dom, func(d *libvirt.Domain) error {
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
	})
	r.Step(`^the domain capabilities for type kvm offer the CPU modes? "([^"]*)"$`, func(ctx context.Context, list string) error {
		dc, err := W(ctx).domainCaps("kvm")
		if err != nil {
			return err
		}
		if dc.Domain != "kvm" {
			return fmt.Errorf("the domain capabilities describe type %q, asked for kvm", dc.Domain)
		}
		for _, mode := range splitList(list) {
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
	})
	r.Step(`^every machine type the capabilities claim for kvm is accepted by the kvm domain capabilities$`, func(ctx context.Context) error {
		w := W(ctx)
		caps, err := w.capabilities()
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
	})
}
