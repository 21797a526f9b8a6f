//go:build realstack

// Reliability on the real stack: interrupts at many points, SIGKILL, a dead
// daemon, concurrent runs. Each test restores the stack and proves that no
// ovacts object and no file of one is left behind.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ovacts/ovacts/harness"
)

// started is an ovacts run under way, its output collected as it comes.
type started struct {
	cmd    *exec.Cmd
	lines  chan string
	out    *strings.Builder
	stderr *strings.Builder
	done   chan struct{}
}

func startRun(t *testing.T, stateDir string, args ...string) *started {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "OVACTS_STATE_DIR="+stateDir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &started{cmd: cmd, lines: make(chan string, 1000), out: &strings.Builder{}, stderr: &strings.Builder{}, done: make(chan struct{})}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			s.out.WriteString(sc.Text() + "\n")
			select {
			case s.lines <- sc.Text():
			default:
			}
		}
		close(s.done)
	}()
	return s
}

// waitFor blocks until a line containing want appears, or the run ends.
func (s *started) waitFor(t *testing.T, want string) bool {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case l := <-s.lines:
			if strings.Contains(l, want) {
				return true
			}
		case <-s.done:
			return false
		case <-timeout:
			t.Fatalf("no %q within 60 s:\n%s", want, s.out.String())
		}
	}
}

func (s *started) wait() int {
	<-s.done
	err := s.cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if st, ok := ee.Sys().(syscall.WaitStatus); ok && st.Signaled() {
			return 128 + int(st.Signal())
		}
		return ee.ExitCode()
	}
	return 0
}

// assertClean fails unless the stack holds no ovacts object and the host no ovacts file.
func assertClean(t *testing.T, when string) {
	t.Helper()
	left := owned(t)
	files, _ := filepath.Glob("/var/lib/libvirt/images/ovacts-*")
	logs, _ := filepath.Glob(harness.QEMULogDir + "/ovacts-*")
	files = append(files, logs...)
	if len(left) > 0 || len(files) > 0 {
		t.Fatalf("%s: left behind %v %v", when, left, files)
	}
}

// owned lists the ovacts objects on the real stack.
func owned(t *testing.T) []harness.Resource {
	t.Helper()
	conn, err := harness.Open(realURI)
	if err != nil {
		t.Fatal(err)
	}
	defer harness.CloseChecked(conn)
	left, err := harness.PrefixedObjects(conn)
	if err != nil {
		t.Fatal(err)
	}
	return left
}

func cleanup(t *testing.T, stateDir string) {
	t.Helper()
	cmd := exec.Command(bin, "cleanup", "--uri", realURI)
	cmd.Env = append(os.Environ(), "OVACTS_STATE_DIR="+stateDir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ovacts cleanup: %v\n%s", err, out)
	}
	// What it removed and kept, and why: the story when something is left.
	t.Logf("ovacts cleanup:\n%s", out)
}

// SIGINT (and one SIGTERM) at points spread across the areas, landing in the
// middle of scenarios that hold domains, pools, volumes, networks, filters,
// secrets, snapshots and save images: every run exits 130/143 and leaves nothing.
func TestRealStackInterruptPoints(t *testing.T) {
	// Each point interrupts right after a scenario's line, with the rest of the
	// selection long enough that the signal always lands while the run is going:
	// one scenario at a time, so the point is in the scenarios after that line
	// (at --concurrency auto a small area is over before the signal).
	points := []struct {
		tags  string
		after string // interrupt right after this scenario's line
		delay time.Duration
		sig   syscall.Signal
	}{
		{"@domain", "DOM-002", 100 * time.Millisecond, syscall.SIGINT},
		{"@storage", "STOR-004", 5 * time.Millisecond, syscall.SIGINT},
		{"@network", "NET-002", 20 * time.Millisecond, syscall.SIGINT},
		{"@nwfilter", "FLT-002", 150 * time.Millisecond, syscall.SIGINT},
		// The secrets area takes milliseconds: a slower area after it keeps the run going.
		{"@secret or @snapshot", "SEC-004", 1 * time.Millisecond, syscall.SIGINT},
		{"@snapshot", "SNAP-004", 200 * time.Millisecond, syscall.SIGINT},
		{"@events", "EVT-002", 300 * time.Millisecond, syscall.SIGINT},
		{"@hotplug", "HOT-003", 250 * time.Millisecond, syscall.SIGINT},
		{"@save", "SAVE-001", 350 * time.Millisecond, syscall.SIGINT},
		{"@stats", "STAT-002", 120 * time.Millisecond, syscall.SIGINT},
		{"@xml", "XML-002", 10 * time.Millisecond, syscall.SIGINT},
		{"@snapshot", "SNAP-001", 400 * time.Millisecond, syscall.SIGTERM},
	}
	state := t.TempDir()
	for _, p := range points {
		t.Run(fmt.Sprintf("%s after %s +%s %s", p.tags, p.after, p.delay, p.sig), func(t *testing.T) {
			r := startRun(t, state, "run", "--uri", realURI, "--profile", "full", "--tags", p.tags, "--concurrency", "1")
			if !r.waitFor(t, p.after) {
				t.Fatalf("the run ended before %s:\n%s", p.after, r.out.String())
			}
			time.Sleep(p.delay)
			if err := r.cmd.Process.Signal(p.sig); err != nil {
				t.Fatal(err)
			}
			want := map[syscall.Signal]int{syscall.SIGINT: 130, syscall.SIGTERM: 143}[p.sig]
			if code := r.wait(); code != want {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, want, r.out.String(), r.stderr.String())
			}
			assertClean(t, "after "+p.sig.String())
		})
	}
}

// SIGKILL leaves objects behind by nature; ovacts cleanup removes them all.
// A second SIGINT behaves the same: it exits at once and says so.
func TestRealStackKilledRunsAreCleanedUp(t *testing.T) {
	state := t.TempDir()
	for _, how := range []string{"SIGKILL", "second SIGINT"} {
		t.Run(how, func(t *testing.T) {
			r := startRun(t, state, "run", "--uri", realURI, "--profile", "full", "--tags", "@snapshot or @storage")
			r.waitFor(t, "SNAP-002")
			time.Sleep(150 * time.Millisecond)
			if how == "SIGKILL" {
				r.cmd.Process.Kill()
			} else {
				r.cmd.Process.Signal(syscall.SIGINT)
				time.Sleep(20 * time.Millisecond)
				r.cmd.Process.Signal(syscall.SIGINT)
			}
			code := r.wait()
			if how == "second SIGINT" && (code != 130 || !strings.Contains(r.stderr.String(), "left for the next sweep")) {
				t.Errorf("second SIGINT: exit %d, stderr %q", code, r.stderr.String())
			}
			// The kill landed inside a scenario: its objects are there to clean up.
			if n := len(owned(t)); n == 0 {
				t.Fatalf("%s left nothing to clean up: the test did not hit a scenario", how)
			} else {
				t.Logf("%s left %d ovacts objects", how, n)
			}
			cleanup(t, state)
			assertClean(t, "after "+how+" and ovacts cleanup")
		})
	}
}

// libvirtd killed in the middle of a run: the run ends with "connection to the
// stack lost" well within the timeouts, and after the daemon is back, a
// cleanup leaves nothing.
func TestRealStackDeadDaemon(t *testing.T) {
	state := t.TempDir()
	restart := func() {
		if out, err := exec.Command("bash", "../../scripts/setup.sh").CombinedOutput(); err != nil {
			t.Fatalf("restarting the stack: %v\n%s", err, out)
		}
	}
	t.Cleanup(restart)
	r := startRun(t, state, "run", "--uri", realURI, "--profile", "full", "--tags", "@domain or @storage")
	r.waitFor(t, "DOM-003")
	pid, err := os.ReadFile("/run/libvirtd.pid")
	if err != nil {
		t.Fatal(err)
	}
	var p int
	fmt.Sscan(string(pid), &p)
	killed := time.Now()
	if err := syscall.Kill(p, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	code := r.wait()
	took := time.Since(killed)
	t.Logf("libvirtd killed: the run ended %s later with exit %d", took.Round(time.Millisecond), code)
	if code != 1 || !strings.Contains(r.out.String(), "connection to the stack lost") {
		t.Fatalf("exit %d\n%s\n%s", code, r.out.String(), r.stderr.String())
	}
	if took > 30*time.Second {
		t.Errorf("the run took %s to end after the daemon died", took)
	}
	restart()
	cleanup(t, state)
	assertClean(t, "after the daemon came back and ovacts cleanup")
}

// Two runs at once on one host: both pass, so neither removed the other's objects.
func TestRealStackConcurrentRuns(t *testing.T) {
	state := t.TempDir()
	args := []string{"run", "--uri", realURI, "--profile", "full", "--tags", "@domain or @storage or @network or @secret"}
	a := startRun(t, state, args...)
	a.waitFor(t, "[  2/")
	b := startRun(t, state, args...)
	ca, cb := a.wait(), b.wait()
	if ca != 0 || cb != 0 {
		t.Fatalf("exits %d and %d\nA:\n%s%s\nB:\n%s%s", ca, cb, a.out.String(), a.stderr.String(), b.out.String(), b.stderr.String())
	}
	t.Logf("second run's sweep: %q", firstLine(b.out.String(), "sweep:"))
	assertClean(t, "after two concurrent runs")
}
