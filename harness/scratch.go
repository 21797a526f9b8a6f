// Directories of this host the suite makes: each is recorded with its owner
// and inode once made, and removed only while the path still holds that very
// directory; scratch directories have unpredictable names under a private
// (0700) parent of the scenario.

package harness

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/ovacts/ovacts/internal/safeio"
)

// FileID is who owns a directory and which one it is: its owner's uid and
// its device and inode numbers, read when the suite made it. A directory
// removed and made again at the same path, by anyone, has another inode.
type FileID struct {
	UID uint32 `json:"uid"`
	Dev uint64 `json:"dev"`
	Ino uint64 `json:"ino"`
}

// IsZero says that nothing was recorded (no file has inode 0).
func (id FileID) IsZero() bool { return id.Ino == 0 }

func (id FileID) String() string { return fmt.Sprintf("uid %d, inode %d:%d", id.UID, id.Dev, id.Ino) }

// ErrNotSameDir: the path holds another directory than the one recorded.
var ErrNotSameDir = errors.New("not the recorded directory")

// dirIdentity reads the owner and inode of the directory at path (never
// following a link).
func dirIdentity(path string) (FileID, error) {
	st, err := os.Lstat(path)
	if err != nil {
		return FileID{}, err
	}
	if !st.IsDir() {
		return FileID{}, fmt.Errorf("%s is not a directory (%s)", path, st.Mode())
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return FileID{}, fmt.Errorf("%s: no owner and inode", path)
	}
	return FileID{UID: sys.Uid, Dev: uint64(sys.Dev), Ino: sys.Ino}, nil
}

// sameDir says why the directory at path is not the recorded one ("" when
// it is): another owner or inode, or nothing recorded to know it by.
func sameDir(path string, want FileID) (string, error) {
	got, err := dirIdentity(path)
	if err != nil {
		return "", err
	}
	switch {
	case want.IsZero():
		return "no owner and inode were recorded when it was made (a run that died before recording them, or an older ovacts): it is left", nil
	case got != want:
		return fmt.Sprintf("it was made again by someone else (%s; the run made %s): it is left", got, want), nil
	}
	return "", nil
}

// randomSuffix is 16 random base-36 characters: a name no one can guess.
func randomSuffix() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// makeDir records and makes a new directory prefix<random> in parent (0700,
// never an existing one: a name taken is tried again with another), and
// records its owner and inode. It returns its path.
func (t *Tracker) makeDir(parent, prefix string) (string, error) {
	for range 8 {
		p := filepath.Join(parent, prefix+randomSuffix())
		err := t.Create(Resource{Kind: KindDir, Path: p}, func() (string, error) { return "", os.Mkdir(p, 0o700) })
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return p, err
	}
	return "", fmt.Errorf("no free directory name under %s after 8 tries", parent)
}

// ScratchDir makes a directory of the scenario on this host, named
// name-<random> (name carries the suite's prefix: the scenario's name for
// it), inside the scenario's private parent (made at the first call, 0700,
// under os.TempDir(), ovacts-<runid>-scratch-<random>). Both are in the ledger with their
// owner and inode, and removed at cleanup with what is in them.
func (t *Tracker) ScratchDir(name string) (string, error) {
	if err := safeio.SafeName(name); err != nil || !strings.HasPrefix(name, NamePrefix) {
		return "", fmt.Errorf("scratch directory %q: not one name starting with %s", name, NamePrefix)
	}
	t.scratchMu.Lock()
	defer t.scratchMu.Unlock()
	if t.scratch == "" {
		prefix := NamePrefix + "scratch-"
		if run := t.ledger.Run(); run != "" {
			prefix = RunPrefix(run) + "scratch-"
		}
		p, err := t.makeDir(os.TempDir(), prefix)
		if err != nil {
			return "", fmt.Errorf("the scenario's scratch directory: %w", err)
		}
		t.scratch = p
	}
	return t.makeDir(t.scratch, name+"-")
}

// recordDir completes a directory's entry with its owner and inode, read
// right after the suite made it.
func (t *Tracker) recordDir(seq, i int, r Resource) error {
	id, err := dirIdentity(r.Path)
	if err != nil {
		return fmt.Errorf("reading what the run made at %s: %w", r.Path, err)
	}
	r.ID = id
	t.mu.Lock()
	if i < len(t.list) && t.list[i].seq == seq {
		t.list[i].res = r
	}
	t.mu.Unlock()
	return t.ledger.Confirm(seq, stackOf(r, t.stack), r)
}

// NoteBuiltDir records the owner and inode of the directory a pool of the
// scenario (kind and name as tracked) has on this host, right after libvirt
// built it; a stack on another host has none here and nothing is recorded.
// Only the sweep of a dead run checks them (a live scenario may delete and
// build its pool again).
func (t *Tracker) NoteBuiltDir(kind Kind, name string) error {
	t.mu.Lock()
	var r Resource
	seq := 0
	for i := len(t.list) - 1; i >= 0; i-- {
		if e := t.list[i]; e.undo == nil && e.res.Kind == kind && e.res.Name == name && e.res.Path != "" {
			id, err := dirIdentity(e.res.Path)
			if err != nil {
				break // not a directory of this host
			}
			t.list[i].res.ID = id
			r, seq = t.list[i].res, e.seq
			break
		}
	}
	t.mu.Unlock()
	if seq == 0 {
		return nil
	}
	return t.ledger.Confirm(seq, stackOf(r, t.stack), r)
}

// builtDirObjection is why a dead run's pool must stay: its directory on
// this host is not the one recorded when it was built ("" when it is, when
// nothing was recorded, or when the directory is gone).
func builtDirObjection(r Resource) string {
	if r.ID.IsZero() {
		return ""
	}
	why, err := sameDir(r.Path, r.ID)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return ""
	case err != nil:
		return "its directory cannot be checked: " + err.Error()
	}
	return why
}
