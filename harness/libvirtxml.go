// Small facts of libvirt's XML and host paths shared by the harness and the
// steps: escaping, the directory pool definition, a filter binding's parts,
// where QEMU domains' images and logs live.

package harness

import (
	"encoding/xml"
	"fmt"
	"strings"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// BindingInfo returns a filter binding's port device and filter name.
//
// It reads them from the binding's XML: libvirt.org/go/libvirt v1.12007.0's
// NWFilterBinding.GetPortDev and GetFilterName C.free a string the binding
// owns (libvirt returns const char *), so a later Free aborts the process with
// a double free. TestNoBrokenBindingGetters keeps them out of the tree.
func BindingInfo(b *libvirt.NWFilterBinding) (portdev, filter string, err error) {
	x, err := b.GetXMLDesc(0)
	if err != nil {
		return "", "", err
	}
	var doc libvirtxml.NWFilterBinding
	if err := doc.Unmarshal(x); err != nil {
		return "", "", fmt.Errorf("binding XML: %w", err)
	}
	if doc.PortDev != nil {
		portdev = doc.PortDev.Name
	}
	if doc.FilterRef != nil {
		filter = doc.FilterRef.Filter
	}
	return portdev, filter, nil
}

// XMLEscape escapes text for an XML attribute or element written by hand.
func XMLEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// DirPoolXML is the definition of a directory pool of the suite.
func DirPoolXML(name, uuid, dir string) string {
	u := ""
	if uuid != "" {
		u = "<uuid>" + XMLEscape(uuid) + "</uuid>"
	}
	return fmt.Sprintf(`<pool type='dir'><name>%s</name>%s<target><path>%s</path></target></pool>`, XMLEscape(name), u, XMLEscape(dir))
}

// ImageDir is where the suite's directory pools live on the stack's host:
// libvirt's own image directory, present on every libvirt host. Each pool has
// a directory of its own in it, named like the pool, which the run makes.
const ImageDir = "/var/lib/libvirt/images"

// QEMULogDir is where libvirt's QEMU driver keeps one log per domain name; the
// file outlives the domain.
const QEMULogDir = "/var/log/libvirt/qemu"

// SwtpmLogDir is where libvirt has swtpm, the TPM emulator of a domain with
// an emulated TPM, keep its log (<domain name>-swtpm.log).
const SwtpmLogDir = "/var/log/swtpm/libvirt/qemu"
