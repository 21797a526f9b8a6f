//go:build realstack

package main

import (
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ovacts/ovacts/harness"
)

// vhvLine is one check of virt-host-validate: "  QEMU: Checking ... : PASS".
var vhvLine = regexp.MustCompile(`^\s*QEMU: Checking (.+?)\s*: (PASS|WARN|FAIL)`)

// The KVM host area and virt-host-validate judge the same things; on this
// machine their verdicts must agree check by check. virt-host-validate is the
// independent oracle: nothing here assumes what this host has.
func TestRealStackKVMHost(t *testing.T) {
	out, _ := exec.Command("virt-host-validate", "qemu").CombinedOutput() // exits 1 on any FAIL
	vhv := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if m := vhvLine.FindStringSubmatch(line); m != nil {
			vhv[m[1]] = m[2]
		}
	}
	if len(vhv) == 0 {
		t.Fatalf("no verdicts from virt-host-validate:\n%s", out)
	}

	want := kvmHostExpect(harness.MeasureHost())
	junit := filepath.Join(t.TempDir(), "kvm.xml")
	r := ovacts(t, "run", "--uri", realURI, "--profile", "full", "--tags", "@kvm", "--junit", junit)
	if r.code != want.exit { // KVM's MUSTs hold wherever the host has a usable KVM
		t.Fatalf("exit %d, want %d on this host's facts\n%s%s", r.code, want.exit, r.stdout, r.stderr)
	}
	checkReportReaders(t, r.stdout, junit, "junit", "")
	checkHostExpect(t, want, junitCases(t, junit))
	b, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []struct {
			Name    string    `xml:"name,attr"`
			Failure *struct{} `xml:"failure"`
			Skipped *struct{} `xml:"skipped"`
		} `xml:"testsuite>testcase"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	ours := map[string]bool{} // testcase name -> passed
	for _, c := range doc.Cases {
		if id := strings.Fields(c.Name)[0]; c.Skipped != nil && !slices.Contains(want.notApplicable, id) {
			t.Errorf("%s was skipped on the local real stack", c.Name)
		}
		ours[c.Name] = c.Failure == nil && c.Skipped == nil
	}
	passed := func(prefix string) (bool, bool) {
		for name, ok := range ours {
			if strings.HasPrefix(name, prefix) {
				return ok, true
			}
		}
		return false, false
	}
	mapping := map[string]string{
		"for hardware virtualization":             "KVM-001 [SHOULD] The host CPU reports hardware virtualization",
		"if device /dev/vhost-net exists":         "KVM-003 [SHOULD]",
		"if device /dev/net/tun exists":           "KVM-004 [MUST]",
		"for device assignment IOMMU support":     "KVM-006 [MAY]",
		"if device /dev/kvm is accessible":        "KVM-002 [MUST]",
		"for cgroup 'cpu' controller support":     "KVM-005 [SHOULD] The host offers the cgroup controller cpu",
		"for cgroup 'cpuacct' controller support": "KVM-005 [SHOULD] The host offers the cgroup controller cpuacct",
		"for cgroup 'cpuset' controller support":  "KVM-005 [SHOULD] The host offers the cgroup controller cpuset",
		"for cgroup 'memory' controller support":  "KVM-005 [SHOULD] The host offers the cgroup controller memory",
		"for cgroup 'devices' controller support": "KVM-005 [SHOULD] The host offers the cgroup controller devices",
		"for cgroup 'blkio' controller support":   "KVM-005 [SHOULD] The host offers the cgroup controller blkio",
	}
	compared := 0
	for check, verdict := range vhv {
		prefix, ok := mapping[check]
		if !ok {
			continue // secure guests and the like: not judged by ovacts
		}
		got, found := passed(prefix)
		if !found {
			t.Errorf("no ovacts outcome for virt-host-validate's check %q", check)
			continue
		}
		compared++
		if got != (verdict == "PASS") {
			t.Errorf("virt-host-validate says %s for %q; ovacts %s passed=%v", verdict, check, prefix, got)
		}
		t.Logf("%-45s virt-host-validate %-4s  ovacts passed=%v", check, verdict, got)
	}
	if compared < 5 {
		t.Errorf("only %d checks compared with virt-host-validate", compared)
	}
}

// checkHostExpect compares a run's outcomes with what the host's facts call
// for: each requirement passes or fails (naming the cause), or is not
// applicable.
func checkHostExpect(t *testing.T, want hostExpect, res map[string]caseResult) {
	t.Helper()
	for id, pass := range want.pass {
		got, ok := res[id]
		switch {
		case !ok:
			t.Errorf("%s: no outcome", id)
		case pass && got.status != "passed":
			t.Errorf("%s: %s %q, want passed on this host's facts", id, got.status, got.text)
		case !pass && (got.status != "failed" || !strings.Contains(got.text, want.cause[id])):
			t.Errorf("%s: %s %q, want failed naming %q on this host's facts", id, got.status, got.text, want.cause[id])
		}
	}
	for _, id := range want.notApplicable {
		if got := res[id]; got.status != "not-applicable" {
			t.Errorf("%s: %s %q, want not applicable on this host's facts", id, got.status, got.text)
		}
	}
}
