package harness

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"libvirt.org/go/libvirt"
)

// decideGuest decides the "guest" need: no guest OS given is not provided;
// a stack that cannot run guests at all (no hvm, no accelerator) passes its
// reason on; otherwise the guest is booted once to choose its accelerator.
func (r *runner) decideGuest(ctx context.Context, g *Guest, missing string) {
	caps := r.caps
	switch {
	case !caps.Has("guest"):
	case caps.BreakAs("guest", "hvm", "no guest can be booted"):
	case missing != "":
		caps.Lack("guest", missing, NotProvided)
	default:
		if n := r.probeGuest(ctx, g); n != nil {
			caps.Record("guest", *n)
		}
	}
	if n, missing := caps.Missing["guest"]; missing {
		fmt.Fprintf(r.cfg.Progress, "guest: none (%s): %s\n", n.State, n.Reason)
	}
}

// probeGuest boots the guest once to choose its accelerator; nil when it works.
func (r *runner) probeGuest(ctx context.Context, g *Guest) *Need {
	t := r.newTracker()
	r.track(t, true)
	defer r.track(t, false)
	g.Machine = r.caps.Machine
	fmt.Fprintf(r.cfg.Progress, "guest: probing %s (accel %s)\n", g.Describe(), orDefault(r.cfg.Guest.Accel, "auto"))
	probe := GuestProbe{Conn: r.conn, Events: r.events, Caps: r.caps, Tracker: t, Prefix: r.prefix, Owner: r.owner,
		Progress: func(line string) { fmt.Fprintln(r.cfg.Progress, line) }}
	n := probe.Run(ctx, g, r.cfg.Guest)
	if err := t.Cleanup(); err != nil && n == nil {
		n = &Need{State: Broken, StatedBy: "GUEST-001", Reason: "removing the probe guest failed: " + DescribeError(err)}
	}
	if n != nil {
		return n
	}
	r.caps.Guest = g
	note := ""
	if g.AccelNote != "" {
		note = " (" + g.AccelNote + ")"
	}
	fmt.Fprintf(r.cfg.Progress, "guest: boots with %s, agent ready in %.1f s%s\n", g.Accel, g.ProbeBoot.Seconds(), note)
	return nil
}

// accelOrder lists the domain types to try for a guest OS, in order.
func accelOrder(want string, caps *Capabilities) ([]string, *Need) {
	has := func(t string) bool { return slices.Contains(caps.DomainTypes, t) }
	switch want {
	case "kvm":
		if !caps.KVMUsable {
			n := caps.Missing["kvm"]
			n.Reason = "--guest-accel kvm: " + n.Reason
			return nil, &n
		}
		return []string{"kvm"}, nil
	case "tcg":
		if !has("qemu") {
			return nil, &Need{State: Absent, Reason: fmt.Sprintf("--guest-accel tcg: the stack offers no qemu (TCG) domain type (offers %s)", strings.Join(caps.DomainTypes, ", "))}
		}
		return []string{"qemu"}, nil
	}
	var out []string
	if caps.KVMUsable {
		out = append(out, "kvm")
	}
	if has("qemu") {
		out = append(out, "qemu")
	}
	if len(out) == 0 {
		if n, broken := caps.Missing["kvm"]; broken && n.State == Broken {
			n.Reason = "no accelerator to boot a guest with: " + n.Reason
			return nil, &n
		}
		return nil, &Need{State: Absent, Reason: fmt.Sprintf("the stack offers neither a usable kvm nor a qemu (TCG) domain type (offers %s)", strings.Join(caps.DomainTypes, ", "))}
	}
	return out, nil
}

// GuestProbe is where the guest OS is probed: the stack, its events and
// capabilities, the tracker of the probe's objects, the run's prefix and
// owner record, and where progress goes.
type GuestProbe struct {
	Conn     *libvirt.Connect
	Events   *EventHub
	Caps     *Capabilities
	Tracker  *Tracker
	Prefix   string
	Owner    Owner
	Progress func(string)
}

// Run boots the guest once, with each candidate accelerator in turn, until
// its agent answers. It sets g's accelerator, or returns why the guest
// scenarios cannot run: a guest that does not boot on a stack that claims to
// run it is broken (GUEST-001 states it). Its objects are tracked on the
// probe's tracker.
func (p GuestProbe) Run(ctx context.Context, g *Guest, cfg GuestConfig) *Need {
	conn, caps, tracker, prefix, progress := p.Conn, p.Caps, p.Tracker, p.Prefix, p.Progress
	order, need := accelOrder(cfg.Accel, caps)
	if need != nil {
		return need
	}
	g.BootLimit = cfg.BootTimeout
	g.ForcedAccel = cfg.Accel == "kvm" || cfg.Accel == "tcg"
	overlay := ""
	if g.Source == "disk" {
		var err error
		overlay, err = probeOverlay(conn, tracker, prefix, g.Disk)
		if err != nil {
			return &Need{State: Broken, StatedBy: "GUEST-001", Reason: "cannot make an overlay over the guest disk: " + DescribeError(err)}
		}
	}
	var notes []string
	for i, typ := range order {
		limit := cfg.BootTimeout
		if i < len(order)-1 && cfg.AccelTimeout > 0 && cfg.AccelTimeout < limit {
			limit = cfg.AccelTimeout
		}
		name := fmt.Sprintf("%sprobe-guest-%s", prefix, AccelName(typ))
		took, err := p.Boot(ctx, g, GuestDomain{Name: name, Overlay: overlay, OnReboot: "destroy"}, typ, limit)
		if err == nil {
			g.DomainType, g.Accel, g.ProbeBoot = typ, AccelName(typ), took
			g.AccelNote = strings.Join(notes, "; ")
			return nil
		}
		if ctx.Err() != nil {
			return &Need{State: NotProvided, Reason: "the run was interrupted while probing the guest"}
		}
		note := fmt.Sprintf("%s: %s", AccelName(typ), DescribeError(err))
		notes = append(notes, note)
		if i < len(order)-1 {
			progress(fmt.Sprintf("guest: no boot with %s, trying %s", note, AccelName(order[i+1])))
		}
	}
	return &Need{State: Broken, StatedBy: "GUEST-001", Reason: "the guest did not boot to a running agent: " + strings.Join(notes, "; ")}
}

func probeOverlay(conn *libvirt.Connect, tracker *Tracker, prefix, disk string) (string, error) {
	name := prefix + "guest-probe"
	dir := filepath.Join(ImageDir, name)
	p, err := tracker.CreateDirPool(name, dir)
	if err != nil {
		return "", err
	}
	defer p.Free()
	v, err := tracker.CreateVolume(p, name, dir, name+".qcow2", OverlayXML(name+".qcow2", disk))
	if err != nil {
		return "", err
	}
	defer v.Free()
	return v.GetPath()
}

// Boot starts the guest as a transient domain of type typ and waits for its
// agent; it returns how long that took, and removes the domain.
func (p GuestProbe) Boot(ctx context.Context, g *Guest, gd GuestDomain, typ string, limit time.Duration) (time.Duration, error) {
	conn, hub, tracker, owner := p.Conn, p.Events, p.Tracker, p.Owner
	gd.UUID = NewUUID()
	xml, err := g.DomainXML(gd, p.Caps.GuestArch, typ)
	if err != nil {
		return 0, err
	}
	watch, err := WatchGuest(hub, gd.Name)
	if err != nil {
		return 0, err
	}
	defer watch.Stop()
	watch.PauseFails = true
	start := time.Now()
	d, err := tracker.CreateDomain(gd.Name, gd.UUID, xml, true)
	if err != nil {
		return 0, fmt.Errorf("starting the guest: %w", err)
	}
	res := Resource{Kind: KindDomain, Name: gd.Name}
	defer d.Free()
	defer func() { // one probe guest at a time; the disk overlay stays for the next
		if Remove(conn, res) == nil {
			tracker.Forget(res)
		}
	}()
	if err := OwnDomain(d, owner); err != nil {
		return 0, err
	}
	if err := watch.WaitAgent(ctx, 0, limit); err != nil {
		return 0, err
	}
	took := time.Since(start)
	if err := AgentCommand(d, 10*time.Second, "guest-ping", nil, nil); err != nil {
		return 0, err
	}
	return took, nil
}
