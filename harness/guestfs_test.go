package harness

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ovacts/ovacts/catalogue"
)

// fakeGuestfish puts a guestfish on PATH that runs body (a self-test of the
// probe's launch attempt: what it makes of each way a launch can end).
func fakeGuestfish(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	script := "#!/bin/sh\n" + body + "\n"
	if err := os.WriteFile(filepath.Join(dir, "guestfish"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))
	return dir
}

const qemuLine = `echo '/usr/bin/qemu-system-x86_64 \'`

func TestGuestfsLaunchAttempt(t *testing.T) {
	cfg := GuestfsConfig{AccelTimeout: 300 * time.Millisecond, LaunchTimeout: 20 * time.Second}
	for _, c := range []struct {
		name, accel, body, wantErr string
	}{
		{"kvm boots", "kvm", qemuLine + "\necho '[ 0.000] Hypervisor detected: KVM' >&2\nexit 0", ""},
		{"kvm silently fell back", "kvm", qemuLine + "\nexit 0", "without KVM"},
		{"kvm refused", "kvm", qemuLine + "\necho 'qemu-system-x86_64: failed to initialize kvm: Permission denied' >&2\necho 'libguestfs: error: appliance closed the connection' >&2\nexit 1",
			"failed to initialize kvm: Permission denied; libguestfs: error: appliance closed the connection"},
		{"tcg boots with force_tcg", "tcg", `[ "$LIBGUESTFS_BACKEND_SETTINGS" = force_tcg ] && [ "$LIBGUESTFS_BACKEND" = direct ] || exit 3` + "\n" + qemuLine + "\nexit 0", ""},
		{"kvm without force_tcg", "kvm", `[ -z "$LIBGUESTFS_BACKEND_SETTINGS" ] || exit 3` + "\n" + qemuLine + "\necho 'Hypervisor detected: KVM'", ""},
		{"no output at all", "tcg", "exit 4", "exit status 4"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("LIBGUESTFS_BACKEND_SETTINGS", "from-the-caller")
			fakeGuestfish(t, c.body)
			_, err := guestfsLaunchAttempt(context.Background(), c.accel, cfg)
			switch {
			case c.wantErr == "" && err != nil:
				t.Fatalf("want success, got %v", err)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Fatalf("want an error with %q, got %v", c.wantErr, err)
			}
		})
	}
}

// A KVM appliance that hangs is killed, with its children, AccelTimeout after
// its QEMU started; the time before QEMU (building the appliance) is not counted.
func TestGuestfsLaunchAttemptKillsAHungKVMAppliance(t *testing.T) {
	dir := fakeGuestfish(t, "sleep 0.5\n"+qemuLine+"\nsleep 60 &\necho $! > \"$(dirname \"$0\")/child\"\nwait")
	start := time.Now()
	_, err := guestfsLaunchAttempt(context.Background(), "kvm", GuestfsConfig{AccelTimeout: 300 * time.Millisecond, LaunchTimeout: 30 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "did not come up within 300ms of QEMU's start") {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d < 800*time.Millisecond || d > 15*time.Second {
		t.Errorf("the attempt took %s: the clock must start at QEMU's start and stop soon after the limit", d)
	}
	b, err := os.ReadFile(filepath.Join(dir, "child"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if pid <= 0 {
		t.Fatalf("child pid %q", b)
	}
	// SIGKILL went to the whole group; the child dies soon after (a zombie
	// until PID 1, slow to reap here, collects it).
	state := func() string {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return "gone"
		}
		if f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:])); len(f) > 0 {
			return f[0]
		}
		return "?"
	}
	deadline := time.Now().Add(5 * time.Second)
	for s := state(); s != "gone" && s != "Z"; s = state() {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("the appliance's child %d outlived the attempt by 5 s (state %s)", pid, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestGuestfsLaunchAttemptOverallLimit(t *testing.T) {
	fakeGuestfish(t, "sleep 60")
	_, err := guestfsLaunchAttempt(context.Background(), "tcg", GuestfsConfig{AccelTimeout: time.Second, LaunchTimeout: 500 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "longer than 500ms") {
		t.Fatalf("got %v", err)
	}
}

func TestGuestfsToolEnv(t *testing.T) {
	t.Setenv("LIBGUESTFS_BACKEND", "libvirt")
	t.Setenv("LIBGUESTFS_BACKEND_SETTINGS", "force_kvm")
	count := func(env []string, prefix string) (n int, last string) {
		for _, kv := range env {
			if strings.HasPrefix(kv, prefix) {
				n, last = n+1, kv
			}
		}
		return
	}
	tcg := (&Guestfs{Accel: "tcg"}).ToolEnv("direct")
	if n, v := count(tcg, "LIBGUESTFS_BACKEND="); n != 1 || v != "LIBGUESTFS_BACKEND=direct" {
		t.Errorf("backend: %d, %q", n, v)
	}
	if n, v := count(tcg, "LIBGUESTFS_BACKEND_SETTINGS="); n != 1 || v != "LIBGUESTFS_BACKEND_SETTINGS=force_tcg" {
		t.Errorf("tcg settings: %d, %q", n, v)
	}
	if n, _ := count((&Guestfs{Accel: "kvm"}).ToolEnv("direct"), "LIBGUESTFS_BACKEND_SETTINGS="); n != 0 {
		t.Error("kvm keeps the caller's backend settings")
	}
}

// libguestfs is probed only for scenarios that can still run: a stack that is
// not on this host (the test driver) skips the whole area without a launch.
func TestStillRunnable(t *testing.T) {
	p := func(id string, needs ...string) *catalogue.Pickle {
		return &catalogue.Pickle{ID: id, Req: &catalogue.Requirement{Needs: needs}}
	}
	pickles := []*catalogue.Pickle{p("a", "guestfs", "host"), p("b", "guestfs-tools", "host"), p("c", "guestfs", "guest"), p("d")}
	caps := &Capabilities{Missing: map[string]Need{"host": {State: NotProvided, Reason: "remote"}, "guestfs": {State: NotProvided, Reason: "not probed yet"}}}
	got := stillRunnable(pickles, caps)
	var ids []string
	for _, q := range got {
		ids = append(ids, q.ID)
	}
	if strings.Join(ids, ",") != "c,d" {
		t.Errorf("runnable: %v", ids)
	}
	if selectedNeeds(got, "guestfs-tools") || !selectedNeeds(got, "guestfs") {
		t.Errorf("selectedNeeds over %v", ids)
	}
}
