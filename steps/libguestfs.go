package steps

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/cucumber/godog"
	"github.com/ovacts/ovacts/fixtures"
	"github.com/ovacts/ovacts/harness"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// gfsHandle is the part of the libguestfs API the steps use. The binding
// provides it when ovacts is built with it (-tags guestfs, see
// libguestfs_binding.go); without it, the probe skips the area before the run.
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
}

type ova struct {
	path     string   // the .ova file, or the directory
	manifest string   // the .mf file (in the directory, or among the tar's members)
	dir      bool     // directory form
	src      string   // tar form: the directory its members are packed from
	members  []string // tar form: in order
}

// gfsPool is the scenario's storage pool for disk images (a directory pool on
// the stack's host, removed with everything in it).
const gfsPool = "gfs"

func (w *world) gfs() *gfsState {
	if w.guestfs == nil {
		w.guestfs = &gfsState{}
	}
	return w.guestfs
}

// gfsDisk is the path of a logical disk image in the scenario's pool,
// recorded as the run's (libguestfs or the host makes the file).
func (w *world) gfsDisk(logical string) (string, error) {
	return w.poolFile(gfsPool, logical)
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
	if err := w.ensurePool(gfsPool); err != nil {
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
	if st.h == nil || st.closed {
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

// withHandle runs fn on the scenario's handle.
func (w *world) withHandle(fn func(h gfsHandle) error) error {
	h, err := w.handle()
	if err != nil {
		return err
	}
	return fn(h)
}

// applianceDomains lists the stack's domains named like libguestfs's appliances.
func (w *world) applianceDomains() (map[string]string, error) {
	doms, err := w.Conn.ListAllDomains(libvirt.CONNECT_LIST_DOMAINS_TRANSIENT)
	if err != nil {
		return nil, fmt.Errorf("listing domains: %w", err)
	}
	out := map[string]string{}
	for i := range doms {
		if name, err := doms[i].GetName(); err == nil && strings.HasPrefix(name, "guestfs-") {
			if x, err := doms[i].GetXMLDesc(0); err == nil {
				out[name] = x
			}
		}
		doms[i].Free()
	}
	return out, nil
}

// diskSources are the file sources of a domain's disks.
func diskSources(domXML string) ([]string, error) {
	var doc libvirtxml.Domain
	if err := doc.Unmarshal(domXML); err != nil {
		return nil, err
	}
	var out []string
	if doc.Devices == nil {
		return nil, nil
	}
	for _, d := range doc.Devices.Disks {
		if d.Source != nil && d.Source.File != nil {
			out = append(out, d.Source.File.File)
		}
	}
	return out, nil
}

type qemuImgInfo struct {
	Format        string `json:"format"`
	VirtualSize   int64  `json:"virtual-size"`
	BackingFile   string `json:"backing-filename"`
	BackingFormat string `json:"backing-filename-format"`
}

func qemuImg(ctx context.Context, file string) (*qemuImgInfo, error) {
	out, err := exec.CommandContext(ctx, "qemu-img", "info", "-U", "--output=json", file).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil, fmt.Errorf("qemu-img info %s: %w: %s", file, err, strings.TrimSpace(string(ee.Stderr)))
		}
		return nil, fmt.Errorf("qemu-img info %s: %w", file, err)
	}
	var info qemuImgInfo
	if err := json.Unmarshal(out, &info); err != nil {
		return nil, fmt.Errorf("qemu-img info %s: %w", file, err)
	}
	return &info, nil
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// phonyDebian writes the files libguestfs's inspection reads of a Debian
// guest into dir: no kernel, no init, only what identifies it.
func phonyDebian(dir, version, hostname string) error {
	major := strings.SplitN(version, ".", 2)[0]
	files := map[string]string{
		"etc/os-release": fmt.Sprintf("PRETTY_NAME=\"Debian GNU/Linux %s\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"%s\"\nVERSION=\"%s\"\nID=debian\n",
			major, major, major),
		"etc/debian_version": version + "\n",
		"etc/hostname":       hostname + "\n",
		"etc/fstab":          "LABEL=root / ext4 defaults 0 1\n",
		"var/lib/dpkg/status": "Package: base-files\nStatus: install ok installed\nArchitecture: amd64\nVersion: " + version + "\n\n" +
			"Package: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2.15-2+b2\n\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return err
		}
	}
	// The architecture comes from a binary of the guest: the host's own ls.
	ls, err := os.ReadFile("/bin/ls")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "bin/ls"), ls, 0o755)
}

// mkfsImage makes a 64 MiB raw image holding an ext4 filesystem labelled root
// with the contents of dir, with the host's mkfs.ext4 (no libguestfs).
func mkfsImage(ctx context.Context, image, dir string) error {
	f, err := os.OpenFile(image, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	err = f.Truncate(64 << 20)
	f.Close()
	if err != nil {
		return err
	}
	out, err := exec.CommandContext(ctx, "mkfs.ext4", "-q", "-F", "-L", "root", "-d", dir, image).CombinedOutput()
	if err != nil {
		return fmt.Errorf("mkfs.ext4: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// hostImage makes a logical disk of the scenario's pool on the host, without
// libguestfs: fill writes the files into a scratch tree, mkfs.ext4 -d packs it.
func (w *world) hostImage(ctx context.Context, logical string, fill func(dir string) error) error {
	p, err := w.gfsDisk(logical)
	if err != nil {
		return err
	}
	dir, err := w.scratchDir("tree-" + logical)
	if err != nil {
		return err
	}
	if err := fill(dir); err != nil {
		return err
	}
	return mkfsImage(ctx, p, dir)
}

// hostArch is the architecture libguestfs names for the host's binaries.
func hostArch() (string, error) {
	out, err := exec.Command("uname", "-m").Output()
	return strings.TrimSpace(string(out)), err
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

// libguestfs: handles, disk images, filesystems, inspection, the libvirt
// backend and add_domain, OVA input through virt-v2v.
func registerLibguestfs(r *Registry) {
	r.Step(`^a libguestfs handle$`, func(ctx context.Context) error { return W(ctx).openGuestfs("direct") })
	r.Step(`^a libguestfs handle on the libvirt backend of the stack under test$`, func(ctx context.Context) error {
		w := W(ctx)
		return w.openGuestfs(w.libvirtBackend())
	})
	r.Step(`^the libguestfs version is at least (\d+)\.(\d+)\.(\d+) and is the probed library's$`, func(ctx context.Context, ma, mi, re string) error {
		w := W(ctx)
		return w.withHandle(func(h gfsHandle) error {
			v, err := h.Version()
			if err != nil {
				return fmt.Errorf("version: %w", err)
			}
			if v != w.Caps.Guestfs.Version {
				return fmt.Errorf("the handle reports %s, the probe found %s", v, w.Caps.Guestfs.Version)
			}
			if !versionAtLeast(v, ma, mi, re) {
				return fmt.Errorf("libguestfs %s is older than %s.%s.%s", v, ma, mi, re)
			}
			return nil
		})
	})
	r.Step(`^I set the libguestfs backend to (direct|libvirt on the stack under test)$`, func(ctx context.Context, which string) error {
		w := W(ctx)
		b := "direct"
		if which != "direct" {
			b = w.libvirtBackend()
		}
		return w.withHandle(func(h gfsHandle) error { return h.SetBackend(b) })
	})
	r.Step(`^the libguestfs backend is (direct|libvirt on the stack under test)$`, func(ctx context.Context, which string) error {
		w := W(ctx)
		want := "direct"
		if which != "direct" {
			want = w.libvirtBackend()
		}
		return w.withHandle(func(h gfsHandle) error {
			got, err := h.Backend()
			if err != nil {
				return fmt.Errorf("get_backend: %w", err)
			}
			if got != want {
				return fmt.Errorf("get_backend gives %q, want %q", got, want)
			}
			return nil
		})
	})
	r.Step(`^the handle keeps the probed backend settings$`, func(ctx context.Context) error {
		w := W(ctx)
		return w.withHandle(func(h gfsHandle) error {
			got, err := h.BackendSettings()
			if err != nil {
				return fmt.Errorf("get_backend_settings: %w", err)
			}
			want := w.Caps.Guestfs.BackendSettings()
			if strings.Join(got, ",") != strings.Join(want, ",") {
				return fmt.Errorf("get_backend_settings gives %q, want %q (accel %s)", got, want, w.Caps.Guestfs.Accel)
			}
			return nil
		})
	})
	r.Step(`^libguestfs creates a (raw|qcow2) disk "([^"]*)" of (\d+) MiB$`, func(ctx context.Context, format, logical, mibs string) error {
		w := W(ctx)
		p, err := w.gfsDisk(logical)
		if err != nil {
			return err
		}
		size, _ := strconv.ParseInt(mibs, 10, 64)
		return w.withHandle(func(h gfsHandle) error { return h.DiskCreate(p, format, size*mib, "", "") })
	})
	r.Step(`^libguestfs creates a qcow2 disk "([^"]*)" backed by (raw|qcow2) disk "([^"]*)"$`, func(ctx context.Context, logical, bformat, base string) error {
		w := W(ctx)
		p, err := w.gfsDisk(logical)
		if err != nil {
			return err
		}
		bp, err := w.gfsDisk(base)
		if err != nil {
			return err
		}
		// A size of -1 takes the backing file's.
		return w.withHandle(func(h gfsHandle) error { return h.DiskCreate(p, "qcow2", -1, bp, bformat) })
	})
	r.Step(`^qemu-img reports disk "([^"]*)" as (raw|qcow2) with a virtual size of (\d+) MiB$`, func(ctx context.Context, logical, format, mibs string) error {
		w := W(ctx)
		p, err := w.gfsDisk(logical)
		if err != nil {
			return err
		}
		info, err := qemuImg(ctx, p)
		if err != nil {
			return err
		}
		size, _ := strconv.ParseInt(mibs, 10, 64)
		if info.Format != format || info.VirtualSize != size*mib {
			return fmt.Errorf("qemu-img: format %s, virtual size %d; want %s, %d", info.Format, info.VirtualSize, format, size*mib)
		}
		return nil
	})
	r.Step(`^qemu-img reports disk "([^"]*)" backed by "([^"]*)" in format (raw|qcow2)$`, func(ctx context.Context, logical, base, format string) error {
		w := W(ctx)
		p, err := w.gfsDisk(logical)
		if err != nil {
			return err
		}
		bp, err := w.gfsDisk(base)
		if err != nil {
			return err
		}
		info, err := qemuImg(ctx, p)
		if err != nil {
			return err
		}
		if info.BackingFile != bp || info.BackingFormat != format {
			return fmt.Errorf("qemu-img: backing file %q in format %q; want %q in %q", info.BackingFile, info.BackingFormat, bp, format)
		}
		return nil
	})
	r.Step(`^I add disk "([^"]*)" to the handle( read-only)?$`, func(ctx context.Context, logical, ro string) error {
		w := W(ctx)
		p, err := w.gfsDisk(logical)
		if err != nil {
			return err
		}
		return w.withHandle(func(h gfsHandle) error { return h.AddDrive(p, harness.DiskFormat(p), ro != "") })
	})
	r.Step(`^I launch the libguestfs appliance$`, func(ctx context.Context) error {
		w := W(ctx)
		st := w.gfs()
		return w.withHandle(func(h gfsHandle) error {
			var before map[string]string
			if strings.HasPrefix(st.backend, "libvirt:") {
				var err error
				if before, err = w.applianceDomains(); err != nil {
					return err
				}
			}
			if err := h.Launch(); err != nil {
				return fmt.Errorf("launch (backend %s, accel %s): %w", st.backend, w.Caps.Guestfs.Accel, err)
			}
			if st.backend == "direct" {
				pid, err := h.PID()
				if err != nil {
					return fmt.Errorf("get_pid: %w", err)
				}
				st.pid = pid
				return nil
			}
			// The appliance domain is found now, so cleanup can make sure it goes.
			after, err := w.applianceDomains()
			if err != nil {
				return err
			}
			var found []string
			for name, x := range after {
				if _, old := before[name]; old {
					continue
				}
				srcs, _ := diskSources(x)
				for _, s := range srcs {
					if strings.HasPrefix(s, w.poolDir(gfsPool)+"/") {
						found = append(found, name)
						break
					}
				}
			}
			if len(found) == 1 {
				st.appliance = found[0]
			}
			return nil
		})
	})
	r.Step(`^the appliance lists (\d+) disk devices?$`, func(ctx context.Context, n string) error {
		return W(ctx).withHandle(func(h gfsHandle) error {
			devs, err := h.Devices()
			if err != nil {
				return fmt.Errorf("list_devices: %w", err)
			}
			if strconv.Itoa(len(devs)) != n {
				return fmt.Errorf("list_devices gives %v, want %s devices", devs, n)
			}
			return nil
		})
	})
	r.Step(`^the appliance's process is (running|gone)$`, func(ctx context.Context, state string) error {
		st := W(ctx).gfs()
		if st.pid <= 0 {
			return errors.New("no appliance process was noted at launch")
		}
		// Not a signal: /proc says whether the pid is there, and what it is.
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", st.pid))
		alive := err == nil && strings.HasPrefix(string(comm), "qemu")
		if alive != (state == "running") {
			return fmt.Errorf("the appliance's QEMU (pid %d) is not %s (comm %q, %v)", st.pid, state, strings.TrimSpace(string(comm)), err)
		}
		return nil
	})
	r.Step(`^I shut the libguestfs appliance down$`, func(ctx context.Context) error {
		return W(ctx).withHandle(func(h gfsHandle) error { return h.Shutdown() })
	})
	r.Step(`^I close the libguestfs handle$`, func(ctx context.Context) error { return W(ctx).closeGuestfs() })
	r.Step(`^libguestfs partitions disk (\d+), makes an ext4 filesystem on it and mounts it$`, func(ctx context.Context, n string) error {
		return W(ctx).withHandle(func(h gfsHandle) error {
			dev, err := nthDevice(h, n)
			if err != nil {
				return err
			}
			if err := h.PartDisk(dev); err != nil {
				return fmt.Errorf("part_disk %s: %w", dev, err)
			}
			parts, err := h.Partitions()
			if err != nil || len(parts) != 1 {
				return fmt.Errorf("list_partitions after part_disk: %v %v", parts, err)
			}
			if err := h.Mkfs("ext4", parts[0]); err != nil {
				return fmt.Errorf("mkfs ext4 %s: %w", parts[0], err)
			}
			return h.Mount(parts[0], "/", false)
		})
	})
	r.Step(`^libguestfs writes (\d+) KiB of random data to "([^"]*)"$`, func(ctx context.Context, kib, file string) error {
		w := W(ctx)
		n, _ := strconv.Atoi(kib)
		data := make([]byte, n<<10)
		rand.Read(data)
		w.gfs().data = data
		return w.withHandle(func(h gfsHandle) error { return h.Write(file, data) })
	})
	r.Step(`^reading "([^"]*)" back through libguestfs gives the same data$`, func(ctx context.Context, file string) error {
		w := W(ctx)
		return w.withHandle(func(h gfsHandle) error {
			got, err := h.ReadFile(file)
			if err != nil {
				return fmt.Errorf("read_file %s: %w", file, err)
			}
			if !bytes.Equal(got, w.gfs().data) {
				return fmt.Errorf("read_file %s gives %d bytes (sha256 %x), the scenario wrote %d (sha256 %x)",
					file, len(got), sha256.Sum256(got), len(w.gfs().data), sha256.Sum256(w.gfs().data))
			}
			return nil
		})
	})
	r.Step(`^the appliance's sha256 checksum of "([^"]*)" is the data's$`, func(ctx context.Context, file string) error {
		w := W(ctx)
		return w.withHandle(func(h gfsHandle) error {
			got, err := h.Checksum("sha256", file)
			if err != nil {
				return fmt.Errorf("checksum sha256 %s: %w", file, err)
			}
			want := sha256.Sum256(w.gfs().data)
			if got != hex.EncodeToString(want[:]) {
				return fmt.Errorf("the appliance gives sha256 %s, the data's is %x", got, want)
			}
			return nil
		})
	})
	r.Step(`^an ext4 disk "([^"]*)" holding "([^"]*)", made on the host with mkfs.ext4$`, func(ctx context.Context, logical, file string) error {
		return W(ctx).hostImage(ctx, logical, func(dir string) error {
			f := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(file, "/")))
			if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
				return err
			}
			return os.WriteFile(f, []byte("written on the host\n"), 0o644)
		})
	})
	r.Step(`^I note the sha256 of disk "([^"]*)"$`, func(ctx context.Context, logical string) error {
		w := W(ctx)
		p, err := w.gfsDisk(logical)
		if err != nil {
			return err
		}
		sum, err := fileSHA256(p)
		if err != nil {
			return err
		}
		st := w.gfs()
		if st.sums == nil {
			st.sums = map[string]string{}
		}
		st.sums[logical] = sum
		return nil
	})
	r.Step(`^disk "([^"]*)" has the noted sha256$`, func(ctx context.Context, logical string) error {
		w := W(ctx)
		p, err := w.gfsDisk(logical)
		if err != nil {
			return err
		}
		want, ok := w.gfs().sums[logical]
		if !ok {
			return fmt.Errorf("no sha256 of disk %q was noted", logical)
		}
		got, err := fileSHA256(p)
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("disk %q changed: sha256 %s, noted %s", logical, got, want)
		}
		return nil
	})
	r.Step(`^libguestfs mounts disk (\d+) (read-only|read-write)$`, func(ctx context.Context, n, mode string) error {
		return W(ctx).withHandle(func(h gfsHandle) error {
			dev, err := nthDevice(h, n)
			if err != nil {
				return err
			}
			return h.Mount(dev, "/", mode == "read-only")
		})
	})
	r.Step(`^libguestfs unmounts everything$`, func(ctx context.Context) error {
		return W(ctx).withHandle(func(h gfsHandle) error { return h.UmountAll() })
	})
	r.Step(`^I try to write "([^"]*)" through libguestfs$`, func(ctx context.Context, file string) error {
		w := W(ctx)
		return w.withHandle(func(h gfsHandle) error { return w.try(h.Write(file, []byte("changed by ovacts\n"))) })
	})
	r.Step(`^the libguestfs call failed saying "([^"]*)"$`, func(ctx context.Context, text string) error {
		w := W(ctx)
		if !w.tried {
			return errors.New("no libguestfs call was tried")
		}
		if w.lastErr == nil {
			return errors.New("the call succeeded")
		}
		if !strings.Contains(w.lastErr.Error(), text) {
			return fmt.Errorf("the call failed, but not saying %q: %v", text, w.lastErr)
		}
		return nil
	})
	r.Step(`^a phony Debian (\d+\.\d+) guest disk "([^"]*)" with hostname "([^"]*)"$`, func(ctx context.Context, version, logical, hostname string) error {
		return W(ctx).hostImage(ctx, logical, func(dir string) error { return phonyDebian(dir, version, hostname) })
	})
	r.Step(`^libguestfs inspects the disks$`, func(ctx context.Context) error {
		w := W(ctx)
		st := w.gfs()
		return w.withHandle(func(h gfsHandle) error {
			roots, err := h.InspectOS()
			if err != nil {
				return fmt.Errorf("inspect_os: %w", err)
			}
			st.roots, st.inspected = roots, map[string]gfsInspection{}
			for _, root := range roots {
				in, err := h.Inspect(root)
				if err != nil {
					return fmt.Errorf("inspecting %s: %w", root, err)
				}
				st.inspected[root] = in
			}
			return nil
		})
	})
	r.Step(`^the inspection finds one operating system:$`, func(ctx context.Context, table *godog.Table) error {
		st := W(ctx).gfs()
		if len(st.roots) != 1 {
			return fmt.Errorf("inspect_os finds %d roots (%v), want 1", len(st.roots), st.roots)
		}
		in := st.inspected[st.roots[0]]
		got := map[string]string{
			"type": in.Type, "distro": in.Distro, "major version": strconv.Itoa(in.Major), "minor version": strconv.Itoa(in.Minor),
			"hostname": in.Hostname, "arch": in.Arch, "package format": in.PackageFormat, "package management": in.PackageManagement,
		}
		var bad []string
		for _, row := range table.Rows {
			if len(row.Cells) != 2 {
				return fmt.Errorf("table rows need 2 cells, got %d", len(row.Cells))
			}
			k, want := row.Cells[0].Value, row.Cells[1].Value
			v, known := got[k]
			if !known {
				return fmt.Errorf("unknown inspection field %q", k)
			}
			if v != want {
				bad = append(bad, fmt.Sprintf("%s is %q, want %q", k, v, want))
			}
		}
		if len(bad) > 0 {
			return fmt.Errorf("inspection of %s: %s", st.roots[0], strings.Join(bad, "; "))
		}
		return nil
	})
	r.Step(`^the inspection reports the architecture of the host's /bin/ls$`, func(ctx context.Context) error {
		st := W(ctx).gfs()
		if len(st.roots) != 1 {
			return fmt.Errorf("inspect_os finds %d roots, want 1", len(st.roots))
		}
		want, err := hostArch()
		if err != nil {
			return err
		}
		if got := st.inspected[st.roots[0]].Arch; got != want {
			return fmt.Errorf("inspection gives arch %q, the host is %q", got, want)
		}
		return nil
	})
	r.Step(`^the inspection finds no operating system$`, func(ctx context.Context) error {
		st := W(ctx).gfs()
		if st.inspected == nil {
			return errors.New("no inspection ran")
		}
		if len(st.roots) != 0 {
			return fmt.Errorf("inspect_os finds roots %v on a blank disk", st.roots)
		}
		return nil
	})
	r.Step(`^virt-inspector describes disk "([^"]*)"$`, func(ctx context.Context, logical string) error {
		w := W(ctx)
		p, err := w.gfsDisk(logical)
		if err != nil {
			return err
		}
		out, stderr, err := w.runTool(ctx, "virt-inspector", "--format="+harness.DiskFormat(p), "-a", p)
		if err != nil {
			return fmt.Errorf("virt-inspector: %w: %s", err, lastLines(stderr, 3))
		}
		w.gfs().xml = []byte(out)
		return nil
	})
	r.Step(`^the virt-inspector XML validates against the RELAX NG schema of guestfs-tools$`, func(ctx context.Context) error {
		w := W(ctx)
		st := w.gfs()
		if len(st.xml) == 0 {
			return errors.New("virt-inspector wrote nothing")
		}
		dir, err := w.scratchDir("rng")
		if err != nil {
			return err
		}
		schema, err := gunzipFile(harness.InspectorSchema)
		if err != nil {
			return err
		}
		rng, doc := filepath.Join(dir, "virt-inspector.rng"), filepath.Join(dir, "inspector.xml")
		if err := os.WriteFile(rng, schema, 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(doc, st.xml, 0o644); err != nil {
			return err
		}
		out, err := exec.CommandContext(ctx, "xmllint", "--noout", "--relaxng", rng, doc).CombinedOutput()
		if err != nil {
			return fmt.Errorf("xmllint --relaxng: %w: %s", err, lastLines(string(out), 5))
		}
		return nil
	})
	r.Step(`^the virt-inspector XML names distro "([^"]*)", version (\d+)\.(\d+) and hostname "([^"]*)"$`, func(ctx context.Context, distro, major, minor, hostname string) error {
		st := W(ctx).gfs()
		var doc struct {
			OS []struct {
				Distro   string `xml:"distro"`
				Major    string `xml:"major_version"`
				Minor    string `xml:"minor_version"`
				Hostname string `xml:"hostname"`
			} `xml:"operatingsystem"`
		}
		if err := xml.Unmarshal(st.xml, &doc); err != nil {
			return fmt.Errorf("virt-inspector XML: %w", err)
		}
		if len(doc.OS) != 1 {
			return fmt.Errorf("virt-inspector describes %d operating systems, want 1", len(doc.OS))
		}
		o := doc.OS[0]
		if o.Distro != distro || o.Major != major || o.Minor != minor || o.Hostname != hostname {
			return fmt.Errorf("virt-inspector says %s %s.%s, hostname %q; want %s %s.%s, %q", o.Distro, o.Major, o.Minor, o.Hostname, distro, major, minor, hostname)
		}
		return nil
	})
	r.Step(`^the stack runs the appliance as a transient domain with disk "([^"]*)"$`, func(ctx context.Context, logical string) error {
		w := W(ctx)
		st := w.gfs()
		p, err := w.gfsDisk(logical)
		if err != nil {
			return err
		}
		if st.appliance == "" {
			return errors.New("no new guestfs-* domain with the scenario's disk appeared on the stack during launch")
		}
		return w.withDomain0(st.appliance, func(d *libvirt.Domain) error {
			state, _, err := d.GetState()
			if err != nil {
				return err
			}
			persistent, err := d.IsPersistent()
			if err != nil {
				return err
			}
			if state != libvirt.DOMAIN_RUNNING || persistent {
				return fmt.Errorf("appliance domain %s: state %d, persistent %v; want running and transient", st.appliance, state, persistent)
			}
			x, err := d.GetXMLDesc(0)
			if err != nil {
				return err
			}
			srcs, err := diskSources(x)
			if err != nil {
				return err
			}
			for _, s := range srcs {
				if s == p {
					return nil
				}
			}
			return fmt.Errorf("appliance domain %s has disks %v, not %s", st.appliance, srcs, p)
		})
	})
	r.Step(`^the appliance's domain is gone from the stack$`, func(ctx context.Context) error {
		w := W(ctx)
		st := w.gfs()
		if st.appliance == "" {
			return errors.New("no appliance domain was noted")
		}
		d, err := w.Conn.LookupDomainByName(st.appliance)
		if err == nil {
			d.Free()
			return fmt.Errorf("appliance domain %s is still on the stack after the handle closed", st.appliance)
		}
		if !errors.Is(err, libvirt.ERR_NO_DOMAIN) {
			return fmt.Errorf("looking up %s: %w", st.appliance, err)
		}
		return nil
	})
	r.Step(`^a shut off domain "([^"]*)" whose disk is "([^"]*)"$`, func(ctx context.Context, name, logical string) error {
		w := W(ctx)
		p, err := w.gfsDisk(logical)
		if err != nil {
			return err
		}
		return w.domainFromFixture(name, "disk", "shut off", func(v *fixtures.DomainVars) error {
			v.Disk, v.DiskFormat = p, harness.DiskFormat(p)
			return nil
		})
	})
	r.Step(`^libguestfs adds domain "([^"]*)" of the stack under test read-only$`, func(ctx context.Context, name string) error {
		w := W(ctx)
		return w.withHandle(func(h gfsHandle) error {
			n, err := h.AddDomain(w.Name(name), w.URI(), true)
			if err != nil {
				return fmt.Errorf("add_domain %s: %w", w.Name(name), err)
			}
			w.gfs().added = n
			return nil
		})
	})
	r.Step(`^libguestfs added (\d+) disks?$`, func(ctx context.Context, n string) error {
		if got := W(ctx).gfs().added; strconv.Itoa(got) != n {
			return fmt.Errorf("add_domain added %d disks, want %s", got, n)
		}
		return nil
	})
	r.Step(`^libguestfs makes an ext4 filesystem on volume "([^"]*)" in pool "([^"]*)" holding "([^"]*)" with "([^"]*)"$`, func(ctx context.Context, vol, pool, file, text string) error {
		w := W(ctx)
		p, format, err := w.volumeFile(vol, pool)
		if err != nil {
			return err
		}
		if err := w.openGuestfs("direct"); err != nil {
			return err
		}
		h, err := w.handle()
		if err != nil {
			return err
		}
		if err := h.AddDrive(p, format, false); err != nil {
			return fmt.Errorf("add_drive %s: %w", p, err)
		}
		if err := h.Launch(); err != nil {
			return fmt.Errorf("launch: %w", err)
		}
		devs, err := h.Devices()
		if err != nil || len(devs) != 1 {
			return fmt.Errorf("list_devices: %v %v", devs, err)
		}
		if err := h.Mkfs("ext4", devs[0]); err != nil {
			return fmt.Errorf("mkfs ext4 %s: %w", devs[0], err)
		}
		if err := h.Mount(devs[0], "/", false); err != nil {
			return fmt.Errorf("mount: %w", err)
		}
		if err := h.Write(file, []byte(text+"\n")); err != nil {
			return fmt.Errorf("write %s: %w", file, err)
		}
		if err := h.UmountAll(); err != nil {
			return fmt.Errorf("umount_all: %w", err)
		}
		if err := h.Shutdown(); err != nil {
			return fmt.Errorf("shutdown: %w", err)
		}
		return w.closeGuestfs()
	})
	r.Step(`^I attach volume "([^"]*)" in pool "([^"]*)" to guest "([^"]*)"$`, func(ctx context.Context, vol, pool, logical string) error {
		w := W(ctx)
		if _, err := w.guest(logical); err != nil {
			return err
		}
		p, format, err := w.volumeFile(vol, pool)
		if err != nil {
			return err
		}
		disk := fmt.Sprintf(`<disk type='file' device='disk'><driver name='qemu' type='%s'/><source file='%s'/>`+
			`<target dev='vdy' bus='virtio'/><serial>%s</serial><readonly/></disk>`, format, harness.XMLEscape(p), gfsSerial)
		return w.withDomain(logical, func(d *libvirt.Domain) error {
			return d.AttachDeviceFlags(disk, libvirt.DOMAIN_DEVICE_MODIFY_LIVE)
		})
	})
	r.Step(`^guest "([^"]*)" reads "([^"]*)" from "([^"]*)" on that volume within (\d+) seconds$`, func(ctx context.Context, logical, text, file, secs string) error {
		w := W(ctx)
		script := fmt.Sprintf(`d=$(grep -lx %s /sys/block/*/serial 2>/dev/null | head -1)
[ -n "$d" ] || { echo "no disk with serial %s yet" >&2; exit 1; }
d=/dev/$(basename $(dirname $d))
mkdir -p /mnt/gfs
grep -q " /mnt/gfs " /proc/mounts || mount -o ro -t ext4 "$d" /mnt/gfs || exit 1
cat /mnt/gfs%s`, gfsSerial, gfsSerial, shellQuote(file))
		return w.untilAgent(ctx, seconds(secs), func(ctx context.Context) error {
			out, err := w.exec(ctx, logical, script)
			if err != nil {
				return err
			}
			if strings.TrimSpace(out) != text {
				return fmt.Errorf("the guest reads %q from %s, want %q", strings.TrimSpace(out), file, text)
			}
			return nil
		})
	})
	r.Step(`^a synthetic OVA "([^"]*)" in (tar|directory) form with a (SHA1|SHA256) manifest$`, func(ctx context.Context, logical, form, digest string) error {
		return W(ctx).makeOVA(ctx, logical, form == "directory", digest)
	})
	r.Step(`^I corrupt the manifest of OVA "([^"]*)"$`, func(ctx context.Context, logical string) error {
		w := W(ctx)
		o, ok := w.gfs().ovas[logical]
		if !ok {
			return fmt.Errorf("no OVA %q", logical)
		}
		return o.corrupt()
	})
	r.Step(`^virt-v2v reads OVA "([^"]*)" with --print-source$`, func(ctx context.Context, logical string) error {
		w := W(ctx)
		st := w.gfs()
		o, ok := st.ovas[logical]
		if !ok {
			return fmt.Errorf("no OVA %q", logical)
		}
		out, stderr, err := w.runTool(ctx, "virt-v2v", "-i", "ova", o.path, "--print-source")
		st.v2vOut, st.v2vErr = out+stderr, err
		return nil
	})
	r.Step(`^virt-v2v reports source name "([^"]*)", (\d+) vCPUs, (\d+) MiB of memory and (\d+) disks?$`, func(ctx context.Context, name, vcpus, mem, disks string) error {
		w := W(ctx)
		st := w.gfs()
		if st.v2vErr != nil {
			return fmt.Errorf("virt-v2v: %w: %s", st.v2vErr, lastLines(st.v2vOut, 4))
		}
		memBytes, _ := strconv.ParseInt(mem, 10, 64)
		want := map[string]string{"source name": w.Name(name), "nr vCPUs": vcpus, "memory": fmt.Sprintf("%d (bytes)", memBytes*mib)}
		fields := printSourceFields(st.v2vOut)
		for k, v := range want {
			if fields[k] != v {
				return fmt.Errorf("virt-v2v --print-source: %s is %q, want %q", k, fields[k], v)
			}
		}
		if got := countDisks(st.v2vOut); strconv.Itoa(got) != disks {
			return fmt.Errorf("virt-v2v --print-source lists %d disks, want %s:\n%s", got, disks, st.v2vOut)
		}
		return nil
	})
	r.Step(`^virt-v2v refuses it as a corrupt OVA$`, func(ctx context.Context) error {
		st := W(ctx).gfs()
		var ee *exec.ExitError
		if !errors.As(st.v2vErr, &ee) || ee.ExitCode() != 1 {
			return fmt.Errorf("virt-v2v exited with %v, want exit status 1: %s", st.v2vErr, lastLines(st.v2vOut, 4))
		}
		if !strings.Contains(st.v2vOut, "corrupt OVA") {
			return fmt.Errorf("virt-v2v failed, but not as a corrupt OVA: %s", lastLines(st.v2vOut, 4))
		}
		return nil
	})
}

// volumeFile is a volume's path and format (raw unless its XML says otherwise).
func (w *world) volumeFile(vol, pool string) (path, format string, err error) {
	doc, err := w.volumeDoc(vol, pool)
	if err != nil {
		return "", "", err
	}
	if doc.Target == nil || doc.Target.Path == "" {
		return "", "", fmt.Errorf("volume %q in pool %q has no target path", vol, pool)
	}
	format = "raw"
	if doc.Target.Format != nil {
		format = doc.Target.Format.Type
	}
	return doc.Target.Path, format, nil
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

// withDomain0 looks a domain up by its real name (not a logical one).
func (w *world) withDomain0(name string, fn func(d *libvirt.Domain) error) error {
	d, err := w.Conn.LookupDomainByName(name)
	if err != nil {
		return fmt.Errorf("looking up domain %s: %w", name, err)
	}
	defer d.Free()
	return fn(d)
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

func gunzipFile(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return io.ReadAll(io.LimitReader(zr, 16<<20))
}

var printSourceLine = regexp.MustCompile(`^\s*([A-Za-z][A-Za-z ]*[A-Za-z]):\s*(.*?)\s*$`)

// printSourceFields reads the "name: value" lines of virt-v2v --print-source.
func printSourceFields(out string) map[string]string {
	fields := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if m := printSourceLine.FindStringSubmatch(line); m != nil {
			if _, dup := fields[m[1]]; !dup {
				fields[m[1]] = m[2]
			}
		}
	}
	return fields
}

var diskLine = regexp.MustCompile(`^\t\d+ \[`)

// countDisks counts the entries of the "disks:" list of --print-source.
func countDisks(out string) int {
	n, in := 0, false
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.TrimSpace(line) == "disks:":
			in = true
		case in && diskLine.MatchString(line):
			n++
		case in:
			return n
		}
	}
	return n
}

// makeOVA writes an OVF (2 vCPUs, 512 MiB, one SCSI disk), a small qcow2 disk
// and a manifest of their digests, as a directory or packed in a tar file, in
// a scratch directory of the scenario.
func (w *world) makeOVA(ctx context.Context, logical string, asDir bool, digest string) error {
	st := w.gfs()
	dir, err := w.scratchDir("ova-" + logical)
	if err != nil {
		return err
	}
	name := w.Name(logical)
	src := filepath.Join(dir, name)
	if err := os.Mkdir(src, 0o755); err != nil {
		return err
	}
	disk := name + "-disk1.qcow2"
	if out, err := exec.CommandContext(ctx, "qemu-img", "create", "-q", "-f", "qcow2", filepath.Join(src, disk), "64M").CombinedOutput(); err != nil {
		return fmt.Errorf("qemu-img create: %w: %s", err, out)
	}
	ovf, err := fixtures.OVF(name, disk)
	if err != nil {
		return err
	}
	ovfName := name + ".ovf"
	if err := os.WriteFile(filepath.Join(src, ovfName), ovf, 0o644); err != nil {
		return err
	}
	var mf strings.Builder
	for _, f := range []string{ovfName, disk} {
		var h hash.Hash = sha256.New()
		if digest == "SHA1" {
			h = sha1.New()
		}
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			return err
		}
		h.Write(b)
		fmt.Fprintf(&mf, "%s(%s)= %x\n", digest, f, h.Sum(nil))
	}
	mfName := name + ".mf"
	if err := os.WriteFile(filepath.Join(src, mfName), []byte(mf.String()), 0o644); err != nil {
		return err
	}
	o := &ova{path: src, manifest: filepath.Join(src, mfName), dir: asDir}
	if !asDir {
		o.path = filepath.Join(dir, name+".ova")
		if err := o.pack(src, []string{ovfName, mfName, disk}); err != nil {
			return err
		}
	}
	if st.ovas == nil {
		st.ovas = map[string]*ova{}
	}
	st.ovas[logical] = o
	return nil
}

// pack writes the tar form: the OVF first, then the manifest and the disk.
func (o *ova) pack(src string, members []string) error {
	f, err := os.Create(o.path)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	for _, m := range members {
		b, err := os.ReadFile(filepath.Join(src, m))
		if err != nil {
			f.Close()
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: m, Mode: 0o644, Size: int64(len(b)), ModTime: time.Now(), Format: tar.FormatUSTAR}); err != nil {
			f.Close()
			return err
		}
		if _, err := tw.Write(b); err != nil {
			f.Close()
			return err
		}
	}
	if err := tw.Close(); err != nil {
		f.Close()
		return err
	}
	o.members = members
	o.src = src
	return f.Close()
}

// corrupt changes the first digest of the manifest (and packs the tar again).
func (o *ova) corrupt() error {
	b, err := os.ReadFile(o.manifest)
	if err != nil {
		return err
	}
	i := bytes.Index(b, []byte("= "))
	if i < 0 || i+2 >= len(b) {
		return fmt.Errorf("the manifest %s has no digest", o.manifest)
	}
	if b[i+2] == '0' {
		b[i+2] = '1'
	} else {
		b[i+2] = '0'
	}
	if err := os.WriteFile(o.manifest, b, 0o644); err != nil {
		return err
	}
	if o.dir {
		return nil
	}
	return o.pack(o.src, o.members)
}
