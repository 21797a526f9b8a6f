package harness

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ovacts/ovacts/fixtures"
	"libvirt.org/go/libvirt"
)

// DefaultGuestDir is where fixtures/guest/build.sh leaves its newest build.
const DefaultGuestDir = "/var/cache/ovacts/guest/current"

// GuestConfig is what the user said about the guest OS scenarios need.
type GuestConfig struct {
	Dir    string // a build of fixtures/guest/build.sh; "" = OVACTS_GUEST_DIR or DefaultGuestDir if present
	Kernel string // --guest-kernel (with Initrd): direct boot of the vendor's kernel
	Initrd string
	// Cmdline of a direct kernel boot; "" = the fixture's, or console=ttyS0.
	Cmdline string
	Disk    string // --guest-disk: a bootable image with qemu-ga; used read-only through an overlay
	Accel   string // auto, kvm or tcg
	// BootTimeout bounds one boot to ready; AccelTimeout the KVM attempt of auto.
	BootTimeout  time.Duration
	AccelTimeout time.Duration
}

// GuestMeta describes the fixture guest (guest.json of a build).
type GuestMeta struct {
	Key                  string  `json:"key"`
	KernelPackage        string  `json:"kernel_package"`
	KernelPackageVersion string  `json:"kernel_package_version"`
	KernelRelease        string  `json:"kernel_release"`
	BusyboxVersion       string  `json:"busybox_version"`
	AgentVersion         string  `json:"qemu_guest_agent_version"`
	Hostname             string  `json:"hostname"`
	OSID                 string  `json:"os_id"`
	ReadyMarker          string  `json:"ready_marker"`
	Cmdline              string  `json:"cmdline"`
	BuildSeconds         float64 `json:"build_seconds"`
}

// Guest is the resolved guest: how to boot it, what to expect of it, and the
// accelerator the probe found working for it.
type Guest struct {
	Source  string // "fixture", "kernel" or "disk"
	Kernel  string
	Initrd  string
	Cmdline string
	Disk    string
	Meta    GuestMeta // known for the fixture only; zero for vendor guests

	DomainType string // kvm or qemu
	Accel      string // kvm or tcg
	AccelNote  string // why, when auto fell back
	// ForcedAccel: --guest-accel chose the accelerator; the probe tried no other.
	ForcedAccel bool
	ProbeBoot   time.Duration // the probe's boot to ready
	BootLimit   time.Duration
}

// Describe is one line for the progress output and the report.
func (g *Guest) Describe() string {
	switch g.Source {
	case "fixture":
		return fmt.Sprintf("fixture %s (kernel %s, qemu-ga %s)", g.Meta.Key, g.Meta.KernelRelease, g.Meta.AgentVersion)
	case "kernel":
		return "kernel " + g.Kernel
	}
	return "disk " + g.Disk
}

// ResolveGuest checks what the user named. Paths the user gave that are not
// there are a setup error; a missing default fixture is only a missing need.
func ResolveGuest(cfg GuestConfig) (*Guest, string, error) {
	switch cfg.Accel {
	case "", "auto", "kvm", "tcg":
	default:
		return nil, "", fmt.Errorf("--guest-accel must be auto, kvm or tcg, got %q", cfg.Accel)
	}
	regular := func(flag, p string) error {
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("%s %s: %v", flag, p, errText(err))
		}
		if !st.Mode().IsRegular() {
			return fmt.Errorf("%s %s: not a regular file", flag, p)
		}
		return nil
	}
	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	sources := 0
	for _, s := range []string{cfg.Kernel, cfg.Disk} {
		if s != "" {
			sources++
		}
	}
	if cfg.Dir != "" {
		sources++
	}
	if sources > 1 {
		return nil, "", errors.New("give one guest: --guest-dir, --guest-kernel/--guest-initrd or --guest-disk")
	}
	if cfg.Initrd != "" && cfg.Kernel == "" {
		return nil, "", errors.New("--guest-initrd needs --guest-kernel")
	}
	switch {
	case cfg.Disk != "":
		if err := regular("--guest-disk", cfg.Disk); err != nil {
			return nil, "", err
		}
		return &Guest{Source: "disk", Disk: abs(cfg.Disk)}, "", nil
	case cfg.Kernel != "":
		if err := regular("--guest-kernel", cfg.Kernel); err != nil {
			return nil, "", err
		}
		g := &Guest{Source: "kernel", Kernel: abs(cfg.Kernel), Cmdline: cfg.Cmdline}
		if cfg.Initrd != "" {
			if err := regular("--guest-initrd", cfg.Initrd); err != nil {
				return nil, "", err
			}
			g.Initrd = abs(cfg.Initrd)
		}
		if g.Cmdline == "" {
			g.Cmdline = "console=ttyS0"
		}
		return g, "", nil
	}
	dir, explicit := cfg.Dir, cfg.Dir != ""
	if dir == "" {
		dir = os.Getenv("OVACTS_GUEST_DIR")
		explicit = dir != ""
	}
	if dir == "" {
		dir = DefaultGuestDir
	}
	g, err := loadFixtureGuest(dir)
	if err != nil {
		if explicit {
			return nil, "", fmt.Errorf("guest directory: %w", err)
		}
		return nil, fmt.Sprintf("no guest OS: %v; build one with 'make guest' (fixtures/guest/build.sh) or pass --guest-kernel/--guest-initrd or --guest-disk", err), nil
	}
	if cfg.Cmdline != "" {
		g.Cmdline = cfg.Cmdline
	}
	return g, "", nil
}

func loadFixtureGuest(dir string) (*Guest, error) {
	data, err := os.ReadFile(filepath.Join(dir, "guest.json"))
	if err != nil {
		return nil, fmt.Errorf("%s has no guest build (%v)", dir, errText(err))
	}
	var m GuestMeta
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s/guest.json does not parse: %v", dir, err)
	}
	if m.ReadyMarker == "" || m.Cmdline == "" {
		return nil, fmt.Errorf("%s/guest.json lacks ready_marker or cmdline", dir)
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, err
	}
	g := &Guest{Source: "fixture", Kernel: filepath.Join(real, "vmlinux"), Initrd: filepath.Join(real, "initrd.cpio"), Cmdline: m.Cmdline, Meta: m}
	for _, p := range []string{g.Kernel, g.Initrd} {
		if st, err := os.Stat(p); err != nil || st.Size() == 0 {
			return nil, fmt.Errorf("%s is missing or empty", p)
		}
	}
	return g, nil
}

// GuestDomain is how a scenario asks for a guest domain.
type GuestDomain struct {
	Name     string
	UUID     string // "" = a new one (then the caller cannot record it: set it)
	Overlay  string // disk guests: the overlay volume's path on the stack
	DataDisk string // optional qcow2 data disk
	Network  string // optional NIC on this network
	OnReboot string
}

// DomainXML renders the guest fixture for d with the probed accelerator.
func (g *Guest) DomainXML(d GuestDomain, arch, domainType string) (string, error) {
	if d.UUID == "" {
		d.UUID = NewUUID()
	}
	v := fixtures.DomainVars{Name: d.Name, UUID: d.UUID, Type: domainType, Arch: arch, MemoryMiB: 256,
		DataDisk: d.DataDisk, Network: d.Network, OnReboot: d.OnReboot}
	if domainType == "qemu" {
		v.CPUMode = "maximum" // TCG: every feature it can emulate (cmpxchg16b and friends)
	}
	if g.Source == "disk" {
		v.Disk, v.DiskFormat = d.Overlay, "qcow2"
	} else {
		v.Kernel, v.Initrd, v.Cmdline = g.Kernel, g.Initrd, g.Cmdline
	}
	return fixtures.Domain("guest", v)
}

// BootWatch follows one guest domain's events from before its start, so no
// "agent connected" is missed.
type BootWatch struct {
	// PauseFails makes a pause the guest did not ask for (a KVM internal
	// error, an I/O error) end a wait at once, as a stop does.
	PauseFails bool

	mu      sync.Mutex
	events  []Event
	changed chan struct{}
	unsubs  []func()
}

// WatchGuest subscribes to lifecycle and agent events of the named domain.
func WatchGuest(hub *EventHub, name string) (*BootWatch, error) {
	w := &BootWatch{changed: make(chan struct{}, 1)}
	for _, kind := range []string{"domain", "agent", "reboot"} {
		un, err := hub.Subscribe(kind, name, func(ev Event) {
			if ev.Object != name {
				return
			}
			w.mu.Lock()
			w.events = append(w.events, ev)
			w.mu.Unlock()
			select {
			case w.changed <- struct{}{}:
			default:
			}
		})
		if err != nil {
			w.Stop()
			return nil, err
		}
		w.unsubs = append(w.unsubs, un)
	}
	return w, nil
}

// Stop ends the subscriptions.
func (w *BootWatch) Stop() {
	for _, u := range w.unsubs {
		u()
	}
	w.unsubs = nil
}

// Mark returns a position in the event history; waits look only after it.
func (w *BootWatch) Mark() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.events)
}

// Since lists the event names after mark.
func (w *BootWatch) Since(mark int) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, ev := range w.events[min(mark, len(w.events)):] {
		out = append(out, ev.Kind+" "+ev.Name)
	}
	return out
}

// ErrGuestStopped means the guest went away while a wait for it ran.
var ErrGuestStopped = errors.New("the guest stopped or paused by itself")

// WaitAgent waits, after mark, until the guest agent connects. A domain that
// stops, crashes or pauses on its own ends the wait at once with the event.
func (w *BootWatch) WaitAgent(ctx context.Context, mark int, limit time.Duration) error {
	return w.WaitEvent(ctx, mark, limit, "agent connected")
}

// WaitEvent waits, after mark, for an event "<kind> <name>" (e.g. "domain
// stopped (shutdown)"). Unexpected stops end the wait with ErrGuestStopped.
func (w *BootWatch) WaitEvent(ctx context.Context, mark int, limit time.Duration, want string) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		seen := w.Since(mark)
		for _, e := range seen {
			if e == want || strings.HasPrefix(e, want+" ") {
				return nil
			}
		}
		if !strings.HasPrefix(want, "domain stopped") && !strings.HasPrefix(want, "domain crashed") {
			for _, e := range seen {
				if strings.HasPrefix(e, "domain stopped") || strings.HasPrefix(e, "domain crashed") ||
					(w.PauseFails && strings.HasPrefix(e, "domain suspended")) {
					return fmt.Errorf("%w (%s) while waiting for %q; events: %s", ErrGuestStopped, e, want, strings.Join(seen, ", "))
				}
			}
		}
		select {
		case <-w.changed:
		case <-ctx.Done():
			if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.DeadlineExceeded) {
				return cause
			}
			return fmt.Errorf("no %q within %s; events seen: %s", want, limit, orNone(seen))
		}
	}
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// AgentCommand runs one guest agent command and decodes its "return" into out.
func AgentCommand(d *libvirt.Domain, timeout time.Duration, cmd string, args any, out any) error {
	req := map[string]any{"execute": cmd}
	if args != nil {
		req["arguments"] = args
	}
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	secs := libvirt.DomainQemuAgentCommandTimeout(max(1, int(timeout/time.Second)))
	resp, err := d.QemuAgentCommand(string(body), secs, 0)
	if err != nil {
		return fmt.Errorf("guest agent %s: %w", cmd, err)
	}
	if out == nil {
		return nil
	}
	var env struct {
		Return json.RawMessage `json:"return"`
	}
	if err := json.Unmarshal([]byte(resp), &env); err != nil {
		return fmt.Errorf("guest agent %s: reply does not parse: %v", cmd, err)
	}
	if err := json.Unmarshal(env.Return, out); err != nil {
		return fmt.Errorf("guest agent %s: unexpected reply %s: %v", cmd, env.Return, err)
	}
	return nil
}

// ExecResult is a command's outcome inside the guest.
type ExecResult struct {
	Exit   int
	Stdout string
	Stderr string
}

// GuestExec runs a shell command in the guest through the agent's guest-exec
// and waits (polling guest-exec-status, the protocol's only way) until it exits.
func GuestExec(ctx context.Context, d *libvirt.Domain, limit time.Duration, script string) (ExecResult, error) {
	var started struct {
		PID int `json:"pid"`
	}
	args := map[string]any{"path": "/bin/sh", "arg": []string{"-c", script}, "capture-output": true}
	if err := AgentCommand(d, limit, "guest-exec", args, &started); err != nil {
		return ExecResult{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	delay := 10 * time.Millisecond
	for {
		var st struct {
			Exited   bool   `json:"exited"`
			ExitCode int    `json:"exitcode"`
			Out      string `json:"out-data"`
			Err      string `json:"err-data"`
		}
		if err := AgentCommand(d, limit, "guest-exec-status", map[string]any{"pid": started.PID}, &st); err != nil {
			return ExecResult{}, err
		}
		if st.Exited {
			out, _ := base64.StdEncoding.DecodeString(st.Out)
			errOut, _ := base64.StdEncoding.DecodeString(st.Err)
			return ExecResult{Exit: st.ExitCode, Stdout: string(out), Stderr: string(errOut)}, nil
		}
		select {
		case <-ctx.Done():
			return ExecResult{}, fmt.Errorf("guest command %q still running after %s", script, limit)
		case <-time.After(delay):
		}
		delay = min(2*delay, 200*time.Millisecond)
	}
}

// Console reads a domain's serial console through a libvirt stream, driven by
// the event loop (no blocking reads on a goroutine).
type Console struct {
	st      *libvirt.Stream
	mu      sync.Mutex
	buf     bytes.Buffer
	err     error
	changed chan struct{}
	closed  bool
}

// OpenConsole attaches to the domain's first console (taking it over from any
// other client of the suite's own domain).
func OpenConsole(conn *libvirt.Connect, d *libvirt.Domain) (*Console, error) {
	st, err := conn.NewStream(libvirt.STREAM_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("new stream: %w", err)
	}
	if err := d.OpenConsole("", st, libvirt.DOMAIN_CONSOLE_FORCE); err != nil {
		st.Free()
		return nil, fmt.Errorf("opening the console: %w", err)
	}
	c := &Console{st: st, changed: make(chan struct{}, 1)}
	err = st.EventAddCallback(libvirt.STREAM_EVENT_READABLE|libvirt.STREAM_EVENT_ERROR|libvirt.STREAM_EVENT_HANGUP,
		func(s *libvirt.Stream, ev libvirt.StreamEventType) { c.readable(ev) })
	if err != nil {
		st.Abort()
		st.Free()
		return nil, fmt.Errorf("watching the console stream: %w", err)
	}
	return c, nil
}

func (c *Console) readable(ev libvirt.StreamEventType) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	p := make([]byte, 4096)
	for {
		n, err := c.st.Recv(p)
		if err != nil {
			if c.err == nil {
				c.err = err
			}
			break
		}
		if n < 0 { // -2: nothing more now
			break
		}
		c.buf.Write(p[:n])
	}
	if ev&(libvirt.STREAM_EVENT_ERROR|libvirt.STREAM_EVENT_HANGUP) != 0 && c.err == nil {
		c.err = errors.New("the console stream hung up")
	}
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

// Output is everything read so far.
func (c *Console) Output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

// WaitFor waits until the output holds substr.
func (c *Console) WaitFor(ctx context.Context, substr string, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		c.mu.Lock()
		found, err := strings.Contains(c.buf.String(), substr), c.err
		c.mu.Unlock()
		if found {
			return nil
		}
		if err != nil {
			return fmt.Errorf("console: %w", err)
		}
		select {
		case <-c.changed:
		case <-ctx.Done():
			return fmt.Errorf("the console did not show %q within %s (read %d bytes)", substr, limit, len(c.Output()))
		}
	}
}

// Close detaches from the console.
func (c *Console) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	errs := []error{c.st.EventRemoveCallback()}
	if err := c.st.Abort(); err != nil && !errors.Is(err, libvirt.ERR_RPC) {
		errs = append(errs, err)
	}
	errs = append(errs, c.st.Free())
	return errors.Join(errs...)
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

// AccelName maps a domain type to the accelerator it means.
func AccelName(domainType string) string {
	if domainType == "qemu" {
		return "tcg"
	}
	return domainType
}

// DiskFormat tells qcow2 from raw by the image's magic.
func DiskFormat(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return "raw"
	}
	defer f.Close()
	magic := make([]byte, 4)
	if n, _ := f.Read(magic); n == 4 && string(magic) == "QFI\xfb" {
		return "qcow2"
	}
	return "raw"
}

// OverlayXML is a qcow2 volume over a guest disk, so the vendor's image is
// only ever read.
func OverlayXML(name, backing string) string {
	return fmt.Sprintf(`<volume><name>%s</name><capacity unit='bytes'>0</capacity>`+
		`<target><format type='qcow2'/></target>`+
		`<backingStore><path>%s</path><format type='%s'/></backingStore></volume>`,
		XMLEscape(name), XMLEscape(backing), DiskFormat(backing))
}

// ProbeGuest boots the guest once, with each candidate accelerator in turn,
// until its agent answers. It sets g's accelerator, or returns why the guest
// scenarios cannot run: a guest that does not boot on a stack that claims to
// run it is broken (GUEST-001 states it). Its objects are tracked on tracker.
func ProbeGuest(ctx context.Context, conn *libvirt.Connect, hub *EventHub, caps *Capabilities, g *Guest, cfg GuestConfig,
	tracker *Tracker, prefix string, owner Owner, progress func(string)) *Need {
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
		took, err := probeBoot(ctx, conn, hub, tracker, owner, g, GuestDomain{Name: name, Overlay: overlay, OnReboot: "destroy"}, caps.GuestArch, typ, limit)
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

func probeBoot(ctx context.Context, conn *libvirt.Connect, hub *EventHub, tracker *Tracker, owner Owner, g *Guest, gd GuestDomain,
	arch, typ string, limit time.Duration) (time.Duration, error) {
	gd.UUID = NewUUID()
	xml, err := g.DomainXML(gd, arch, typ)
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
