//go:build !guestfs

package harness

// GuestfsBindingVersion: this binary has no libguestfs binding (built without
// -tags guestfs), so the libguestfs scenarios are skipped with this reason.
func GuestfsBindingVersion() (string, error) { return "", ErrNoGuestfsBinding }
