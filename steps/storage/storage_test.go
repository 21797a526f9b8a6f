package storage

import (
	"testing"

	"github.com/ovacts/ovacts/steps/stepkit"
)

// STOR-006: a fresh qcow2 volume reported fully allocated fails.
func TestAllocationWithin(t *testing.T) {
	if err := allocationWithin("v", 8*stepkit.MiB, 196608, "1"); err != nil {
		t.Fatal(err)
	}
	stepkit.WantErr(t, "a fully allocated volume", allocationWithin("v", 8*stepkit.MiB, 8*stepkit.MiB, "1"), "allocates 8388608 bytes, more than 1048576")
	stepkit.WantErr(t, "more than the capacity", allocationWithin("v", 8*stepkit.MiB, 9*stepkit.MiB, ""), "more than 8388608")
}
