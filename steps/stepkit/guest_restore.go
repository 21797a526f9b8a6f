package stepkit

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ovacts/ovacts/harness"
	"libvirt.org/go/libvirt"
)

// bootsTag marks a scenario that tests the guest's boot itself (a reboot, a
// reset): its guests boot, never restore from the run's guest image.
const bootsTag = "@boots"

// restoreUnusable says why a running guest of this scenario boots instead of
// being restored from the run's guest image ("" when it can be restored):
// the image is the plain guest, so a data disk, a NIC or more vCPUs boot.
func (w *World) restoreUnusable(logical, dataDisk, network string) string {
	switch {
	case w.Pickle != nil && slices.Contains(w.Pickle.Tags, bootsTag):
		return "the scenario tests the boot (" + bootsTag + ")"
	case dataDisk != "" || network != "" || w.GuestsSt().Vcpus[logical] != 0:
		return "its devices are not the saved guest's"
	}
	return harness.GuestImageUnusable(w.Caps, w.Caps.Guest)
}

// restoredGuest starts a guest from the run's guest image, under the
// scenario's own name and UUID, and waits for its agent to answer. It
// returns false (and no error) when the image cannot be had: the guest then
// boots, and the report says why.
func (w *World) restoredGuest(ctx context.Context, logical string) (bool, error) {
	g, err := w.TheGuest()
	if err != nil {
		return false, err
	}
	img, err := w.GuestImage(ctx, g)
	if err != nil {
		w.NoteGuestStart(fmt.Sprintf("%s: booted (no guest image: %s)", logical, harness.DescribeError(err)))
		return false, nil
	}
	dir, err := w.Tracker.ScratchDir(w.Name(logical))
	if err != nil {
		return false, err
	}
	xml, err := w.defineGuest(ctx, logical, "", "")
	if err != nil {
		return false, err
	}
	gs := w.GuestsSt().byDomain[logical]
	gs.Started = gs.Watch.Mark()
	to := harness.SaveImageTarget{Name: w.Name(logical), UUID: UUIDOf(xml)}
	if w.Caps.Persistent {
		if err := w.DefineDomain(logical, xml); err != nil {
			return false, err
		}
	} else {
		w.Remember(&w.DomainSt().SentXML, logical, xml)
	}
	if err := img.Restore(w.Conn, w.Tracker, dir, to, w.Caps.Persistent); err != nil {
		return false, fmt.Errorf("restoring guest %q from the run's guest image: %w", logical, err)
	}
	if err := w.UntilAgent(ctx, g.BootLimit, func(context.Context) error { return w.Ping(logical) }); err != nil {
		return false, fmt.Errorf("guest %q restored from the run's guest image: its agent: %w", logical, err)
	}
	w.NoteGuestStart(logical + ": restored from the run's guest image (" + img.Describe() + ")")
	return true, nil
}

// Ping asks the guest's agent for a sign of life.
func (w *World) Ping(logical string) error {
	return w.WithDomain(logical, func(d *libvirt.Domain) error {
		return harness.AgentCommand(d, 2*time.Second, "guest-ping", nil, nil)
	})
}
