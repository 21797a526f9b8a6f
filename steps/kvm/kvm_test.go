package kvm

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/reports"
	"github.com/ovacts/ovacts/steps/stepkit"
)

// KVM-010: a host with /dev/kvm whose stack offers no kvm type fails; one
// without /dev/kvm is not applicable.
func TestKVMTypeOffered(t *testing.T) {
	chr, err := os.Stat("/dev/null") // a character device, as /dev/kvm is
	if err != nil {
		t.Skip(err)
	}
	if err := kvmTypeOffered(chr, nil, "x86_64", []string{"qemu", "kvm"}); err != nil {
		t.Fatal(err)
	}
	stepkit.WantErr(t, "a stack without kvm on a host with /dev/kvm", kvmTypeOffered(chr, nil, "x86_64", []string{"qemu"}), "offers no kvm domain type for x86_64 (offers qemu)")
	plain := filepath.Join(t.TempDir(), "kvm")
	os.WriteFile(plain, nil, 0o600)
	reg, _ := os.Stat(plain)
	var skip *harness.SkipError
	for _, c := range []struct {
		st  os.FileInfo
		err error
	}{{nil, os.ErrNotExist}, {reg, nil}} {
		if err := kvmTypeOffered(c.st, c.err, "x86_64", nil); !errors.As(err, &skip) || skip.Status != reports.NotApplicable {
			t.Errorf("no /dev/kvm character device: %v, want not applicable", err)
		}
	}
}

// The cgroup v2 devices check asks the kernel: a directory that is no cgroup
// (or none at all) fails it.
func TestCgroupV2DevicesCheck(t *testing.T) {
	if err := cgroupV2DevicesAvailable(t.TempDir()); err == nil {
		t.Error("a plain directory passed as a cgroup with device programs")
	}
	if err := cgroupV2DevicesAvailable(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("a missing cgroup passed")
	}
}

// A device node with no driver behind it (a module not loaded) does not count
// as the device: KVM-003 fails on a mknod'ed /dev/vhost-net.
func TestDeviceNodeWithoutDriverFails(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mknod needs root")
	}
	node := filepath.Join(t.TempDir(), "vhost-net")
	if err := syscall.Mknod(node, syscall.S_IFCHR|0o600, int(240<<8|0)); err != nil { // a major no driver claims
		t.Skipf("mknod: %v", err)
	}
	if err := openDevice(node); err == nil {
		t.Fatal("a node without a driver opened")
	}
	if err := openDevice("/dev/null"); err != nil {
		t.Fatalf("/dev/null: %v", err)
	}
}

// The QEMU user is judged by what the kernel lets it open, not by mode bits.
func TestOpenAsAnotherUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("changing credentials needs root")
	}
	dir, err := os.MkdirTemp("", "ovacts-openas-") // t.TempDir's parent is private
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	f := filepath.Join(dir, "dev")
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := openAs(context.Background(), f, 65534, 65534, nil); err == nil {
		t.Fatal("nobody opened a root-only file")
	}
	os.Chmod(f, 0o666)
	if err := openAs(context.Background(), f, 65534, 65534, nil); err != nil {
		t.Fatalf("nobody cannot open a world-writable file: %v", err)
	}
}
