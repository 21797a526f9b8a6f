package host

import (
	"strings"
	"testing"
)

// HOST-001: capabilities naming no host CPU model fail the check, as does a
// model missing from the list or an empty list.
func TestHostCPUModelListed(t *testing.T) {
	models := []string{"486", "qemu64", "Skylake-Client-IBRS"}
	if err := hostCPUModelListed("x86_64", "Skylake-Client-IBRS", models); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		model  string
		names  []string
		saying string
	}{
		{"", models, "name no host CPU model"},
		{"EPYC-Rome", models, `"EPYC-Rome" is not among the 3 models`},
		{"qemu64", nil, "no CPU model of x86_64"},
	} {
		if err := hostCPUModelListed("x86_64", c.model, c.names); err == nil || !strings.Contains(err.Error(), c.saying) {
			t.Errorf("model %q among %v: %v, want %q", c.model, c.names, err, c.saying)
		}
	}
}

// HOST-009: the pages to scan libvirt answers must be the kernel's.
func TestSamePagesToScan(t *testing.T) {
	if err := samePagesToScan(100, "100\n"); err != nil {
		t.Fatal(err)
	}
	if err := samePagesToScan(100, "4096\n"); err == nil || !strings.Contains(err.Error(), "say 100 pages to scan, the kernel's") {
		t.Errorf("a made-up value passed: %v", err)
	}
	if err := samePagesToScan(100, "never"); err == nil {
		t.Error("an unreadable kernel value passed")
	}
}
