// The libguestfs handle's steps (features/libguestfs/handle.feature).

package libguestfs

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps/stepkit"
)

func libguestfsHandle(ctx context.Context) error { return W(ctx).openGuestfs("direct") }

func libguestfsVersionIsAtLeastAndIs(ctx context.Context, ma, mi, re string) error {
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
}

func setTheLibguestfsBackendTo(ctx context.Context, which string) error {
	w := W(ctx)
	b := "direct"
	if which != "direct" {
		b = w.libvirtBackend()
	}
	return w.withHandle(func(h gfsHandle) error { return h.SetBackend(b) })
}

func libguestfsBackendIs(ctx context.Context, which string) error {
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
}

func handleKeepsTheProbedBackendSettings(ctx context.Context) error {
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
}

func libguestfsCreatesADiskOfMib(ctx context.Context, format, logical, mibs string) error {
	w := W(ctx)
	p, err := w.gfsDisk(logical)
	if err != nil {
		return err
	}
	size, _ := strconv.ParseInt(mibs, 10, 64)
	return w.withHandle(func(h gfsHandle) error { return h.DiskCreate(p, format, size*stepkit.MiB, "", "") })
}

func libguestfsCreatesAQcow2DiskBackedByDisk(ctx context.Context, logical, bformat, base string) error {
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
}

func qemuImgReportsDiskFormatAndVirtualSize(ctx context.Context, logical, format, mibs string) error {
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
	if info.Format != format || info.VirtualSize != size*stepkit.MiB {
		return fmt.Errorf("qemu-img: format %s, virtual size %d; want %s, %d", info.Format, info.VirtualSize, format, size*stepkit.MiB)
	}
	return nil
}

func qemuImgReportsDiskBackedByDiskInFormat(ctx context.Context, logical, base, format string) error {
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
}

func addDiskToTheHandle(ctx context.Context, logical, ro string) error {
	w := W(ctx)
	p, err := w.gfsDisk(logical)
	if err != nil {
		return err
	}
	return w.withHandle(func(h gfsHandle) error { return h.AddDrive(p, harness.DiskFormat(p), ro != "") })
}

func launchTheLibguestfsAppliance(ctx context.Context) error {
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
				if strings.HasPrefix(s, w.PoolDir(gfsPool)+"/") {
					found = append(found, name)
					break
				}
			}
		}
		if len(found) == 1 {
			st.appliance = found[0]
			// It holds only the scenario's disk: its QEMU log is the run's to remove.
			w.Tracker.NoteDomainLog(st.appliance)
		}
		return nil
	})
}

func applianceListsDiskDevices(ctx context.Context, n string) error {
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
}

func applianceSProcessIs(ctx context.Context, state string) error {
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
}

func shutTheLibguestfsApplianceDown(ctx context.Context) error {
	return W(ctx).withHandle(func(h gfsHandle) error { return h.Shutdown() })
}

func closeTheLibguestfsHandle(ctx context.Context) error { return W(ctx).closeGuestfs() }

func libguestfsPartitionsFormatsAndMountsDisk(ctx context.Context, n string) error {
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
}

func libguestfsWritesKibOfRandomDataTo(ctx context.Context, kib, file string) error {
	w := W(ctx)
	n, _ := strconv.Atoi(kib)
	data := make([]byte, n<<10)
	rand.Read(data)
	w.gfs().data = data
	return w.withHandle(func(h gfsHandle) error { return h.Write(file, data) })
}

func readingBackThroughLibguestfsGivesTheSameData(ctx context.Context, file string) error {
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
}

func applianceSSha256ChecksumOfIsThe(ctx context.Context, file string) error {
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
}

// ext4DiskHoldingMadeOnTheHost writes file (a declared path argument, inside
// the tree) through an os.Root of the scenario's tree: no "..", and no link,
// leads out of it.
func ext4DiskHoldingMadeOnTheHost(ctx context.Context, logical, file string) error {
	return W(ctx).hostImage(ctx, logical, func(dir string) error {
		root, err := os.OpenRoot(dir)
		if err != nil {
			return err
		}
		defer root.Close()
		rel := strings.TrimPrefix(file, "/")
		if err := root.MkdirAll(path.Dir(rel), 0o755); err != nil {
			return err
		}
		return root.WriteFile(rel, []byte("written on the host\n"), 0o644)
	})
}

func noteTheSha256OfDisk(ctx context.Context, logical string) error {
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
}

func diskHasTheNotedSha256(ctx context.Context, logical string) error {
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
}

func libguestfsMountsDisk(ctx context.Context, n, mode string) error {
	return W(ctx).withHandle(func(h gfsHandle) error {
		dev, err := nthDevice(h, n)
		if err != nil {
			return err
		}
		return h.Mount(dev, "/", mode == "read-only")
	})
}

func libguestfsUnmountsEverything(ctx context.Context) error {
	return W(ctx).withHandle(func(h gfsHandle) error { return h.UmountAll() })
}

func tryToWriteThroughLibguestfs(ctx context.Context, file string) error {
	w := W(ctx)
	return w.withHandle(func(h gfsHandle) error { return w.Try(h.Write(file, []byte("changed by ovacts\n"))) })
}

func libguestfsCallFailedSaying(ctx context.Context, text string) error {
	w := W(ctx)
	if !w.Tried {
		return errors.New("no libguestfs call was tried")
	}
	if w.LastErr == nil {
		return errors.New("the call succeeded")
	}
	if !strings.Contains(w.LastErr.Error(), text) {
		return fmt.Errorf("the call failed, but not saying %q: %v", text, w.LastErr)
	}
	return nil
}

func registerHandle(r *stepkit.Registry) {
	r.Step(`^a libguestfs handle$`, libguestfsHandle)
	r.Step(`^the libguestfs version is at least (\d+)\.(\d+)\.(\d+) and is the probed library's$`, libguestfsVersionIsAtLeastAndIs)
	r.Step(`^I set the libguestfs backend to (direct|libvirt on the stack under test)$`, setTheLibguestfsBackendTo)
	r.Step(`^the libguestfs backend is (direct|libvirt on the stack under test)$`, libguestfsBackendIs)
	r.Step(`^the handle keeps the probed backend settings$`, handleKeepsTheProbedBackendSettings)
	r.Step(`^libguestfs creates a (raw|qcow2) disk "([^"]*)" of (\d+) MiB$`, libguestfsCreatesADiskOfMib)
	r.Step(`^libguestfs creates a qcow2 disk "([^"]*)" backed by (raw|qcow2) disk "([^"]*)"$`, libguestfsCreatesAQcow2DiskBackedByDisk)
	r.Step(`^qemu-img reports disk "([^"]*)" as (raw|qcow2) with a virtual size of (\d+) MiB$`, qemuImgReportsDiskFormatAndVirtualSize)
	r.Step(`^qemu-img reports disk "([^"]*)" backed by "([^"]*)" in format (raw|qcow2)$`, qemuImgReportsDiskBackedByDiskInFormat)
	r.Step(`^I add disk "([^"]*)" to the handle( read-only)?$`, addDiskToTheHandle)
	r.Step(`^I launch the libguestfs appliance$`, launchTheLibguestfsAppliance)
	r.Step(`^the appliance lists (\d+) disk devices?$`, applianceListsDiskDevices)
	r.Step(`^the appliance's process is (running|gone)$`, applianceSProcessIs)
	r.Step(`^I shut the libguestfs appliance down$`, shutTheLibguestfsApplianceDown)
	r.Step(`^I close the libguestfs handle$`, closeTheLibguestfsHandle)
	r.Step(`^libguestfs partitions disk (\d+), makes an ext4 filesystem on it and mounts it$`, libguestfsPartitionsFormatsAndMountsDisk)
	r.Step(`^libguestfs writes (\d+) KiB of random data to "([^"]*)"$`, libguestfsWritesKibOfRandomDataTo, stepkit.Takes(1, harness.ArgInnerPath))
	r.Step(`^reading "([^"]*)" back through libguestfs gives the same data$`, readingBackThroughLibguestfsGivesTheSameData, stepkit.Takes(0, harness.ArgInnerPath))
	r.Step(`^the appliance's sha256 checksum of "([^"]*)" is the data's$`, applianceSSha256ChecksumOfIsThe, stepkit.Takes(0, harness.ArgInnerPath))
	r.Step(`^an ext4 disk "([^"]*)" holding "([^"]*)", made on the host with mkfs.ext4$`, ext4DiskHoldingMadeOnTheHost, stepkit.Takes(1, harness.ArgInnerPath))
	r.Step(`^I note the sha256 of disk "([^"]*)"$`, noteTheSha256OfDisk)
	r.Step(`^disk "([^"]*)" has the noted sha256$`, diskHasTheNotedSha256)
	r.Step(`^libguestfs mounts disk (\d+) (read-only|read-write)$`, libguestfsMountsDisk)
	r.Step(`^libguestfs unmounts everything$`, libguestfsUnmountsEverything)
	r.Step(`^I try to write "([^"]*)" through libguestfs$`, tryToWriteThroughLibguestfs, stepkit.Takes(0, harness.ArgInnerPath))
	r.Step(`^the libguestfs call failed saying "([^"]*)"$`, libguestfsCallFailedSaying)
}
