package steps

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/ovacts/ovacts/harness"
	"libvirt.org/go/libvirt"
)

// scratchFile names a file the stack writes for a scenario (a save image). On
// a real stack it lives in the scenario's pool directory, recorded as the
// run's, so the pool's cleanup removes it wherever the stack runs. The
// in-process test driver fakes its pool directories, so there it is a local
// scratch directory of the scenario.
func (w *world) scratchFile(name string) (string, error) {
	if err := harness.CheckLogicalName(name); err != nil {
		return "", err
	}
	if w.Caps.Driver == "TEST" {
		if w.saveSt().scratch == "" {
			dir, err := w.scratchDir("scratch")
			if err != nil {
				return "", err
			}
			w.saveSt().scratch = dir
		}
		return filepath.Join(w.saveSt().scratch, name), nil
	}
	return w.poolFile("store", name)
}

// scratchDir makes a directory of the scenario on this host, named with the
// scenario's name for purpose and a random suffix, inside the scenario's
// private (0700) parent: recorded in the ledger with its owner and inode and
// removed with what is in it at cleanup (harness.Tracker.ScratchDir).
func (w *world) scratchDir(purpose string) (string, error) {
	return w.Tracker.ScratchDir(w.Name(purpose))
}

// Save and restore, to a file and managed by libvirt.
func registerSave(r *Registry) {
	r.Step(`^I save domain "([^"]*)" to a file$`, saveDomainToAFile)
	r.Step(`^I restore domain "([^"]*)" from its file$`, restoreDomainFromItsFile)
	r.Step(`^I try to restore a domain from a file that does not exist$`, tryToRestoreADomainFromA)
	r.Step(`^the save file of domain "([^"]*)" describes that domain$`, saveFileOfDomainDescribesThatDomain)
	r.Step(`^I (managed-save|remove the managed save of) domain "([^"]*)"$`, managedSaveDomain)
	r.Step(`^domain "([^"]*)" (has|has no) managed save image$`, domainManagedSaveImage)
}

func saveDomainToAFile(ctx context.Context, dom string) error {
	w := W(ctx)
	f, err := w.scratchFile(dom + ".save")
	if err != nil {
		return err
	}
	w.remember(&w.saveSt().files, dom, f)
	return w.withDomain(dom, func(d *libvirt.Domain) error { return d.Save(f) })
}

func restoreDomainFromItsFile(ctx context.Context, dom string) error {
	w := W(ctx)
	f, ok := w.saveSt().files[dom]
	if !ok {
		return fmt.Errorf("domain %q was not saved in this scenario", dom)
	}
	return w.Conn.DomainRestore(f)
}

func tryToRestoreADomainFromA(ctx context.Context) error {
	w := W(ctx)
	f, err := w.scratchFile("missing.save")
	if err != nil {
		return err
	}
	return w.try(w.Conn.DomainRestore(f))
}

func saveFileOfDomainDescribesThatDomain(ctx context.Context, dom string) error {
	w := W(ctx)
	x, err := w.Conn.DomainSaveImageGetXMLDesc(w.saveSt().files[dom], 0)
	if err != nil {
		return err
	}
	doc, err := parseDomain(x)
	if err != nil {
		return err
	}
	if doc.Name != w.Name(dom) {
		return fmt.Errorf("the save image describes domain %q, want %q", doc.Name, w.Name(dom))
	}
	return nil
}

func managedSaveDomain(ctx context.Context, action, dom string) error {
	return W(ctx).withDomain(dom, func(d *libvirt.Domain) error {
		if strings.HasPrefix(action, "remove") {
			return d.ManagedSaveRemove(0)
		}
		return d.ManagedSave(0)
	})
}

func domainManagedSaveImage(ctx context.Context, dom, want string) error {
	return W(ctx).withDomain(dom, func(d *libvirt.Domain) error {
		has, err := d.HasManagedSaveImage(0)
		if err != nil {
			return err
		}
		if has != (want == "has") {
			return fmt.Errorf("domain %q HasManagedSaveImage is %v, want %s", dom, has, want)
		}
		return nil
	})
}
