package main

import (
	"slices"
	"testing"

	"github.com/ovacts/ovacts/harness"
)

// What make test expects of the areas that judge the host itself, derived
// from the host's measured facts (harness.MeasureHost, the one place that
// measures them), never from one machine's: the real-stack tests read these,
// and TestHostExpectations checks them on injected facts of both kinds of
// host, with KVM and without.

// hostExpect is the outcome a run must give on a host: its exit code, the
// requirements that must pass (true) or fail (false) and the cause a failure
// names, and those that must be not applicable.
type hostExpect struct {
	exit          int
	pass          map[string]bool
	cause         map[string]string
	notApplicable []string
}

// kvmHostExpect: the KVM host area (--tags @kvm) on a host with facts f.
func kvmHostExpect(f harness.HostFacts) hostExpect {
	e := hostExpect{pass: map[string]bool{}, cause: map[string]string{}}
	kvm, _ := f.Get(harness.FactKVM)
	usable := kvm == "usable"
	e.pass["KVM-001"] = !f.Is(harness.FactCPUVirt, "none")
	e.pass["KVM-002"] = usable
	e.pass["KVM-003"] = f.Is(harness.FactVhostNet, "present")
	e.pass["KVM-004"] = f.Is(harness.FactTun, "present")
	e.pass["KVM-006"] = !f.Is(harness.FactIOMMU, "0")
	switch kvm {
	case "absent":
		e.cause["KVM-002"] = "/dev/kvm: no such file or directory"
	case "unusable":
		e.cause["KVM-002"] = "/dev/kvm"
	}
	if !e.pass["KVM-003"] {
		e.cause["KVM-003"] = "/dev/vhost-net"
	}
	if usable {
		e.pass["KVM-009"] = true
	} else {
		// The stack offers no kvm domain type: what needs one is not applicable.
		e.notApplicable = []string{"KVM-007", "KVM-008", "KVM-009"}
	}
	if kvm == "absent" {
		// What a stack must offer on a host with /dev/kvm: this host has none.
		e.notApplicable = append(e.notApplicable, "KVM-010")
	}
	e.exit = 1
	if usable && e.pass["KVM-004"] {
		e.exit = 0
	}
	return e
}

// oVirtHostExpect: the ovirt-host profile on a host with facts f (libvirt
// 9.0 and QEMU 7.2 fail OVH-003's newer cluster level wherever they run).
func oVirtHostExpect(f harness.HostFacts) hostExpect {
	e := hostExpect{pass: map[string]bool{"OVH-002": true, "OVH-003": false, "OVH-005": true, "OVH-006": true, "OVH-007": true},
		cause: map[string]string{"OVH-003": "libvirt 9.0.0 < 10.10.0, QEMU 7.2.22 < 9.1.0"}}
	usable := f.Is(harness.FactKVM, "usable")
	e.pass["OVH-001"], e.pass["OVH-004"] = usable, usable
	e.exit = 0
	if !usable {
		e.exit = 1
		e.cause["OVH-001"] = "KVM_NOT_RUNNING"
		e.cause["OVH-004"] = "kvm"
	}
	return e
}

func facts(kv ...string) harness.HostFacts {
	var f harness.HostFacts
	for i := 0; i+1 < len(kv); i += 2 {
		f = append(f, harness.HostFact{Name: kv[i], Value: kv[i+1]})
	}
	return f
}

// The expectations of both kinds of host: one has a usable /dev/kvm (the
// nested kvm-pvm or real hardware), the other none at all.
func TestHostExpectations(t *testing.T) {
	withKVM := facts(harness.FactKVM, "usable", harness.FactCPUVirt, "none", harness.FactVhostNet, "present", harness.FactTun, "present", harness.FactIOMMU, "0")
	noKVM := facts(harness.FactKVM, "absent", harness.FactCPUVirt, "none", harness.FactVhostNet, "absent", harness.FactTun, "present", harness.FactIOMMU, "0")
	hw := facts(harness.FactKVM, "usable", harness.FactCPUVirt, "vmx", harness.FactVhostNet, "present", harness.FactTun, "present", harness.FactIOMMU, "12")

	if e := kvmHostExpect(withKVM); e.exit != 0 || !e.pass["KVM-002"] || !e.pass["KVM-009"] || e.pass["KVM-001"] || !e.pass["KVM-003"] || len(e.notApplicable) != 0 {
		t.Errorf("nested KVM: %+v", e)
	}
	if e := kvmHostExpect(noKVM); e.exit != 1 || e.pass["KVM-002"] || e.cause["KVM-002"] == "" || e.pass["KVM-003"] || len(e.notApplicable) != 4 || e.pass["KVM-009"] {
		t.Errorf("no KVM: %+v", e)
	}
	if e := kvmHostExpect(hw); e.exit != 0 || !e.pass["KVM-001"] || !e.pass["KVM-006"] {
		t.Errorf("hardware KVM: %+v", e)
	}
	if e := kvmHostExpect(facts(harness.FactKVM, "unusable", harness.FactTun, "present")); e.exit != 1 || e.pass["KVM-002"] || e.cause["KVM-002"] != "/dev/kvm" {
		t.Errorf("unusable KVM: %+v", e)
	}
	if e := oVirtHostExpect(withKVM); e.exit != 0 || !e.pass["OVH-001"] || !e.pass["OVH-004"] {
		t.Errorf("oVirt host with KVM: %+v", e)
	}
	if e := oVirtHostExpect(noKVM); e.exit != 1 || e.pass["OVH-001"] || e.pass["OVH-004"] || e.cause["OVH-001"] == "" {
		t.Errorf("oVirt host without KVM: %+v", e)
	}
	if why := needsUsableKVMFact(noKVM); why == "" {
		t.Error("the /dev/kvm fault would run on a host without /dev/kvm")
	}
	if why := needsUsableKVMFact(withKVM); why != "" {
		t.Errorf("the /dev/kvm fault skipped on a host with a usable KVM: %s", why)
	}
}

// needsUsableKVMFact says why a fault of /dev/kvm cannot be made on a host
// ("" when it can): there must be a usable /dev/kvm to break.
func needsUsableKVMFact(f harness.HostFacts) string {
	if v, _ := f.Get(harness.FactKVM); v != "usable" {
		return "this host's /dev/kvm is " + v + ", not usable: there is no KVM to break"
	}
	return ""
}

// strictNotApplicable is what the strict full-profile runs (the areas that
// judge the stack, not the host) may find not applicable on the host their
// report describes: GUEST-018, which needs a kvm domain type, where the host
// has no usable /dev/kvm. Nothing else.
func strictNotApplicable(props map[string]string) []string {
	if props["host.kvm"] != "usable" {
		return []string{"GUEST-018"}
	}
	return nil
}

func TestStrictNotApplicable(t *testing.T) {
	if got := strictNotApplicable(map[string]string{"host.kvm": "absent"}); !slices.Equal(got, []string{"GUEST-018"}) {
		t.Errorf("no KVM: %v", got)
	}
	if got := strictNotApplicable(map[string]string{"host.kvm": "usable"}); len(got) != 0 {
		t.Errorf("KVM: %v", got)
	}
}

// unreachableHere is what the strict run cannot enter on a host with the
// facts its report records, though it does where they differ: the calls of
// the steps that follow a host-bound failure (a waived one), each named with
// the fact that stops it. TUNE-002 reads the block I/O weight back
// (virDomainGetBlkioParameters) only once the kernel took it.
func unreachableHere(props map[string]string) []string {
	var out []string
	for _, u := range []struct{ fact, value, function string }{
		{"host.blkio.weight", "unsupported", "virDomainGetBlkioParameters"},
	} {
		if props[u.fact] == u.value {
			out = append(out, u.function)
		}
	}
	return out
}

func TestUnreachableHere(t *testing.T) {
	if got := unreachableHere(map[string]string{"host.blkio.weight": "unsupported"}); !slices.Equal(got, []string{"virDomainGetBlkioParameters"}) {
		t.Errorf("no block I/O weights: %v", got)
	}
	if got := unreachableHere(map[string]string{"host.blkio.weight": "supported"}); len(got) != 0 {
		t.Errorf("with block I/O weights: %v", got)
	}
}
