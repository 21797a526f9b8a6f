package reports

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// A waiver is bound to a condition: the loader refuses one without, or with
// a condition it cannot evaluate.
func TestWaiverConditionsLoader(t *testing.T) {
	head := "waivers:\n  - req: TUNE-006\n    reason: r\n    link: https://x.example\n    expires: 2027-01-01\n"
	for cond, want := range map[string]string{
		"":                                        "no condition",
		"    when: [qdisc.sfq=absent]\n":          "not a measured fact",
		"    when: [host.qdisc.sfq]\n":            "not name=value",
		"    when: [host.qdisc.sfq=]\n":           "has no value",
		"    versions: {libvirt: 9.0.0}\n":        "not \"LOW - HIGH\"",
		"    versions: {libvirt: 11.0.0 - 9.0}\n": "not \"LOW - HIGH\"",
		"    versions: {kernel: 6.1 - 6.2}\n":     "is not libvirt or qemu",
	} {
		if _, err := ReadWaivers(strings.NewReader(head + cond)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", cond, err, want)
		}
	}
	for _, cond := range []string{"    when: [host.qdisc.sfq=absent, driver!=TEST]\n", "    versions: {libvirt: 9.0.0 - 11.3.0, qemu: 7.2 - 10.0.0}\n"} {
		if _, err := ReadWaivers(strings.NewReader(head + cond)); err != nil {
			t.Errorf("%q refused: %v", cond, err)
		}
	}
}

func TestWaiverHolds(t *testing.T) {
	r := &Report{Properties: []Property{{"driver", "QEMU"}, {"libvirt.daemon", "9.0.0"}, {"hypervisor.version", "7.2.22"},
		{"host.facts", "measured"}, {"host.qdisc.sfq", "absent"}, {"host.qdisc.sfq.evidence", "tc said unknown"}, {"host.kvm", "usable"}}}
	remote := &Report{Properties: []Property{{"driver", "QEMU"}, {"host.facts", "not measured: the stack runs on h, not on this host"}}}
	for _, c := range []struct {
		w    Waiver
		on   *Report
		ok   bool
		text string
	}{
		{Waiver{When: []string{"host.qdisc.sfq=absent"}}, r, true, "host.qdisc.sfq=absent (tc said unknown)"},
		{Waiver{When: []string{"host.qdisc.sfq=available"}}, r, false, "host.qdisc.sfq is absent, not available"},
		{Waiver{When: []string{"host.kvm!=usable"}}, r, false, "not anything but usable"},
		{Waiver{When: []string{"host.kvm!=absent", "driver=QEMU"}}, r, true, "driver=QEMU"},
		{Waiver{When: []string{"host.blkio.weight=unsupported"}}, r, false, "host.blkio.weight was not measured"},
		{Waiver{When: []string{"host.qdisc.sfq=absent"}}, remote, false, "not measured: the stack runs on h"},
		{Waiver{Versions: map[string]string{"libvirt": "9.0.0 - 11.3.0"}}, r, true, "libvirt 9.0.0 in 9.0.0 - 11.3.0"},
		{Waiver{Versions: map[string]string{"libvirt": "9.1.0 - 11.3.0"}}, r, false, "libvirt 9.0.0 is outside 9.1.0 - 11.3.0"},
		{Waiver{Versions: map[string]string{"qemu": "7.0 - 7.2.22"}}, r, true, "qemu 7.2.22 in"},
		{Waiver{Versions: map[string]string{"qemu": "7.0 - 7.2"}}, r, false, "outside"},
		{Waiver{Versions: map[string]string{"libvirt": "9.0.0 - 11.3.0"}}, remote, false, "libvirt.daemon was not recorded"},
	} {
		ok, text := c.w.Holds(c.on)
		if ok != c.ok || !strings.Contains(text, c.text) {
			t.Errorf("%+v: %v %q, want %v %q", c.w, ok, text, c.ok, c.text)
		}
	}
}

// A waiver whose condition is false waives nothing: the failure stands, and
// the report and the output say which condition and what was measured.
func TestApplyWaiversConditionFalse(t *testing.T) {
	ws, err := ReadWaivers(strings.NewReader("waivers:\n  - {req: DOM-014, reason: r, link: 'https://x.example', expires: 2099-01-01, when: [driver=TEST]}\n" +
		"  - {req: NET-001, reason: r, link: 'https://x.example', expires: 2099-01-01, when: [driver=TEST]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := sample() // a QEMU run whose DOM-014 failed
	use := ApplyWaivers(r, ws, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	if len(use.Applied) != 0 || len(use.Inapplicable) != 2 || r.Outcomes[1].Status != Failed || !use.Inapplicable[0].Matched || use.Inapplicable[1].Matched {
		t.Fatalf("use %+v, DOM-014 %s", use, r.Outcomes[1].Status)
	}
	if r.Property("waivers.inapplicable") != "DOM-014,NET-001" || r.Property("waiver.DOM-014.inapplicable") != "driver is QEMU, not TEST" {
		t.Fatalf("properties %v", r.Properties)
	}
	var out bytes.Buffer
	WriteWaiverUse(&out, use)
	if !strings.Contains(out.String(), "waiver: DOM-014 does not apply to this stack (driver is QEMU, not TEST): its failure stands") {
		t.Fatal(out.String())
	}
	// Where it holds, the evidence is recorded beside the waived outcome.
	ws[0].When = []string{"driver=QEMU"}
	r = sample()
	if use := ApplyWaivers(r, ws[:1], time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)); len(use.Applied) != 1 ||
		r.Property("waiver.DOM-014.evidence") != "driver=QEMU" || !strings.Contains(r.Outcomes[1].Waiver, "when driver=QEMU") {
		t.Fatalf("%+v %v %q", use, r.Properties, r.Outcomes[1].Waiver)
	}
}
