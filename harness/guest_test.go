package harness

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"libvirt.org/go/libvirtxml"
)

func writeGuestBuild(t *testing.T, meta string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{"guest.json": meta, "vmlinux": "kernel", "initrd.cpio": "initrd"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const goodMeta = `{"key":"k1","kernel_release":"6.1.0-x","hostname":"ovacts-guest","os_id":"ovacts","ready_marker":"READY","cmdline":"console=ttyS0 quiet"}`

func TestResolveGuest(t *testing.T) {
	dir := writeGuestBuild(t, goodMeta)
	g, missing, err := ResolveGuest(GuestConfig{Dir: dir})
	if err != nil || missing != "" {
		t.Fatalf("fixture dir: %v %q", err, missing)
	}
	if g.Source != "fixture" || g.Meta.ReadyMarker != "READY" || g.Cmdline != "console=ttyS0 quiet" || !strings.HasSuffix(g.Kernel, "/vmlinux") {
		t.Fatalf("fixture guest: %+v", g)
	}
	if g, _, err := ResolveGuest(GuestConfig{Dir: dir, Cmdline: "console=ttyS0 debug"}); err != nil || g.Cmdline != "console=ttyS0 debug" {
		t.Fatalf("cmdline override: %v %+v", err, g)
	}

	// No guest given and none built: the guest scenarios lack a precondition, the run goes on.
	t.Setenv("OVACTS_GUEST_DIR", "")
	if _, err := os.Stat(DefaultGuestDir); err != nil {
		g, missing, err := ResolveGuest(GuestConfig{})
		if err != nil || g != nil || !strings.Contains(missing, "make guest") {
			t.Fatalf("no guest: %v %v %q", g, err, missing)
		}
	}
	t.Setenv("OVACTS_GUEST_DIR", dir)
	if g, _, err := ResolveGuest(GuestConfig{}); err != nil || g.Meta.Key != "k1" {
		t.Fatalf("OVACTS_GUEST_DIR: %v %+v", err, g)
	}

	file := filepath.Join(dir, "vmlinux")
	if g, _, err := ResolveGuest(GuestConfig{Kernel: file}); err != nil || g.Source != "kernel" || g.Cmdline != "console=ttyS0" || g.Initrd != "" {
		t.Fatalf("kernel: %v %+v", err, g)
	}
	if g, _, err := ResolveGuest(GuestConfig{Disk: file}); err != nil || g.Source != "disk" || g.Disk != file {
		t.Fatalf("disk: %v %+v", err, g)
	}

	bad := map[string]GuestConfig{
		"no such file or directory": {Disk: "/nonexistent"},
		"not a regular file":        {Kernel: dir},
		"needs --guest-kernel":      {Initrd: file},
		"give one guest":            {Kernel: file, Disk: file},
		"must be auto, kvm or tcg":  {Accel: "warp"},
		"does not parse":            {Dir: writeGuestBuild(t, "{")},
		"lacks ready_marker":        {Dir: writeGuestBuild(t, `{"key":"x"}`)},
		"has no guest build":        {Dir: t.TempDir()},
	}
	for want, cfg := range bad {
		if _, _, err := ResolveGuest(cfg); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%+v: got %v, want an error with %q", cfg, err, want)
		}
	}
}

func TestGuestDomainXML(t *testing.T) {
	fixture := &Guest{Source: "fixture", Kernel: "/k/vmlinux", Initrd: "/k/initrd", Cmdline: "console=ttyS0 quiet"}
	disk := &Guest{Source: "disk", Disk: "/vendor/os.qcow2"}
	cases := []struct {
		name        string
		g           *Guest
		gd          GuestDomain
		typ         string
		cpu         string
		kernel      string
		disks       []string // target devs
		nics        int
		onReboot    string
		agentChan   bool
		consoleKind string
	}{
		{"fixture on tcg", fixture, GuestDomain{Name: "ovacts-x-s1-g"}, "qemu", "maximum", "/k/vmlinux", nil, 0, "restart", true, "pty"},
		{"fixture on kvm with data and nic", fixture, GuestDomain{Name: "ovacts-x-s1-g", DataDisk: "/d.qcow2", Network: "n"}, "kvm", "", "/k/vmlinux", []string{"vda"}, 1, "restart", true, "pty"},
		{"disk guest", disk, GuestDomain{Name: "ovacts-x-s1-g", Overlay: "/pool/root.qcow2", DataDisk: "/d.qcow2", OnReboot: "destroy"}, "qemu", "maximum", "", []string{"vda", "vdb"}, 0, "destroy", true, "pty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x, err := c.g.DomainXML(c.gd, "x86_64", c.typ)
			if err != nil {
				t.Fatal(err)
			}
			var d libvirtxml.Domain
			if err := d.Unmarshal(x); err != nil {
				t.Fatalf("%v\n%s", err, x)
			}
			if d.Type != c.typ || d.Name != c.gd.Name || d.OnReboot != c.onReboot {
				t.Errorf("type %q name %q on_reboot %q", d.Type, d.Name, d.OnReboot)
			}
			if (d.CPU == nil) != (c.cpu == "") || (d.CPU != nil && d.CPU.Mode != c.cpu) {
				t.Errorf("cpu %+v, want mode %q", d.CPU, c.cpu)
			}
			if d.OS.Kernel != c.kernel || (c.kernel == "" && (len(d.OS.BootDevices) != 1 || d.OS.BootDevices[0].Dev != "hd")) {
				t.Errorf("os %+v", d.OS)
			}
			if d.Features == nil || d.Features.ACPI == nil {
				t.Error("no ACPI: the power button would not reach the guest")
			}
			var targets []string
			for _, disk := range d.Devices.Disks {
				targets = append(targets, disk.Target.Dev)
			}
			if strings.Join(targets, ",") != strings.Join(c.disks, ",") {
				t.Errorf("disks %v, want %v", targets, c.disks)
			}
			if c.g.Source == "disk" && d.Devices.Disks[0].Source.File.File != c.gd.Overlay {
				t.Errorf("boot disk %+v is not the overlay", d.Devices.Disks[0].Source.File)
			}
			if len(d.Devices.Interfaces) != c.nics {
				t.Errorf("%d NICs", len(d.Devices.Interfaces))
			}
			if len(d.Devices.Channels) != 1 || d.Devices.Channels[0].Target.VirtIO.Name != "org.qemu.guest_agent.0" {
				t.Errorf("agent channel %+v", d.Devices.Channels)
			}
			if len(d.Devices.Serials) != 1 || d.Devices.Serials[0].Source != nil && d.Devices.Serials[0].Source.Pty == nil {
				t.Errorf("serial %+v", d.Devices.Serials)
			}
		})
	}
}

func TestDiskFormatAndOverlay(t *testing.T) {
	dir := t.TempDir()
	q := filepath.Join(dir, "a.qcow2")
	r := filepath.Join(dir, "a.img")
	os.WriteFile(q, []byte("QFI\xfb\x00\x00\x00\x03rest"), 0o644)
	os.WriteFile(r, []byte("\x00\x00\x00\x00"), 0o644)
	if DiskFormat(q) != "qcow2" || DiskFormat(r) != "raw" || DiskFormat(filepath.Join(dir, "none")) != "raw" {
		t.Fatal("format detection")
	}
	var v libvirtxml.StorageVolume
	if err := v.Unmarshal(OverlayXML("ovacts-x-root", q+"&'")); err != nil {
		t.Fatal(err)
	}
	if v.Name != "ovacts-x-root" || v.Target.Format.Type != "qcow2" || v.BackingStore.Path != q+"&'" || v.BackingStore.Format.Type != "raw" {
		t.Fatalf("overlay %+v %+v", v.Target, v.BackingStore)
	}
}

func TestRemoveDomainLogs(t *testing.T) {
	dir := t.TempDir()
	names := []string{
		"ovacts-deadrun1-s1-vm.log",    // a domain of the run: removed
		"ovacts-deadrun1-s1-vm.log.1",  // its rotated log: removed
		"ovacts-deadrun1-s1-vm2.log",   // another domain's: kept
		"ovacts-deadrun1-s1-vm.logger", // not its log: kept
		"foreign-vm.log",               // not ours: kept
	}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("log"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	n, err := RemoveDomainLogs(dir, []string{"ovacts-deadrun1-s1-vm", "foreign-vm", "ovacts-*"})
	if err != nil || n != 2 {
		t.Fatalf("removed %d, %v", n, err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*"))
	var got []string
	for _, f := range left {
		got = append(got, filepath.Base(f))
	}
	want := "foreign-vm.log,ovacts-deadrun1-s1-vm.logger,ovacts-deadrun1-s1-vm2.log"
	if strings.Join(got, ",") != want {
		t.Fatalf("left %v, want %s", got, want)
	}
}
