package harness

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

// CheckURI refuses every URI of a file or a step that would run a program,
// reach another socket or read a host file, and lets the ordinary ones pass.
func TestCheckURI(t *testing.T) {
	refused := []string{
		"test+ext:///default?command=/tmp/x/script",
		"qemu+EXT:///system?command=/bin/true",
		"qemu+ssh://host/system?command=/tmp/evil",
		"qemu+ssh://host/system?CoMmAnd=/tmp/evil",
		"qemu+ssh://host/system?no_verify=1;command=/tmp/evil",
		"qemu+ssh://host/system?%63ommand=/tmp/evil",
		"qemu+ssh://host/system?netcat=/tmp/nc",
		"qemu+ssh://host/system?proxy=netcat",
		"qemu+ssh://host/system?proxy=native",
		"qemu+unix:///system?socket=/tmp/fake.sock",
		"qemu+unix:///system?socket=/run/libvirt/../../tmp/s",
		"qemu+ssh://-oProxyCommand=touch%20x/system",
		"qemu+ssh://-l@host/system",
		"qemu:///system?name=test%2Bext:///default%3Fcommand%3D/x",
		"test:///etc/shadow",
		"test:///tmp/x.xml",
		"qemu:///system\n",
	}
	for _, u := range refused {
		if err := CheckURI(u); !errors.Is(err, ErrUnsafeURI) {
			t.Errorf("CheckURI(%q) = %v, want ErrUnsafeURI", u, err)
		}
	}
	allowed := []string{
		"test:///default", "qemu:///system", "qemu:///session", "qemu+tcp://10.0.0.2/system",
		"qemu+tls://h.example/system?pkipath=/etc/pki/libvirt&no_verify=1", "qemu+ssh://root@h/system?keyfile=/root/.ssh/id&no_tty=1",
		"qemu+ssh://h/system?proxy=auto", "qemu+unix:///system?socket=/run/libvirt/virtqemud-sock",
		"qemu+unix:///session?socket=/run/user/1000/libvirt/virtqemud-sock",
		"nosuchdriver:///system", "qemu+nosuchtransport://localhost/system", "::::",
	}
	for _, u := range allowed {
		if err := CheckURI(u); err != nil {
			t.Errorf("CheckURI(%q) = %v, want nil", u, err)
		}
	}
}

// A path argument stays inside the scenario's tree; a device argument is one
// of the checked devices.
func TestCheckArgument(t *testing.T) {
	for _, c := range []struct {
		kind ArgKind
		v    string
		ok   bool
	}{
		{ArgInnerPath, "/etc/hostname", true},
		{ArgInnerPath, "payload.bin", true},
		{ArgInnerPath, "/../../../../tmp/x/owned", false},
		{ArgInnerPath, "a/../../b", false},
		{ArgInnerPath, "/", false},
		{ArgInnerPath, "//etc/passwd", false},
		{ArgInnerPath, "a\x1bb", false},
		{ArgDevice, "/dev/kvm", true},
		{ArgDevice, "/dev/net/tun", true},
		{ArgDevice, "/dev/sda", false},
		{ArgDevice, "/dev/zero", false},
		{ArgDevice, "/dev/../dev/kvm", false},
		{ArgURI, "test:///default", true},
		{ArgURI, "test+ext:///default?command=/x", false},
		{"unknown", "x", false},
	} {
		err := CheckArgument(c.kind, c.v)
		if (err == nil) != c.ok {
			t.Errorf("CheckArgument(%s, %q) = %v, want ok=%v", c.kind, c.v, err, c.ok)
		}
		if err != nil && !errors.Is(err, ErrUnsafeArgument) && !errors.Is(err, ErrUnsafeURI) {
			t.Errorf("CheckArgument(%s, %q) = %v: not a typed error", c.kind, c.v, err)
		}
	}
}

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
