package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A run whose stdout is a pipe already closed (ovacts run | head -1, once
// head has gone) still finishes: its report is the run's, not the
// placeholder of a run that was killed (issue 36, build 3).
func TestClosedStdoutDoesNotKillTheRun(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	junit := filepath.Join(t.TempDir(), "junit.xml")
	state := t.TempDir()
	cmd := exec.Command(bin, "run", "--profile", "core", "--tags", "@req:CONN-001 or @req:DOM-001", "--junit", junit)
	cmd.Env = append(os.Environ(), "OVACTS_STATE_DIR="+state)
	cmd.Stdout = w
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err = cmd.Run()
	w.Close()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 4 {
		t.Fatalf("exit %v (want 4, a rehearsal that finished); stderr: %s", err, stderr.String())
	}
	doc := readJUnit(t, junit)
	data, _ := os.ReadFile(junit)
	if strings.Contains(string(data), "killed?") || doc.Tests < 2 {
		t.Fatalf("the report is not the finished run's: %s", data)
	}
	// The run log has all that stdout would have shown.
	log, _ := os.ReadFile(filepath.Join(state, "results", "latest", "run.log"))
	for _, want := range []string{"results: ", "PASS   DOM-001", "verdict: ", "HTML report: "} {
		if !strings.Contains(string(log), want) {
			t.Errorf("with stdout closed, run.log lacks %q:\n%s", want, log)
		}
	}
}

// A writer that fails does not keep the others from their copy.
func TestEveryWriter(t *testing.T) {
	r, w, _ := os.Pipe()
	r.Close()
	defer w.Close()
	var log strings.Builder
	n, err := everyWriter{w, &log}.Write([]byte("line\n"))
	if n != 5 || err == nil || log.String() != "line\n" {
		t.Errorf("wrote %d (%v), the log has %q", n, err, log.String())
	}
}
