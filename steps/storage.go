package steps

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"path"

	"github.com/ovacts/ovacts/harness"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// poolBase is where the suite's directory pools live on the stack's host.
const poolBase = harness.ImageDir

const mib = 1 << 20

// poolDir is the directory of a logical pool: its own, named like the pool.
func (w *world) poolDir(logical string) string { return path.Join(poolBase, w.Name(logical)) }

// poolUUID is the UUID the scenario gives a logical pool.
func (w *world) poolUUID(logical string) string { return w.uuidFor("pool " + logical) }

func (w *world) poolXML(logical string) string {
	return harness.DirPoolXML(w.Name(logical), w.poolUUID(logical), w.poolDir(logical))
}

func (w *world) poolResource(logical string) harness.Resource {
	return harness.Resource{Kind: harness.KindPool, Name: w.Name(logical), UUID: w.poolUUID(logical), Path: w.poolDir(logical)}
}

// volResource is a volume of a logical pool: its path is the pool's directory
// and its name.
func (w *world) volResource(vol, pool string) harness.Resource {
	return harness.Resource{Kind: harness.KindVolume, Name: w.Name(vol), Path: w.poolDir(pool) + "/" + w.Name(vol), Parent: w.Name(pool)}
}

// poolFile names a file the stack (or the host, for the stack) writes at a
// path the suite chooses, in the scenario's pool: recorded now, so the pool's
// removal knows it is the run's.
func (w *world) poolFile(pool, name string) (string, error) {
	if err := w.ensurePool(pool); err != nil {
		return "", err
	}
	res := harness.Resource{Kind: harness.KindFile, Path: w.poolDir(pool) + "/" + w.Name(name), Parent: w.Name(pool)}
	if !w.pools.files[res.Path] {
		if err := w.Tracker.Create(res, func() (string, error) { return "", nil }); err != nil {
			return "", err
		}
		if w.pools.files == nil {
			w.pools.files = map[string]bool{}
		}
		w.pools.files[res.Path] = true
	}
	return res.Path, nil
}

func (w *world) withPool(logical string, fn func(p *libvirt.StoragePool) error) error {
	p, err := w.Conn.LookupStoragePoolByName(w.Name(logical))
	if err != nil {
		return fmt.Errorf("looking up storage pool %q: %w", logical, err)
	}
	defer p.Free()
	return fn(p)
}

func (w *world) withVolume(vol, pool string, fn func(v *libvirt.StorageVol) error) error {
	return w.withPool(pool, func(p *libvirt.StoragePool) error {
		v, err := p.LookupStorageVolByName(w.Name(vol))
		if err != nil {
			return fmt.Errorf("looking up volume %q in pool %q: %w", vol, pool, err)
		}
		defer v.Free()
		return fn(v)
	})
}

func (w *world) definePool(logical string) error {
	err := w.Tracker.Create(w.poolResource(logical), func() (string, error) {
		p, err := w.Conn.StoragePoolDefineXML(w.poolXML(logical), 0)
		if err != nil {
			return "", err
		}
		return "", p.Free()
	})
	if err != nil {
		return fmt.Errorf("defining storage pool %q: %w", logical, err)
	}
	if w.pools.made == nil {
		w.pools.made = map[string]bool{}
	}
	w.pools.made[logical] = true
	return nil
}

// ensurePool makes a built, started pool, once per scenario.
func (w *world) ensurePool(logical string) error {
	if w.pools.made[logical] {
		return nil
	}
	if err := w.definePool(logical); err != nil {
		return err
	}
	return w.withPool(logical, func(p *libvirt.StoragePool) error {
		if err := p.Build(0); err != nil {
			return fmt.Errorf("building storage pool %q: %w", logical, err)
		}
		if err := p.Create(0); err != nil {
			return fmt.Errorf("starting storage pool %q: %w", logical, err)
		}
		return nil
	})
}

func volumeXML(name, format string, sizeMiB int, backing string) string {
	v := libvirtxml.StorageVolume{Name: name,
		Capacity: &libvirtxml.StorageVolumeSize{Value: uint64(sizeMiB), Unit: "MiB"},
		Target:   &libvirtxml.StorageVolumeTarget{Format: &libvirtxml.StorageVolumeTargetFormat{Type: format}}}
	if format == "qcow2" {
		v.Target.Compat = "1.1" // qcow2 v3: what checkpoints (persistent bitmaps) need
	}
	if backing != "" {
		v.BackingStore = &libvirtxml.StorageVolumeBackingStore{Path: backing, Format: &libvirtxml.StorageVolumeTargetFormat{Type: "raw"}}
	}
	x, _ := v.Marshal() // a struct of strings and numbers always marshals
	return x
}

func (w *world) createVolume(vol, format string, sizeMiB int, pool, backing string) error {
	return w.withPool(pool, func(p *libvirt.StoragePool) error {
		v, err := w.Tracker.CreateVolume(p, w.Name(pool), w.poolDir(pool), w.Name(vol), volumeXML(w.Name(vol), format, sizeMiB, backing))
		if err != nil {
			return fmt.Errorf("creating %s volume %q: %w", format, vol, err)
		}
		return v.Free()
	})
}

func (w *world) volumePath(vol, pool string) (string, error) {
	var p string
	err := w.withVolume(vol, pool, func(v *libvirt.StorageVol) error {
		var err error
		p, err = v.GetPath()
		return err
	})
	return p, err
}

func (w *world) download(vol, pool string, n uint64) ([]byte, error) {
	var data []byte
	err := w.withVolume(vol, pool, func(v *libvirt.StorageVol) error {
		st, err := w.Conn.NewStream(0)
		if err != nil {
			return err
		}
		defer st.Free()
		if err := v.Download(st, 0, n, 0); err != nil {
			return err
		}
		buf := make([]byte, 64*1024)
		for uint64(len(data)) < n {
			k, err := st.Recv(buf)
			data = append(data, buf[:k]...)
			if errors.Is(err, io.EOF) || (err == nil && k == 0) {
				break
			}
			if err != nil {
				st.Abort()
				return fmt.Errorf("receiving: %w", err)
			}
		}
		return st.Finish()
	})
	return data, err
}

func (w *world) upload(vol, pool string, data []byte) error {
	return w.withVolume(vol, pool, func(v *libvirt.StorageVol) error {
		st, err := w.Conn.NewStream(0)
		if err != nil {
			return err
		}
		defer st.Free()
		if err := v.Upload(st, 0, uint64(len(data)), 0); err != nil {
			return err
		}
		for sent := 0; sent < len(data); {
			k, err := st.Send(data[sent:])
			if err != nil {
				st.Abort()
				return fmt.Errorf("sending: %w", err)
			}
			sent += k
		}
		return st.Finish()
	})
}

func (w *world) volumeDoc(vol, pool string) (*libvirtxml.StorageVolume, error) {
	var doc libvirtxml.StorageVolume
	err := w.withVolume(vol, pool, func(v *libvirt.StorageVol) error {
		x, err := v.GetXMLDesc(0)
		if err != nil {
			return err
		}
		return doc.Unmarshal(x)
	})
	return &doc, err
}

// Storage: pools and volumes, streams, lookups and errors.
func registerStorage(r *Registry) {
	r.Step(`^a storage pool "([^"]*)"$`, func(ctx context.Context, pool string) error { return W(ctx).ensurePool(pool) })
	r.Step(`^I define storage pool "([^"]*)"$`, func(ctx context.Context, pool string) error { return W(ctx).definePool(pool) })
	r.Step(`^I (build|start|refresh|destroy|delete|undefine) storage pool "([^"]*)"$`, func(ctx context.Context, action, pool string) error {
		return W(ctx).withPool(pool, func(p *libvirt.StoragePool) error {
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
	})
	r.Step(`^I create transient storage pool "([^"]*)"$`, func(ctx context.Context, pool string) error {
		w := W(ctx)
		return w.Tracker.Create(w.poolResource(pool), func() (string, error) {
			p, err := w.Conn.StoragePoolCreateXML(w.poolXML(pool), libvirt.STORAGE_POOL_CREATE_WITH_BUILD)
			if err != nil {
				return "", fmt.Errorf("creating transient storage pool %q: %w", pool, err)
			}
			return "", p.Free()
		})
	})
	r.Step(`^storage pool "([^"]*)" reports a capacity that covers its allocation and free space$`, func(ctx context.Context, pool string) error {
		return W(ctx).withPool(pool, func(p *libvirt.StoragePool) error {
			info, err := p.GetInfo()
			if err != nil {
				return err
			}
			if info.Capacity == 0 || info.Allocation+info.Available > info.Capacity {
				return fmt.Errorf("pool info: capacity %d, allocation %d, available %d", info.Capacity, info.Allocation, info.Available)
			}
			return nil
		})
	})
	r.Step(`^there is no storage pool "([^"]*)"$`, func(ctx context.Context, pool string) error {
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
	})
	r.Step(`^(?:I create )?an? (raw|qcow2) volume "([^"]*)" of (\d+) MiB in pool "([^"]*)"$`, func(ctx context.Context, format, vol string, size int, pool string) error {
		return W(ctx).createVolume(vol, format, size, pool, "")
	})
	r.Step(`^I try to create a (raw|qcow2) volume "([^"]*)" of (\d+) MiB in pool "([^"]*)"$`, func(ctx context.Context, format, vol string, size int, pool string) error {
		w := W(ctx)
		err := w.withPool(pool, func(p *libvirt.StoragePool) error {
			v, err := p.StorageVolCreateXML(volumeXML(w.Name(vol), format, size, ""), 0)
			if err == nil {
				v.Free()
			}
			return err
		})
		return w.try(err)
	})
	r.Step(`^I create a qcow2 volume "([^"]*)" of (\d+) MiB in pool "([^"]*)" backed by volume "([^"]*)"$`, func(ctx context.Context, vol string, size int, pool, base string) error {
		w := W(ctx)
		bp, err := w.volumePath(base, pool)
		if err != nil {
			return err
		}
		return w.createVolume(vol, "qcow2", size, pool, bp)
	})
	r.Step(`^volume "([^"]*)" in pool "([^"]*)" has a capacity of (\d+) MiB$`, func(ctx context.Context, vol, pool string, size int) error {
		return W(ctx).withVolume(vol, pool, func(v *libvirt.StorageVol) error {
			info, err := v.GetInfo()
			if err != nil {
				return err
			}
			if info.Capacity != uint64(size)*mib {
				return fmt.Errorf("volume %q capacity is %d bytes, want %d MiB", vol, info.Capacity, size)
			}
			return nil
		})
	})
	r.Step(`^volume "([^"]*)" in pool "([^"]*)" reports an allocation no larger than (?:its capacity|(\d+) MiB)$`, func(ctx context.Context, vol, pool, limit string) error {
		return W(ctx).withVolume(vol, pool, func(v *libvirt.StorageVol) error {
			info, err := v.GetInfo()
			if err != nil {
				return err
			}
			max := info.Capacity
			if limit != "" {
				var n uint64
				fmt.Sscan(limit, &n)
				max = n * mib
			}
			if info.Allocation > max {
				return fmt.Errorf("volume %q allocates %d bytes, more than %d (capacity %d)", vol, info.Allocation, max, info.Capacity)
			}
			return nil
		})
	})
	r.Step(`^volume "([^"]*)" in pool "([^"]*)" has format "([^"]*)"$`, func(ctx context.Context, vol, pool, format string) error {
		doc, err := W(ctx).volumeDoc(vol, pool)
		if err != nil {
			return err
		}
		if doc.Target == nil || doc.Target.Format == nil || doc.Target.Format.Type != format {
			return fmt.Errorf("volume %q XML does not give format %q: %+v", vol, format, doc.Target)
		}
		return nil
	})
	r.Step(`^volume "([^"]*)" in pool "([^"]*)" is backed by volume "([^"]*)"$`, func(ctx context.Context, vol, pool, base string) error {
		w := W(ctx)
		doc, err := w.volumeDoc(vol, pool)
		if err != nil {
			return err
		}
		bp, err := w.volumePath(base, pool)
		if err != nil {
			return err
		}
		if doc.BackingStore == nil || doc.BackingStore.Path != bp {
			return fmt.Errorf("volume %q backing store is %+v, want %s", vol, doc.BackingStore, bp)
		}
		return nil
	})
	r.Step(`^the volume list of pool "([^"]*)" (includes|excludes) "([^"]*)"$`, func(ctx context.Context, pool, verb, vol string) error {
		w := W(ctx)
		return w.withPool(pool, func(p *libvirt.StoragePool) error {
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
	})
	r.Step(`^I resize volume "([^"]*)" in pool "([^"]*)" to (\d+) MiB$`, func(ctx context.Context, vol, pool string, size int) error {
		return W(ctx).withVolume(vol, pool, func(v *libvirt.StorageVol) error { return v.Resize(uint64(size)*mib, 0) })
	})
	r.Step(`^I clone volume "([^"]*)" in pool "([^"]*)" as "([^"]*)"$`, func(ctx context.Context, vol, pool, clone string) error {
		w := W(ctx)
		return w.withVolume(vol, pool, func(v *libvirt.StorageVol) error {
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
				c, err := p.StorageVolCreateXMLFrom(volumeXML(w.Name(clone), format, int(info.Capacity/mib), ""), v, 0)
				if err != nil {
					return "", fmt.Errorf("cloning %q: %w", vol, err)
				}
				return "", c.Free()
			})
		})
	})
	r.Step(`^I upload (\d+) KiB of random data to volume "([^"]*)" in pool "([^"]*)"$`, func(ctx context.Context, kib int, vol, pool string) error {
		w := W(ctx)
		data := make([]byte, kib*1024)
		rand.Read(data)
		if err := w.upload(vol, pool, data); err != nil {
			return err
		}
		if w.payloads == nil {
			w.payloads = map[string][32]byte{}
		}
		w.payloads[pool+"/"+vol] = sha256.Sum256(data)
		w.payloadSize = len(data)
		return nil
	})
	r.Step(`^downloading volume "([^"]*)" in pool "([^"]*)" gives back the uploaded data$`, func(ctx context.Context, vol, pool string) error {
		w := W(ctx)
		want, ok := w.payloads[pool+"/"+vol]
		if !ok {
			return fmt.Errorf("nothing was uploaded to %q in this scenario", vol)
		}
		data, err := w.download(vol, pool, uint64(w.payloadSize))
		if err != nil {
			return err
		}
		if len(data) != w.payloadSize || sha256.Sum256(data) != want {
			return fmt.Errorf("downloaded %d bytes whose sha256 differs from the %d bytes uploaded", len(data), w.payloadSize)
		}
		return nil
	})
	r.Step(`^volumes "([^"]*)" and "([^"]*)" in pool "([^"]*)" have the same first (\d+) KiB$`, func(ctx context.Context, a, b, pool string, kib int) error {
		w := W(ctx)
		da, err := w.download(a, pool, uint64(kib)*1024)
		if err != nil {
			return err
		}
		db, err := w.download(b, pool, uint64(kib)*1024)
		if err != nil {
			return err
		}
		if len(da) != kib*1024 || sha256.Sum256(da) != sha256.Sum256(db) {
			return fmt.Errorf("the first %d KiB of %q and %q differ (%d and %d bytes read)", kib, a, b, len(da), len(db))
		}
		return nil
	})
	r.Step(`^the first (\d+) KiB of volume "([^"]*)" in pool "([^"]*)" are the data uploaded to volume "([^"]*)"$`, func(ctx context.Context, kib int, vol, pool, src string) error {
		w := W(ctx)
		want, ok := w.payloads[pool+"/"+src]
		if !ok || w.payloadSize != kib*1024 {
			return fmt.Errorf("%d KiB were not uploaded to %q in this scenario", kib, src)
		}
		data, err := w.download(vol, pool, uint64(kib)*1024)
		if err != nil {
			return err
		}
		if len(data) != kib*1024 || sha256.Sum256(data) != want {
			return fmt.Errorf("the first %d KiB of %q (%d bytes read) are not the data uploaded to %q", kib, vol, len(data), src)
		}
		return nil
	})
	r.Step(`^I wipe volume "([^"]*)" in pool "([^"]*)"$`, func(ctx context.Context, vol, pool string) error {
		return W(ctx).withVolume(vol, pool, func(v *libvirt.StorageVol) error { return v.Wipe(0) })
	})
	r.Step(`^the first (\d+) KiB of volume "([^"]*)" in pool "([^"]*)" are zeros$`, func(ctx context.Context, kib int, vol, pool string) error {
		data, err := W(ctx).download(vol, pool, uint64(kib)*1024)
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
	})
	r.Step(`^I delete volume "([^"]*)" in pool "([^"]*)"$`, func(ctx context.Context, vol, pool string) error {
		return W(ctx).withVolume(vol, pool, func(v *libvirt.StorageVol) error { return v.Delete(0) })
	})
	r.Step(`^I try to look up volume "([^"]*)" in pool "([^"]*)"$`, func(ctx context.Context, vol, pool string) error {
		w := W(ctx)
		return w.withPool(pool, func(p *libvirt.StoragePool) error {
			v, err := p.LookupStorageVolByName(w.Name(vol))
			if err == nil {
				v.Free()
			}
			return w.try(err)
		})
	})
	r.Step(`^looking up volume "([^"]*)" in pool "([^"]*)" by name, key and path gives the same volume$`, func(ctx context.Context, vol, pool string) error {
		w := W(ctx)
		return w.withVolume(vol, pool, func(v *libvirt.StorageVol) error {
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
	})
}
