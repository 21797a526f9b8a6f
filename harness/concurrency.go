package harness

import (
	"fmt"
	"runtime"
)

// AutoConcurrency picks how many scenarios run at once for --concurrency
// auto, from the stack's kind and its host's CPUs, and says why.
//
//   - The in-process test driver answers in microseconds: its whole full
//     profile takes a fraction of a second, so one at a time, which keeps
//     the progress in order.
//   - Guests or an appliance on TCG are CPU-bound (one emulated vCPU keeps a
//     host CPU busy): two scenarios per CPU, so that one waits on the daemon
//     or the disk while the other emulates.
//   - Otherwise (KVM guests, or no guest at all) the scenarios mostly wait on
//     the daemon: four per CPU.
//
// Between 2 and 8 either way: 8 stays well below libvirtd's default
// max_workers (20), which every client of the daemon shares. Measured on a
// 2-CPU host with TCG guests (make bench-run): 4 at a time takes the full
// profile from 339 s to 159 s.
func AutoConcurrency(c *Capabilities) (int, string) {
	if c.Driver == "TEST" {
		return 1, "the in-process test driver answers at once"
	}
	cpus := c.HostCPUs
	where := "the stack's host"
	if cpus <= 0 {
		cpus, where = runtime.NumCPU(), "this machine (the stack did not say)"
	}
	per, why := 4, "scenarios mostly wait on the daemon"
	if accel := c.emulatedAccel(); accel != "" {
		per, why = 2, accel+" on TCG, which is CPU-bound"
	}
	n := min(max(per*cpus, 2), 8)
	return n, fmt.Sprintf("%d per CPU of %s (%d CPUs), at most 8: %s", per, where, cpus, why)
}

// emulatedAccel names what the run boots under TCG, if anything.
func (c *Capabilities) emulatedAccel() string {
	switch {
	case c.Guest != nil && c.Guest.Accel == "tcg" && c.Guestfs != nil && c.Guestfs.Accel == "tcg":
		return "guests and the libguestfs appliance run"
	case c.Guest != nil && c.Guest.Accel == "tcg":
		return "guests run"
	case c.Guestfs != nil && c.Guestfs.Accel == "tcg":
		return "the libguestfs appliance runs"
	}
	return ""
}

// decideConcurrency fixes the run's concurrency (auto is decided here, after
// the probe) and says it; the report records it (run.concurrency).
func (r *runner) decideConcurrency() {
	how := "as asked"
	if r.cfg.Concurrency == 0 {
		var why string
		r.cfg.Concurrency, why = AutoConcurrency(r.caps)
		how = "auto: " + why
	}
	r.concurrencyNote = fmt.Sprintf("%d (%s)", r.cfg.Concurrency, how)
	fmt.Fprintf(r.cfg.Progress, "concurrency: %s\n", r.concurrencyNote)
}
