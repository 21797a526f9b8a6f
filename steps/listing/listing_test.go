package listing

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

// The legacy listings are judged against the list-all calls around them:
// other scenarios' objects may come and go, but a stack whose legacy call
// leaves out, invents or miscounts an object that stays fails.
func TestLegacyListingWithin(t *testing.T) {
	before, after := []string{"a", "b", "gone"}, []string{"a", "b", "new"}
	for _, c := range []struct {
		name   string
		n      int
		legacy []string
		want   bool
	}{
		{"as before", 3, []string{"a", "b", "gone"}, true},
		{"as after", 3, []string{"a", "b", "new"}, true},
		{"between", 2, []string{"a", "b"}, true},
		{"leaves out a stable object", 2, []string{"a", "new"}, false},
		{"invents an object", 3, []string{"a", "b", "ghost"}, false},
		{"miscounts", 7, []string{"a", "b"}, false},
		{"counts none", 0, []string{"a", "b"}, false},
	} {
		if got := agreeWithin(c.n, c.legacy, before, after); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
