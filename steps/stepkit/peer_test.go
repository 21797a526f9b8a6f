package stepkit

import (
	"testing"

	"github.com/ovacts/ovacts/harness"
	"libvirt.org/go/libvirt"
)

// The checks tightened in earlier rounds (issue 35, Why 6), each fed the
// wrong answer: each fails, naming what it saw.

// MIG-011: the refusal must say "same host", with a code of the family.
func TestSameHostMigrationRefusal(t *testing.T) {
	_, w := StepWorld(harness.MUST)
	w.Tried = true
	w.LastErr = libvirt.Error{Code: libvirt.ERR_INTERNAL_ERROR, Message: "internal error: Attempt to migrate guest to the same host 6695eb01-f6a4-8304-79aa-97f2502e193f"}
	if err := w.expectRefusal("a migration to the same host", "same host"); err != nil {
		t.Fatal(err)
	}
	for _, e := range []libvirt.Error{
		{Code: libvirt.ERR_OPERATION_INVALID, Message: "Requested operation is not valid: domain is not running"},
		{Code: libvirt.ERR_INTERNAL_ERROR, Message: "internal error: unable to execute QEMU command 'migrate'"},
		{Code: libvirt.ERR_OPERATION_FAILED, Message: "operation failed: migrating to the same host"},
	} {
		w.LastErr = e
		WantErr(t, e.Message, w.expectRefusal("a migration to the same host", "same host"), e.Message)
	}
}
