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
	cmd := exec.Command(bin, "run", "--profile", "core", "--tags", "@req:CONN-001 or @req:DOM-001", "--junit", junit)
	cmd.Env = append(os.Environ(), "OVACTS_STATE_DIR="+t.TempDir())
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
}
