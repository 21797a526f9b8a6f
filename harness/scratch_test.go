// Ownership on the filesystem: scratch directories, recorded directories
// made again by someone else, ledger files, and the stack an entry names.

package harness

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ovacts/ovacts/fixtures"
	"libvirt.org/go/libvirt"
)

// Two runs' scratch directories for the same scenario and purpose have
// different names, each inside a parent of its own that is 0700 and owned
// by the run's user; the ledger holds their owners and inodes, and cleanup
// removes both.
func TestScratchNamesAreUnpredictableUnderAPrivateParent(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	reg := RunRegistry{Dir: t.TempDir()}
	var dirs []string
	for range 2 {
		l, err := reg.OpenLedger(NewRunID())
		if err != nil {
			t.Fatal(err)
		}
		tr := NewTracker(nil, l, "host:x")
		dir, err := tr.ScratchDir("ovacts-abcdefgh-s1-scratch")
		if err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
		parent := filepath.Dir(dir)
		// The run's leak checks look for ovacts-<runid>-* in the temporary directory.
		if m, _ := filepath.Glob(filepath.Join(os.TempDir(), RunPrefix(l.Run())+"*")); len(m) != 1 || m[0] != parent {
			t.Errorf("the parent %s is not named after run %s: %v", parent, l.Run(), m)
		}
		if parent == filepath.Clean(os.TempDir()) {
			t.Fatalf("%s is made right in %s, not in a parent of the scenario", dir, os.TempDir())
		}
		st, err := os.Lstat(parent)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o700 || !st.IsDir() || st.Sys().(*syscall.Stat_t).Uid != uint32(os.Geteuid()) {
			t.Errorf("parent %s: mode %s, uid %d; want a 0700 directory of uid %d", parent, st.Mode(), st.Sys().(*syscall.Stat_t).Uid, os.Geteuid())
		}
		if !strings.HasPrefix(filepath.Base(dir), "ovacts-abcdefgh-s1-scratch-") || len(filepath.Base(dir)) < len("ovacts-abcdefgh-s1-scratch-")+16 {
			t.Errorf("%s does not end in a random suffix", dir)
		}
		f, err := os.Open(l.path)
		if err != nil {
			t.Fatal(err)
		}
		entries, err := readLedger(f)
		f.Close()
		if err != nil || len(entries) != 2 {
			t.Fatalf("ledger: %+v, %v; want the parent and the directory", entries, err)
		}
		for _, e := range entries {
			if want, _ := dirIdentity(e.Path); e.ID.IsZero() || e.ID != want || e.Stack != LocalStack() {
				t.Errorf("entry %+v: want owner and inode %v under %s", e, want, LocalStack())
			}
		}
		if err := tr.Cleanup(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Lstat(parent); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("cleanup left %s: %v", parent, err)
		}
		l.Close()
	}
	if filepath.Base(dirs[0]) == filepath.Base(dirs[1]) || filepath.Dir(dirs[0]) == filepath.Dir(dirs[1]) {
		t.Errorf("two runs made the same names: %v", dirs)
	}
}

// A dead run's scratch directories that someone else (another uid) made
// again at their recorded paths (the parent in the shared temporary
// directory went, a cleaner removed it) survive the sweep, which says why in
// one line each.
func TestSweepLeavesADirectoryMadeAgainBySomeoneElse(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	reg := RunRegistry{Dir: t.TempDir()}
	run := NewRunID()
	l, err := reg.OpenLedger(run)
	if err != nil {
		t.Fatal(err)
	}
	tr := NewTracker(nil, l, "host:x")
	dir, err := tr.ScratchDir(RunPrefix(run) + "s1-scratch")
	if err != nil {
		t.Fatal(err)
	}
	l.f.Close() // the run dies
	// Someone makes both paths again, with a file of theirs inside.
	parent := filepath.Dir(dir)
	if err := os.RemoveAll(parent); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{parent, dir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if os.Geteuid() == 0 {
			if err := os.Chown(d, 4242, 4242); err != nil {
				t.Fatal(err)
			}
		}
	}
	theirs := filepath.Join(dir, "theirs")
	if err := os.WriteFile(theirs, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := Sweep(nil, reg, SweepOptions{Stack: "host:x"})
	if len(res.Errors) > 0 || len(res.Removed) > 0 {
		t.Fatalf("removed %v, errors %v", res.Removed, res.Errors)
	}
	if _, err := os.Stat(theirs); err != nil {
		t.Fatalf("the sweep removed a directory made again by someone else: %v", err)
	}
	if len(res.Kept) != 2 {
		t.Fatalf("kept %v; want the directory and its parent", res.Kept)
	}
	for _, k := range res.Kept {
		if line := k.String(); !strings.Contains(line, "made again by someone else") || strings.Contains(line, "\n") {
			t.Errorf("kept %q: want one line saying it was made again", line)
		}
	}
}

// A directory recorded without an owner and inode (an older ovacts, or a
// run that died between making it and recording them) is never removed.
func TestSweepLeavesADirectoryWithoutRecordedIdentity(t *testing.T) {
	reg := RunRegistry{Dir: t.TempDir()}
	l, err := reg.OpenLedger(NewRunID())
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "ovacts-abcdefgh-s1-scratch")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Record(LocalStack(), Resource{Kind: KindDir, Path: dir}); err != nil {
		t.Fatal(err)
	}
	l.f.Close()
	res := Sweep(nil, reg, SweepOptions{Stack: "host:x"})
	if _, err := os.Stat(dir); err != nil || len(res.Removed) > 0 {
		t.Fatalf("removed %v (%v)", res.Removed, err)
	}
	if len(res.Kept) != 1 || !strings.Contains(res.Kept[0].Why, "no owner and inode were recorded") {
		t.Errorf("kept %v", res.Kept)
	}
}

// deadDomainLedger leaves a dead run's ledger listing, exactly, a domain
// that is on the stack, recorded under stack key stack.
func deadDomainLedger(t *testing.T, conn *libvirt.Connect, reg RunRegistry, stack string) (name, ledger string) {
	t.Helper()
	run := NewRunID()
	l, err := reg.OpenLedger(run)
	if err != nil {
		t.Fatal(err)
	}
	name, uuid := RunPrefix(run)+"s1-vm", NewUUID()
	x, err := fixtures.Domain("minimal", fixtures.DomainVars{Name: name, UUID: uuid, Type: "test", Arch: "i686"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Record(stack, Resource{Kind: KindDomain, Name: name, UUID: uuid}); err != nil {
		t.Fatal(err)
	}
	d, err := conn.DomainDefineXML(x)
	if err != nil {
		t.Fatal(err)
	}
	d.Free()
	l.f.Close()
	t.Cleanup(func() { Remove(conn, Resource{Kind: KindDomain, Name: name, UUID: uuid}) })
	return name, l.path
}

func domainThere(t *testing.T, conn *libvirt.Connect, name string) bool {
	t.Helper()
	d, err := conn.LookupDomainByName(name)
	if err != nil {
		return false
	}
	d.Free()
	return true
}

// A ledger file that group or others may write, or that another user owns,
// is refused with a one-line reason and nothing it lists is touched; the
// same ledger, once private and the run's user's, is acted on.
func TestSweepRefusesWritableOrForeignLedgers(t *testing.T) {
	conn := openTest(t)
	stack, err := StackKey(conn)
	if err != nil {
		t.Fatal(err)
	}
	attacks := map[string]func(string) error{
		"group-writable":  func(p string) error { return os.Chmod(p, 0o620) },
		"others-writable": func(p string) error { return os.Chmod(p, 0o602) },
	}
	if os.Geteuid() == 0 {
		attacks["foreign-owned"] = func(p string) error { return os.Chown(p, 4242, 4242) }
	}
	for what, attack := range attacks {
		reg := RunRegistry{Dir: t.TempDir()}
		name, ledger := deadDomainLedger(t, conn, reg, stack)
		if err := attack(ledger); err != nil {
			t.Fatal(err)
		}
		res := Sweep(conn, reg, SweepOptions{Stack: stack})
		if !domainThere(t, conn, name) || len(res.Removed) > 0 {
			t.Errorf("%s: the sweep acted on the ledger (removed %v)", what, res.Removed)
		}
		if len(res.Errors) != 1 || !errors.Is(res.Errors[0], ErrLedgerRefused) || strings.Contains(res.Errors[0].Error(), "\n") {
			t.Errorf("%s: errors %v; want one one-line refusal", what, res.Errors)
		}
		if _, err := os.Stat(ledger); err != nil {
			t.Errorf("%s: the refused ledger went: %v", what, err)
		}
		// The same ledger made private and the run's: acted on.
		if err := errors.Join(os.Chmod(ledger, 0o600), os.Chown(ledger, os.Geteuid(), os.Getegid())); err != nil {
			t.Fatal(err)
		}
		if res := Sweep(conn, reg, SweepOptions{Stack: stack}); domainThere(t, conn, name) || len(res.Errors) > 0 {
			t.Errorf("%s: the private ledger was not acted on: %v", what, res.Errors)
		}
	}
}

// An entry under the bare "local" of earlier versions, or under this
// host's local key, never matches a libvirt stack: the domain it lists
// exactly stays. A directory recorded under a stack's key is not swept as
// this host's.
func TestLocalLedgerEntriesMatchNoStack(t *testing.T) {
	conn := openTest(t)
	stack, err := StackKey(conn)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"local", LocalStack()} {
		reg := RunRegistry{Dir: t.TempDir()}
		name, _ := deadDomainLedger(t, conn, reg, key)
		res := Sweep(conn, reg, SweepOptions{Stack: stack})
		if !domainThere(t, conn, name) || len(res.Removed) > 0 || len(res.Errors) > 0 {
			t.Errorf("an entry under %q removed %v (errors %v)", key, res.Removed, res.Errors)
		}
		if key == "local" && (len(res.Kept) != 1 || !strings.Contains(res.Kept[0].Why, `names the stack "local"`)) {
			t.Errorf("kept %v: want the legacy entry said once", res.Kept)
		}
	}
	reg := RunRegistry{Dir: t.TempDir()}
	l, err := reg.OpenLedger(NewRunID())
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "ovacts-abcdefgh-s1-scratch")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	id, err := dirIdentity(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Record(stack, Resource{Kind: KindDir, Path: dir, ID: id}); err != nil {
		t.Fatal(err)
	}
	l.f.Close()
	if res := Sweep(conn, reg, SweepOptions{Stack: stack}); len(res.Removed) > 0 {
		t.Errorf("a directory recorded under stack %s was swept as this host's: %v", stack, res.Removed)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatal(err)
	}
}

// deadPoolRun leaves a dead run's pool, with a volume, whose directory is a
// real directory of this host (made before the test driver's build, which
// makes none): the owner and inode are recorded after the build.
func deadPoolRun(t *testing.T, conn *libvirt.Connect, reg RunRegistry, stack string) (pool, dir string) {
	t.Helper()
	run := NewRunID()
	l, err := reg.OpenLedger(run)
	if err != nil {
		t.Fatal(err)
	}
	tr := NewTracker(conn, l, stack)
	pool = RunPrefix(run) + "s1-store"
	dir = filepath.Join(t.TempDir(), pool)
	if err := os.Mkdir(dir, 0o711); err != nil {
		t.Fatal(err)
	}
	p, err := tr.CreateDirPool(pool, dir)
	if err != nil {
		t.Fatal(err)
	}
	v, err := tr.CreateVolume(p, pool, dir, RunPrefix(run)+"s1-disk", `<volume><name>`+RunPrefix(run)+`s1-disk</name><capacity>1024</capacity></volume>`)
	if err != nil {
		t.Fatal(err)
	}
	v.Free()
	p.Free()
	l.f.Close() // the run dies
	return pool, dir
}

// A dead run's pool whose directory on this host someone made again (another
// inode, another owner) is left, with its volume and the directory, and the
// sweep says why; the same pool with its own directory goes.
func TestSweepLeavesAPoolWhoseDirectoryWasMadeAgain(t *testing.T) {
	conn := openTest(t)
	stack, err := StackKey(conn)
	if err != nil {
		t.Fatal(err)
	}
	reg := RunRegistry{Dir: t.TempDir()}
	pool, dir := deadPoolRun(t, conn, reg, stack)
	t.Cleanup(func() { Remove(conn, Resource{Kind: KindPool, Name: pool}) })
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if err := os.Chown(dir, 4242, 4242); err != nil {
			t.Fatal(err)
		}
	}
	res := Sweep(conn, reg, SweepOptions{Stack: stack})
	if len(res.Errors) > 0 || len(res.Removed) > 0 {
		t.Fatalf("removed %v, errors %v", res.Removed, res.Errors)
	}
	if len(res.Kept) != 2 || !strings.Contains(res.Kept[1].Why, "made again by someone else") || !strings.Contains(res.Kept[0].Why, "its pool "+pool+" is left") {
		t.Errorf("kept %v; want the volume and the pool, saying why", res.Kept)
	}
	p, err := conn.LookupStoragePoolByName(pool)
	if err != nil {
		t.Fatal("the pool was removed")
	}
	p.Free()
	if _, err := os.Stat(dir); err != nil {
		t.Fatal(err)
	}
	// Control: a dead run's pool with the directory it built goes.
	pool2, _ := deadPoolRun(t, conn, reg, stack)
	if res := Sweep(conn, reg, SweepOptions{Stack: stack}); len(res.Removed) != 2 || len(res.Errors) > 0 {
		t.Errorf("the pool %s with its own directory: removed %v, errors %v", pool2, res.Removed, res.Errors)
	}
}
