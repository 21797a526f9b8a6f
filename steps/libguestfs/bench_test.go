//go:build guestfs && realstack

package libguestfs

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ovacts/ovacts/harness"
)

// BenchmarkGuestfsLaunch launches and shuts down the libguestfs appliance
// (direct backend, one blank drive) with the accelerator the probe picks,
// through the Go binding; it reports the median (make bench-guestfs: 5).
func BenchmarkGuestfsLaunch(b *testing.B) {
	g, _, why := harness.ProbeGuestfs(context.Background(), harness.GuestfsConfig{}, true, func(string) {})
	if why != nil {
		b.Fatal(why.Reason)
	}
	var took []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h, err := newGuestfs()
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		err = h.SetBackend("direct")
		if err == nil {
			err = h.SetBackendSettings(g.BackendSettings())
		}
		if err == nil {
			err = h.AddDrive("/dev/null", "raw", true)
		}
		if err == nil {
			err = h.Launch()
		}
		if err == nil {
			err = h.Shutdown()
		}
		took = append(took, time.Since(start))
		if cerr := h.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	slices.Sort(took)
	b.ReportMetric(took[len(took)/2].Seconds(), "median-s/launch")
	b.ReportMetric(0, "ns/op")
	b.Logf("libguestfs %s, appliance on %s: launches %v", g.Version, g.Accel, took)
}
