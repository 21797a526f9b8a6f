package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

// On a terminal the progress has a line redrawn in place with what is left
// and an estimate; the run's own lines stay whole.
func TestLiveLine(t *testing.T) {
	var b bytes.Buffer
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := &liveLine{w: &b, now: func() time.Time { return clock }}
	l.Write([]byte("selected 4 scenarios (profile core); 0 decided before the run\n\n"))
	clock = clock.Add(10 * time.Second)
	l.Write([]byte("[  1/4] PASS   DOM-001   MUST   x (10s)\n"))
	if !strings.HasSuffix(b.String(), "[  1/4] PASS   DOM-001   MUST   x (10s)\n[1/4 done, 3 left, about 30s to go]") {
		t.Fatalf("after one of four in 10s: %q", b.String())
	}
	clock = clock.Add(10 * time.Second)
	l.Write([]byte("[  2/4] FAIL   DOM-002   MUST   y (10s)\n      at step: z\n"))
	if !strings.Contains(b.String(), "about 30s to go]\r\x1b[K[  2/4] FAIL") || !strings.HasSuffix(b.String(), "[2/4 done, 2 left, about 20s to go]") {
		t.Fatalf("the status line is not redrawn in place: %q", b.String())
	}
	l.Write([]byte("[  4/4] PASS   DOM-004   MUST   w (1s)\n"))
	l.Write([]byte("\n4 scenarios: ...\n"))
	if !strings.HasSuffix(b.String(), "\n4 scenarios: ...\n") {
		t.Errorf("a status line after the last scenario: %q", b.String())
	}
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) || isTerminal(&b) {
		t.Error("a file or a buffer taken for a terminal")
	}
}
