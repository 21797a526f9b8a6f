package harness

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ovacts/ovacts/reports"
)

// fakeRoot lays out the files a host probe reads under a directory.
func fakeRoot(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, name)
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func exitErr(t *testing.T) error {
	t.Helper()
	err := exec.Command("false").Run()
	var e *exec.ExitError
	if !errors.As(err, &e) {
		t.Fatalf("false: %v", err)
	}
	return err
}

// The facts of two made-up hosts: one with VT-x, cgroup v2 with iocost and
// IOMMU groups; one with none of them, on cgroup v1 without weights. A
// /dev/kvm that is not a character device is absent.
func TestHostProbeMeasures(t *testing.T) {
	rich := fakeRoot(t, map[string]string{
		"/proc/sys/kernel/osrelease":        "6.1.0-28-amd64\n",
		"/proc/cpuinfo":                     "processor\t: 0\nflags\t\t: fpu vme vmx sse4_2\n",
		"/sys/kernel/iommu_groups/0/":       "",
		"/sys/kernel/iommu_groups/1/":       "",
		"/sys/fs/cgroup/cgroup.controllers": "cpu io memory\n",
		"/sys/fs/cgroup/io.cost.qos":        "",
		"/dev/kvm":                          "not a device",
		"/var/lib/libvirt/images/.keep":     "",
		"/sys/block/vda/queue/scheduler":    "none [bfq]\n",
	})
	p := HostProbe{Root: rich, Try: func(string, ...string) (string, error) { return "", nil }}
	f := p.Measure()
	for name, want := range map[string]string{FactKernel: "6.1.0-28-amd64", FactCPUVirt: "vmx", FactKVM: "absent", FactIOMMU: "2",
		FactCgroup: "v2", FactBlkioWeight: "supported", FactSfq: "available", FactVhostNet: "absent"} {
		if got, _ := f.Get(name); got != want {
			t.Errorf("rich host: %s = %q, want %q (%+v)", name, got, want, f)
		}
	}
	poor := fakeRoot(t, map[string]string{
		"/proc/cpuinfo":                       "processor\t: 0\nflags\t\t: fpu vme sse4_2\n",
		"/sys/fs/cgroup/blkio/blkio.throttle": "",
	})
	p = HostProbe{Root: poor, Try: func(string, ...string) (string, error) {
		return "Error: Specified qdisc kind is unknown.", exitErr(t)
	}}
	f = p.Measure()
	for name, want := range map[string]string{FactCPUVirt: "none", FactKVM: "absent", FactIOMMU: "0", FactCgroup: "v1",
		FactBlkioWeight: "unsupported", FactSfq: "absent", FactKernel: "unknown"} {
		if got, _ := f.Get(name); got != want {
			t.Errorf("poor host: %s = %q, want %q (%+v)", name, got, want, f)
		}
	}
	// A command that cannot run measures nothing: unknown, never absent.
	p.Try = func(string, ...string) (string, error) { return "", errors.New("exec: \"unshare\": not found") }
	if got, _ := p.Measure().Get(FactSfq); got != "unknown" {
		t.Errorf("sfq without tc: %q", got)
	}
	p.Try = nil
	if got, _ := p.Measure().Get(FactSfq); got != "unknown" {
		t.Errorf("sfq with no commands: %q", got)
	}
	// cgroup v1 with bfq's weight file takes weights.
	bfq := fakeRoot(t, map[string]string{"/sys/fs/cgroup/blkio/blkio.bfq.weight": "100\n"})
	if got, _ := (HostProbe{Root: bfq}).Measure().Get(FactBlkioWeight); got != "supported" {
		t.Errorf("v1 with bfq: %q", got)
	}
}

func TestActiveScheduler(t *testing.T) {
	for list, want := range map[string]string{"none [mq-deadline] kyber\n": "mq-deadline", "[none] mq-deadline": "none", "bfq": "", "": ""} {
		if got := ActiveScheduler(list); got != want {
			t.Errorf("%q: %q, want %q", list, got, want)
		}
	}
}

// The guest probe's finding about KVM and Linux, as the waivers read it.
func TestKVMBootsLinuxFact(t *testing.T) {
	for _, c := range []struct {
		caps Capabilities
		want string
	}{
		{Capabilities{KVMUsable: true, Guest: &Guest{Accel: "kvm"}}, "yes"},
		{Capabilities{KVMUsable: true, Guest: &Guest{Accel: "tcg", AccelNote: "kvm: no ready marker within 10s"}}, "no"},
		{Capabilities{KVMUsable: false, Guest: &Guest{Accel: "tcg"}}, "no-kvm"},
		{Capabilities{KVMUsable: true, Guest: &Guest{Accel: "tcg", ForcedAccel: true}}, "unknown"},
		{Capabilities{KVMUsable: true}, "unknown"},
	} {
		if got := c.caps.kvmBootsLinux(); got.Value != c.want || got.Evidence == "" {
			t.Errorf("%+v: %+v, want %s", c.caps, got, c.want)
		}
	}
	c := Capabilities{Missing: map[string]Need{"host": {State: NotProvided, Reason: "the stack runs on h"}}}
	if props := c.hostFactProperties(); len(props) != 1 || props[0][1] != "not measured: the stack runs on h" {
		t.Errorf("remote stack: %v", props)
	}
}

// Every fact Measure records is listed by FactNames (the waivers' names),
// and the shipped waivers name only such facts: a misspelt fact would make a
// waiver that never applies.
func TestFactNamesCoverTheWaivers(t *testing.T) {
	names := FactNames()
	for _, f := range (HostProbe{Root: t.TempDir()}).Measure() {
		if !slices.Contains(names, f.Name) {
			t.Errorf("fact %s is not in FactNames", f.Name)
		}
	}
	files, _ := filepath.Glob("../fixtures/waivers/*.yaml")
	if len(files) < 2 {
		t.Fatalf("waiver fixtures: %v", files)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		ws, err := reports.ReadWaivers(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, w := range ws {
			for _, c := range w.When {
				name, _, _ := strings.Cut(strings.ReplaceAll(c, "!=", "="), "=")
				if fact, ok := strings.CutPrefix(name, "host."); ok && !slices.Contains(names, fact) {
					t.Errorf("%s: waiver %s names %s, which no run measures", file, w.Req, name)
				}
			}
		}
	}
}
