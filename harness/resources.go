package harness

import (
	"errors"
	"fmt"
	"io/fs"
	"sync"

	"libvirt.org/go/libvirt"
)

// Kind is a type of object the suite can create.
type Kind string

const (
	KindDomain   Kind = "domain"
	KindNetwork  Kind = "network"
	KindPool     Kind = "pool"
	KindVolume   Kind = "volume"
	KindSecret   Kind = "secret"
	KindNWFilter Kind = "nwfilter"
	KindBinding  Kind = "nwfilter-binding"
	// KindFile is a file the stack writes at a path the suite chose, in one of
	// the suite's pools (a save image, a snapshot overlay). Parent is the pool.
	KindFile Kind = "file"
	// KindDir is a scratch directory on this host (a random name with the
	// suite's prefix, see scratch.go), removed with what is in it when its
	// owner and inode (ID) are the recorded ones.
	KindDir Kind = "dir"
	// KindAppliance is libguestfs's appliance domain (libvirt backend), named
	// guestfs-<random> by libguestfs: the suite's when it is transient and its
	// disks lie in the directory (Path) of a pool in the run's ledger.
	KindAppliance Kind = "guestfs-appliance"
	kindCleanup   Kind = "cleanup"
)

// Resource is one created object and how to know it again. Name is its
// libvirt name (a secret's usage id; a binding's port device); UUID the UUID
// the suite chose, or the stack gave; Path a pool's directory, a volume's or
// a file's path, or a local directory; Parent the pool of a volume or file,
// or a binding's filter.
type Resource struct {
	Kind   Kind   `json:"kind"`
	Name   string `json:"name,omitempty"`
	UUID   string `json:"uuid,omitempty"`
	Path   string `json:"path,omitempty"`
	Parent string `json:"parent,omitempty"`
	// ID is a directory's owner and inode, recorded once the suite made it.
	ID FileID `json:"id,omitzero"`
}

func (r Resource) String() string {
	switch r.Kind {
	case KindPool:
		return fmt.Sprintf("pool %s (%s)", r.Name, r.Path)
	case KindVolume:
		return fmt.Sprintf("volume %s/%s", r.Parent, r.Name)
	case KindFile:
		return fmt.Sprintf("file %s (pool %s)", r.Path, r.Parent)
	case KindDir:
		return "directory " + r.Path
	case KindSecret:
		return fmt.Sprintf("secret %s (usage %s)", r.UUID, r.Name)
	case KindAppliance:
		return fmt.Sprintf("%s %s (disks in %s)", r.Kind, r.Name, r.Path)
	}
	return fmt.Sprintf("%s %s", r.Kind, r.Name)
}

// stackOf is the ledger stack of a resource: local directories live on this
// host whatever the stack.
func stackOf(r Resource, stack string) string {
	if r.Kind == KindDir {
		return LocalStack()
	}
	return stack
}

// Tracker records every object a scenario creates, in its run's ledger before
// the create call, and removes them in reverse order (last created, first
// removed), also after a failure or a panic. Safe for concurrent use.
type Tracker struct {
	conn   *libvirt.Connect
	ledger *Ledger
	stack  string
	mu     sync.Mutex
	list   []tracked
	// scratch is the scenario's private parent of its scratch directories,
	// made at the first ScratchDir.
	scratchMu sync.Mutex
	scratch   string
}

// NoteDomainLog asks the run to remove the QEMU log of a domain the stack
// made for this scenario (see Ledger.NoteDomainLog).
func (t *Tracker) NoteDomainLog(name string) { t.ledger.NoteDomainLog(name) }

// tracked is an object to remove, or a cleanup that is not an object (an
// event callback to deregister), kept in the same LIFO order.
type tracked struct {
	res  Resource
	seq  int // its ledger entry
	undo func() error
}

// NewTracker returns an empty tracker on conn, recording in ledger (nil: no
// ledger, for the suite's self-tests) under the stack's key.
func NewTracker(conn *libvirt.Connect, ledger *Ledger, stack string) *Tracker {
	return &Tracker{conn: conn, ledger: ledger, stack: stack}
}

// Create records r in the ledger, then calls create, and tracks r for removal
// whether or not create succeeded: a create that failed after doing its work
// (a timeout) leaves nothing behind, and removal leaves alone whatever does not
// match r. create returns the UUID the stack gave the object when r carries
// none (a definition without a UUID), "" otherwise.
func (t *Tracker) Create(r Resource, create func() (string, error)) error {
	seq, err := t.ledger.Record(stackOf(r, t.stack), r)
	if err != nil {
		return fmt.Errorf("recording %s before creating it: %w", r, err)
	}
	t.mu.Lock()
	t.list = append(t.list, tracked{res: r, seq: seq})
	i := len(t.list) - 1
	t.mu.Unlock()
	uuid, err := create()
	if errors.Is(err, fs.ErrExist) {
		// Something was already there under that name: not the run's, and a
		// local path has no UUID to tell them apart, so it is not tracked.
		t.untrack(seq)
		return err
	}
	if err == nil && r.Kind == KindDir {
		return t.recordDir(seq, i, r)
	}
	if err != nil || uuid == "" || r.UUID != "" {
		return err
	}
	r.UUID = uuid
	t.mu.Lock()
	if i < len(t.list) && t.list[i].seq == seq {
		t.list[i].res = r
	}
	t.mu.Unlock()
	return t.ledger.Confirm(seq, stackOf(r, t.stack), r)
}

func (t *Tracker) untrack(seq int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := len(t.list) - 1; i >= 0; i-- {
		if t.list[i].seq == seq && t.list[i].undo == nil {
			t.list = append(t.list[:i], t.list[i+1:]...)
			break
		}
	}
	t.ledger.Resolve(seq)
}

// Add records an object the stack created on the scenario's behalf and the
// suite learned of afterwards.
func (t *Tracker) Add(r Resource) error {
	seq, err := t.ledger.Record(stackOf(r, t.stack), r)
	t.mu.Lock()
	t.list = append(t.list, tracked{res: r, seq: seq})
	t.mu.Unlock()
	return err
}

// Defer records a cleanup that is not an object, described by what.
func (t *Tracker) Defer(what string, undo func() error) {
	t.mu.Lock()
	t.list = append(t.list, tracked{res: Resource{Kind: kindCleanup, Name: what}, undo: undo})
	t.mu.Unlock()
}

// Forget drops an object the scenario removed itself (e.g. undefine under
// test), matched by kind and name.
func (t *Tracker) Forget(r Resource) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := len(t.list) - 1; i >= 0; i-- {
		if e := t.list[i]; e.undo == nil && e.res.Kind == r.Kind && e.res.Name == r.Name && e.res.Path == r.Path {
			t.ledger.Resolve(e.seq)
			t.list = append(t.list[:i], t.list[i+1:]...)
			return
		}
	}
}

// Pending lists what cleanup would remove, in removal order.
func (t *Tracker) Pending() []Resource {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Resource, 0, len(t.list))
	for i := len(t.list) - 1; i >= 0; i-- {
		out = append(out, t.list[i].res)
	}
	return out
}

// Cleanup removes every tracked object, newest first. An object that is gone,
// or that is no longer the one the scenario made, counts as removed. It never
// panics; it returns every removal that failed.
func (t *Tracker) Cleanup() error {
	t.mu.Lock()
	list := t.list
	t.list = nil
	t.mu.Unlock()
	var errs []error
	for i := len(list) - 1; i >= 0; i-- {
		var err error
		if list[i].undo != nil {
			err = runSafely(list[i].undo)
		} else {
			err = Remove(t.conn, list[i].res)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("removing %s: %w", list[i].res, err))
			continue
		}
		if err := t.ledger.Resolve(list[i].seq); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func runSafely(fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return fn()
}

// CreateDomain records a domain, then defines it (persistent) or starts it
// (transient) from xml, whose name and UUID are name and uuid ("" when the XML
// has none and the stack picks it). The caller frees the handle.
func (t *Tracker) CreateDomain(name, uuid, xml string, transient bool) (*libvirt.Domain, error) {
	var d *libvirt.Domain
	err := t.Create(Resource{Kind: KindDomain, Name: name, UUID: uuid}, func() (string, error) {
		var err error
		if transient {
			d, err = t.conn.DomainCreateXML(xml, 0)
		} else {
			d, err = t.conn.DomainDefineXML(xml)
		}
		if err != nil || uuid != "" {
			return "", err
		}
		return d.GetUUIDString()
	})
	if err != nil && d != nil {
		d.Free()
		d = nil
	}
	return d, err
}

// CreateDirPool records, defines, builds (the directory is made) and starts a
// directory pool named name in dir. The caller frees the handle.
func (t *Tracker) CreateDirPool(name, dir string) (*libvirt.StoragePool, error) {
	uuid := NewUUID()
	var p *libvirt.StoragePool
	err := t.Create(Resource{Kind: KindPool, Name: name, UUID: uuid, Path: dir}, func() (string, error) {
		var err error
		p, err = t.conn.StoragePoolDefineXML(DirPoolXML(name, uuid, dir), 0)
		return "", err
	})
	if err != nil {
		return nil, err
	}
	if err := p.Build(0); err != nil {
		p.Free()
		return nil, fmt.Errorf("building pool %s: %w", name, err)
	}
	if err := t.NoteBuiltDir(KindPool, name); err != nil {
		p.Free()
		return nil, err
	}
	if err := p.Create(0); err != nil {
		p.Free()
		return nil, fmt.Errorf("starting pool %s: %w", name, err)
	}
	return p, nil
}

// CreateVolume records and creates a volume of pool poolName (a directory
// pool at dir: the volume's path is dir/name) from xml. The caller frees it.
func (t *Tracker) CreateVolume(p *libvirt.StoragePool, poolName, dir, name, xml string) (*libvirt.StorageVol, error) {
	var v *libvirt.StorageVol
	err := t.Create(Resource{Kind: KindVolume, Name: name, Path: dir + "/" + name, Parent: poolName}, func() (string, error) {
		var err error
		v, err = p.StorageVolCreateXML(xml, 0)
		return "", err
	})
	return v, err
}
