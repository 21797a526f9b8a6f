package stepkit

import (
	"context"
	"fmt"

	"github.com/ovacts/ovacts/harness"
)

func runningGuest(ctx context.Context, logical, withDisk, network string) error {
	w := W(ctx)
	disk := ""
	if withDisk != "" {
		if err := w.EnsurePool("store"); err != nil {
			return err
		}
		if err := w.CreateVolume(logical+"-data", "qcow2", 64, "store", ""); err != nil {
			return err
		}
		p, err := w.VolumePath(logical+"-data", "store")
		if err != nil {
			return err
		}
		disk = p
	}
	if network != "" {
		network = w.Name(network)
	}
	if disk == "" && network == "" && w.SharesFixture(SharedGuest) {
		return w.sharedGuest(ctx, logical)
	}
	return w.RunningGuest(ctx, logical, disk, network)
}

// SharedGuest is the guest booted once per run for the scenarios that only
// read it (@shared:guest: the agent's answers, the guest's description). A
// scenario that changes its guest (power, devices, clock, memory, console)
// boots its own.
const SharedGuest = "guest"

func (w *World) sharedGuest(ctx context.Context, logical string) error {
	v, err := w.Shared(ctx, SharedGuest, func(ctx context.Context, fix *harness.Scenario) (any, string, error) {
		fw := &World{Scenario: fix}
		// The fixture's own context: nothing in the build may reach the asking scenario's state.
		ctx = WithWorld(harness.WithScenario(ctx, fix), fw)
		if err := fw.RunningGuest(ctx, logical, "", ""); err != nil {
			return nil, "", err
		}
		g, _ := fw.TheGuest()
		return sharedGuestOf{name: fix.Name(logical), state: fw.GuestsSt().byDomain[logical]}, fmt.Sprintf("guest %s (%s), booted once for the run", fix.Name(logical), g.Accel), nil
	})
	if err != nil {
		return err
	}
	sg := v.(sharedGuestOf)
	w.Alias(logical, sg.name)
	if w.GuestsSt().byDomain == nil {
		w.GuestsSt().byDomain = map[string]*GuestState{}
	}
	w.GuestsSt().byDomain[logical] = sg.state
	return nil
}

type sharedGuestOf struct {
	name  string
	state *GuestState
}
