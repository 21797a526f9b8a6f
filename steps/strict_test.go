package steps

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cucumber/godog"
	"github.com/ovacts/ovacts/harness"
	"libvirt.org/go/libvirt"
)

// Each check made strict can fail: the broken answer it exists to catch fails it.

func TestRefusalFamilies(t *testing.T) {
	_, w := stepWorld(harness.MUST)
	for _, c := range []struct {
		family string
		err    error
		want   string // "" passes; "unearned" fails naming the unsupported answer
	}{
		{"a duplicate", libvirt.Error{Code: libvirt.ERR_OPERATION_FAILED, Message: "domain 'x' is already defined with uuid 1-2"}, ""},
		{"a duplicate", libvirt.Error{Code: libvirt.ERR_NO_SUPPORT, Message: "this function is not supported"}, "unearned"},
		{"a duplicate", libvirt.Error{Code: libvirt.ERR_NO_DOMAIN, Message: "no domain with matching name"}, "does not say a duplicate"},
		{"an invalid state", libvirt.Error{Code: libvirt.ERR_RPC, Message: "connection lost"}, "does not say an invalid state"},
		{"invalid XML", libvirt.Error{Code: libvirt.ERR_XML_ERROR, Message: "bad"}, ""},
		{"denied", errors.New("untyped"), "untyped error"},
		{"in use", nil, "the call succeeded"},
	} {
		w.tried, w.lastErr = true, c.err
		err := w.expectRefusal(c.family, "")
		var unsup *UnsupportedAction
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s %v: %v", c.family, c.err, err)
		case c.want == "unearned" && (!errors.As(classify(0, "", context.Background(), err), &unsup) || errors.Is(unsup, godog.ErrSkip)):
			t.Errorf("%s %v: %v, want a failure naming the unsupported answer", c.family, c.err, err)
		case c.want != "" && c.want != "unearned" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s %v: %v, want %q", c.family, c.err, err, c.want)
		}
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

// Only a rule whose source is the network's subnet and whose target is
// MASQUERADE counts (NET-004): not a destination-only rule, a negated source,
// another target, nor a line that only mentions both words.
func TestMasqueradeRules(t *testing.T) {
	ipt := "-A LIBVIRT_PRT -s 10.201.7.0/24 ! -d 10.201.7.0/24 -p tcp -j MASQUERADE --to-ports 1024-65535\n"
	nft := "table ip libvirt_network {\n\tchain postrouting_nat {\n\t\tmeta l4proto tcp ip saddr 10.202.1.0/24 ip daddr != 10.202.1.0/24 counter packets 0 bytes 0 masquerade to :1024-65535\n\t}\n}\n"
	if !masquerades(ipt, "10.201.7.0/24") || !masquerades(nft, "10.202.1.0/24") {
		t.Error("a masquerade rule was missed")
	}
	for _, wrong := range []string{
		"-A LIBVIRT_FWO -s 10.201.7.0/24 -j ACCEPT",
		"-A LIBVIRT_PRT -d 10.201.7.0/24 -j MASQUERADE",
		"-A LIBVIRT_PRT ! -s 10.201.7.0/24 -d 10.201.7.0/24 -j MASQUERADE",
		"-A LIBVIRT_PRT -s 10.201.7.0/24 -j RETURN -m comment --comment MASQUERADE",
		"# 10.201.7.0/24 masquerade",
		"ip daddr 10.201.7.0/24 masquerade",
		"ip saddr != 10.201.7.0/24 ip daddr 10.201.7.0/24 masquerade",
		"ip saddr 10.201.7.0/24 ip daddr 224.0.0.0/24 counter return comment \"masquerade\"",
	} {
		if masquerades(wrong, "10.201.7.0/24") {
			t.Errorf("counted as masquerading the subnet: %s", wrong)
		}
	}
	if masquerades(ipt, "10.201.8.0/24") || masquerades(ipt, "10.201.7.0/2") {
		t.Error("another subnet's rule counted")
	}
}

// The "absent" UUID is never one the stack holds.
func TestAbsentUUIDAvoidsTheStacksOwn(t *testing.T) {
	held := []string{harness.NewUUID(), harness.NewUUID()}
	for i := 0; i < 100; i++ {
		u, err := absentUUID(func() ([]string, error) { return held, nil })
		if err != nil || u == held[0] || u == held[1] {
			t.Fatalf("%s, %v", u, err)
		}
	}
	if _, err := absentUUID(func() ([]string, error) { return nil, errors.New("list failed") }); err == nil {
		t.Fatal("a failed list was ignored")
	}
}

// Only QEMU's "tray is not open" answer to a medium change is tried again;
// any other error fails the step at once.
func TestTrayClosedUnderIt(t *testing.T) {
	tray := libvirt.Error{Code: libvirt.ERR_INTERNAL_ERROR, Message: "internal error: unable to execute QEMU command 'blockdev-remove-medium': Tray of device 'scsi0-0-0-2' is not open"}
	if !trayClosedUnderIt(fmt.Errorf("step: %w", tray)) {
		t.Error("the tray race is not recognised")
	}
	insert := libvirt.Error{Code: libvirt.ERR_INTERNAL_ERROR, Message: "internal error: unable to execute QEMU command 'blockdev-insert-medium': Tray of the device is not open"}
	if !trayClosedUnderIt(insert) {
		t.Error("the tray race at the insertion is not recognised")
	}
	for _, e := range []libvirt.Error{{Code: libvirt.ERR_INTERNAL_ERROR, Message: "internal error: unable to execute QEMU command 'blockdev-remove-medium': Device not found"},
		{Code: libvirt.ERR_OPERATION_FAILED, Message: "Tray of device 'x' is not open"}} {
		if trayClosedUnderIt(e) {
			t.Errorf("%s %q taken for the tray race", harness.ErrorCodeName(e.Code), e.Message)
		}
	}
}

// FW-002's state on the host is swtpm's permanent state file, not only the
// directory libvirt makes for it.
func TestTPMStateFile(t *testing.T) {
	dir := t.TempDir()
	if err := tpmStateFile(filepath.Join(dir, "tpm2-00.permall")); err == nil || !strings.Contains(err.Error(), "not on the host") {
		t.Errorf("missing: %v", err)
	}
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o600)
	if err := tpmStateFile(empty); err == nil {
		t.Error("an empty state file accepted")
	}
	if err := tpmStateFile(dir); err == nil {
		t.Error("a directory accepted")
	}
	full := filepath.Join(dir, "full")
	os.WriteFile(full, []byte("state"), 0o600)
	if err := tpmStateFile(full); err != nil {
		t.Error(err)
	}
}
