// Save images with changed descriptions (features/save): the domain XML of a
// save image and of a managed save changed before the restore, and save and
// restore through typed parameters.

package save

import (
	"context"
	"fmt"

	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
)

func saveDomainWith(ctx context.Context, dom, how string) error {
	w := W(ctx)
	f, err := w.ScratchFile(dom + ".save")
	if err != nil {
		return err
	}
	w.Remember(&w.SaveSt().Files, dom, f)
	return w.WithDomain(dom, func(d *libvirt.Domain) error {
		if how == "with its flags" {
			return d.SaveFlags(f, "", libvirt.DOMAIN_SAVE_RUNNING)
		}
		return d.SaveParams(libvirt.DomainSaveRestoreParams{FileSet: true, File: f}, 0)
	})
}

func restoreDomainWith(ctx context.Context, dom, how string) error {
	w := W(ctx)
	f, ok := w.SaveSt().Files[dom]
	if !ok {
		return fmt.Errorf("domain %q was not saved in this scenario", dom)
	}
	if how == "with its flags" {
		return w.Conn.DomainRestoreFlags(f, "", libvirt.DOMAIN_SAVE_RUNNING)
	}
	return w.Conn.DomainRestoreParams(libvirt.DomainSaveRestoreParams{FileSet: true, File: f}, 0)
}

// setDescriptionInSaveImage changes the domain XML kept in a save image (or
// the managed save image) to carry a description: the restore must use it.
func setDescriptionInSaveImage(ctx context.Context, which, dom, text string) error {
	w := W(ctx)
	if which == "save file" {
		f, ok := w.SaveSt().Files[dom]
		if !ok {
			return fmt.Errorf("domain %q was not saved in this scenario", dom)
		}
		x, err := w.Conn.DomainSaveImageGetXMLDesc(f, libvirt.DOMAIN_SAVE_IMAGE_XML_SECURE)
		if err != nil {
			return err
		}
		if x, err = withDescription(x, text); err != nil {
			return err
		}
		return w.Conn.DomainSaveImageDefineXML(f, x, 0)
	}
	return w.WithDomain(dom, func(d *libvirt.Domain) error {
		x, err := d.ManagedSaveGetXMLDesc(libvirt.DOMAIN_SAVE_IMAGE_XML_SECURE)
		if err != nil {
			return err
		}
		if x, err = withDescription(x, text); err != nil {
			return err
		}
		return d.ManagedSaveDefineXML(x, 0)
	})
}

func withDescription(x, text string) (string, error) {
	doc, err := stepkit.ParseDomain(x)
	if err != nil {
		return "", err
	}
	doc.Description = text
	return doc.Marshal()
}

func registerImageDescription(r *stepkit.Registry) {
	r.Step(`^I save domain "([^"]*)" to a file (with its flags|through typed parameters)$`, saveDomainWith)
	r.Step(`^I restore domain "([^"]*)" from its file (with its flags|through typed parameters)$`, restoreDomainWith)
	r.Step(`^I set the description in the (save file|managed save image) of domain "([^"]*)" to "([^"]*)"$`, setDescriptionInSaveImage)
}
