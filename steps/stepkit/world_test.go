package stepkit

import (
	"testing"

	"libvirt.org/go/libvirt"
)

// Only states libvirt describes as passing are waited on; a settled state
// that is not the one wanted is the answer at once.
func TestInTransit(t *testing.T) {
	for _, c := range []struct {
		st     libvirt.DomainState
		reason int
		want   bool
	}{
		{libvirt.DOMAIN_SHUTDOWN, 0, true},
		{libvirt.DOMAIN_NOSTATE, 0, true},
		{libvirt.DOMAIN_PAUSED, int(libvirt.DOMAIN_PAUSED_MIGRATION), true},
		{libvirt.DOMAIN_PAUSED, int(libvirt.DOMAIN_PAUSED_SAVE), true},
		{libvirt.DOMAIN_PAUSED, int(libvirt.DOMAIN_PAUSED_USER), false},
		{libvirt.DOMAIN_PAUSED, int(libvirt.DOMAIN_PAUSED_FROM_SNAPSHOT), false},
		{libvirt.DOMAIN_RUNNING, int(libvirt.DOMAIN_RUNNING_RESTORED), false},
		{libvirt.DOMAIN_SHUTOFF, int(libvirt.DOMAIN_SHUTOFF_SAVED), false},
	} {
		if got := inTransit(c.st, c.reason); got != c.want {
			t.Errorf("inTransit(%s): %v, want %v", DescribeState(c.st, c.reason), got, c.want)
		}
	}
}
