package hotplug

import (
	"fmt"
	"testing"

	"github.com/ovacts/ovacts/harness"
	"libvirt.org/go/libvirt"
)

// Only QEMU's "tray is not open" answer to a medium change is tried again;
// any other error fails the step at once.
func TestTrayClosedUnderIt(t *testing.T) {
	tray := libvirt.Error{Code: libvirt.ERR_INTERNAL_ERROR, Message: "internal error: unable to execute QEMU command 'blockdev-remove-medium': Tray of device 'scsi0-0-0-2' is not open"}
	if !trayClosedUnderIt(fmt.Errorf("step: %w", tray)) {
		t.Error("the tray race is not recognised")
	}
	insert := libvirt.Error{Code: libvirt.ERR_INTERNAL_ERROR, Message: "internal error: unable to execute QEMU command 'blockdev-insert-medium': Tray of the device is not open"}
	if !trayClosedUnderIt(insert) {
		t.Error("the tray race at the insertion is not recognised")
	}
	for _, e := range []libvirt.Error{{Code: libvirt.ERR_INTERNAL_ERROR, Message: "internal error: unable to execute QEMU command 'blockdev-remove-medium': Device not found"},
		{Code: libvirt.ERR_OPERATION_FAILED, Message: "Tray of device 'x' is not open"}} {
		if trayClosedUnderIt(e) {
			t.Errorf("%s %q taken for the tray race", harness.ErrorCodeName(e.Code), e.Message)
		}
	}
}
