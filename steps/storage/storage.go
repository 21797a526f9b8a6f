package storage

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"

	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

func lifecycleStoragePool(ctx context.Context, action, pool string) error {
	return W(ctx).WithPool(pool, func(p *libvirt.StoragePool) error {
		switch action {
		case "build":
			return p.Build(0)
		case "start":
			return p.Create(0)
		case "refresh":
			return p.Refresh(0)
		case "destroy":
			return p.Destroy()
		case "delete":
			return p.Delete(0)
		}
		return p.Undefine()
	})
}

func createTransientStoragePool(ctx context.Context, pool string) error {
	w := W(ctx)
	return w.Tracker.Create(w.PoolResource(pool), func() (string, error) {
		p, err := w.Conn.StoragePoolCreateXML(w.PoolXML(pool), libvirt.STORAGE_POOL_CREATE_WITH_BUILD)
		if err != nil {
			return "", fmt.Errorf("creating transient storage pool %q: %w", pool, err)
		}
		return "", p.Free()
	})
}

func storagePoolCapacityCoversAllocationAndFree(ctx context.Context, pool string) error {
	return W(ctx).WithPool(pool, func(p *libvirt.StoragePool) error {
		info, err := p.GetInfo()
		if err != nil {
			return err
		}
		if info.Capacity == 0 || info.Allocation+info.Available > info.Capacity {
			return fmt.Errorf("pool info: capacity %d, allocation %d, available %d", info.Capacity, info.Allocation, info.Available)
		}
		return nil
	})
}

func thereIsNoStoragePool(ctx context.Context, pool string) error {
	w := W(ctx)
	p, err := w.Conn.LookupStoragePoolByName(w.Name(pool))
	if err == nil {
		p.Free()
		return fmt.Errorf("storage pool %q still exists", pool)
	}
	if !errors.Is(err, libvirt.ERR_NO_STORAGE_POOL) {
		return fmt.Errorf("want VIR_ERR_NO_STORAGE_POOL: %w", err)
	}
	return nil
}

func tryToCreateAVolumeInPool(ctx context.Context, format, vol string, size int, pool string) error {
	w := W(ctx)
	err := w.WithPool(pool, func(p *libvirt.StoragePool) error {
		v, err := p.StorageVolCreateXML(stepkit.VolumeXML(w.Name(vol), format, size, ""), 0)
		if err == nil {
			v.Free()
		}
		return err
	})
	return w.Try(err)
}

func createAQcow2VolumeBackedByVolume(ctx context.Context, vol string, size int, pool, base string) error {
	w := W(ctx)
	bp, err := w.VolumePath(base, pool)
	if err != nil {
		return err
	}
	return w.CreateVolume(vol, "qcow2", size, pool, bp)
}

func volumeInPoolHasACapacityOfMiB(ctx context.Context, vol, pool string, size int) error {
	return W(ctx).WithVolume(vol, pool, func(v *libvirt.StorageVol) error {
		info, err := v.GetInfo()
		if err != nil {
			return err
		}
		if info.Capacity != uint64(size)*stepkit.MiB {
			return fmt.Errorf("volume %q capacity is %d bytes, want %d MiB", vol, info.Capacity, size)
		}
		return nil
	})
}

func volumeInPoolReportsAnAllocationNoLargerThan(ctx context.Context, vol, pool, limit string) error {
	return W(ctx).WithVolume(vol, pool, func(v *libvirt.StorageVol) error {
		info, err := v.GetInfo()
		if err != nil {
			return err
		}
		return allocationWithin(vol, info.Capacity, info.Allocation, limit)
	})
}

// allocationWithin: a volume allocates no more than limit MiB, or than its
// capacity when no limit is given (STOR-006: a qcow2 volume starts thin).
func allocationWithin(vol string, capacity, allocation uint64, limit string) error {
	max := capacity
	if limit != "" {
		n, err := strconv.ParseUint(limit, 10, 64)
		if err != nil {
			return fmt.Errorf("the allocation limit %q: %w", limit, err)
		}
		max = n * stepkit.MiB
	}
	if allocation > max {
		return fmt.Errorf("volume %q allocates %d bytes, more than %d (capacity %d)", vol, allocation, max, capacity)
	}
	return nil
}

func volumeInPoolHasFormat(ctx context.Context, vol, pool, format string) error {
	w := W(ctx)
	doc, err := w.VolumeDoc(vol, pool)
	if err != nil {
		return err
	}
	if doc.Target == nil || doc.Target.Format == nil || doc.Target.Format.Type != format {
		return fmt.Errorf("volume %q XML does not give format %q: %+v", vol, format, doc.Target)
	}
	// The effect, on a local stack: a qcow2 volume's file is a qcow2 image.
	if format != "qcow2" || !w.Caps.Has("host") {
		return nil
	}
	if _, err := stepkit.ReadQcow2Header(doc.Target.Path); err != nil {
		return fmt.Errorf("volume %q, qcow2 by its XML, on this host: %w", vol, err)
	}
	return nil
}

func volumeInPoolIsBackedByVolume(ctx context.Context, vol, pool, base string) error {
	w := W(ctx)
	doc, err := w.VolumeDoc(vol, pool)
	if err != nil {
		return err
	}
	bp, err := w.VolumePath(base, pool)
	if err != nil {
		return err
	}
	if doc.BackingStore == nil || doc.BackingStore.Path != bp {
		return fmt.Errorf("volume %q backing store is %+v, want %s", vol, doc.BackingStore, bp)
	}
	// The effect, on a local stack: the image's own header names the backing
	// file (what QEMU will open), not only the volume's XML.
	if !w.Caps.Has("host") || doc.Target == nil {
		return nil
	}
	h, err := stepkit.ReadQcow2Header(doc.Target.Path)
	if err != nil {
		return fmt.Errorf("volume %q on this host: %w", vol, err)
	}
	return stepkit.BackedBy(h, bp)
}

func volumeListOfPool(ctx context.Context, pool, verb, vol string) error {
	w := W(ctx)
	return w.WithPool(pool, func(p *libvirt.StoragePool) error {
		vols, err := p.ListAllStorageVolumes(0)
		if err != nil {
			return err
		}
		found := false
		for i := range vols {
			if n, err := vols[i].GetName(); err == nil && n == w.Name(vol) {
				found = true
			}
			vols[i].Free()
		}
		if found != (verb == "includes") {
			return fmt.Errorf("the volume list of pool %q: found %q = %v", pool, vol, found)
		}
		return nil
	})
}

func resizeVolumeInPoolToMib(ctx context.Context, vol, pool string, size int) error {
	return W(ctx).WithVolume(vol, pool, func(v *libvirt.StorageVol) error { return v.Resize(uint64(size)*stepkit.MiB, 0) })
}

func cloneVolumeInPoolAs(ctx context.Context, vol, pool, clone string) error {
	w := W(ctx)
	return w.WithVolume(vol, pool, func(v *libvirt.StorageVol) error {
		src, err := v.GetXMLDesc(0)
		if err != nil {
			return err
		}
		var doc libvirtxml.StorageVolume
		if err := doc.Unmarshal(src); err != nil {
			return err
		}
		format := "raw"
		if doc.Target != nil && doc.Target.Format != nil {
			format = doc.Target.Format.Type
		}
		info, err := v.GetInfo()
		if err != nil {
			return err
		}
		p, err := v.LookupPoolByVolume()
		if err != nil {
			return err
		}
		defer p.Free()
		return w.Tracker.Create(w.volResource(clone, pool), func() (string, error) {
			c, err := p.StorageVolCreateXMLFrom(stepkit.VolumeXML(w.Name(clone), format, int(info.Capacity/stepkit.MiB), ""), v, 0)
			if err != nil {
				return "", fmt.Errorf("cloning %q: %w", vol, err)
			}
			return "", c.Free()
		})
	})
}

func downloadingVolumeGivesBackTheUploadedData(ctx context.Context, vol, pool string) error {
	w := W(ctx)
	want, ok := w.StorageSt().Payloads[pool+"/"+vol]
	if !ok {
		return fmt.Errorf("nothing was uploaded to %q in this scenario", vol)
	}
	data, err := w.download(ctx, vol, pool, uint64(w.StorageSt().PayloadSize))
	if err != nil {
		return err
	}
	if len(data) != w.StorageSt().PayloadSize || sha256.Sum256(data) != want {
		return fmt.Errorf("downloaded %d bytes whose sha256 differs from the %d bytes uploaded", len(data), w.StorageSt().PayloadSize)
	}
	return nil
}

func volumesInPoolHaveTheSameFirstKiB(ctx context.Context, a, b, pool string, kib int) error {
	w := W(ctx)
	da, err := w.download(ctx, a, pool, uint64(kib)*1024)
	if err != nil {
		return err
	}
	db, err := w.download(ctx, b, pool, uint64(kib)*1024)
	if err != nil {
		return err
	}
	if len(da) != kib*1024 || sha256.Sum256(da) != sha256.Sum256(db) {
		return fmt.Errorf("the first %d KiB of %q and %q differ (%d and %d bytes read)", kib, a, b, len(da), len(db))
	}
	return nil
}

func firstKibOfVolumeInPoolAre(ctx context.Context, kib int, vol, pool, src string) error {
	w := W(ctx)
	want, err := w.Uploaded(src, pool, kib)
	if err != nil {
		return err
	}
	data, err := w.download(ctx, vol, pool, uint64(kib)*1024)
	if err != nil {
		return err
	}
	if len(data) != kib*1024 || sha256.Sum256(data) != want {
		return fmt.Errorf("the first %d KiB of %q (%d bytes read) are not the data uploaded to %q", kib, vol, len(data), src)
	}
	return nil
}

func wipeVolumeInPool(ctx context.Context, vol, pool string) error {
	return W(ctx).WithVolume(vol, pool, func(v *libvirt.StorageVol) error { return v.Wipe(0) })
}

func firstKibOfVolumeAreZeros(ctx context.Context, kib int, vol, pool string) error {
	data, err := W(ctx).download(ctx, vol, pool, uint64(kib)*1024)
	if err != nil {
		return err
	}
	for i, b := range data {
		if b != 0 {
			return fmt.Errorf("byte %d of %q is %#x after wipe", i, vol, b)
		}
	}
	if len(data) != kib*1024 {
		return fmt.Errorf("read %d bytes, want %d", len(data), kib*1024)
	}
	return nil
}

func deleteVolumeInPool(ctx context.Context, vol, pool string) error {
	return W(ctx).WithVolume(vol, pool, func(v *libvirt.StorageVol) error { return v.Delete(0) })
}

func tryToLookUpVolumeInPool(ctx context.Context, vol, pool string) error {
	w := W(ctx)
	return w.WithPool(pool, func(p *libvirt.StoragePool) error {
		v, err := p.LookupStorageVolByName(w.Name(vol))
		if err == nil {
			v.Free()
		}
		return w.Try(err)
	})
}

func lookingUpVolumeByNameKeyAndPathGivesTheSame(ctx context.Context, vol, pool string) error {
	w := W(ctx)
	return w.WithVolume(vol, pool, func(v *libvirt.StorageVol) error {
		key, err := v.GetKey()
		if err != nil {
			return err
		}
		p, err := v.GetPath()
		if err != nil {
			return err
		}
		for how, lookup := range map[string]func() (*libvirt.StorageVol, error){
			"key":  func() (*libvirt.StorageVol, error) { return w.Conn.LookupStorageVolByKey(key) },
			"path": func() (*libvirt.StorageVol, error) { return w.Conn.LookupStorageVolByPath(p) },
		} {
			o, err := lookup()
			if err != nil {
				return fmt.Errorf("lookup by %s: %w", how, err)
			}
			n, nerr := o.GetName()
			k, kerr := o.GetKey()
			o.Free()
			if err := errors.Join(nerr, kerr); err != nil {
				return err
			}
			if n != w.Name(vol) || k != key {
				return fmt.Errorf("lookup by %s gave %s (key %s), want %s (key %s)", how, n, k, w.Name(vol), key)
			}
		}
		return nil
	})
}

func registerStorage(r *stepkit.Registry) {
	r.Step(`^I (build|start|refresh|destroy|delete|undefine) storage pool "([^"]*)"$`, lifecycleStoragePool)
	r.Step(`^I create transient storage pool "([^"]*)"$`, createTransientStoragePool)
	r.Step(`^storage pool "([^"]*)" reports a capacity that covers its allocation and free space$`, storagePoolCapacityCoversAllocationAndFree)
	r.Step(`^there is no storage pool "([^"]*)"$`, thereIsNoStoragePool)
	r.Step(`^I try to create a (raw|qcow2) volume "([^"]*)" of (\d+) MiB in pool "([^"]*)"$`, tryToCreateAVolumeInPool)
	r.Step(`^I create a qcow2 volume "([^"]*)" of (\d+) MiB in pool "([^"]*)" backed by volume "([^"]*)"$`, createAQcow2VolumeBackedByVolume)
	r.Step(`^volume "([^"]*)" in pool "([^"]*)" has a capacity of (\d+) MiB$`, volumeInPoolHasACapacityOfMiB)
	r.Step(`^volume "([^"]*)" in pool "([^"]*)" reports an allocation no larger than (?:its capacity|(\d+) MiB)$`, volumeInPoolReportsAnAllocationNoLargerThan)
	r.Step(`^volume "([^"]*)" in pool "([^"]*)" has format "([^"]*)"$`, volumeInPoolHasFormat)
	r.Step(`^volume "([^"]*)" in pool "([^"]*)" is backed by volume "([^"]*)"$`, volumeInPoolIsBackedByVolume)
	r.Step(`^the volume list of pool "([^"]*)" (includes|excludes) "([^"]*)"$`, volumeListOfPool)
	r.Step(`^I resize volume "([^"]*)" in pool "([^"]*)" to (\d+) MiB$`, resizeVolumeInPoolToMib)
	r.Step(`^I clone volume "([^"]*)" in pool "([^"]*)" as "([^"]*)"$`, cloneVolumeInPoolAs)
	r.Step(`^downloading volume "([^"]*)" in pool "([^"]*)" gives back the uploaded data$`, downloadingVolumeGivesBackTheUploadedData)
	r.Step(`^volumes "([^"]*)" and "([^"]*)" in pool "([^"]*)" have the same first (\d+) KiB$`, volumesInPoolHaveTheSameFirstKiB)
	r.Step(`^the first (\d+) KiB of volume "([^"]*)" in pool "([^"]*)" are the data uploaded to volume "([^"]*)"$`, firstKibOfVolumeInPoolAre)
	r.Step(`^I wipe volume "([^"]*)" in pool "([^"]*)"$`, wipeVolumeInPool)
	r.Step(`^the first (\d+) KiB of volume "([^"]*)" in pool "([^"]*)" are zeros$`, firstKibOfVolumeAreZeros)
	r.Step(`^I delete volume "([^"]*)" in pool "([^"]*)"$`, deleteVolumeInPool)
	r.Step(`^I try to look up volume "([^"]*)" in pool "([^"]*)"$`, tryToLookUpVolumeInPool)
	r.Step(`^looking up volume "([^"]*)" in pool "([^"]*)" by name, key and path gives the same volume$`, lookingUpVolumeByNameKeyAndPathGivesTheSame)
}
