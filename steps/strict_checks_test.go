package steps

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/reports"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// The checks tightened in earlier rounds (issue 35, Why 6), each fed the
// wrong answer: each fails, naming what it saw.

// wantErr fails the test unless err is a failure whose message holds saying.
func wantErr(t *testing.T, what string, err error, saying string) {
	t.Helper()
	var skip *harness.SkipError
	switch {
	case err == nil:
		t.Errorf("%s passed", what)
	case errors.As(err, &skip):
		t.Errorf("%s: %s, not a failure: %v", what, skip.Status, err)
	case !strings.Contains(err.Error(), saying):
		t.Errorf("%s: %v, want it to say %q", what, err, saying)
	}
}

// KVM-010: a host with /dev/kvm whose stack offers no kvm type fails; one
// without /dev/kvm is not applicable.
func TestKVMTypeOffered(t *testing.T) {
	chr, err := os.Stat("/dev/null") // a character device, as /dev/kvm is
	if err != nil {
		t.Skip(err)
	}
	if err := kvmTypeOffered(chr, nil, "x86_64", []string{"qemu", "kvm"}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "a stack without kvm on a host with /dev/kvm", kvmTypeOffered(chr, nil, "x86_64", []string{"qemu"}), "offers no kvm domain type for x86_64 (offers qemu)")
	plain := filepath.Join(t.TempDir(), "kvm")
	os.WriteFile(plain, nil, 0o600)
	reg, _ := os.Stat(plain)
	var skip *harness.SkipError
	for _, c := range []struct {
		st  os.FileInfo
		err error
	}{{nil, os.ErrNotExist}, {reg, nil}} {
		if err := kvmTypeOffered(c.st, c.err, "x86_64", nil); !errors.As(err, &skip) || skip.Status != reports.NotApplicable {
			t.Errorf("no /dev/kvm character device: %v, want not applicable", err)
		}
	}
}

// SNAP-003: the live disk must be the snapshot's overlay, backed by the former disk.
func TestWritesToOverlay(t *testing.T) {
	disk := func(src, backing string) *libvirtxml.Domain {
		d := libvirtxml.DomainDisk{Source: &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: src}}}
		if backing != "" {
			d.BackingStore = &libvirtxml.DomainDiskBackingStore{Source: &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: backing}}}
		}
		return &libvirtxml.Domain{Devices: &libvirtxml.DomainDeviceList{Disks: []libvirtxml.DomainDisk{d}}}
	}
	const overlay, former = "/p/vm-ext.qcow2", "/p/vm-disk"
	if err := writesToOverlay(disk(overlay, former), overlay, former); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "still on the former disk", writesToOverlay(disk(former, ""), overlay, former), "not the snapshot's overlay")
	wantErr(t, "an overlay without backing", writesToOverlay(disk(overlay, ""), overlay, former), "has no backing store")
	wantErr(t, "an overlay backed by another", writesToOverlay(disk(overlay, "/p/other"), overlay, former), "backed by /p/other")
	wantErr(t, "no disk", writesToOverlay(&libvirtxml.Domain{}, overlay, former), "no file disk")
}

// STOR-006: a fresh qcow2 volume reported fully allocated fails.
func TestAllocationWithin(t *testing.T) {
	if err := allocationWithin("v", 8*mib, 196608, "1"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "a fully allocated volume", allocationWithin("v", 8*mib, 8*mib, "1"), "allocates 8388608 bytes, more than 1048576")
	wantErr(t, "more than the capacity", allocationWithin("v", 8*mib, 9*mib, ""), "more than 8388608")
}

// NET-007: a network whose UUID the second definition replaced fails.
func TestKeptOwnUUID(t *testing.T) {
	if err := keptOwnUUID("n", "u-1", "u-1"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "a replaced UUID", keptOwnUUID("n", "u-2", "u-1"), "second definition replaced it")
	wantErr(t, "no UUID noted", keptOwnUUID("n", "u-2", ""), "not its own")
}

// NET-010: no lease yet, a lease outside the subnet, or an IPv6 lease for the MAC.
func TestLeaseOf(t *testing.T) {
	_, subnet, _ := net.ParseCIDR("10.201.7.0/24")
	const mac = "52:54:00:aa:bb:cc"
	lease := func(m, ip string, typ libvirt.IPAddrType) libvirt.NetworkDHCPLease {
		return libvirt.NetworkDHCPLease{Mac: m, IPaddr: ip, Type: typ}
	}
	if _, err := leaseOf([]libvirt.NetworkDHCPLease{lease("52:54:00:AA:BB:CC", "10.201.7.57", libvirt.IP_ADDR_TYPE_IPV4)}, mac, subnet); err != nil {
		t.Fatal(err)
	}
	if seen, err := leaseOf([]libvirt.NetworkDHCPLease{lease("52:54:00:00:00:01", "10.201.7.9", libvirt.IP_ADDR_TYPE_IPV4)}, mac, subnet); !errors.Is(err, errNoLease) || len(seen) != 1 {
		t.Errorf("another guest's lease: %v %v", seen, err)
	}
	_, err := leaseOf([]libvirt.NetworkDHCPLease{lease(mac, "192.168.122.5", libvirt.IP_ADDR_TYPE_IPV4)}, mac, subnet)
	wantErr(t, "a lease outside the subnet", err, "outside the network's 10.201.7.0/24")
	_, err = leaseOf([]libvirt.NetworkDHCPLease{lease(mac, "10.201.7.5", libvirt.IP_ADDR_TYPE_IPV6)}, mac, subnet)
	wantErr(t, "a lease typed IPv6", err, "outside")
}

// SNAP-010: a refusal other than VIR_ERR_CONFIG_UNSUPPORTED fails.
func TestRevertRefusal(t *testing.T) {
	ctx, w := stepWorld(catalogue.SHOULD)
	w.tried, w.lastErr = true, libvirt.Error{Code: libvirt.ERR_CONFIG_UNSUPPORTED, Message: "unsupported configuration: revert to external snapshot not supported yet"}
	if err := revertEitherMadeTheCurrentSnapshotOf(ctx, "ext", "vm"); err != nil {
		t.Fatal(err)
	}
	w.lastErr = libvirt.Error{Code: libvirt.ERR_INTERNAL_ERROR, Message: "internal error: qemu unexpectedly closed the monitor"}
	wantErr(t, "a crashed revert", revertEitherMadeTheCurrentSnapshotOf(ctx, "ext", "vm"), "expected VIR_ERR_CONFIG_UNSUPPORTED, got")
}

// STAT-005: no statistics, no balloon size, a balloon size other than the
// current memory, or a zero resident set fails.
func TestMemoryStatsAgree(t *testing.T) {
	stat := func(tag libvirt.DomainMemoryStatTags, v uint64) libvirt.DomainMemoryStat {
		return libvirt.DomainMemoryStat{Tag: int32(tag), Val: v}
	}
	good := []libvirt.DomainMemoryStat{stat(libvirt.DOMAIN_MEMORY_STAT_ACTUAL_BALLOON, 65536), stat(libvirt.DOMAIN_MEMORY_STAT_RSS, 40000)}
	if err := memoryStatsAgree(good, 65536); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "no statistics", memoryStatsAgree(nil, 65536), "no memory statistics")
	wantErr(t, "no balloon", memoryStatsAgree(good[1:], 65536), "no actual balloon size")
	wantErr(t, "another balloon size", memoryStatsAgree(good, 131072), "actual size is 65536 KiB, the domain's current memory 131072 KiB")
	wantErr(t, "a zero RSS", memoryStatsAgree([]libvirt.DomainMemoryStat{good[0], stat(libvirt.DOMAIN_MEMORY_STAT_RSS, 0)}, 65536), "resident set size is reported as 0")
}

// FLT-003: a binding to another filter, or one of the run's still there
// after the domain's destruction, fails.
func TestFilterBindings(t *testing.T) {
	if err := bindingUses("vnet0", "ovacts-ab-f", "ovacts-ab-f"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "another filter", bindingUses("vnet0", "clean-traffic", "ovacts-ab-f"), `uses filter "clean-traffic"`)
	gone := libvirt.Error{Code: libvirt.ERR_NO_NWFILTER_BINDING, Message: "Network filter binding not found"}
	if err := bindingGone("vnet0", gone, "", "ovacts-ab-"); err != nil {
		t.Fatal(err)
	}
	if err := bindingGone("vnet0", nil, "someone-elses", "ovacts-ab-"); err != nil {
		t.Fatalf("a reused device name: %v", err)
	}
	wantErr(t, "a binding left behind", bindingGone("vnet0", nil, "ovacts-ab-f", "ovacts-ab-"), "still there")
	wantErr(t, "a failed lookup", bindingGone("vnet0", libvirt.Error{Code: libvirt.ERR_INTERNAL_ERROR, Message: "boom"}, "", "ovacts-ab-"), "want VIR_ERR_NO_NWFILTER_BINDING")
}

// The cgroup v2 devices check asks the kernel: a directory that is no cgroup
// (or none at all) fails it.
func TestCgroupV2DevicesCheck(t *testing.T) {
	if err := cgroupV2DevicesAvailable(t.TempDir()); err == nil {
		t.Error("a plain directory passed as a cgroup with device programs")
	}
	if err := cgroupV2DevicesAvailable(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("a missing cgroup passed")
	}
}

// MIG-011: the refusal must say "same host", with a code of the family.
func TestSameHostMigrationRefusal(t *testing.T) {
	_, w := stepWorld(catalogue.MUST)
	w.tried = true
	w.lastErr = libvirt.Error{Code: libvirt.ERR_INTERNAL_ERROR, Message: "internal error: Attempt to migrate guest to the same host 6695eb01-f6a4-8304-79aa-97f2502e193f"}
	if err := w.expectRefusal("a migration to the same host", "same host"); err != nil {
		t.Fatal(err)
	}
	for _, e := range []libvirt.Error{
		{Code: libvirt.ERR_OPERATION_INVALID, Message: "Requested operation is not valid: domain is not running"},
		{Code: libvirt.ERR_INTERNAL_ERROR, Message: "internal error: unable to execute QEMU command 'migrate'"},
		{Code: libvirt.ERR_OPERATION_FAILED, Message: "operation failed: migrating to the same host"},
	} {
		w.lastErr = e
		wantErr(t, e.Message, w.expectRefusal("a migration to the same host", "same host"), e.Message)
	}
}
