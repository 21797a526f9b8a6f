package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"libvirt.org/go/libvirt"
)

// Boot once, restore many: the run boots the guest OS once more after its
// probe, to its agent, and saves it with its memory (virDomainSave). A
// scenario that needs a running guest and does not test the boot itself gets
// its own domain (its own name and UUID) restored from a copy of that image:
// seconds instead of a boot, which under TCG costs the most CPU of a run.
// Only on a stack on this host (the image is a file the daemon reads) and for
// a guest without a disk of its own (the fixture, a vendor's kernel): the
// restored memory must not meet another guest's disk.

// GuestImageFixture is the shared fixture's name: its domain is
// "<run prefix>shared-guest-image", gone once saved.
const GuestImageFixture = "guest-image"

// GuestImage is the saved guest, on this host.
type GuestImage struct {
	Path string
	Boot time.Duration // its boot to the agent
	Save time.Duration
}

// Describe is the fixture's line in the report.
func (img *GuestImage) Describe() string {
	return fmt.Sprintf("the guest booted once to its agent (%.1f s) and saved with its memory (%.1f s)", img.Boot.Seconds(), img.Save.Seconds())
}

// GuestImageUnusable says why this run's guests cannot be restored from an
// image ("" when they can): a remote stack, another driver, a guest on a disk.
func GuestImageUnusable(caps *Capabilities, g *Guest) string {
	host, remote := caps.Missing["host"]
	switch {
	case g == nil:
		return "no guest OS was probed"
	case caps.Driver != "QEMU":
		return "the stack's driver is " + caps.Driver + ", not QEMU"
	case remote:
		return "the stack is not on this host: " + host.Reason
	case g.Source == "disk":
		return "the guest boots from a disk, which a restored guest would share"
	}
	return ""
}

// GuestImage returns the run's guest image, built by the first scenario that
// asks. Unlike a fixture a scenario declares (@shared), the image is how the
// suite starts guests, not what a scenario tests: its failure is the caller's
// to handle (a boot instead).
func (s *Scenario) GuestImage(ctx context.Context, g *Guest) (*GuestImage, error) {
	if s.fixtures == nil {
		return nil, errors.New("no shared fixtures in this run")
	}
	f, err := s.fixtures.once(ctx, GuestImageFixture, func(ctx context.Context) (any, string, error) {
		img, err := buildGuestImage(ctx, s.fixtures.newFix(), g)
		if err != nil {
			return nil, "", err
		}
		return img, img.Describe(), nil
	})
	if err != nil {
		return nil, err
	}
	return f.val.(*GuestImage), nil
}

// buildGuestImage boots the guest as a transient domain of the fixture
// scenario, waits for its agent and saves it into the fixture's scratch
// directory (removed when the run's scenarios are over).
func buildGuestImage(ctx context.Context, fix *Scenario, g *Guest) (*GuestImage, error) {
	name := fix.Name(GuestImageFixture)
	uuid := NewUUID()
	xml, err := g.DomainXML(GuestDomain{Name: name, UUID: uuid}, fix.Caps.GuestArch, g.DomainType)
	if err != nil {
		return nil, err
	}
	dir, err := fix.Tracker.ScratchDir(name)
	if err != nil {
		return nil, err
	}
	watch, err := WatchGuest(fix.Events, name)
	if err != nil {
		return nil, err
	}
	defer watch.Stop()
	watch.PauseFails = true
	start := time.Now()
	d, err := fix.Tracker.CreateDomain(name, uuid, xml, true)
	if err != nil {
		return nil, fmt.Errorf("starting the guest to save: %w", err)
	}
	defer d.Free()
	if err := OwnDomain(d, fix.owner); err != nil {
		return nil, err
	}
	if err := watch.WaitAgent(ctx, 0, g.BootLimit); err != nil {
		return nil, fmt.Errorf("the guest to save did not become ready: %w", err)
	}
	if err := AgentCommand(d, 10*time.Second, "guest-ping", nil, nil); err != nil {
		return nil, fmt.Errorf("the guest to save: %w", err)
	}
	img := &GuestImage{Path: filepath.Join(dir, "guest.save"), Boot: time.Since(start)}
	start = time.Now()
	if err := d.SaveFlags(img.Path, "", libvirt.DOMAIN_SAVE_RUNNING); err != nil {
		return nil, fmt.Errorf("saving the guest: %w", err)
	}
	img.Save = time.Since(start)
	// The image must be one a copy can be made of; find out now, once.
	return img, CheckSaveImage(img.Path)
}

// Restore starts the domain to.Name (UUID to.UUID) from a copy of the image
// written into dir. With defined, the domain is already defined (and tracked)
// and the restore runs it; otherwise the restored, transient domain is
// recorded on t first.
func (img *GuestImage) Restore(conn *libvirt.Connect, t *Tracker, dir string, to SaveImageTarget, defined bool) error {
	copyPath := filepath.Join(dir, to.Name+".save")
	if err := RetargetSaveImage(img.Path, copyPath, to); err != nil {
		return err
	}
	defer os.Remove(copyPath)
	restore := func() (string, error) { return "", conn.DomainRestoreFlags(copyPath, "", libvirt.DOMAIN_SAVE_RUNNING) }
	if defined {
		_, err := restore()
		return err
	}
	return t.Create(Resource{Kind: KindDomain, Name: to.Name, UUID: to.UUID}, restore)
}
