package save

import (
	"context"
	"fmt"

	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
)

func tryToRestoreADomainFromAnAbsentFile(ctx context.Context) error {
	w := W(ctx)
	f, err := w.ScratchFile("missing.save")
	if err != nil {
		return err
	}
	return w.Try(w.Conn.DomainRestore(f))
}

func saveFileOfDomainDescribesThatDomain(ctx context.Context, dom string) error {
	w := W(ctx)
	x, err := w.Conn.DomainSaveImageGetXMLDesc(w.SaveSt().Files[dom], 0)
	if err != nil {
		return err
	}
	doc, err := stepkit.ParseDomain(x)
	if err != nil {
		return err
	}
	if doc.Name != w.Name(dom) {
		return fmt.Errorf("the save image describes domain %q, want %q", doc.Name, w.Name(dom))
	}
	return nil
}

func domainManagedSaveImage(ctx context.Context, dom, want string) error {
	return W(ctx).WithDomain(dom, func(d *libvirt.Domain) error {
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

func registerSave(r *stepkit.Registry) {
	r.Step(`^I try to restore a domain from a file that does not exist$`, tryToRestoreADomainFromAnAbsentFile)
	r.Step(`^the save file of domain "([^"]*)" describes that domain$`, saveFileOfDomainDescribesThatDomain)
	r.Step(`^domain "([^"]*)" (has|has no) managed save image$`, domainManagedSaveImage)
}
