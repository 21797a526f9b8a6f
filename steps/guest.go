package steps

import (
	"context"
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

	memBefore int // the guest's MemTotal (KiB) before its memory was set live
}

const (
	agentTimeout = 10 * time.Second
	hotSerial    = "ovacts-hot"
	markerFile   = "/run/ovacts-marker" // tmpfs: lives in the guest's memory only
)

// guestsState is the guests a scenario started.
type guestsState struct {
	byDomain map[string]*guestState // logical domain -> its guest OS state
	vcpus    map[string]int         // logical guest -> the vCPUs it may have (1 plugged at start)
}

func (w *world) guestsSt() *guestsState { return state[guestsState](w) }

func (w *world) guest(logical string) (*guestState, error) {
	g := w.guestsSt().byDomain[logical]
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
	gd := harness.GuestDomain{Name: name, UUID: harness.NewUUID(), Network: network, MaxVCPUs: w.guestsSt().vcpus[logical]}
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
	if w.guestsSt().byDomain == nil {
		w.guestsSt().byDomain = map[string]*guestState{}
	}
	w.guestsSt().byDomain[logical] = &guestState{watch: watch}
	return xml, nil
}

// startGuest starts a guest, optionally paused first so the console is open
// before the guest prints anything.
func (w *world) startGuest(ctx context.Context, logical, dataDisk, network string, console bool) error {
	xml, err := w.defineGuest(ctx, logical, dataDisk, network)
	if err != nil {
		return err
	}
	gs := w.guestsSt().byDomain[logical]
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
			w.remember(&w.domainSt().sentXML, logical, xml)
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
	gs := w.guestsSt().byDomain[logical]
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
	r.Step(`^the probe booted the guest OS with KVM$`, probeBootedTheGuestOsWithKvm)
	r.Step(`^a running guest "([^"]*)"( with a data disk)?(?: and a NIC on network "([^"]*)")?$`, runningGuest)
	r.Step(`^I start guest "([^"]*)" with its console open$`, startGuestWithItsConsoleOpen)
	r.Step(`^the console of guest "([^"]*)" shows its boot marker within the boot limit$`, consoleOfGuestShowsItsBootMarker)
	r.Step(`^an agent lifecycle event "(connected|disconnected)" of guest "([^"]*)" arrives within the boot limit$`, agentLifecycleEventOfGuestArrivesWithin)
	r.Step(`^the guest agent of "([^"]*)" answers a ping$`, guestAgentOfAnswersAPing)
	r.Step(`^the guest agent of "([^"]*)" answers again within the boot limit$`, guestAgentOfAnswersAgainWithinThe)
	r.Step(`^the guest info of "([^"]*)" reports its operating system and hostname$`, guestInfoOfReportsItsOperatingSystem)
	r.Step(`^I set the clock of guest "([^"]*)" (\d+) seconds ahead of the host$`, setTheClockOfGuestSecondsAhead)
	r.Step(`^the clock of guest "([^"]*)" is (\d+) seconds ahead of the host, give or take (\d+) seconds?$`, clockOfGuestIsSecondsAheadOf)
	r.Step(`^the agent of guest "([^"]*)" lists interface "([^"]*)" with address "([^"]*)"$`, agentOfGuestListsInterfaceWithAddress)
	r.Step(`^guest "([^"]*)" formats and mounts its data disk$`, guestFormatsAndMountsItsDataDisk)
	r.Step(`^I (freeze|thaw) the filesystems of guest "([^"]*)"$`, filesystemsOfGuest)
	r.Step(`^the agent of guest "([^"]*)" reports its filesystems (frozen|thawed)$`, agentOfGuestReportsItsFilesystems)
	r.Step(`^I (shut down|reboot) guest "([^"]*)" (through ACPI|through the guest agent)$`, shutDownOrRebootGuest)
	r.Step(`^I reset guest "([^"]*)"$`, resetGuest)
	r.Step(`^guest "([^"]*)" stops with reason "([^"]*)" within (\d+) seconds$`, guestStopsWithReasonWithinSeconds)
	r.Step(`^a reboot event of guest "([^"]*)" arrives within (\d+) seconds$`, rebootEventOfGuestArrivesWithinSeconds)
	r.Step(`^guest "([^"]*)" has booted again within the boot limit$`, guestHasBootedAgainWithinTheBoot)
	r.Step(`^guest "([^"]*)" writes marker "([^"]*)" in memory$`, guestWritesMarkerInMemory)
	r.Step(`^guest "([^"]*)" holds marker "([^"]*)" in memory( on the peer)?$`, guestHoldsMarkerInMemory)
	r.Step(`^guest "([^"]*)" has an IPv4 lease on network "([^"]*)" within (\d+) seconds$`, guestHasAnIpv4LeaseOnNetwork)
	r.Step(`^the agent of guest "([^"]*)" reports the leased address on the same MAC$`, agentOfGuestReportsTheLeasedAddress)
	r.Step(`^I hotplug a (\d+) MiB disk into guest "([^"]*)"$`, hotplugAMibDiskIntoGuest)
	r.Step(`^I hotplug a NIC on network "([^"]*)" into guest "([^"]*)"$`, hotplugANicOnNetworkIntoGuest)
	r.Step(`^I unplug the (disk|NIC) from guest "([^"]*)"$`, unplugTheFromGuest)
	r.Step(`^guest "([^"]*)" (sees|no longer sees) the (disk|NIC) within (\d+) seconds$`, guestTheWithinSeconds)
	r.Step(`^I open the console of guest "([^"]*)"$`, openTheConsoleOfGuest)
	r.Step(`^guest "([^"]*)" writes "([^"]*)" to its serial port$`, guestWritesToItsSerialPort)
	r.Step(`^the console of guest "([^"]*)" shows "([^"]*)" within (\d+) seconds$`, consoleOfGuestShowsWithinSeconds)
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
