//go:build realstack

package harness

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ovacts/ovacts/fixtures"
	"libvirt.org/go/libvirt"
)

// BenchmarkMigration migrates a running domain with no OS (KVM where it starts,
// as the scenarios do) from qemu:///system to the peer of make setup, once per
// kind and iteration, and reports each kind's median (make bench-migration: 3).
func BenchmarkMigration(b *testing.B) {
	src, err := Open("qemu:///system")
	if err != nil {
		b.Fatal(err)
	}
	dst, err := Open("qemu+tcp://127.0.0.1/system")
	if err != nil {
		b.Fatalf("no peer (make setup): %v", err)
	}
	runID := NewRunID()
	prefix, owner := RunPrefix(runID), NewOwner(runID, time.Now())
	srcT, dstT := NewTracker(src, nil, ""), NewTracker(dst, nil, "")
	var domains []string
	defer func() {
		dstT.Cleanup()
		srcT.Cleanup()
		CloseChecked(dst)
		CloseChecked(src)
		RemoveDomainLogs(QEMULogDir, domains)
	}()
	caps, err := Probe(src, "qemu:///system", srcT, prefix, owner)
	if err != nil {
		b.Fatal(err)
	}
	// A pool at the same path on both ends, for the disk that --copy-storage-all copies.
	pool := prefix + "bench"
	dir := filepath.Join(ImageDir, pool)
	for _, c := range []struct {
		conn *libvirt.Connect
		t    *Tracker
	}{{src, srcT}, {dst, dstT}} {
		p, err := c.t.CreateDirPool(pool, dir)
		if err != nil {
			b.Fatal(err)
		}
		p.Free()
	}
	kinds := []struct {
		name  string
		flags libvirt.DomainMigrateFlags
		disk  bool
		p2p   bool
		uri   string
		start bool
	}{
		{"live", libvirt.MIGRATE_LIVE, false, false, "", true},
		{"p2p", libvirt.MIGRATE_LIVE | libvirt.MIGRATE_PEER2PEER, false, true, "", true},
		{"offline", libvirt.MIGRATE_OFFLINE | libvirt.MIGRATE_PERSIST_DEST, false, false, "", false},
		{"copy-storage-all", libvirt.MIGRATE_LIVE | libvirt.MIGRATE_NON_SHARED_DISK, true, false, "", true},
		{"migrateuri", libvirt.MIGRATE_LIVE, false, false, "tcp://127.0.0.1:49500", true},
	}
	took := map[string][]time.Duration{}
	dstDomains := NewTracker(dst, nil, "") // per iteration; the pool stays on dstT
	defer dstDomains.Cleanup()
	for i := 0; i < b.N; i++ {
		for _, k := range kinds {
			name := fmt.Sprintf("%sbench-%s-%d", prefix, k.name, i)
			v := fixtures.DomainVars{Name: name, UUID: NewUUID(), Type: caps.DomainType, Arch: caps.GuestArch}
			fixture := "minimal"
			if k.disk {
				sp, _ := src.LookupStoragePoolByName(pool)
				vol, err := srcT.CreateVolume(sp, pool, dir, name+".qcow2", fmt.Sprintf(`<volume><name>%s.qcow2</name><capacity unit='MiB'>64</capacity><target><format type='qcow2'/></target></volume>`, name))
				sp.Free()
				// The copy arrives at the same path in the peer's pool.
				dstT.Add(Resource{Kind: KindFile, Path: dir + "/" + name + ".qcow2", Parent: pool})
				if err != nil {
					b.Fatal(err)
				}
				v.Disk, _ = vol.GetPath()
				vol.Free()
				fixture = "disk"
			}
			x, err := fixtures.Domain(fixture, v)
			if err != nil {
				b.Fatal(err)
			}
			d, err := srcT.CreateDomain(name, v.UUID, x, false)
			if err != nil {
				b.Fatal(err)
			}
			domains = append(domains, name)
			if k.start {
				if err := d.Create(); err != nil {
					b.Fatal(err)
				}
			}
			params := &libvirt.DomainMigrateParameters{}
			if k.uri != "" {
				params.URI, params.URISet = k.uri, true
			}
			dstDomains.Add(Resource{Kind: KindDomain, Name: name, UUID: v.UUID})
			t0 := time.Now()
			if k.p2p {
				err = d.MigrateToURI3("qemu+tcp://127.0.0.1/system", params, k.flags)
			} else {
				var nd *libvirt.Domain
				if nd, err = d.Migrate3(dst, params, k.flags); err == nil {
					nd.Free()
				}
			}
			took[k.name] = append(took[k.name], time.Since(t0))
			d.Free()
			if err != nil {
				b.Fatalf("%s: %v", k.name, err)
			}
			// Each iteration starts clean on both ends.
			if err := dstDomains.Cleanup(); err != nil {
				b.Fatal(err)
			}
			if err := Remove(src, Resource{Kind: KindDomain, Name: name, UUID: v.UUID}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	for _, k := range kinds {
		ds := took[k.name]
		slices.Sort(ds)
		b.ReportMetric(ds[len(ds)/2].Seconds(), k.name+"-median-s")
		b.Logf("%s: %v", k.name, ds)
	}
	b.ReportMetric(0, "ns/op")
}
