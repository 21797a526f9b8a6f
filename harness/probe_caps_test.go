package harness

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/reports"
	"libvirt.org/go/libvirt"
)

// A call probe tells absent (libvirt's unsupported answers) from present (the
// call refused the probe's arguments, or answered) from broken (anything
// else), broken outranking absent whatever the order the probes ran in.
func TestJudgeCallTellsAbsentFromBroken(t *testing.T) {
	p := callProbe{need: "hotplug", api: "virDomainAttachDeviceFlags(a disk, VIR_DOMAIN_AFFECT_LIVE) on a shut-off domain"}
	for _, c := range []struct {
		errs  []error
		state NeedState // "" present
		in    string    // what the reason must hold
	}{
		{[]error{nil}, "", ""},
		{[]error{libvirt.Error{Code: libvirt.ERR_OPERATION_INVALID, Message: "Requested operation is not valid: domain is not running"}}, "", ""},
		{[]error{libvirt.Error{Code: libvirt.ERR_XML_ERROR, Message: "XML error: unexpected root element <ovacts-probe>"}}, "", ""},
		{[]error{libvirt.Error{Code: libvirt.ERR_NO_SUPPORT, Message: "this function is not supported by the connection driver: virDomainAttachDeviceFlags"}},
			Absent, "virDomainAttachDeviceFlags(a disk, VIR_DOMAIN_AFFECT_LIVE) on a shut-off domain answers VIR_ERR_NO_SUPPORT: this function is not supported"},
		{[]error{libvirt.Error{Code: libvirt.ERR_INVALID_ARG, Message: "unsupported flags (0x1) in function testDomainPinVcpuFlags"}},
			Absent, "answers VIR_ERR_INVALID_ARG: unsupported flags (0x1)"},
		{[]error{libvirt.Error{Code: libvirt.ERR_INTERNAL_ERROR, Message: "internal error: unable to execute QEMU command"}},
			Broken, "failed: VIR_ERR_INTERNAL_ERROR: internal error: unable to execute QEMU command"},
		{[]error{libvirt.Error{Code: libvirt.ERR_NO_SUPPORT, Message: "not supported"}, libvirt.Error{Code: libvirt.ERR_RPC, Message: "connection lost"}},
			Broken, "VIR_ERR_RPC"},
		{[]error{libvirt.Error{Code: libvirt.ERR_RPC, Message: "connection lost"}, libvirt.Error{Code: libvirt.ERR_NO_SUPPORT, Message: "not supported"}},
			Broken, "VIR_ERR_RPC"},
	} {
		caps := &Capabilities{}
		for _, err := range c.errs {
			caps.judgeCall(p, err)
		}
		n, missing := caps.Missing["hotplug"]
		switch {
		case c.state == "" && missing:
			t.Errorf("%v: recorded %+v, want present", c.errs, n)
		case c.state != "" && (n.State != c.state || !strings.Contains(n.Reason, c.in)):
			t.Errorf("%v: recorded %+v, want %s saying %q", c.errs, n, c.state, c.in)
		case c.state == Broken && n.StatedBy != "HOT-001":
			t.Errorf("%v: broken hotplug stated by %q, want HOT-001", c.errs, n.StatedBy)
		}
	}
}

// A call given a flag no libvirt call defines: refused as that flag, the
// driver has the call; VIR_ERR_NO_SUPPORT, it lacks it; taking the flag, or
// any other answer, is a fault.
func TestFlagProbeAnswer(t *testing.T) {
	for _, c := range []struct {
		err   error
		state NeedState
	}{
		{libvirt.Error{Code: libvirt.ERR_INVALID_ARG, Message: "unsupported flags (0x40000000) in function storageVolUpload"}, ""},
		{libvirt.Error{Code: libvirt.ERR_NO_SUPPORT, Message: "this function is not supported by the connection driver: virStorageVolUpload"}, Absent},
		{nil, Broken},
		{libvirt.Error{Code: libvirt.ERR_INVALID_ARG, Message: "unsupported flags (0x40000001) in function storageVolResize"}, Broken},
		{libvirt.Error{Code: libvirt.ERR_OPERATION_FAILED, Message: "cannot open volume"}, Broken},
	} {
		state, why := FlagProbeAnswer("virStorageVolUpload", c.err)
		if state != c.state || (state != "" && !strings.Contains(why, "virStorageVolUpload (asked with flag 0x40000000)") && c.err != nil) {
			t.Errorf("%v: %q %q, want %q", c.err, state, why, c.state)
		}
	}
}

// Every probed capability is a known one, stated by a requirement the
// features hold, so that a broken one fails a requirement by name.
func TestCallProbesAreKnownNeeds(t *testing.T) {
	features := map[string]bool{}
	for _, dir := range []string{"../features"} {
		err := walkFeatures(dir, func(text string) {
			for _, m := range regexp.MustCompile(`@req:([A-Z]+-\d{3})`).FindAllStringSubmatch(text, -1) {
				features[m[1]] = true
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	needs := []string{"volume-upload", "volume-resize"}
	for _, p := range callProbes() {
		needs = append(needs, p.need)
	}
	for _, n := range needs {
		d, ok := catalogue.KnownNeeds[n]
		if !ok || d.StatedBy == "" || !features[d.StatedBy] {
			t.Errorf("probed capability %q: %+v, want a known need stated by a requirement of the features", n, d)
		}
	}
}

func walkFeatures(dir string, fn func(string)) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		p := dir + "/" + e.Name()
		if e.IsDir() {
			if err := walkFeatures(p, fn); err != nil {
				return err
			}
		} else if strings.HasSuffix(p, ".feature") {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			fn(string(b))
		}
	}
	return nil
}

// On the test driver the probe finds every call it lacks absent, quoting
// the call and libvirt's answer, breaks none, and leaves nothing behind.
func TestProbeCallsOnTestDriver(t *testing.T) {
	conn, err := Open("test:///default")
	if err != nil {
		t.Fatal(err)
	}
	defer CloseChecked(conn)
	runID := NewRunID()
	tracker := NewTracker(conn, nil, "")
	caps, err := Probe(conn, "test:///default", tracker, RunPrefix(runID), NewOwner(runID, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"hotplug": "virDomainAttachDeviceFlags", "migration": "virDomainMigrateGetMaxSpeed", "dirty-rate": "virDomainStartDirtyRateCalc",
		"job-info": "virDomainGetJobInfo", "block-resize": "virDomainBlockResize", "block-copy": "virDomainBlockCopy",
		"disk-only-snapshots": "unsupported flags (0x10)", "checkpoint-validate": "unsupported flags (0x4)", "backup": "virDomainBackupBegin",
		"save-params": "virDomainSaveParams", "save-state-flags": "unsupported flags (0x2)", "managed-save-xml": "virDomainManagedSaveGetXMLDesc",
		"tuning-live": "unsupported flags (0x1)", "tuning-config": "unsupported flags (0x2)", "stats-cpu": "bits 0x2", "stats-balloon": "bits 0x4",
		"stats-vcpu": "bits 0x8", "stats-interface": "bits 0x10", "stats-block": "bits 0x20", "node-memory-stats": "virNodeGetMemoryStats",
		"pool-caps": "virConnectGetStoragePoolCapabilities", "pool-lookup-by-path": "virStoragePoolLookupByTargetPath",
		"pool-build": "unsupported flags (0x1)", "network-ports": "virNetworkListAllPorts",
		"volume-upload": "VIR_ERR_NO_SUPPORT: this function is not supported by the connection driver: virStorageVolUpload",
		"volume-resize": "VIR_ERR_NO_SUPPORT: this function is not supported by the connection driver: virStorageVolResize",
	}
	for need, quote := range want {
		n, missing := caps.Missing[need]
		if !missing || n.State != Absent || !strings.Contains(n.Reason, quote) {
			t.Errorf("%s: %+v, want absent quoting %q", need, n, quote)
		}
	}
	for need, n := range caps.Missing {
		if n.State == Broken {
			t.Errorf("%s broken on the test driver: %s", need, n.Reason)
		}
	}
	if err := tracker.Cleanup(); err != nil {
		t.Fatal(err)
	}
	left, err := PrefixedObjects(conn)
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(left, func(r Resource) bool { return strings.HasPrefix(r.Name, RunPrefix(runID)) }); i >= 0 {
		t.Fatalf("the probe left %+v", left[i])
	}
}

// What a call probe found decides the plan: an unexpected answer blocks the
// scenarios needing the capability (never not applicable) and fails the
// requirement stating it; an unsupported one makes them not applicable,
// quoting the call.
func TestCallProbeAnswerDecidesThePlan(t *testing.T) {
	p := callProbe{need: "block-copy", api: "virDomainBlockCopy(vda) on a shut-off domain"}
	broken := &Capabilities{}
	broken.judgeCall(p, libvirt.Error{Code: libvirt.ERR_INTERNAL_ERROR, Message: "internal error: qemu unexpectedly closed the monitor"})
	if o := decidePickle(broken, "block-copy", "persistent"); o.Status != reports.Blocked || o.BlockedBy != "BLOCK-003" || !strings.Contains(o.Reason, "virDomainBlockCopy") {
		t.Errorf("broken: %s by %q: %s, want blocked by BLOCK-003 naming the call", o.Status, o.BlockedBy, o.Reason)
	}
	r := &runner{caps: broken}
	o := r.decide(&catalogue.Pickle{Name: "s", Req: &catalogue.Requirement{ID: "BLOCK-003", Level: "MUST", Area: "BLOCK", Needs: []string{"block-copy"}}})
	if o.Status != reports.Failed || !strings.Contains(o.Reason, "block-copy is broken") {
		t.Errorf("the stating requirement: %s %q, want failed before the run", o.Status, o.Reason)
	}
	absent := &Capabilities{}
	absent.judgeCall(p, libvirt.Error{Code: libvirt.ERR_NO_SUPPORT, Message: "this function is not supported by the connection driver: virDomainBlockCopy"})
	if o := decidePickle(absent, "block-copy"); o.Status != reports.NotApplicable || o.Capability != "block-copy" || !strings.Contains(o.Reason, "virDomainBlockCopy(vda) on a shut-off domain answers VIR_ERR_NO_SUPPORT") {
		t.Errorf("absent: %s (%s): %s", o.Status, o.Capability, o.Reason)
	}
}
