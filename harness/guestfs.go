package harness

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ovacts/ovacts/catalogue"
)

// GuestfsConfig chooses how libguestfs's appliance is accelerated (--guestfs-accel).
type GuestfsConfig struct {
	Accel string // auto, kvm or tcg; "" = auto
	// AccelTimeout bounds the KVM attempt of auto, counted from the start of the
	// appliance's QEMU (building the appliance before it is not counted).
	AccelTimeout time.Duration
	// LaunchTimeout bounds one whole probe launch, appliance build included.
	LaunchTimeout time.Duration
}

// Guestfs is what the probe learned about libguestfs on the stack's host.
type Guestfs struct {
	Version     string        // of the library the binding is linked with
	Accel       string        // kvm or tcg: what the appliance runs with
	AccelNote   string        // why KVM was passed over, when it was
	ProbeLaunch time.Duration // one launch of the appliance with Accel
}

// BackendSettings are the settings every handle of the run gets.
func (g *Guestfs) BackendSettings() []string {
	if g.Accel == "tcg" {
		return []string{"force_tcg"}
	}
	return nil
}

// ToolEnv is the environment of a libguestfs tool (virt-inspector, virt-v2v,
// guestfish): this process's, with the run's backend and settings.
func (g *Guestfs) ToolEnv(backend string) []string {
	env := make([]string, 0, len(os.Environ())+2)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LIBGUESTFS_BACKEND=") && !strings.HasPrefix(kv, "LIBGUESTFS_BACKEND_SETTINGS=") {
			env = append(env, kv)
		}
	}
	env = append(env, "LIBGUESTFS_BACKEND="+backend)
	if s := g.BackendSettings(); len(s) > 0 {
		env = append(env, "LIBGUESTFS_BACKEND_SETTINGS="+strings.Join(s, ":"))
	}
	return env
}

// ErrNoGuestfsBinding: this binary was built without the libguestfs Go binding.
var ErrNoGuestfsBinding = errors.New("this ovacts binary was built without libguestfs: install golang-guestfs-dev and libguestfs-tools, then build with make (scripts/guestfs-module.sh)")

// GuestfsTools are the libguestfs programs the guestfs-tools scenarios run.
var GuestfsTools = []string{"virt-inspector", "virt-v2v"}

// selectedNeeds says whether a selected scenario declares one of the needs.
func selectedNeeds(pickles []*catalogue.Pickle, names ...string) bool {
	for _, p := range pickles {
		for _, n := range names {
			for _, need := range p.Req.Needs {
				if need == n {
					return true
				}
			}
		}
	}
	return false
}

// ProbeGuestfs finds out whether libguestfs launches its appliance on this
// host, and with which accelerator: with auto, a KVM attempt first (bounded by
// AccelTimeout from the appliance's start), then TCG. On failure it names the
// need that is not met and why: "guestfs" when this binary has no binding
// (not provided) or the host has no libguestfs tools (absent);
// "guestfs-appliance" when the appliance does not launch (broken: GFS-003),
// with the library it found all the same. launch false probes the library only.
func ProbeGuestfs(ctx context.Context, cfg GuestfsConfig, launch bool, progress func(string)) (*Guestfs, string, *Need) {
	version, err := GuestfsBindingVersion()
	if err != nil {
		return nil, "guestfs", &Need{State: NotProvided, Reason: err.Error()}
	}
	if _, err := exec.LookPath("guestfish"); err != nil {
		return nil, "guestfs", &Need{State: Absent, Reason: "guestfish is not installed on the stack's host (libguestfs-tools): " + err.Error()}
	}
	g := &Guestfs{Version: version}
	if !launch {
		return g, "", nil
	}
	if cfg.AccelTimeout <= 0 {
		cfg.AccelTimeout = 20 * time.Second
	}
	if cfg.LaunchTimeout <= 0 {
		cfg.LaunchTimeout = 5 * time.Minute
	}
	order := []string{"kvm", "tcg"}
	if cfg.Accel == "kvm" || cfg.Accel == "tcg" {
		order = []string{cfg.Accel}
	}
	progress(fmt.Sprintf("libguestfs: %s, probing the appliance (accel %s)", version, orDefault(cfg.Accel, "auto")))
	var notes []string
	for i, accel := range order {
		if accel == "kvm" && len(order) > 1 {
			if f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0); err != nil {
				notes = append(notes, "kvm: "+err.Error())
				continue
			} else {
				f.Close()
			}
		}
		d, err := guestfsLaunchAttempt(ctx, accel, cfg)
		if err == nil {
			g.Accel, g.ProbeLaunch = accel, d
			g.AccelNote = strings.Join(notes, "; ")
			return g, "", nil
		}
		if ctx.Err() != nil {
			return g, "guestfs-appliance", &Need{State: NotProvided, Reason: "the run was interrupted while probing libguestfs"}
		}
		notes = append(notes, accel+": "+err.Error())
		if i < len(order)-1 {
			progress(fmt.Sprintf("libguestfs: no appliance with %s: %v; trying %s", accel, err, order[i+1]))
		}
	}
	// The library is there: what needs no appliance (a handle, disk_create) still runs.
	return g, "guestfs-appliance", &Need{State: Broken, StatedBy: "GFS-003", Reason: "the libguestfs appliance does not launch: " + strings.Join(notes, "; ")}
}

// guestfsLaunchAttempt launches the appliance once through guestfish with the
// direct backend (a child process group that can be killed when KVM hangs;
// a hung libvirt-backend launch would leave a domain behind).
// launchLog is what a launch's verbose output says: when the appliance's
// QEMU started, whether the appliance saw KVM, its first errors, its last
// lines.
type launchLog struct {
	mu        sync.Mutex
	qemuStart time.Time
	kvmSeen   bool
	errLines  []string
	tail      []string
}

func (lg *launchLog) scan(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		lg.mu.Lock()
		switch {
		case lg.qemuStart.IsZero() && strings.Contains(line, "qemu-system") && strings.HasSuffix(line, `\`) && strings.HasPrefix(line, "/"):
			lg.qemuStart = time.Now()
		case strings.Contains(line, "Hypervisor detected: KVM"):
			lg.kvmSeen = true
		case strings.HasPrefix(line, "qemu-system") || strings.Contains(line, "libguestfs: error:"):
			if len(lg.errLines) < 3 {
				lg.errLines = append(lg.errLines, strings.TrimSpace(line))
			}
		}
		lg.tail = append(lg.tail, line)
		if len(lg.tail) > 5 {
			lg.tail = lg.tail[1:]
		}
		lg.mu.Unlock()
	}
	io.Copy(io.Discard, r)
}

func (lg *launchLog) qemuStarted() time.Time {
	lg.mu.Lock()
	defer lg.mu.Unlock()
	return lg.qemuStart
}

func guestfsLaunchAttempt(ctx context.Context, accel string, cfg GuestfsConfig) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.LaunchTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "guestfish", "-v", "--ro", "-a", "/dev/null", "run")
	cmd.Env = (&Guestfs{Accel: accel}).ToolEnv("direct")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	lg := &launchLog{}
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		lg.scan(pr)
	}()
	// The KVM clock starts with the appliance's QEMU.
	done := make(chan error, 1)
	go func() { done <- cmd.Wait(); pw.Close() }()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	var timedOut bool
	var werr error
wait:
	for {
		select {
		case werr = <-done:
			break wait
		case <-tick.C:
			if qs := lg.qemuStarted(); accel == "kvm" && !qs.IsZero() && time.Since(qs) > cfg.AccelTimeout && !timedOut {
				timedOut = true
				syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			}
		}
	}
	<-scanned
	d := time.Since(start)
	lg.mu.Lock()
	defer lg.mu.Unlock()
	qemuStart, kvmSeen, errLines, tail := lg.qemuStart, lg.kvmSeen, lg.errLines, lg.tail
	switch {
	case timedOut:
		return 0, fmt.Errorf("the appliance did not come up within %s of QEMU's start", cfg.AccelTimeout)
	case ctx.Err() == context.DeadlineExceeded:
		return 0, fmt.Errorf("the launch took longer than %s", cfg.LaunchTimeout)
	case werr != nil:
		why := strings.Join(errLines, "; ")
		if why == "" {
			why = strings.Join(tail, " | ")
		}
		return 0, fmt.Errorf("%v: %s", werr, why)
	case accel == "kvm" && !kvmSeen:
		return 0, errors.New("the appliance came up without KVM (QEMU fell back to TCG)")
	}
	if !qemuStart.IsZero() {
		d = time.Since(qemuStart) // the appliance boot, without its build
	}
	return d, nil
}

// InspectorSchema is the RELAX NG schema of virt-inspector's XML, as Debian's
// guestfs-tools ships it.
const InspectorSchema = "/usr/share/doc/guestfs-tools/virt-inspector.rng.gz"

// GuestfsToolsMissing says what of the guestfs-tools need is absent; "" when
// all is there.
func GuestfsToolsMissing() string {
	var absent []string
	for _, tool := range append(append([]string{}, GuestfsTools...), "xmllint") {
		if _, err := exec.LookPath(tool); err != nil {
			absent = append(absent, tool)
		}
	}
	if _, err := os.Stat(InspectorSchema); err != nil {
		absent = append(absent, InspectorSchema)
	}
	if len(absent) == 0 {
		return ""
	}
	return "not installed: " + strings.Join(absent, ", ") + " (Debian: guestfs-tools, virt-v2v, libxml2-utils)"
}

// startGuestfsProbe decides the libguestfs needs: the tools are there or
// not, the libvirt backend needs a local QEMU stack, and the appliance
// launches (with KVM or TCG) or is broken. The launch runs beside the other
// probes; the returned function waits for it and records what it found, and
// only it touches the capabilities.
func (r *runner) startGuestfsProbe(ctx context.Context, pickles []*catalogue.Pickle) (record func()) {
	tools := ""
	if selectedNeeds(pickles, "guestfs-tools") {
		tools = GuestfsToolsMissing()
	}
	notLibvirt := selectedNeeds(pickles, "guestfs-libvirt") && r.caps.Driver != "QEMU"
	probe := selectedNeeds(pickles, "guestfs", "guestfs-appliance", "guestfs-libvirt")
	launch := selectedNeeds(pickles, "guestfs-appliance", "guestfs-libvirt")
	var g *Guestfs
	var need string
	var why *Need
	done := make(chan struct{})
	go func() {
		defer close(done)
		if probe {
			g, need, why = ProbeGuestfs(ctx, r.cfg.Guestfs, launch, func(line string) { fmt.Fprintln(r.cfg.Progress, line) })
		}
	}()
	return func() {
		<-done
		r.recordGuestfs(tools, notLibvirt, probe, launch, g, need, why)
	}
}

func (r *runner) recordGuestfs(tools string, notLibvirt, probe, launch bool, g *Guestfs, need string, why *Need) {
	caps := r.caps
	if tools != "" {
		caps.Lack("guestfs-tools", tools, Absent)
		fmt.Fprintf(r.cfg.Progress, "libguestfs tools: %s\n", tools)
	}
	if notLibvirt {
		caps.Lack("guestfs-libvirt", fmt.Sprintf("libguestfs's libvirt backend runs a QEMU appliance; the stack's driver is %s", caps.Driver), Absent)
	}
	if !probe {
		return
	}
	caps.Guestfs = g
	if why != nil {
		caps.Record(need, *why)
		if need == "guestfs" {
			caps.Record("guestfs-appliance", *why)
		}
		if _, lacks := caps.Missing["guestfs-libvirt"]; !lacks {
			caps.Record("guestfs-libvirt", caps.Missing["guestfs-appliance"])
		}
		fmt.Fprintf(r.cfg.Progress, "libguestfs: %s: %s\n", why.State, why.Reason)
		return
	}
	if !launch {
		fmt.Fprintf(r.cfg.Progress, "libguestfs: %s (no scenario selected launches the appliance)\n", g.Version)
		return
	}
	note := ""
	if g.AccelNote != "" {
		note = " (" + g.AccelNote + ")"
	}
	fmt.Fprintf(r.cfg.Progress, "libguestfs: %s, the appliance launches with %s in %.1f s%s\n", g.Version, g.Accel, g.ProbeLaunch.Seconds(), note)
}
