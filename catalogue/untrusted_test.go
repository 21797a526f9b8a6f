package catalogue

// A vendor's --features files are untrusted: what reading them refuses, and
// what of them is escaped.

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"
)

// A vendor's feature files are read like a bundle's: a link (to a 0600 file
// whose first line must not show), a FIFO (which must not hang the run),
// /dev/zero (which must not fill the memory) and a giant are refused, each
// with an error that names the file and not its content.
func TestLoadSuiteRefusesLinksFIFOsDevicesAndGiants(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("root-password-hash\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ok.feature"), []byte(strings.ReplaceAll(goodFeature, "SMP", "VND")), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "link.feature")
	if err := os.Symlink(secret, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(t.TempDir(), "fifo.feature")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	giant := filepath.Join(t.TempDir(), "giant.feature")
	if err := os.WriteFile(giant, nil, 0o644); err != nil || os.Truncate(giant, MaxFeatureBytes+1) != nil {
		t.Fatal("making the giant file")
	}
	linkInDir := filepath.Join(t.TempDir(), "d")
	os.Mkdir(linkInDir, 0o755)
	if err := os.Symlink(secret, filepath.Join(linkInDir, "x.feature")); err != nil {
		t.Fatal(err)
	}
	zeroLink := filepath.Join(t.TempDir(), "zero.feature")
	if err := os.Symlink("/dev/zero", zeroLink); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ path, says string }{
		{link, "symbolic link"}, {linkInDir, "symbolic link"}, {fifo, "FIFO"}, {zeroLink, "symbolic link"}, {giant, "larger than"},
	}
	// /dev/zero's own node under a feature's name (only root makes one).
	zero := filepath.Join(t.TempDir(), "zero.feature")
	if err := syscall.Mknod(zero, syscall.S_IFCHR|0o644, 1<<8|5); err == nil {
		cases = append(cases, struct{ path, says string }{zero, "device"})
	} else {
		t.Logf("no device node made (%v): /dev/zero's node is checked as root only", err)
	}
	for _, c := range cases {
		done := make(chan error, 1)
		go func() {
			_, err := LoadSuite(fstest.MapFS{"smp/s.feature": {Data: []byte(goodFeature)}}, []string{dir, c.path})
			done <- err
		}()
		select {
		case err := <-done:
			var le *LoadError
			if !errors.As(err, &le) || !strings.Contains(err.Error(), c.says) || strings.Contains(err.Error(), "root-password-hash") || strings.Count(err.Error(), "\n") > 0 {
				t.Errorf("--features %s: %v; want a one-line LoadError saying %q", c.path, err, c.says)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("--features %s hangs", c.path)
		}
	}
}

// A vendor's scenario and feature titles, printed in progress lines, lists
// and reports, carry no control character.
func TestVendorTitlesAreEscaped(t *testing.T) {
	body := "Feature: F\x1b[2K\n  @req:VND-001 @must\n  Scenario: S\x1b]0;owned\x07 \u202eevil\n    Given x\n"
	s, err := LoadSuite(fstest.MapFS{}, []string{writeFeature(t, body)})
	if err != nil {
		t.Fatal(err)
	}
	r := s.Requirements[0]
	if r.Title != `S\x1b]0;owned\x07 \u202eevil` || r.Feature != `F\x1b[2K` {
		t.Errorf("title %q, feature %q: not escaped", r.Title, r.Feature)
	}
}
