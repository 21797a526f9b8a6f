// Storage pools and volumes as every area uses them: a scenario's pool is a
// directory pool of its own, recorded before it is created; volumes, uploads
// and downloads. The storage area's steps are in storage.go.

package steps

import (
	"context"
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
	return w.poolFileNamed(pool, w.Name(name))
}

// poolFileNamed records a file of the pool that the stack names itself.
func (w *world) poolFileNamed(pool, name string) (string, error) {
	res := harness.Resource{Kind: harness.KindFile, Path: w.poolDir(pool) + "/" + name, Parent: w.Name(pool)}
	if !w.storageSt().pools.files[res.Path] {
		if err := w.Tracker.Create(res, func() (string, error) { return "", nil }); err != nil {
			return "", err
		}
		if w.storageSt().pools.files == nil {
			w.storageSt().pools.files = map[string]bool{}
		}
		w.storageSt().pools.files[res.Path] = true
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
	if w.storageSt().pools.made == nil {
		w.storageSt().pools.made = map[string]bool{}
	}
	w.storageSt().pools.made[logical] = true
	return nil
}

// ensurePool makes a built, started pool, once per scenario.
func (w *world) ensurePool(logical string) error {
	if w.storageSt().pools.made[logical] {
		return nil
	}
	if err := w.definePool(logical); err != nil {
		return err
	}
	return w.withPool(logical, func(p *libvirt.StoragePool) error {
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
		h, err := readQcow2Header(path)
		if err != nil {
			return fmt.Errorf("created qcow2 volume %q on this host: %w", vol, err)
		}
		if h.Size != uint64(sizeMiB)<<20 {
			return fmt.Errorf("created qcow2 volume %q: its header gives a virtual size of %d bytes, want %d MiB", vol, h.Size, sizeMiB)
		}
		if backing != "" {
			if err := backedBy(h, backing); err != nil {
				return fmt.Errorf("created qcow2 volume %q: %w", vol, err)
			}
		}
		return nil
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

func (w *world) download(ctx context.Context, vol, pool string, n uint64) ([]byte, error) {
	var data []byte
	err := w.withVolume(vol, pool, func(v *libvirt.StorageVol) error {
		st, err := w.Conn.NewStream(0)
		if err != nil {
			return err
		}
		defer st.Free()
		defer abortOnDeadline(ctx, st)()
		if err := v.Download(st, 0, n, 0); err != nil {
			return err
		}
		// Read to the end of the stream, not just n bytes: finishing a stream
		// whose end the daemon has not sent yet races with the daemon closing
		// it ("stream is not open" in libvirtd's log) and can leave the finish
		// unanswered.
		buf := make([]byte, 64*1024)
		for {
			k, err := st.Recv(buf)
			data = append(data, buf[:k]...)
			if errors.Is(err, io.EOF) || (err == nil && k == 0) {
				break
			}
			if err != nil {
				st.Abort()
				return fmt.Errorf("receiving: %w", err)
			}
			if uint64(len(data)) > n {
				st.Abort()
				return fmt.Errorf("the stream sent more than the %d bytes asked for", n)
			}
		}
		return st.Finish()
	})
	return data, err
}

func (w *world) upload(ctx context.Context, vol, pool string, data []byte) error {
	return w.withVolume(vol, pool, func(v *libvirt.StorageVol) error {
		st, err := w.Conn.NewStream(0)
		if err != nil {
			return err
		}
		defer st.Free()
		defer abortOnDeadline(ctx, st)()
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

// abortOnDeadline aborts a stream when the step's context ends, so that a
// transfer the stack stops feeding fails the step at its deadline instead of
// blocking in libvirt forever (a blocked call cannot be interrupted
// otherwise). The returned function ends the watch.
func abortOnDeadline(ctx context.Context, st *libvirt.Stream) func() {
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
