// Removing storage the suite recorded: a pool only with its own directory and
// only when nothing unrecorded is in it, a volume only in such a pool or at a
// recorded path, a directory of this host only at its recorded path.

package harness

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// within says whether p lies inside dir (not dir itself).
func within(dir, p string) bool {
	if dir == "" {
		return false
	}
	rel, err := filepath.Rel(filepath.Clean(dir), filepath.Clean(p))
	return err == nil && rel != "." && !strings.HasPrefix(rel, "..") && !filepath.IsAbs(rel)
}

// poolPath is a pool's target directory.
func poolPath(p *libvirt.StoragePool) (string, error) {
	x, err := p.GetXMLDesc(0)
	if err != nil {
		return "", err
	}
	var doc libvirtxml.StoragePool
	if err := doc.Unmarshal(x); err != nil {
		return "", fmt.Errorf("pool XML: %w", err)
	}
	if doc.Target == nil {
		return "", nil
	}
	return doc.Target.Path, nil
}

// handlePool removes a pool of the run: only when its directory is exactly
// the one the run made for it, and only once nothing the run did not record
// is left in it (the run's volumes and files are removed before their pool;
// recorded holds the paths a dead run's ledger lists for it, removed here if
// they are still there). A pool undefined by its scenario may have left its
// directory: it is removed (rmdir: only when empty).
func handlePool(conn *libvirt.Connect, r Resource, decide func(found) bool, recorded map[string]bool) (found, error) {
	p, err := conn.LookupStoragePoolByName(r.Name)
	if IsNotFound(err) && r.Path != "" {
		if !decide(found{present: true, ours: true}) {
			return found{}, nil
		}
		return found{}, removePoolDir(conn, r, recorded)
	}
	if err != nil {
		return found{}, err
	}
	defer p.Free()
	f := found{present: true}
	uuid, err := p.GetUUIDString()
	if err != nil {
		return f, err
	}
	dir, err := poolPath(p)
	if err != nil {
		return f, err
	}
	if f.ours, f.why = sameUUID(uuid, r.UUID, nil); f.ours && filepath.Clean(dir) != filepath.Clean(r.Path) {
		f.ours, f.why = false, fmt.Sprintf("its directory %s is not the one the run made (%s)", dir, r.Path)
	}
	if !f.ours || !decide(f) {
		return f, nil
	}
	err = emptyAndRemovePool(p, r, recorded)
	if IsNotFound(err) && r.Path != "" {
		// The pool went away under the removal (a killed run's last call,
		// still in flight in the daemon, undefined it): its directory may
		// be left, which a pool defined again takes away.
		return f, removePoolDir(conn, r, recorded)
	}
	return f, err
}

func emptyAndRemovePool(p *libvirt.StoragePool, r Resource, recorded map[string]bool) error {
	active, err := p.IsActive()
	if err != nil {
		return err
	}
	if !active {
		active = p.Create(0) == nil // to see what is inside
	}
	var errs []error
	if active {
		// A pool that cannot refresh has lost its directory: nothing in it.
		listable := p.Refresh(0) == nil
		if vols, err := p.ListAllStorageVolumes(0); err == nil && listable {
			var left []string
			for i := range vols {
				if path, err := vols[i].GetPath(); err == nil && recorded[filepath.Clean(path)] {
					if err := vols[i].Delete(0); err != nil && !IsNotFound(err) {
						errs = append(errs, fmt.Errorf("deleting %s: %w", path, err))
					}
				} else if n, err := vols[i].GetName(); err == nil {
					left = append(left, n)
				}
				vols[i].Free()
			}
			if len(left) > 0 {
				sort.Strings(left)
				// Never delete what the run did not record: the pool and its
				// directory stay, and the run says so.
				return fmt.Errorf("its directory %s holds files the run did not record (%s): the pool is left as it is", r.Path, strings.Join(left, ", "))
			}
		}
		if err := p.Destroy(); err != nil && !notRunning(err) {
			errs = append(errs, err)
		}
		if listable {
			// The directory (rmdir); drivers without storage to delete say so.
			if err := p.Delete(0); err != nil && !errors.Is(err, libvirt.ERR_NO_SUPPORT) && !IsNotFound(err) {
				errs = append(errs, fmt.Errorf("deleting the pool's directory: %w", err))
			}
		}
	}
	if persistent, err := p.IsPersistent(); err != nil {
		errs = append(errs, err)
	} else if persistent {
		if err := p.Undefine(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// removePoolDir removes the directory of a pool that is no longer defined:
// the stack's host may not be this one, so through a pool defined again just
// long enough, whose delete is an rmdir (only an empty directory goes).
func removePoolDir(conn *libvirt.Connect, r Resource, recorded map[string]bool) error {
	// The pool is defined again with the recorded UUID: should the run die
	// before it is undefined again, the next sweep knows it for the run's.
	p, err := conn.StoragePoolDefineXML(DirPoolXML(r.Name, r.UUID, r.Path), 0)
	if err != nil {
		return err
	}
	defer p.Free()
	return emptyAndRemovePool(p, r, recorded)
}

func handleVolume(conn *libvirt.Connect, r Resource, decide func(found) bool) (found, error) {
	p, err := conn.LookupStoragePoolByName(r.Parent)
	if err != nil {
		return found{}, err
	}
	defer p.Free()
	// A pool its scenario stopped is started to see inside (its removal, after
	// its volumes', stops it again); one that cannot start holds nothing to see.
	if active, err := p.IsActive(); err != nil {
		return found{}, err
	} else if !active && p.Create(0) != nil {
		return found{}, nil
	}
	name := r.Name
	if r.Kind == KindFile {
		// The stack wrote it behind libvirt's back: the pool sees it after a refresh.
		if err := p.Refresh(0); err != nil {
			return found{}, err
		}
		name = filepath.Base(r.Path)
	}
	v, err := p.LookupStorageVolByName(name)
	if err != nil {
		return found{}, err
	}
	defer v.Free()
	f := found{present: true}
	got, err := v.GetPath()
	if err != nil {
		return f, err
	}
	if f.ours = r.Path != "" && filepath.Clean(got) == filepath.Clean(r.Path); !f.ours {
		f.why = fmt.Sprintf("its path %s is not the recorded %q", got, r.Path)
	}
	if !f.ours || !decide(f) {
		return f, nil
	}
	return f, v.Delete(0)
}

// handleDir removes a local scratch directory of the run: a real directory
// (not a symlink) whose name carries the suite's prefix, and whose owner and
// inode are the ones recorded when the run made it, with what is in it. A
// directory someone made again at the path is left.
func handleDir(r Resource, decide func(found) bool) (found, error) {
	st, err := os.Lstat(r.Path)
	if errors.Is(err, os.ErrNotExist) {
		return found{}, nil
	}
	if err != nil {
		return found{}, err
	}
	f := found{present: true}
	switch {
	case !st.IsDir():
		f.why = "it is not a directory (" + st.Mode().String() + ")"
	case !strings.HasPrefix(filepath.Base(r.Path), NamePrefix):
		f.why = "its name does not carry the suite's prefix"
	default:
		if f.why, err = sameDir(r.Path, r.ID); err != nil {
			return f, err
		}
		f.ours = f.why == ""
	}
	if !f.ours || !decide(f) {
		return f, nil
	}
	return f, os.RemoveAll(r.Path)
}
