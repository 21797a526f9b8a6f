package firmware

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"libvirt.org/go/libvirtxml"
)

// FW-001: a loader the domain capabilities do not offer fails.
func TestLoaderOffered(t *testing.T) {
	dc := &libvirtxml.DomainCaps{Machine: "pc-i440fx-7.2", OS: &libvirtxml.DomainCapsOS{Supported: "yes",
		Loader: &libvirtxml.DomainCapsOSLoader{Supported: "yes", Values: []string{"/usr/share/OVMF/OVMF_CODE_4M.fd"}}}}
	if err := loaderOffered("/usr/share/OVMF/OVMF_CODE_4M.fd", dc); err != nil {
		t.Fatal(err)
	}
	if err := loaderOffered("/tmp/my-own-firmware.fd", dc); err == nil || !strings.Contains(err.Error(), "/tmp/my-own-firmware.fd is not one") {
		t.Errorf("a loader not offered: %v", err)
	}
	if err := loaderOffered("/usr/share/OVMF/OVMF_CODE_4M.fd", &libvirtxml.DomainCaps{}); err == nil {
		t.Error("capabilities offering no loader passed")
	}
}

// FW-001: the NVRAM must be a file of its own, as large as its template.
func TestOwnNVRAM(t *testing.T) {
	dir := t.TempDir()
	tmpl, own, link, short := filepath.Join(dir, "VARS.fd"), filepath.Join(dir, "vm_VARS.fd"), filepath.Join(dir, "link.fd"), filepath.Join(dir, "short.fd")
	vars := make([]byte, 540672)
	for f, b := range map[string][]byte{tmpl: vars, own: vars, short: vars[:4096]} {
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Link(tmpl, link); err != nil {
		t.Fatal(err)
	}
	if err := ownNVRAM(own, tmpl, true); err != nil {
		t.Fatal(err)
	}
	if err := ownNVRAM(short, tmpl, false); err != nil {
		t.Fatalf("a converted NVRAM: %v", err)
	}
	for nvram, saying := range map[string]string{
		tmpl:                          "is the template itself",
		link:                          "under another name",
		short:                         "holds 4096 bytes",
		filepath.Join(dir, "gone.fd"): "no such file",
		dir:                           "no regular file",
	} {
		if err := ownNVRAM(nvram, tmpl, true); err == nil || !strings.Contains(err.Error(), saying) {
			t.Errorf("NVRAM %s: %v, want %q", nvram, err, saying)
		}
	}
}

// FW-001's "runs it": the QEMU process of the domain names the loader and
// the NVRAM, as -blockdev JSON (plain or with escaped slashes) or -drive.
func TestFirmwareInCmdline(t *testing.T) {
	const loader, nvram = "/usr/share/OVMF/OVMF_CODE_4M.fd", "/var/lib/libvirt/qemu/nvram/vm_VARS.fd"
	blockdev := []string{"/usr/bin/qemu-system-x86_64", "-name", "guest=vm,debug-threads=on", "-blockdev",
		`{"driver":"file","filename":"` + loader + `","node-name":"libvirt-pflash0-storage"}`, "-blockdev",
		`{"driver":"file","filename":"` + strings.ReplaceAll(nvram, "/", `\/`) + `","node-name":"libvirt-pflash1-storage"}`}
	drive := []string{"qemu-system-x86_64", "-name", "guest=vm", "-drive", "file=" + loader + ",if=pflash,format=raw,unit=0,readonly=on",
		"-drive", "file=" + nvram + ",if=pflash,format=raw,unit=1"}
	for _, args := range [][]string{blockdev, drive} {
		if err := firmwareInCmdline(args, "vm", loader, nvram); err != nil {
			t.Errorf("%q: %v", args, err)
		}
	}
	noNVRAM := []string{"qemu-system-x86_64", "-name", "guest=vm,debug-threads=on", "-bios", loader}
	noLoader := []string{"qemu-system-x86_64", "-name", "guest=vm,debug-threads=on", "-drive", "file=" + nvram + ",if=pflash"}
	for args, saying := range map[*[]string]string{&noNVRAM: "does not use the NVRAM", &noLoader: "does not run the loader", &blockdev: "not domain vm2's QEMU"} {
		name := "vm"
		if args == &blockdev {
			name = "vm2"
		}
		if err := firmwareInCmdline(*args, name, loader, nvram); err == nil || !strings.Contains(err.Error(), saying) {
			t.Errorf("%q: %v, want %q", *args, err, saying)
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
