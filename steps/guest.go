package steps

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ovacts/ovacts/harness"
	"libvirt.org/go/libvirt"
)

// Guest OS area: what only shows with an operating system running in the
// guest. Every scenario boots its own guest (the probe chose the accelerator);
// waits follow libvirt's events or the agent's answers, never fixed sleeps.

// guestState is what the steps know about one guest domain of the scenario.
type guestState struct {
	watch   *harness.BootWatch
	console *harness.Console
	started int    // event mark at the last start/reboot
	bootID  string // /proc/sys/kernel/random/boot_id before a reboot or reset
	hotMAC  string // MAC of a hotplugged NIC
	hotNIC  string // its XML, to unplug it
	hotDisk string // XML of a hotplugged disk
}

const (
	agentTimeout = 10 * time.Second
	hotSerial    = "ovacts-hot"
	markerFile   = "/run/ovacts-marker" // tmpfs: lives in the guest's memory only
)

func (w *world) guest(logical string) (*guestState, error) {
	g := w.guests[logical]
	if g == nil {
		return nil, fmt.Errorf("no guest %q was started in this scenario", logical)
	}
	return g, nil
}

// theGuest is the probed guest; the plan runs guest scenarios only with one.
func (w *world) theGuest() (*harness.Guest, error) {
	if w.Caps.Guest == nil {
		return nil, harness.NotRun("no guest OS was probed for this run")
	}
	return w.Caps.Guest, nil
}

// defineGuest defines (or, on a stack without persistent domains, prepares to
// create) a guest domain and subscribes to its events first.
func (w *world) defineGuest(ctx context.Context, logical, dataDisk, network string) (string, error) {
	g, err := w.theGuest()
	if err != nil {
		return "", err
	}
	name := w.Name(logical)
	gd := harness.GuestDomain{Name: name, UUID: harness.NewUUID(), Network: network}
	if dataDisk != "" {
		gd.DataDisk = dataDisk
	}
	if g.Source == "disk" {
		if err := w.ensurePool("store"); err != nil {
			return "", err
		}
		err := w.withPool("store", func(p *libvirt.StoragePool) error {
			v, err := w.Tracker.CreateVolume(p, w.Name("store"), w.poolDir("store"), w.Name(logical+"-root"), harness.OverlayXML(w.Name(logical+"-root"), g.Disk))
			if err != nil {
				return fmt.Errorf("creating the overlay of the guest disk: %w", err)
			}
			defer v.Free()
			gd.Overlay, err = v.GetPath()
			return err
		})
		if err != nil {
			return "", err
		}
	}
	xml, err := g.DomainXML(gd, w.Caps.GuestArch, g.DomainType)
	if err != nil {
		return "", err
	}
	watch, err := harness.WatchGuest(w.Events, name)
	if err != nil {
		return "", err
	}
	w.Tracker.Defer("event watch of "+name, func() error { watch.Stop(); return nil })
	if w.guests == nil {
		w.guests = map[string]*guestState{}
	}
	w.guests[logical] = &guestState{watch: watch}
	return xml, nil
}

// startGuest starts a guest, optionally paused first so the console is open
// before the guest prints anything.
func (w *world) startGuest(ctx context.Context, logical, dataDisk, network string, console bool) error {
	xml, err := w.defineGuest(ctx, logical, dataDisk, network)
	if err != nil {
		return err
	}
	gs := w.guests[logical]
	flags := libvirt.DOMAIN_NONE
	if console {
		flags = libvirt.DOMAIN_START_PAUSED
	}
	gs.started = gs.watch.Mark()
	if w.Caps.Persistent {
		if err := w.defineDomain(logical, xml); err != nil {
			return err
		}
		err = w.withDomain(logical, func(d *libvirt.Domain) error { return d.CreateWithFlags(flags) })
	} else {
		err = w.Tracker.Create(harness.Resource{Kind: harness.KindDomain, Name: w.Name(logical), UUID: uuidOf(xml)}, func() (string, error) {
			d, err := w.Conn.DomainCreateXML(xml, libvirt.DomainCreateFlags(flags))
			if err != nil {
				return "", err
			}
			defer d.Free()
			w.remember(&w.sentXML, logical, xml)
			return "", w.Own(d)
		})
	}
	if err != nil {
		return fmt.Errorf("starting guest %q: %w", logical, err)
	}
	if !console {
		return nil
	}
	if err := w.openConsole(logical, gs); err != nil {
		return err
	}
	return w.withDomain(logical, func(d *libvirt.Domain) error { return d.Resume() })
}

// openConsole attaches to the guest's console until the scenario ends.
func (w *world) openConsole(logical string, gs *guestState) error {
	return w.withDomain(logical, func(d *libvirt.Domain) error {
		c, err := harness.OpenConsole(w.Conn, d)
		if err != nil {
			return err
		}
		gs.console = c
		w.Tracker.Defer("console of "+w.Name(logical), c.Close)
		return nil
	})
}

// runningGuest starts a guest and waits for its agent.
func (w *world) runningGuest(ctx context.Context, logical, dataDisk, network string) error {
	if err := w.startGuest(ctx, logical, dataDisk, network, false); err != nil {
		return err
	}
	g, _ := w.theGuest()
	gs := w.guests[logical]
	if err := gs.watch.WaitAgent(ctx, gs.started, g.BootLimit); err != nil {
		return fmt.Errorf("guest %q did not become ready: %w", logical, err)
	}
	return nil
}

// exec runs a shell command in the guest and returns its stdout; a non-zero exit is an error.
func (w *world) exec(ctx context.Context, logical, script string) (string, error) {
	return w.execOn(ctx, false, logical, script)
}

// execOn is exec on the stack, or on the peer once the guest has migrated there.
func (w *world) execOn(ctx context.Context, onPeer bool, logical, script string) (string, error) {
	with := w.withDomain
	if onPeer {
		with = w.withPeerDomain
	}
	var out harness.ExecResult
	err := with(logical, func(d *libvirt.Domain) error {
		var err error
		out, err = harness.GuestExec(ctx, d, agentTimeout, script)
		return err
	})
	if err != nil {
		return "", err
	}
	if out.Exit != 0 {
		return out.Stdout, fmt.Errorf("guest command %q exited %d: %s", script, out.Exit, strings.TrimSpace(out.Stderr))
	}
	return out.Stdout, nil
}

// untilAgent retries fn until it passes or limit ends: for the time after a
// reboot, restore or revert, when the agent comes back on its own schedule.
func (w *world) untilAgent(ctx context.Context, limit time.Duration, fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	delay := 50 * time.Millisecond
	for {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not within %s: %w", limit, err)
		case <-time.After(delay):
		}
		delay = min(2*delay, 500*time.Millisecond)
	}
}

func (w *world) ping(logical string) error {
	return w.withDomain(logical, func(d *libvirt.Domain) error {
		return harness.AgentCommand(d, 2*time.Second, "guest-ping", nil, nil)
	})
}

func (w *world) bootID(ctx context.Context, logical string) (string, error) {
	out, err := w.exec(ctx, logical, "cat /proc/sys/kernel/random/boot_id")
	return strings.TrimSpace(out), err
}

func seconds(s string) time.Duration {
	n, _ := strconv.Atoi(s)
	return time.Duration(n) * time.Second
}

func registerGuest(r *Registry) {
	r.Step(`^the probe booted the guest OS with KVM$`, func(ctx context.Context) error {
		g, err := W(ctx).theGuest()
		if err != nil {
			return err
		}
		switch {
		case g.Accel == "kvm":
			return nil
		case g.ForcedAccel:
			return harness.NotRun("--guest-accel %s: the probe did not try KVM", g.Accel)
		}
		return fmt.Errorf("the stack runs kvm domains, but the guest OS did not boot with KVM (%s): the guest scenarios ran with %s", g.AccelNote, g.Accel)
	})
	r.Step(`^a running guest "([^"]*)"( with a data disk)?(?: and a NIC on network "([^"]*)")?$`, func(ctx context.Context, logical, withDisk, network string) error {
		w := W(ctx)
		disk := ""
		if withDisk != "" {
			if err := w.ensurePool("store"); err != nil {
				return err
			}
			if err := w.createVolume(logical+"-data", "qcow2", 64, "store", ""); err != nil {
				return err
			}
			p, err := w.volumePath(logical+"-data", "store")
			if err != nil {
				return err
			}
			disk = p
		}
		if network != "" {
			network = w.Name(network)
		}
		return w.runningGuest(ctx, logical, disk, network)
	})
	r.Step(`^I start guest "([^"]*)" with its console open$`, func(ctx context.Context, logical string) error {
		return W(ctx).startGuest(ctx, logical, "", "", true)
	})
	r.Step(`^the console of guest "([^"]*)" shows its boot marker within the boot limit$`, func(ctx context.Context, logical string) error {
		w := W(ctx)
		gs, err := w.guest(logical)
		if err != nil {
			return err
		}
		g, _ := w.theGuest()
		if gs.console == nil {
			return errors.New("the console of the guest is not open")
		}
		marker := g.Meta.ReadyMarker
		if marker == "" {
			marker = "\n" // a vendor guest: any line of output
		}
		return gs.console.WaitFor(ctx, marker, g.BootLimit)
	})
	r.Step(`^an agent lifecycle event "(connected|disconnected)" of guest "([^"]*)" arrives within the boot limit$`, func(ctx context.Context, state, logical string) error {
		w := W(ctx)
		gs, err := w.guest(logical)
		if err != nil {
			return err
		}
		g, _ := w.theGuest()
		return gs.watch.WaitEvent(ctx, gs.started, g.BootLimit, "agent "+state)
	})
	r.Step(`^the guest agent of "([^"]*)" answers a ping$`, func(ctx context.Context, logical string) error {
		return W(ctx).ping(logical)
	})
	r.Step(`^the guest agent of "([^"]*)" answers again within the boot limit$`, func(ctx context.Context, logical string) error {
		w := W(ctx)
		g, err := w.theGuest()
		if err != nil {
			return err
		}
		return w.untilAgent(ctx, g.BootLimit, func(context.Context) error { return w.ping(logical) })
	})
	r.Step(`^the guest info of "([^"]*)" reports its operating system and hostname$`, func(ctx context.Context, logical string) error {
		w := W(ctx)
		g, err := w.theGuest()
		if err != nil {
			return err
		}
		return w.withDomain(logical, func(d *libvirt.Domain) error {
			info, err := d.GetGuestInfo(libvirt.DOMAIN_GUEST_INFO_OS|libvirt.DOMAIN_GUEST_INFO_HOSTNAME, 0)
			if err != nil {
				return fmt.Errorf("guest info: %w", err)
			}
			if info.OS == nil || info.OS.ID == "" || info.OS.KernelRelease == "" {
				return fmt.Errorf("guest info has no OS id or kernel release: %+v", info.OS)
			}
			if info.Hostname == "" {
				return errors.New("guest info has no hostname")
			}
			if m := g.Meta; m.OSID != "" {
				if info.OS.ID != m.OSID || info.Hostname != m.Hostname || info.OS.KernelRelease != m.KernelRelease {
					return fmt.Errorf("guest info says OS %q, kernel %q, hostname %q; the guest is OS %q, kernel %q, hostname %q",
						info.OS.ID, info.OS.KernelRelease, info.Hostname, m.OSID, m.KernelRelease, m.Hostname)
				}
			}
			return nil
		})
	})
	r.Step(`^I set the clock of guest "([^"]*)" (\d+) seconds ahead of the host$`, func(ctx context.Context, logical, ahead string) error {
		w := W(ctx)
		return w.withDomain(logical, func(d *libvirt.Domain) error {
			return d.SetTime(time.Now().Add(seconds(ahead)).Unix(), 0, 0)
		})
	})
	r.Step(`^the clock of guest "([^"]*)" is (\d+) seconds ahead of the host, give or take (\d+) seconds?$`, func(ctx context.Context, logical, ahead, slack string) error {
		w := W(ctx)
		return w.withDomain(logical, func(d *libvirt.Domain) error {
			secs, nsecs, err := d.GetTime(0)
			if err != nil {
				return fmt.Errorf("guest time: %w", err)
			}
			diff := time.Unix(secs, int64(nsecs)).Sub(time.Now()) - seconds(ahead)
			if diff.Abs() > seconds(slack) {
				return fmt.Errorf("guest clock is %s off the expected %s ahead of the host", diff.Round(time.Millisecond), seconds(ahead))
			}
			return nil
		})
	})
	r.Step(`^the agent of guest "([^"]*)" lists interface "([^"]*)" with address "([^"]*)"$`, func(ctx context.Context, logical, iface, addr string) error {
		w := W(ctx)
		return w.withDomain(logical, func(d *libvirt.Domain) error {
			ifs, err := d.ListAllInterfaceAddresses(libvirt.DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT)
			if err != nil {
				return fmt.Errorf("interface addresses from the agent: %w", err)
			}
			var seen []string
			for _, i := range ifs {
				for _, a := range i.Addrs {
					if i.Name == iface && a.Addr == addr {
						return nil
					}
					seen = append(seen, i.Name+"="+a.Addr)
				}
			}
			return fmt.Errorf("the agent lists no %s with %s; it lists %s", iface, addr, strings.Join(seen, ", "))
		})
	})
	r.Step(`^guest "([^"]*)" formats and mounts its data disk$`, func(ctx context.Context, logical string) error {
		w := W(ctx)
		// The data disk is the guest's only or second virtio disk; the fixture has no other.
		_, err := w.exec(ctx, logical, `d=$(for s in /sys/block/vd*; do [ -e "$s" ] && echo /dev/${s##*/}; done | tail -1)
grep -q "^$d " /proc/mounts && exit 0
mkdir -p /mnt/data && mke2fs -q "$d" && mount "$d" /mnt/data && echo ovacts > /mnt/data/file && sync`)
		return err
	})
	r.Step(`^I (freeze|thaw) the filesystems of guest "([^"]*)"$`, func(ctx context.Context, action, logical string) error {
		w := W(ctx)
		return w.withDomain(logical, func(d *libvirt.Domain) error {
			if action == "freeze" {
				return d.FSFreeze(nil, 0)
			}
			return d.FSThaw(nil, 0)
		})
	})
	r.Step(`^the agent of guest "([^"]*)" reports its filesystems (frozen|thawed)$`, func(ctx context.Context, logical, want string) error {
		w := W(ctx)
		return w.withDomain(logical, func(d *libvirt.Domain) error {
			var st string
			if err := harness.AgentCommand(d, agentTimeout, "guest-fsfreeze-status", nil, &st); err != nil {
				return err
			}
			if st != want {
				return fmt.Errorf("the agent reports the filesystems %s, want %s", st, want)
			}
			return nil
		})
	})
	r.Step(`^I (shut down|reboot) guest "([^"]*)" (through ACPI|through the guest agent)$`, func(ctx context.Context, action, logical, how string) error {
		w := W(ctx)
		gs, err := w.guest(logical)
		if err != nil {
			return err
		}
		if action == "reboot" {
			if gs.bootID, err = w.bootID(ctx, logical); err != nil {
				return err
			}
		}
		gs.started = gs.watch.Mark()
		return w.withDomain(logical, func(d *libvirt.Domain) error {
			switch {
			case action == "shut down" && how == "through ACPI":
				return d.ShutdownFlags(libvirt.DOMAIN_SHUTDOWN_ACPI_POWER_BTN)
			case action == "shut down":
				return d.ShutdownFlags(libvirt.DOMAIN_SHUTDOWN_GUEST_AGENT)
			case how == "through ACPI":
				return d.Reboot(libvirt.DOMAIN_REBOOT_ACPI_POWER_BTN)
			}
			return d.Reboot(libvirt.DOMAIN_REBOOT_GUEST_AGENT)
		})
	})
	r.Step(`^I reset guest "([^"]*)"$`, func(ctx context.Context, logical string) error {
		w := W(ctx)
		gs, err := w.guest(logical)
		if err != nil {
			return err
		}
		if gs.bootID, err = w.bootID(ctx, logical); err != nil {
			return err
		}
		gs.started = gs.watch.Mark()
		return w.withDomain(logical, func(d *libvirt.Domain) error { return d.Reset(0) })
	})
	r.Step(`^guest "([^"]*)" stops with reason "([^"]*)" within (\d+) seconds$`, func(ctx context.Context, logical, reason, secs string) error {
		w := W(ctx)
		gs, err := w.guest(logical)
		if err != nil {
			return err
		}
		return gs.watch.WaitEvent(ctx, gs.started, seconds(secs), "domain stopped ("+reason+")")
	})
	r.Step(`^a reboot event of guest "([^"]*)" arrives within (\d+) seconds$`, func(ctx context.Context, logical, secs string) error {
		w := W(ctx)
		gs, err := w.guest(logical)
		if err != nil {
			return err
		}
		return gs.watch.WaitEvent(ctx, gs.started, seconds(secs), "reboot reboot")
	})
	r.Step(`^guest "([^"]*)" has booted again within the boot limit$`, func(ctx context.Context, logical string) error {
		w := W(ctx)
		gs, err := w.guest(logical)
		if err != nil {
			return err
		}
		g, _ := w.theGuest()
		if gs.bootID == "" {
			return errors.New("no boot id was noted before the reboot")
		}
		return w.untilAgent(ctx, g.BootLimit, func(ctx context.Context) error {
			id, err := w.bootID(ctx, logical)
			if err != nil {
				return err
			}
			if id == gs.bootID {
				return fmt.Errorf("the guest still runs the boot %s", id)
			}
			return nil
		})
	})
	r.Step(`^guest "([^"]*)" writes marker "([^"]*)" in memory$`, func(ctx context.Context, logical, marker string) error {
		_, err := W(ctx).exec(ctx, logical, fmt.Sprintf("echo %s > %s", shellQuote(marker), markerFile))
		return err
	})
	r.Step(`^guest "([^"]*)" holds marker "([^"]*)" in memory( on the peer)?$`, func(ctx context.Context, logical, marker, onPeer string) error {
		w := W(ctx)
		g, err := w.theGuest()
		if err != nil {
			return err
		}
		var got string
		err = w.untilAgent(ctx, g.BootLimit, func(ctx context.Context) error {
			out, err := w.execOn(ctx, onPeer != "", logical, "cat "+markerFile)
			got = strings.TrimSpace(out)
			return err
		})
		if err != nil {
			return fmt.Errorf("reading the marker: %w", err)
		}
		if got != marker {
			return fmt.Errorf("the guest%s holds marker %q, want %q", onPeer, got, marker)
		}
		return nil
	})
	r.Step(`^guest "([^"]*)" has an IPv4 lease on network "([^"]*)" within (\d+) seconds$`, func(ctx context.Context, logical, network, secs string) error {
		w := W(ctx)
		return w.untilAgent(ctx, seconds(secs), func(context.Context) error {
			_, err := w.leaseAddrs(logical)
			return err
		})
	})
	r.Step(`^the agent of guest "([^"]*)" reports the leased address on the same MAC$`, func(ctx context.Context, logical string) error {
		w := W(ctx)
		leases, err := w.leaseAddrs(logical)
		if err != nil {
			return err
		}
		return w.untilAgent(ctx, 10*time.Second, func(context.Context) error {
			return w.withDomain(logical, func(d *libvirt.Domain) error {
				ifs, err := d.ListAllInterfaceAddresses(libvirt.DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT)
				if err != nil {
					return err
				}
				agent := map[string]string{}
				for _, i := range ifs {
					for _, a := range i.Addrs {
						if a.Type == libvirt.IP_ADDR_TYPE_IPV4 {
							agent[strings.ToLower(i.Hwaddr)] = fmt.Sprintf("%s/%d", a.Addr, a.Prefix)
						}
					}
				}
				for mac, addr := range leases {
					if agent[mac] != addr {
						return fmt.Errorf("the lease gives %s %s, the agent %q (agent sees %v)", mac, addr, agent[mac], agent)
					}
				}
				return nil
			})
		})
	})
	r.Step(`^I hotplug a (\d+) MiB disk into guest "([^"]*)"$`, func(ctx context.Context, mibs, logical string) error {
		w := W(ctx)
		gs, err := w.guest(logical)
		if err != nil {
			return err
		}
		size, _ := strconv.Atoi(mibs)
		if err := w.ensurePool("store"); err != nil {
			return err
		}
		if err := w.createVolume(logical+"-hot", "raw", size, "store", ""); err != nil {
			return err
		}
		p, err := w.volumePath(logical+"-hot", "store")
		if err != nil {
			return err
		}
		gs.hotDisk = fmt.Sprintf(`<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='%s'/>`+
			`<target dev='vdz' bus='virtio'/><serial>%s</serial></disk>`, harness.XMLEscape(p), hotSerial)
		return w.withDomain(logical, func(d *libvirt.Domain) error {
			return d.AttachDeviceFlags(gs.hotDisk, libvirt.DOMAIN_DEVICE_MODIFY_LIVE)
		})
	})
	r.Step(`^I hotplug a NIC on network "([^"]*)" into guest "([^"]*)"$`, func(ctx context.Context, network, logical string) error {
		w := W(ctx)
		gs, err := w.guest(logical)
		if err != nil {
			return err
		}
		gs.hotMAC = "52:54:00:" + harness.NewUUID()[0:2] + ":" + harness.NewUUID()[2:4] + ":" + harness.NewUUID()[4:6]
		gs.hotNIC = fmt.Sprintf(`<interface type='network'><mac address='%s'/><source network='%s'/><model type='virtio'/></interface>`,
			gs.hotMAC, harness.XMLEscape(w.Name(network)))
		return w.withDomain(logical, func(d *libvirt.Domain) error {
			return d.AttachDeviceFlags(gs.hotNIC, libvirt.DOMAIN_DEVICE_MODIFY_LIVE)
		})
	})
	r.Step(`^I unplug the (disk|NIC) from guest "([^"]*)"$`, func(ctx context.Context, what, logical string) error {
		w := W(ctx)
		gs, err := w.guest(logical)
		if err != nil {
			return err
		}
		xml := gs.hotDisk
		if what == "NIC" {
			xml = gs.hotNIC
		}
		if xml == "" {
			return fmt.Errorf("no %s was hotplugged into guest %q", what, logical)
		}
		return w.withDomain(logical, func(d *libvirt.Domain) error {
			return d.DetachDeviceFlags(xml, libvirt.DOMAIN_DEVICE_MODIFY_LIVE)
		})
	})
	r.Step(`^guest "([^"]*)" (sees|no longer sees) the (disk|NIC) within (\d+) seconds$`, func(ctx context.Context, logical, sees, what, secs string) error {
		w := W(ctx)
		gs, err := w.guest(logical)
		if err != nil {
			return err
		}
		// The guest names devices in its own order: find them by serial and MAC.
		script := fmt.Sprintf(`grep -lx %s /sys/block/*/serial 2>/dev/null | head -1`, hotSerial)
		if what == "NIC" {
			script = fmt.Sprintf(`grep -lix %s /sys/class/net/*/address 2>/dev/null | head -1`, gs.hotMAC)
		}
		return w.untilAgent(ctx, seconds(secs), func(ctx context.Context) error {
			out, err := w.exec(ctx, logical, script)
			if err != nil {
				return err
			}
			found := strings.TrimSpace(out) != ""
			if found != (sees == "sees") {
				return fmt.Errorf("the guest %s the %s (%s)", map[bool]string{true: "still sees", false: "does not see"}[found], what, strings.TrimSpace(out))
			}
			return nil
		})
	})
	r.Step(`^I open the console of guest "([^"]*)"$`, func(ctx context.Context, logical string) error {
		w := W(ctx)
		gs, err := w.guest(logical)
		if err != nil {
			return err
		}
		return w.openConsole(logical, gs)
	})
	r.Step(`^guest "([^"]*)" writes "([^"]*)" to its serial port$`, func(ctx context.Context, logical, text string) error {
		_, err := W(ctx).exec(ctx, logical, fmt.Sprintf("echo %s > /dev/ttyS0", shellQuote(text)))
		return err
	})
	r.Step(`^the console of guest "([^"]*)" shows "([^"]*)" within (\d+) seconds$`, func(ctx context.Context, logical, text, secs string) error {
		w := W(ctx)
		gs, err := w.guest(logical)
		if err != nil {
			return err
		}
		if gs.console == nil {
			return errors.New("the console of the guest is not open")
		}
		return gs.console.WaitFor(ctx, text, seconds(secs))
	})
}

// leaseAddrs maps each MAC of the guest to its leased IPv4 address/prefix.
func (w *world) leaseAddrs(logical string) (map[string]string, error) {
	out := map[string]string{}
	err := w.withDomain(logical, func(d *libvirt.Domain) error {
		ifs, err := d.ListAllInterfaceAddresses(libvirt.DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE)
		if err != nil {
			return fmt.Errorf("interface addresses from the leases: %w", err)
		}
		for _, i := range ifs {
			for _, a := range i.Addrs {
				if a.Type == libvirt.IP_ADDR_TYPE_IPV4 {
					out[strings.ToLower(i.Hwaddr)] = fmt.Sprintf("%s/%d", a.Addr, a.Prefix)
				}
			}
		}
		if len(out) == 0 {
			return errors.New("no IPv4 lease yet")
		}
		return nil
	})
	return out, err
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
