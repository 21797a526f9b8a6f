// Storage pools and volumes as every area uses them: a scenario's pool is a
// directory pool of its own, recorded before it is created; volumes, uploads
// and downloads; and the storage steps several areas take. The storage area's
// own steps are in steps/storage/.

package stepkit

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"path"

	"github.com/ovacts/ovacts/harness"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// poolBase is where the suite's directory pools live on the stack's host.
const poolBase = harness.ImageDir

const MiB = 1 << 20

// PoolDir is the directory of a logical pool: its own, named like the pool.
func (w *World) PoolDir(logical string) string { return path.Join(poolBase, w.Name(logical)) }

// PoolUUID is the UUID the scenario gives a logical pool.
func (w *World) PoolUUID(logical string) string { return w.UUIDFor("pool " + logical) }

func (w *World) PoolXML(logical string) string {
	return harness.DirPoolXML(w.Name(logical), w.PoolUUID(logical), w.PoolDir(logical))
}

func (w *World) PoolResource(logical string) harness.Resource {
	return harness.Resource{Kind: harness.KindPool, Name: w.Name(logical), UUID: w.PoolUUID(logical), Path: w.PoolDir(logical)}
}

// PoolFile names a file the stack (or the host, for the stack) writes at a
// path the suite chooses, in the scenario's pool: recorded now, so the pool's
// removal knows it is the run's.
func (w *World) PoolFile(pool, name string) (string, error) {
	if err := w.EnsurePool(pool); err != nil {
		return "", err
	}
	return w.PoolFileNamed(pool, w.Name(name))
}

// PoolFileNamed records a file of the pool that the stack names itself.
func (w *World) PoolFileNamed(pool, name string) (string, error) {
	res := harness.Resource{Kind: harness.KindFile, Path: w.PoolDir(pool) + "/" + name, Parent: w.Name(pool)}
	if !w.StorageSt().Pools.files[res.Path] {
		if err := w.Tracker.Create(res, func() (string, error) { return "", nil }); err != nil {
			return "", err
		}
		if w.StorageSt().Pools.files == nil {
			w.StorageSt().Pools.files = map[string]bool{}
		}
		w.StorageSt().Pools.files[res.Path] = true
	}
	return res.Path, nil
}

func (w *World) WithPool(logical string, fn func(p *libvirt.StoragePool) error) error {
	p, err := w.Conn.LookupStoragePoolByName(w.Name(logical))
	if err != nil {
		return fmt.Errorf("looking up storage pool %q: %w", logical, err)
	}
	defer p.Free()
	return fn(p)
}

func (w *World) WithVolume(vol, pool string, fn func(v *libvirt.StorageVol) error) error {
	return w.WithPool(pool, func(p *libvirt.StoragePool) error {
		v, err := p.LookupStorageVolByName(w.Name(vol))
		if err != nil {
			return fmt.Errorf("looking up volume %q in pool %q: %w", vol, pool, err)
		}
		defer v.Free()
		return fn(v)
	})
}

func (w *World) definePool(logical string) error {
	err := w.Tracker.Create(w.PoolResource(logical), func() (string, error) {
		p, err := w.Conn.StoragePoolDefineXML(w.PoolXML(logical), 0)
		if err != nil {
			return "", err
		}
		return "", p.Free()
	})
	if err != nil {
		return fmt.Errorf("defining storage pool %q: %w", logical, err)
	}
	if w.StorageSt().Pools.Made == nil {
		w.StorageSt().Pools.Made = map[string]bool{}
	}
	w.StorageSt().Pools.Made[logical] = true
	return nil
}

// EnsurePool makes a built, started pool, once per scenario.
func (w *World) EnsurePool(logical string) error {
	if w.StorageSt().Pools.Made[logical] {
		return nil
	}
	if err := w.definePool(logical); err != nil {
		return err
	}
	return w.WithPool(logical, func(p *libvirt.StoragePool) error {
		if err := p.Build(0); err != nil {
			return fmt.Errorf("building storage pool %q: %w", logical, err)
		}
		if err := w.Tracker.NoteBuiltDir(harness.KindPool, w.Name(logical)); err != nil {
			return err
		}
		if err := p.Create(0); err != nil {
			return fmt.Errorf("starting storage pool %q: %w", logical, err)
		}
		return nil
	})
}

func VolumeXML(name, format string, sizeMiB int, backing string) string {
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

func (w *World) CreateVolume(vol, format string, sizeMiB int, pool, backing string) error {
	return w.WithPool(pool, func(p *libvirt.StoragePool) error {
		v, err := w.Tracker.CreateVolume(p, w.Name(pool), w.PoolDir(pool), w.Name(vol), VolumeXML(w.Name(vol), format, sizeMiB, backing))
		if err != nil {
			return fmt.Errorf("creating %s volume %q: %w", format, vol, err)
		}
		defer v.Free()
		if format != "qcow2" || !w.Caps.Has("host") {
			return nil
		}
		// The effect, on a local stack: the file made is a qcow2 image of
		// the size asked for, naming the backing file it was given.
		path, err := v.GetPath()
		if err != nil {
			return err
		}
		h, err := ReadQcow2Header(path)
		if err != nil {
			return fmt.Errorf("created qcow2 volume %q on this host: %w", vol, err)
		}
		if h.Size != uint64(sizeMiB)<<20 {
			return fmt.Errorf("created qcow2 volume %q: its header gives a virtual size of %d bytes, want %d MiB", vol, h.Size, sizeMiB)
		}
		if backing != "" {
			if err := BackedBy(h, backing); err != nil {
				return fmt.Errorf("created qcow2 volume %q: %w", vol, err)
			}
		}
		return nil
	})
}

func (w *World) VolumePath(vol, pool string) (string, error) {
	var p string
	err := w.WithVolume(vol, pool, func(v *libvirt.StorageVol) error {
		var err error
		p, err = v.GetPath()
		return err
	})
	return p, err
}

func (w *World) upload(ctx context.Context, vol, pool string, data []byte) error {
	return w.WithVolume(vol, pool, func(v *libvirt.StorageVol) error {
		st, err := w.Conn.NewStream(0)
		if err != nil {
			return err
		}
		defer st.Free()
		defer AbortOnDeadline(ctx, st)()
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

// AbortOnDeadline aborts a stream when the step's context ends, so that a
// transfer the stack stops feeding fails the step at its deadline instead of
// blocking in libvirt forever (a blocked call cannot be interrupted
// otherwise). The returned function ends the watch.
func AbortOnDeadline(ctx context.Context, st *libvirt.Stream) func() {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		select {
		case <-ctx.Done():
			st.Abort()
		case <-done:
		}
	}()
	return func() { close(done); <-finished }
}

func (w *World) VolumeDoc(vol, pool string) (*libvirtxml.StorageVolume, error) {
	var doc libvirtxml.StorageVolume
	err := w.WithVolume(vol, pool, func(v *libvirt.StorageVol) error {
		x, err := v.GetXMLDesc(0)
		if err != nil {
			return err
		}
		return doc.Unmarshal(x)
	})
	return &doc, err
}

func givenStoragePool(ctx context.Context, pool string) error { return W(ctx).EnsurePool(pool) }

func defineStoragePool(ctx context.Context, pool string) error { return W(ctx).definePool(pool) }

func volumeOfMibInPool(ctx context.Context, format, vol string, size int, pool string) error {
	return W(ctx).CreateVolume(vol, format, size, pool, "")
}

// BackedBy checks that a qcow2 header names want as its backing file.
func BackedBy(h Qcow2Header, want string) error {
	switch h.Backing {
	case want:
		return nil
	case "":
		return fmt.Errorf("the image's qcow2 header names no backing file, although its XML says %s", want)
	}
	return fmt.Errorf("the image's qcow2 header names the backing file %s, not %s", h.Backing, want)
}

func uploadRandomDataToVolumeInPool(ctx context.Context, kib int, vol, pool string) error {
	w := W(ctx)
	data := make([]byte, kib*1024)
	rand.Read(data)
	if err := w.upload(ctx, vol, pool, data); err != nil {
		return err
	}
	if w.StorageSt().Payloads == nil {
		w.StorageSt().Payloads = map[string][32]byte{}
	}
	w.StorageSt().Payloads[pool+"/"+vol] = sha256.Sum256(data)
	w.StorageSt().PayloadSize = len(data)
	return nil
}

// Uploaded is the sha256 of the kib KiB the scenario uploaded to a volume.
func (w *World) Uploaded(vol, pool string, kib int) ([32]byte, error) {
	want, ok := w.StorageSt().Payloads[pool+"/"+vol]
	if !ok || w.StorageSt().PayloadSize != kib*1024 {
		return want, fmt.Errorf("%d KiB were not uploaded to %q in this scenario", kib, vol)
	}
	return want, nil
}

func registerStorage(r *Registry) {
	r.Step(`^a storage pool "([^"]*)"$`, givenStoragePool)
	r.Step(`^I define storage pool "([^"]*)"$`, defineStoragePool)
	r.Step(`^(?:I create )?an? (raw|qcow2) volume "([^"]*)" of (\d+) MiB in pool "([^"]*)"$`, volumeOfMibInPool)
	r.Step(`^I upload (\d+) KiB of random data to volume "([^"]*)" in pool "([^"]*)"$`, uploadRandomDataToVolumeInPool)
}
