package harness

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ovacts/ovacts/fixtures"
	"github.com/ovacts/ovacts/internal/safeio"
)

// DefaultGuestDir is where fixtures/guest/build.sh leaves its newest build.
const DefaultGuestDir = "/var/cache/ovacts/guest/current"

// GuestConfig is what the user said about the guest OS scenarios need.
type GuestConfig struct {
	Dir    string // a build of fixtures/guest/build.sh; "" = OVACTS_GUEST_DIR or DefaultGuestDir if present
	Kernel string // --guest-kernel (with Initrd): direct boot of the vendor's kernel
	Initrd string
	// Cmdline of a direct kernel boot; "" = the fixture's, or console=ttyS0.
	Cmdline string
	Disk    string // --guest-disk: a bootable image with qemu-ga; used read-only through an overlay
	Accel   string // auto, kvm or tcg
	// BootTimeout bounds one boot to ready; AccelTimeout the KVM attempt of auto.
	BootTimeout  time.Duration
	AccelTimeout time.Duration
}

// GuestMeta describes the fixture guest (guest.json of a build).
type GuestMeta struct {
	Key                  string  `json:"key"`
	KernelPackage        string  `json:"kernel_package"`
	KernelPackageVersion string  `json:"kernel_package_version"`
	KernelRelease        string  `json:"kernel_release"`
	BusyboxVersion       string  `json:"busybox_version"`
	AgentVersion         string  `json:"qemu_guest_agent_version"`
	Hostname             string  `json:"hostname"`
	OSID                 string  `json:"os_id"`
	ReadyMarker          string  `json:"ready_marker"`
	Cmdline              string  `json:"cmdline"`
	BuildSeconds         float64 `json:"build_seconds"`
}

// Guest is the resolved guest: how to boot it, what to expect of it, and the
// accelerator the probe found working for it.
type Guest struct {
	Source  string // "fixture", "kernel" or "disk"
	Kernel  string
	Initrd  string
	Cmdline string
	Disk    string
	Meta    GuestMeta // known for the fixture only; zero for vendor guests

	DomainType string // kvm or qemu
	Accel      string // kvm or tcg
	AccelNote  string // why, when auto fell back
	// ForcedAccel: --guest-accel chose the accelerator; the probe tried no other.
	ForcedAccel bool
	ProbeBoot   time.Duration // the probe's boot to ready
	BootLimit   time.Duration
	Machine     string // the machine type of its domains; "" is the stack's default
}

// Describe is one line for the progress output and the report.
func (g *Guest) Describe() string {
	switch g.Source {
	case "fixture":
		return fmt.Sprintf("fixture %s (kernel %s, qemu-ga %s)", g.Meta.Key, g.Meta.KernelRelease, g.Meta.AgentVersion)
	case "kernel":
		return "kernel " + g.Kernel
	}
	return "disk " + g.Disk
}

// ResolveGuest checks what the user named. Paths the user gave that are not
// there are a setup error; a missing default fixture is only a missing need.
func ResolveGuest(cfg GuestConfig) (*Guest, string, error) {
	if err := CheckAccel("--guest-accel", cfg.Accel); err != nil {
		return nil, "", err
	}
	regular := func(flag, p string) error {
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("%s %s: %v", flag, p, safeio.Reason(err))
		}
		if !st.Mode().IsRegular() {
			return fmt.Errorf("%s %s: not a regular file", flag, p)
		}
		return nil
	}
	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return p
	}
	sources := 0
	for _, s := range []string{cfg.Kernel, cfg.Disk} {
		if s != "" {
			sources++
		}
	}
	if cfg.Dir != "" {
		sources++
	}
	if sources > 1 {
		return nil, "", errors.New("give one guest: --guest-dir, --guest-kernel/--guest-initrd or --guest-disk")
	}
	if cfg.Initrd != "" && cfg.Kernel == "" {
		return nil, "", errors.New("--guest-initrd needs --guest-kernel")
	}
	switch {
	case cfg.Disk != "":
		if err := regular("--guest-disk", cfg.Disk); err != nil {
			return nil, "", err
		}
		return &Guest{Source: "disk", Disk: abs(cfg.Disk)}, "", nil
	case cfg.Kernel != "":
		if err := regular("--guest-kernel", cfg.Kernel); err != nil {
			return nil, "", err
		}
		g := &Guest{Source: "kernel", Kernel: abs(cfg.Kernel), Cmdline: cfg.Cmdline}
		if cfg.Initrd != "" {
			if err := regular("--guest-initrd", cfg.Initrd); err != nil {
				return nil, "", err
			}
			g.Initrd = abs(cfg.Initrd)
		}
		if g.Cmdline == "" {
			g.Cmdline = "console=ttyS0"
		}
		return g, "", nil
	}
	dir, explicit := cfg.Dir, cfg.Dir != ""
	if dir == "" {
		dir = os.Getenv("OVACTS_GUEST_DIR")
		explicit = dir != ""
	}
	if dir == "" {
		dir = DefaultGuestDir
	}
	g, err := loadFixtureGuest(dir)
	if err != nil {
		if explicit {
			return nil, "", fmt.Errorf("guest directory: %w", err)
		}
		return nil, fmt.Sprintf("no guest OS: %v; build one with 'make guest' (fixtures/guest/build.sh) or pass --guest-kernel/--guest-initrd or --guest-disk", err), nil
	}
	if cfg.Cmdline != "" {
		g.Cmdline = cfg.Cmdline
	}
	return g, "", nil
}

func loadFixtureGuest(dir string) (*Guest, error) {
	data, err := os.ReadFile(filepath.Join(dir, "guest.json"))
	if err != nil {
		return nil, fmt.Errorf("%s has no guest build (%v)", dir, safeio.Reason(err))
	}
	var m GuestMeta
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s/guest.json does not parse: %v", dir, err)
	}
	if m.ReadyMarker == "" || m.Cmdline == "" {
		return nil, fmt.Errorf("%s/guest.json lacks ready_marker or cmdline", dir)
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, err
	}
	g := &Guest{Source: "fixture", Kernel: filepath.Join(real, "vmlinux"), Initrd: filepath.Join(real, "initrd.cpio"), Cmdline: m.Cmdline, Meta: m}
	for _, p := range []string{g.Kernel, g.Initrd} {
		if st, err := os.Stat(p); err != nil || st.Size() == 0 {
			return nil, fmt.Errorf("%s is missing or empty", p)
		}
	}
	return g, nil
}

// GuestDomain is how a scenario asks for a guest domain.
type GuestDomain struct {
	Name     string
	UUID     string // "" = a new one (then the caller cannot record it: set it)
	Overlay  string // disk guests: the overlay volume's path on the stack
	DataDisk string // optional qcow2 data disk
	Network  string // optional NIC on this network
	OnReboot string
	MaxVCPUs int // vCPUs the guest may have, one plugged at start (0: one vCPU)
}

// DomainXML renders the guest fixture for d with the probed accelerator.
func (g *Guest) DomainXML(d GuestDomain, arch, domainType string) (string, error) {
	if d.UUID == "" {
		d.UUID = NewUUID()
	}
	v := fixtures.DomainVars{Name: d.Name, UUID: d.UUID, Type: domainType, Arch: arch, MemoryMiB: 256,
		DataDisk: d.DataDisk, Network: d.Network, OnReboot: d.OnReboot, MaxVCPUs: d.MaxVCPUs, Machine: g.Machine}
	if domainType == "qemu" {
		v.CPUMode = "maximum" // TCG: every feature it can emulate (cmpxchg16b and friends)
	}
	if g.Source == "disk" {
		v.Disk, v.DiskFormat = d.Overlay, "qcow2"
	} else {
		v.Kernel, v.Initrd, v.Cmdline = g.Kernel, g.Initrd, g.Cmdline
	}
	return fixtures.Domain("guest", v)
}

// AccelName maps a domain type to the accelerator it means.
func AccelName(domainType string) string {
	if domainType == "qemu" {
		return "tcg"
	}
	return domainType
}

// DiskFormat tells qcow2 from raw by the image's magic.
func DiskFormat(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return "raw"
	}
	defer f.Close()
	magic := make([]byte, 4)
	if n, _ := f.Read(magic); n == 4 && string(magic) == "QFI\xfb" {
		return "qcow2"
	}
	return "raw"
}

// OverlayXML is a qcow2 volume over a guest disk, so the vendor's image is
// only ever read.
func OverlayXML(name, backing string) string {
	return fmt.Sprintf(`<volume><name>%s</name><capacity unit='bytes'>0</capacity>`+
		`<target><format type='qcow2'/></target>`+
		`<backingStore><path>%s</path><format type='%s'/></backingStore></volume>`,
		XMLEscape(name), XMLEscape(backing), DiskFormat(backing))
}
