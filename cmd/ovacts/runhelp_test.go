package main

import (
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// run --help groups every flag (stack, selection, guest, certification,
// output), gives two examples and names the five outcomes.
func TestRunHelpIsGrouped(t *testing.T) {
	cmd := newRunCmd(io.Discard, io.Discard)
	cmd.InitDefaultHelpFlag()
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		n := 0
		for _, g := range runFlagGroups {
			if slices.Contains(g.names, f.Name) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("--%s is in %d groups of run's help, want 1", f.Name, n)
		}
	})
	r := ovacts(t, "run", "--help")
	var at []int
	for _, h := range []string{"Examples:", "Stack flags:", "Selection flags:", "Guest flags:", "Certification flags:", "Output flags:"} {
		at = append(at, strings.Index(r.stdout, "\n"+h+"\n"))
	}
	if r.code != 0 || slices.Contains(at, -1) || !slices.IsSorted(at) || strings.Contains(r.stdout, "Other flags") {
		t.Errorf("run --help is not grouped in order (%v):\n%s", at, r.stdout)
	}
	if n := strings.Count(r.stdout, "\n  ovacts run --uri"); n != 2 {
		t.Errorf("%d examples, want 2", n)
	}
	for _, o := range []string{"passed", "failed", "blocked", "not applicable", "not run"} {
		if !strings.Contains(r.stdout, o) {
			t.Errorf("run --help does not name the outcome %q", o)
		}
	}
	if strings.Contains(r.stdout, "skipped") {
		t.Error("run --help still says skipped")
	}
}
