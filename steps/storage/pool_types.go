// Pools on the host's own storage (features/storage): a filesystem pool on a
// block device, wiping with a pattern, lookups by target path and UUID, a
// volume's physical size, and the sources a pool type finds.

package storage

import (
	"bufio"
	"context"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// loopDeviceOnTheHost attaches a loop device to a sparse file in a scratch
// directory of the run; it is detached at cleanup (after any pool on it).
func loopDeviceOnTheHost(ctx context.Context, name string, mib int) error {
	w := W(ctx)
	dir, err := w.ScratchDir("loop-" + name)
	if err != nil {
		return err
	}
	img := filepath.Join(dir, "disk.img")
	if err := os.WriteFile(img, nil, 0o600); err != nil {
		return err
	}
	if err := os.Truncate(img, int64(mib)<<20); err != nil {
		return err
	}
	out, err := exec.CommandContext(ctx, "losetup", "--find", "--show", img).Output()
	if err != nil {
		return harness.NotApplicable("no loop device can be attached on this host: losetup: %v", err)
	}
	dev := strings.TrimSpace(string(out))
	w.Tracker.Defer("loop device "+dev, func() error {
		// Only the device still backed by our file is ours to detach.
		if back, err := exec.Command("losetup", "--noheadings", "-O", "BACK-FILE", dev).Output(); err != nil || strings.TrimSpace(string(back)) != img {
			return nil
		}
		return exec.Command("losetup", "-d", dev).Run()
	})
	w.Remember(&w.StorageSt().Loops, name, dev)
	return nil
}

func defineFilesystemPool(ctx context.Context, pool, loop string) error {
	w := W(ctx)
	dev, ok := w.StorageSt().Loops[loop]
	if !ok {
		return fmt.Errorf("no loop device %q in this scenario", loop)
	}
	doc := libvirtxml.StoragePool{Type: "fs", Name: w.Name(pool), UUID: w.PoolUUID(pool),
		Source: &libvirtxml.StoragePoolSource{Device: []libvirtxml.StoragePoolSourceDevice{{Path: dev}},
			Format: &libvirtxml.StoragePoolSourceFormat{Type: "ext4"}},
		Target: &libvirtxml.StoragePoolTarget{Path: w.PoolDir(pool)}}
	x, err := doc.Marshal()
	if err != nil {
		return err
	}
	err = w.Tracker.Create(w.PoolResource(pool), func() (string, error) {
		p, err := w.Conn.StoragePoolDefineXML(x, 0)
		if err != nil {
			return "", err
		}
		return "", p.Free()
	})
	if err != nil {
		return fmt.Errorf("defining filesystem pool %q: %w", pool, err)
	}
	if w.StorageSt().Pools.Made == nil {
		w.StorageSt().Pools.Made = map[string]bool{}
	}
	w.StorageSt().Pools.Made[pool] = true
	// mkfs makes lost+found, which the pool then lists as a volume: the
	// run's, to be removed with the pool.
	_, err = w.PoolFileNamed(pool, "lost+found")
	return err
}

func buildStoragePoolFormatting(ctx context.Context, pool string) error {
	return W(ctx).WithPool(pool, func(p *libvirt.StoragePool) error {
		return p.Build(libvirt.STORAGE_POOL_BUILD_NO_OVERWRITE)
	})
}

// storagePoolIsMounted reads the host's mount table for the pool's target.
func storagePoolIsMounted(ctx context.Context, pool, state, loop string) error {
	w := W(ctx)
	f, err := os.Open("/proc/self/mounts")
	if err != nil {
		return err
	}
	defer f.Close()
	target := w.PoolDir(pool)
	var from string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) >= 3 && fields[1] == target {
			from = fields[0] + " (" + fields[2] + ")"
		}
	}
	switch {
	case state == "not mounted" && from != "":
		return fmt.Errorf("%s is still mounted from %s", target, from)
	case state == "not mounted":
		return nil
	case from != w.StorageSt().Loops[loop]+" (ext4)":
		return fmt.Errorf("%s is mounted from %q, want %s (ext4)", target, from, w.StorageSt().Loops[loop])
	}
	return nil
}

func wipeVolumeWithZeroPattern(ctx context.Context, vol, pool string) error {
	return W(ctx).WithVolume(vol, pool, func(v *libvirt.StorageVol) error {
		return v.WipePattern(libvirt.STORAGE_VOL_WIPE_ALG_ZERO, 0)
	})
}

func lookingUpPoolByTargetPath(ctx context.Context, pool string) error {
	w := W(ctx)
	p, err := w.Conn.LookupStoragePoolByTargetPath(w.PoolDir(pool))
	if err != nil {
		return err
	}
	defer p.Free()
	name, err := p.GetName()
	if err != nil {
		return err
	}
	if name != w.Name(pool) {
		return fmt.Errorf("the target path %s gives pool %q, want %q", w.PoolDir(pool), name, w.Name(pool))
	}
	raw, err := p.GetUUID()
	if err != nil {
		return err
	}
	s, err := p.GetUUIDString()
	if err != nil {
		return err
	}
	if !stepkit.SameUUIDBytes(raw[:], s) {
		return fmt.Errorf("the pool's UUID bytes %x are not its UUID string %s", raw, s)
	}
	return nil
}

func physicalSizeOfVolumeIsItsFiles(ctx context.Context, vol, pool string) error {
	return W(ctx).WithVolume(vol, pool, func(v *libvirt.StorageVol) error {
		info, err := v.GetInfoFlags(libvirt.STORAGE_VOL_GET_PHYSICAL)
		if err != nil {
			return err
		}
		path, err := v.GetPath()
		if err != nil {
			return err
		}
		st, err := os.Stat(path)
		if err != nil {
			return err
		}
		if info.Allocation != uint64(st.Size()) {
			return fmt.Errorf("the physical size of %s is %d bytes, its file's %d", vol, info.Allocation, st.Size())
		}
		return nil
	})
}

func poolSourcesAnswered(ctx context.Context, kind string) error {
	w := W(ctx)
	if err := poolTypeSupported(w, kind); err != nil {
		return err
	}
	x, err := w.Conn.FindStoragePoolSources(kind, "", 0)
	if err != nil {
		return err
	}
	var doc struct {
		XMLName xml.Name
		Sources []struct {
			XMLName xml.Name
		} `xml:",any"`
	}
	if err := xml.Unmarshal([]byte(x), &doc); err != nil || doc.XMLName.Local != "sources" {
		return fmt.Errorf("the %s pool sources are not a sources document (%v):\n%s", kind, err, x)
	}
	for _, s := range doc.Sources {
		if s.XMLName.Local != "source" {
			return fmt.Errorf("the %s pool sources hold a <%s>:\n%s", kind, s.XMLName.Local, x)
		}
	}
	return nil
}

// poolTypeSupported is not applicable when the stack's storage pool
// capabilities declare the pool type unsupported (a build or installation
// without that backend: Debian 13 ships each one in a package of its own); a
// stack that declares it supported has to serve it.
func poolTypeSupported(w *world, kind string) error {
	x, err := w.Conn.GetStoragePoolCapabilities(0)
	if err != nil {
		if stepkit.Unsupported(err) {
			return nil // no capabilities to declare anything: the call decides
		}
		return fmt.Errorf("storage pool capabilities: %w", err)
	}
	var caps struct {
		Pools []struct {
			Type      string `xml:"type,attr"`
			Supported string `xml:"supported,attr"`
		} `xml:"pool"`
	}
	if err := xml.Unmarshal([]byte(x), &caps); err != nil {
		return fmt.Errorf("storage pool capabilities do not parse: %w", err)
	}
	for _, p := range caps.Pools {
		if p.Type == kind && p.Supported == "no" {
			return harness.NotApplicable("the storage pool capabilities declare %s pools unsupported: <pool type='%s' supported='no'>", kind, kind)
		}
	}
	return nil
}

func registerPoolTypes(r *stepkit.Registry) {
	r.Step(`^a loop device "([^"]*)" of (\d+) MiB on the host$`, loopDeviceOnTheHost)
	r.Step(`^I define a filesystem pool "([^"]*)" of format ext4 on loop device "([^"]*)"$`, defineFilesystemPool)
	r.Step(`^I build storage pool "([^"]*)", formatting its device$`, buildStoragePoolFormatting)
	r.Step(`^storage pool "([^"]*)" is (mounted|not mounted)(?: from loop device "([^"]*)")?$`, storagePoolIsMounted)
	r.Step(`^I wipe volume "([^"]*)" in pool "([^"]*)" with the zero pattern$`, wipeVolumeWithZeroPattern)
	r.Step(`^looking up storage pool "([^"]*)" by its target path gives the pool, whose UUID bytes are its UUID string's$`, lookingUpPoolByTargetPath)
	r.Step(`^the physical size of volume "([^"]*)" in pool "([^"]*)" is the size of its file on the host$`, physicalSizeOfVolumeIsItsFiles)
	r.Step(`^the stack answers the (logical|fs) pool sources it finds as a sources document$`, poolSourcesAnswered)
}
