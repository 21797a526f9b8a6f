package stepkit

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

// GuestState is what the steps know about one guest domain of the scenario.
type GuestState struct {
	Watch   *harness.BootWatch
	Console *harness.Console
	Started int    // event mark at the last start/reboot
	BootID  string // /proc/sys/kernel/random/boot_id before a reboot or reset
	HotMAC  string // MAC of a hotplugged NIC
	HotNIC  string // its XML, to unplug it
	HotDisk string // XML of a hotplugged disk

	MemBefore int // the guest's MemTotal (KiB) before its memory was set live
}

const (
	AgentTimeout = 10 * time.Second
	HotSerial    = "ovacts-hot"
	markerFile   = "/run/ovacts-marker" // tmpfs: lives in the guest's memory only
)

// GuestsState is the guests a scenario started.
type GuestsState struct {
	byDomain map[string]*GuestState // logical domain -> its guest OS state
	Vcpus    map[string]int         // logical guest -> the vCPUs it may have (1 plugged at start)
}

func (w *World) GuestsSt() *GuestsState { return State[GuestsState](w) }

func (w *World) Guest(logical string) (*GuestState, error) {
	g := w.GuestsSt().byDomain[logical]
	if g == nil {
		return nil, fmt.Errorf("no guest %q was started in this scenario", logical)
	}
	return g, nil
}

// TheGuest is the probed guest; the plan runs guest scenarios only with one.
func (w *World) TheGuest() (*harness.Guest, error) {
	if w.Caps.Guest == nil {
		return nil, harness.NotRun("no guest OS was probed for this run")
	}
	return w.Caps.Guest, nil
}

// defineGuest defines (or, on a stack without persistent domains, prepares to
// create) a guest domain and subscribes to its events first.
func (w *World) defineGuest(ctx context.Context, logical, dataDisk, network string) (string, error) {
	g, err := w.TheGuest()
	if err != nil {
		return "", err
	}
	name := w.Name(logical)
	gd := harness.GuestDomain{Name: name, UUID: harness.NewUUID(), Network: network, MaxVCPUs: w.GuestsSt().Vcpus[logical]}
	if dataDisk != "" {
		gd.DataDisk = dataDisk
	}
	if g.Source == "disk" {
		if err := w.EnsurePool("store"); err != nil {
			return "", err
		}
		err := w.WithPool("store", func(p *libvirt.StoragePool) error {
			v, err := w.Tracker.CreateVolume(p, w.Name("store"), w.PoolDir("store"), w.Name(logical+"-root"), harness.OverlayXML(w.Name(logical+"-root"), g.Disk))
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
	if w.GuestsSt().byDomain == nil {
		w.GuestsSt().byDomain = map[string]*GuestState{}
	}
	w.GuestsSt().byDomain[logical] = &GuestState{Watch: watch}
	return xml, nil
}

// StartGuest starts a guest, optionally paused first so the console is open
// before the guest prints anything.
func (w *World) StartGuest(ctx context.Context, logical, dataDisk, network string, console bool) error {
	xml, err := w.defineGuest(ctx, logical, dataDisk, network)
	if err != nil {
		return err
	}
	gs := w.GuestsSt().byDomain[logical]
	flags := libvirt.DOMAIN_NONE
	if console {
		flags = libvirt.DOMAIN_START_PAUSED
	}
	gs.Started = gs.Watch.Mark()
	if w.Caps.Persistent {
		if err := w.DefineDomain(logical, xml); err != nil {
			return err
		}
		err = w.WithDomain(logical, func(d *libvirt.Domain) error { return d.CreateWithFlags(flags) })
	} else {
		err = w.Tracker.Create(harness.Resource{Kind: harness.KindDomain, Name: w.Name(logical), UUID: UUIDOf(xml)}, func() (string, error) {
			d, err := w.Conn.DomainCreateXML(xml, libvirt.DomainCreateFlags(flags))
			if err != nil {
				return "", err
			}
			defer d.Free()
			w.Remember(&w.DomainSt().SentXML, logical, xml)
			return "", w.Own(d)
		})
	}
	if err != nil {
		return fmt.Errorf("starting guest %q: %w", logical, err)
	}
	if !console {
		return nil
	}
	w.NoteGuestStart(logical + ": booted (its console open from the start)")
	if err := w.OpenConsole(logical, gs); err != nil {
		return err
	}
	return w.WithDomain(logical, func(d *libvirt.Domain) error { return d.Resume() })
}

// OpenConsole attaches to the guest's console until the scenario ends.
func (w *World) OpenConsole(logical string, gs *GuestState) error {
	return w.WithDomain(logical, func(d *libvirt.Domain) error {
		c, err := harness.OpenConsole(w.Conn, d)
		if err != nil {
			return err
		}
		gs.Console = c
		w.Tracker.Defer("console of "+w.Name(logical), c.Close)
		return nil
	})
}

// RunningGuest starts a guest and waits for its agent: restored from the
// run's guest image where it can be, booted otherwise.
func (w *World) RunningGuest(ctx context.Context, logical, dataDisk, network string) error {
	why := w.restoreUnusable(logical, dataDisk, network)
	if why == "" {
		restored, err := w.restoredGuest(ctx, logical)
		if restored || err != nil {
			return err
		}
	} else {
		w.NoteGuestStart(logical + ": booted (" + why + ")")
	}
	if err := w.StartGuest(ctx, logical, dataDisk, network, false); err != nil {
		return err
	}
	g, _ := w.TheGuest()
	gs := w.GuestsSt().byDomain[logical]
	if err := gs.Watch.WaitAgent(ctx, gs.Started, g.BootLimit); err != nil {
		return fmt.Errorf("guest %q did not become ready: %w", logical, err)
	}
	return nil
}

// Exec runs a shell command in the guest and returns its stdout; a non-zero exit is an error.
func (w *World) Exec(ctx context.Context, logical, script string) (string, error) {
	return w.execOn(ctx, false, logical, script)
}

// execOn is exec on the stack, or on the peer once the guest has migrated there.
func (w *World) execOn(ctx context.Context, onPeer bool, logical, script string) (string, error) {
	with := w.WithDomain
	if onPeer {
		with = w.WithPeerDomain
	}
	var out harness.ExecResult
	err := with(logical, func(d *libvirt.Domain) error {
		var err error
		out, err = harness.GuestExec(ctx, d, AgentTimeout, script)
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

// UntilAgent retries fn until it passes or limit ends: for the time after a
// reboot, restore or revert, when the agent comes back on its own schedule.
func (w *World) UntilAgent(ctx context.Context, limit time.Duration, fn func(ctx context.Context) error) error {
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

func Seconds(s string) time.Duration {
	n, _ := strconv.Atoi(s)
	return time.Duration(n) * time.Second
}

func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func registerGuest(r *Registry) {
	r.Step(`^a running guest "([^"]*)"( with a data disk)?(?: and a NIC on network "([^"]*)")?$`, runningGuest)
	r.Step(`^the guest info of "([^"]*)" reports its operating system and hostname$`, guestInfoOfReportsItsOperatingSystem)
	r.Step(`^guest "([^"]*)" writes marker "([^"]*)" in memory$`, guestWritesMarkerInMemory)
	r.Step(`^guest "([^"]*)" holds marker "([^"]*)" in memory( on the peer)?$`, guestHoldsMarkerInMemory)
}
