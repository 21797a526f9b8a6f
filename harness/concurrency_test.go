package harness

import (
	"strings"
	"testing"
)

func TestAutoConcurrency(t *testing.T) {
	tcg, kvm := &Guest{Accel: "tcg"}, &Guest{Accel: "kvm"}
	for _, c := range []struct {
		name string
		caps Capabilities
		want int
		why  string
	}{
		{"test driver", Capabilities{Driver: "TEST", HostCPUs: 16}, 1, "test driver"},
		{"tcg guests, 2 CPUs", Capabilities{Driver: "QEMU", HostCPUs: 2, Guest: tcg}, 4, "guests run on TCG"},
		{"tcg appliance, 2 CPUs", Capabilities{Driver: "QEMU", HostCPUs: 2, Guest: kvm, Guestfs: &Guestfs{Accel: "tcg"}}, 4, "appliance runs on TCG"},
		{"kvm guests, 2 CPUs", Capabilities{Driver: "QEMU", HostCPUs: 2, Guest: kvm}, 8, "wait on the daemon"},
		{"one CPU, tcg", Capabilities{Driver: "QEMU", HostCPUs: 1, Guest: tcg}, 2, "(1 CPUs)"},
		{"many CPUs", Capabilities{Driver: "QEMU", HostCPUs: 64}, 8, "at most 8"},
	} {
		n, why := AutoConcurrency(&c.caps)
		if n != c.want || !strings.Contains(why, c.why) {
			t.Errorf("%s: %d (%s), want %d (%q)", c.name, n, why, c.want, c.why)
		}
	}
}
