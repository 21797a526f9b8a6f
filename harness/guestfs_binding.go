//go:build guestfs

package harness

import (
	"fmt"

	"libguestfs.org/guestfs"
)

// GuestfsBindingVersion is the version of the libguestfs library this binary
// is linked with (the binding is built in: -tags guestfs).
func GuestfsBindingVersion() (string, error) {
	g, err := guestfs.Create()
	if err != nil {
		return "", fmt.Errorf("creating a libguestfs handle: %w", err)
	}
	defer g.Close()
	v, gerr := g.Version()
	if gerr != nil {
		return "", fmt.Errorf("libguestfs version: %w", gerr)
	}
	return fmt.Sprintf("%d.%d.%d%s", v.Major, v.Minor, v.Release, v.Extra), nil
}
