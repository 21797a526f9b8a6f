package reports

import (
	"strings"
	"testing"
)

// runOf builds a report's verdicts from "ID=status" pairs.
func runOf(pairs ...string) *Results {
	r := &Results{Verdicts: map[string]*Verdict{}}
	for _, p := range pairs {
		id, st, _ := strings.Cut(p, "=")
		r.Verdicts[id] = &Verdict{ReqID: id, Level: "MUST", Status: Status(st)}
	}
	return r
}

// Each label from the baselines that make it: the own generation failing
// too, another generation only, runs that disagree, only the product, and no
// reference result; passing requirements are not triaged.
func TestTriageLabels(t *testing.T) {
	old := Generation{Name: "libvirt-9.0", Libvirt: "9.0.0", Runs: []*Results{
		runOf("A-001=passed", "B-001=failed", "C-001=passed", "D-001=passed", "F-001=passed"),
		runOf("A-001=passed", "B-001=failed", "C-001=failed", "D-001=passed", "F-001=passed"),
	}}
	newer := Generation{Name: "libvirt-11.3", Libvirt: "11.3.0", Runs: []*Results{
		runOf("A-001=passed", "B-001=passed", "C-001=passed", "D-001=failed", "F-001=not-applicable"),
		runOf("A-001=passed", "B-001=passed", "C-001=passed", "D-001=failed", "F-001=not-applicable"),
	}}
	b := &Baselines{Set: "2026.12", Generations: []Generation{old, newer}}
	vendor := runOf("A-001=failed", "B-001=failed", "C-001=blocked", "D-001=failed", "E-001=failed", "F-001=passed")
	links := map[string]string{"B-001": "docs/findings.md#b-001-x"}
	tr := TriageResults(vendor, "9.0.0", b, links)
	want := map[string]TriageLabel{"A-001": LabelOnlyProduct, "B-001": LabelReference, "C-001": LabelFlaky, "D-001": LabelOneGeneration, "E-001": LabelNoReference}
	if tr.Own != "libvirt-9.0" || len(tr.Entries) != len(want) {
		t.Fatalf("own %q, entries %+v", tr.Own, tr.Entries)
	}
	for _, e := range tr.Entries {
		if e.Label != want[e.Req] {
			t.Errorf("%s: %q (%s), want %q", e.Req, e.Label, e.Why, want[e.Req])
		}
	}
	if tr.Entries[1].Finding != links["B-001"] || tr.Entries[0].Finding != "" {
		t.Errorf("finding links: %+v", tr.Entries)
	}
	if got := tr.Summary(); !strings.HasPrefix(got, "1 of 5 non-passing requirements are this product's own") {
		t.Errorf("summary: %s", got)
	}
	// On libvirt 11.x the newer generation is the bundle's own: D-001 is the
	// reference's, B-001 fails on the older one only.
	tr = TriageResults(vendor, "11.5.0", b, links)
	for _, e := range tr.Entries {
		if e.Req == "D-001" && e.Label != LabelReference || e.Req == "B-001" && e.Label != LabelOneGeneration {
			t.Errorf("on libvirt 11.5: %s %q (%s)", e.Req, e.Label, e.Why)
		}
	}
}

func TestFindingLinks(t *testing.T) {
	md := "# Findings\n\n## GUEST-018: a Linux guest does not boot under this host's KVM\n\ntext\n## The KVM host area\n"
	got := FindingLinks([]byte(md), "docs/findings.md")
	if len(got) != 1 || got["GUEST-018"] != "docs/findings.md#guest-018-a-linux-guest-does-not-boot-under-this-hosts-kvm" {
		t.Errorf("%v", got)
	}
}

func TestOwnGeneration(t *testing.T) {
	gens := []Generation{{Libvirt: "9.0.0"}, {Libvirt: "11.3.0"}}
	for v, want := range map[string]int{"8.0.0": 0, "9.0.0": 0, "10.10.0": 0, "11.3.0": 1, "12.0.0": 1} {
		if got := ownGeneration(gens, v); got != want {
			t.Errorf("libvirt %s: generation %d, want %d", v, got, want)
		}
	}
}
