package steps

import (
	"strings"
	"testing"

	"libvirt.org/go/libvirt"
)

// LIST-006: a device whose capability listing fails fails the check (a
// device removed meanwhile is skipped), and a pass needs a device checked.
func TestNodeDeviceListingFailuresCount(t *testing.T) {
	if skip, err := capsListed("pci_0000_00_01_0", nil); skip || err != nil {
		t.Fatalf("a listing that answered: %v %v", skip, err)
	}
	if skip, err := capsListed("net_vnet3", libvirt.Error{Code: libvirt.ERR_NO_NODE_DEVICE, Message: "Node device not found"}); !skip || err != nil {
		t.Errorf("a device removed meanwhile: %v %v", skip, err)
	}
	broken := libvirt.Error{Code: libvirt.ERR_INTERNAL_ERROR, Message: "internal error: cannot read udev property"}
	if _, err := capsListed("pci_0000_00_01_0", broken); err == nil || !strings.Contains(err.Error(), "pci_0000_00_01_0") || !strings.Contains(err.Error(), "cannot read udev property") {
		t.Errorf("a failed capability listing: %v", err)
	}
	if err := someDevicesChecked(0, 12); err == nil || !strings.Contains(err.Error(), "12 listed") {
		t.Errorf("nothing checked passed: %v", err)
	}
	if err := someDevicesChecked(1, 12); err != nil {
		t.Error(err)
	}
}
