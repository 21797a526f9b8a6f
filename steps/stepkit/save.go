package stepkit

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/ovacts/ovacts/harness"
	"libvirt.org/go/libvirt"
)

// ScratchFile names a file the stack writes for a scenario (a save image). On
// a real stack it lives in the scenario's pool directory, recorded as the
// run's, so the pool's cleanup removes it wherever the stack runs. The
// in-process test driver fakes its pool directories, so there it is a local
// scratch directory of the scenario.
func (w *World) ScratchFile(name string) (string, error) {
	if err := harness.CheckLogicalName(name); err != nil {
		return "", err
	}
	if w.Caps.Driver == "TEST" {
		if w.SaveSt().scratch == "" {
			dir, err := w.ScratchDir("scratch")
			if err != nil {
				return "", err
			}
			w.SaveSt().scratch = dir
		}
		return filepath.Join(w.SaveSt().scratch, name), nil
	}
	return w.PoolFile("store", name)
}

// ScratchDir makes a directory of the scenario on this host, named with the
// scenario's name for purpose and a random suffix, inside the scenario's
// private (0700) parent: recorded in the ledger with its owner and inode and
// removed with what is in it at cleanup (harness.Tracker.ScratchDir).
func (w *World) ScratchDir(purpose string) (string, error) {
	return w.Tracker.ScratchDir(w.Name(purpose))
}

func saveDomainToAFile(ctx context.Context, dom string) error {
	w := W(ctx)
	f, err := w.ScratchFile(dom + ".save")
	if err != nil {
		return err
	}
	w.Remember(&w.SaveSt().Files, dom, f)
	return w.WithDomain(dom, func(d *libvirt.Domain) error { return d.Save(f) })
}

func restoreDomainFromItsFile(ctx context.Context, dom string) error {
	w := W(ctx)
	f, ok := w.SaveSt().Files[dom]
	if !ok {
		return fmt.Errorf("domain %q was not saved in this scenario", dom)
	}
	return w.Conn.DomainRestore(f)
}

func managedSaveDomain(ctx context.Context, action, dom string) error {
	return W(ctx).WithDomain(dom, func(d *libvirt.Domain) error {
		if strings.HasPrefix(action, "remove") {
			return d.ManagedSaveRemove(0)
		}
		return d.ManagedSave(0)
	})
}

func registerSave(r *Registry) {
	r.Step(`^I save domain "([^"]*)" to a file$`, saveDomainToAFile)
	r.Step(`^I restore domain "([^"]*)" from its file$`, restoreDomainFromItsFile)
	r.Step(`^I (managed-save|remove the managed save of) domain "([^"]*)"$`, managedSaveDomain)
}
