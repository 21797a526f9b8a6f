package libguestfs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps/stepkit"
)

// gfsHandle is the part of the libguestfs API the steps use. The binding
// provides it when ovacts is built with it (-tags guestfs, see
// binding.go); without it, the probe skips the area before the run.
type gfsHandle interface {
	Version() (string, error)
	SetBackend(string) error
	Backend() (string, error)
	SetBackendSettings([]string) error
	BackendSettings() ([]string, error)
	AddDrive(path, format string, readonly bool) error
	AddDomain(name, uri string, readonly bool) (int, error)
	DiskCreate(path, format string, size int64, backing, backingFormat string) error
	Launch() error
	PID() (int, error)
	Devices() ([]string, error)
	Partitions() ([]string, error)
	PartDisk(dev string) error
	Mkfs(fstype, dev string) error
	Mount(dev, mountpoint string, readonly bool) error
	Write(path string, data []byte) error
	ReadFile(path string) ([]byte, error)
	Checksum(kind, path string) (string, error)
	UmountAll() error
	Sync() error
	InspectOS() ([]string, error)
	Inspect(root string) (gfsInspection, error)
	Shutdown() error
	Close() error
}

// gfsInspection is what libguestfs's inspection says about one root.
type gfsInspection struct {
	Type, Distro                     string
	Major, Minor                     int
	Hostname, Arch                   string
	PackageFormat, PackageManagement string
}

// gfsState is a scenario's libguestfs state.
type gfsState struct {
	h         gfsHandle
	closed    bool
	backend   string
	pid       int
	added     int               // drives added by add_domain
	data      []byte            // what the scenario wrote
	sums      map[string]string // logical disk -> sha256 noted
	roots     []string
	inspected map[string]gfsInspection // root -> inspection
	appliance string                   // the libvirt backend's appliance domain
	xml       []byte                   // virt-inspector's output
	ovas      map[string]*ova
	v2vOut    string
	v2vErr    error
	devices   map[string]string // logical disk -> device, where the scenario's steps need it
	shared    bool              // h is the run's shared appliance's: the fixture closes it
	mu        *sync.Mutex       // held by every call on a shared h
}

// gfsPool is the scenario's storage pool for disk images (a directory pool on
// the stack's host, removed with everything in it).
const gfsPool = "gfs"

func (w *world) gfs() *gfsState {
	return stepkit.State[gfsState](w.World)
}

// gfsDisk is the path of a logical disk image in the scenario's pool,
// recorded as the run's (libguestfs or the host makes the file).
func (w *world) gfsDisk(logical string) (string, error) {
	return w.PoolFile(gfsPool, logical)
}

func (w *world) libvirtBackend() string { return "libvirt:" + w.URI() }

// openGuestfs makes the scenario's handle: the probed accelerator's settings,
// closed (and its appliance with it) at cleanup.
func (w *world) openGuestfs(backend string) error {
	st := w.gfs()
	if st.h != nil {
		return errors.New("the scenario already has a libguestfs handle")
	}
	if w.Caps.Guestfs == nil {
		return errors.New("libguestfs was not probed for this run")
	}
	// The pool first: cleanup is LIFO, so the handle closes before its disks go.
	if err := w.EnsurePool(gfsPool); err != nil {
		return err
	}
	h, err := newGuestfs()
	if err != nil {
		return err
	}
	st.h = h
	w.Tracker.Defer("libguestfs handle", func() error { return w.closeGuestfs() })
	if err := h.SetBackend(backend); err != nil {
		return fmt.Errorf("set_backend %q: %w", backend, err)
	}
	st.backend = backend
	// Always set: the handle may have picked settings up from LIBGUESTFS_BACKEND_SETTINGS.
	s := w.Caps.Guestfs.BackendSettings()
	if err := h.SetBackendSettings(s); err != nil {
		return fmt.Errorf("set_backend_settings %v: %w", s, err)
	}
	return nil
}

// closeGuestfs closes the handle once; with the libvirt backend it then makes
// sure the appliance domain it saw is gone (a domain libguestfs names itself,
// known to be this scenario's by its disk).
func (w *world) closeGuestfs() error {
	st := w.gfs()
	if st.h == nil || st.closed || st.shared {
		return nil
	}
	st.closed = true
	err := st.h.Close()
	if st.appliance != "" {
		d, lerr := w.Conn.LookupDomainByName(st.appliance)
		if lerr == nil {
			defer d.Free()
			if derr := d.Destroy(); derr != nil && !harness.IsNotFound(derr) {
				err = errors.Join(err, fmt.Errorf("destroying the appliance domain %s: %w", st.appliance, derr))
			}
		}
	}
	return err
}

func (w *world) handle() (gfsHandle, error) {
	st := w.gfs()
	if st.h == nil {
		return nil, errors.New("the scenario has no libguestfs handle")
	}
	if st.closed {
		return nil, errors.New("the libguestfs handle is closed")
	}
	return st.h, nil
}

// withHandle runs fn on the scenario's handle (holding its lock when it is
// a shared one).
func (w *world) withHandle(fn func(h gfsHandle) error) error {
	h, err := w.handle()
	if err != nil {
		return err
	}
	if mu := w.gfs().mu; mu != nil {
		mu.Lock()
		defer mu.Unlock()
	}
	// libguestfs keeps a handle's last error per thread, and the Go binding
	// reads it in a cgo call of its own after the failing one: on another OS
	// thread it reads nothing ("write: : errno 0", once in make test's GFS-007).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return fn(h)
}

// runTool runs a libguestfs tool with the run's backend settings.
func (w *world) runTool(ctx context.Context, name string, args ...string) (stdout, stderr string, err error) {
	cmd := exec.CommandContext(ctx, name, args...)
	g := w.Caps.Guestfs
	if g == nil { // a tool that launches no appliance (virt-v2v --print-source) runs without the probe
		g = &harness.Guestfs{}
	}
	cmd.Env = g.ToolEnv("direct")
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

// gfsSerial identifies the libguestfs-made volume inside a guest.
const gfsSerial = "ovacts-gfs"

// nthDevice is the appliance's n-th disk (1-based).
func nthDevice(h gfsHandle, n string) (string, error) {
	i, _ := strconv.Atoi(n)
	devs, err := h.Devices()
	if err != nil {
		return "", fmt.Errorf("list_devices: %w", err)
	}
	if i < 1 || i > len(devs) {
		return "", fmt.Errorf("no disk %d: the appliance has %v", i, devs)
	}
	return devs[i-1], nil
}

func versionAtLeast(v, ma, mi, re string) bool {
	var have [3]int
	fmt.Sscanf(v, "%d.%d.%d", &have[0], &have[1], &have[2])
	want := [3]int{atoi(ma), atoi(mi), atoi(re)}
	for i := range have {
		if have[i] != want[i] {
			return have[i] > want[i]
		}
	}
	return true
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
