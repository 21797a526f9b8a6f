//go:build !guestfs

package libguestfs

import "github.com/ovacts/ovacts/harness"

// newGuestfs: built without the libguestfs binding. The probe reports the
// same reason before the run, so the libguestfs scenarios never get here.
func newGuestfs() (gfsHandle, error) { return nil, harness.ErrNoGuestfsBinding }
