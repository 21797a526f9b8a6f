// Package safeio writes and reads files in ways that a planted symlink, a FIFO
// or an oversized file cannot turn against the host. ovacts runs as root on
// production hosts, so every report, bundle, key and registry file goes
// through here; and text from outside (a product field, a step's error, a
// requirement's title) is made safe to print (Printable).
package safeio

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// WriteAtomic writes path through a new temporary file in the same directory
// (os.CreateTemp: O_EXCL with a random name, so nothing planted is followed),
// then renames it into place. A symlink at path is replaced, never followed;
// a reader sees the old file or the whole new one.
func WriteAtomic(path string, mode os.FileMode, write func(io.Writer) error) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(mode); err != nil {
		return err
	}
	if err := write(f); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	ok = true
	return nil
}

// WriteFileAtomic is WriteAtomic of a byte slice.
func WriteFileAtomic(path string, data []byte, mode os.FileMode) error {
	return WriteAtomic(path, mode, func(w io.Writer) error { _, err := w.Write(data); return err })
}

// CreateExclusive creates a new file that must not exist, not even as a
// dangling symlink (O_EXCL|O_NOFOLLOW).
func CreateExclusive(path string, mode os.FileMode) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, mode)
}

// CheckWritable says whether a file can later be written at path with
// WriteAtomic: the directory is made if missing and a temporary file can be
// created in it. path itself is never opened or created.
func CheckWritable(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return pathErr(path, err)
	}
	if st, err := os.Lstat(path); err == nil && st.IsDir() {
		return fmt.Errorf("%s is a directory", path)
	}
	f, err := os.CreateTemp(dir, ".ovacts-check-*")
	if err != nil {
		return fmt.Errorf("%s is not writable: %s", path, Reason(err))
	}
	f.Close()
	return os.Remove(f.Name())
}

// ErrNotRegular: the file is a symlink, a FIFO, a device, a socket or a directory.
var ErrNotRegular = errors.New("not a regular file")

// OpenRegular opens a regular file for reading and refuses anything else: a
// symlink (even to a regular file), a FIFO (without blocking on it), a
// device, or a file larger than max bytes. It returns the file and its size.
func OpenRegular(path string, max int64) (*os.File, int64, error) {
	st, err := os.Lstat(path)
	if err != nil {
		return nil, 0, pathErr(path, err)
	}
	if !st.Mode().IsRegular() {
		return nil, 0, fmt.Errorf("%s: %w (%s)", path, ErrNotRegular, describeMode(st.Mode()))
	}
	if st.Size() > max {
		return nil, 0, fmt.Errorf("%s: %d bytes, larger than the %d allowed", path, st.Size(), max)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, 0, pathErr(path, err)
	}
	// What was opened is what was looked at: the same regular file, not
	// something swapped in between.
	st2, err := f.Stat()
	if err != nil || !st2.Mode().IsRegular() || !os.SameFile(st, st2) || st2.Size() > max {
		f.Close()
		return nil, 0, fmt.Errorf("%s: changed while being opened", path)
	}
	return f, st2.Size(), nil
}

// ReadRegular reads a whole regular file of at most max bytes (see OpenRegular).
func ReadRegular(path string, max int64) ([]byte, error) {
	f, _, err := OpenRegular(path, max)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, pathErr(path, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: larger than the %d bytes allowed", path, max)
	}
	return data, nil
}

// SumRegular streams a regular file of at most max bytes through sha256.
func SumRegular(path string, max int64) (string, error) {
	f, _, err := OpenRegular(path, max)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(f, max+1))
	if err != nil {
		return "", pathErr(path, err)
	}
	if n > max {
		return "", fmt.Errorf("%s: larger than the %d bytes allowed", path, max)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// PrivateDir makes dir (0700) if it is missing and checks that it is safe to
// keep state in: a real directory (not a symlink), owned by this user, and
// writable by no one else.
func PrivateDir(dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return pathErr(dir, err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return pathErr(dir, err)
	}
	st, err := os.Lstat(dir)
	if err != nil {
		return pathErr(dir, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a directory (%s)", dir, describeMode(st.Mode()))
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && int(sys.Uid) != os.Geteuid() {
		return fmt.Errorf("%s belongs to uid %d, not to this user (%d)", dir, sys.Uid, os.Geteuid())
	}
	if st.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("%s is writable by group or others (mode %04o)", dir, st.Mode().Perm())
	}
	return nil
}

// SafeName checks that a name from a feature file or another input can be
// used as one file name inside a directory of the suite's: not empty, no
// slash, not "." or "..", no NUL, no leading dash.
func SafeName(name string) error {
	switch {
	case name == "":
		return errors.New("an empty file name")
	case name == "." || name == "..":
		return fmt.Errorf("%q is not a file name", name)
	case strings.ContainsAny(name, "/\x00"):
		return fmt.Errorf("%q is not a plain file name (no '/' allowed)", name)
	case strings.HasPrefix(name, "-"):
		return fmt.Errorf("%q starts with '-'", name)
	}
	return nil
}

// pathErr names path once and keeps the cause for errors.Is.
func pathErr(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("%s: %w", path, err)
}

// Reason is an error's text without the path (the caller names it once).
func Reason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err.Error()
	}
	return err.Error()
}

func describeMode(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m.IsDir():
		return "a directory"
	}
	return "mode " + m.String()
}
