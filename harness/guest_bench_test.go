//go:build realstack

package harness

import (
	"context"
	"slices"
	"testing"
	"time"
)

// BenchmarkGuestBoot boots the guest fixture on the real stack, start to a
// running agent, with the accelerator the probe picks; it reports the median
// (make bench-guest: 5 boots).
func BenchmarkGuestBoot(b *testing.B) {
	g, missing, err := ResolveGuest(GuestConfig{})
	if err != nil || missing != "" {
		b.Fatalf("no guest (make guest): %v %s", err, missing)
	}
	conn, err := Open("qemu:///system")
	if err != nil {
		b.Fatal(err)
	}
	hub := NewEventHub(conn)
	runID := NewRunID()
	defer func() {
		hub.Close()
		DrainEvents(5 * time.Second)
		if err := CloseChecked(conn); err != nil {
			b.Error(err)
		}
		RemoveDomainLogs(QEMULogDir, []string{RunPrefix(runID) + "bench-guest", RunPrefix(runID) + "probe-guest-kvm", RunPrefix(runID) + "probe-guest-tcg",
			RunPrefix(runID) + "probe-kvm", RunPrefix(runID) + "probe-persistent"})
	}()
	owner := NewOwner(runID, time.Now())
	tracker := NewTracker(conn, nil, "")
	defer tracker.Cleanup()
	caps, err := Probe(conn, "qemu:///system", tracker, RunPrefix(runID), owner)
	if err != nil {
		b.Fatal(err)
	}
	cfg := GuestConfig{Accel: "auto", BootTimeout: 60 * time.Second, AccelTimeout: 10 * time.Second}
	probe := GuestProbe{Conn: conn, Events: hub, Caps: caps, Tracker: tracker, Prefix: RunPrefix(runID), Owner: owner, Progress: func(string) {}}
	if n := probe.Run(context.Background(), g, cfg); n != nil {
		b.Fatal(n.Reason)
	}
	var boots []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		name := RunPrefix(runID) + "bench-guest"
		took, err := probe.Boot(context.Background(), g, GuestDomain{Name: name}, g.DomainType, cfg.BootTimeout)
		if err != nil {
			b.Fatal(err)
		}
		boots = append(boots, took)
	}
	b.StopTimer()
	slices.Sort(boots)
	b.ReportMetric(boots[len(boots)/2].Seconds(), "median-s/boot")
	b.ReportMetric(0, "ns/op")
	b.Logf("guest %s on %s: boots %v", g.Describe(), g.Accel, boots)
}
