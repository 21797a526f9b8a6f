package stepkit

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ovacts/ovacts/harness"
)

// "Unsupported" is earned. Only the probe (harness/probe.go,
// harness/probe_caps.go and harness/probe_volume.go, for the capabilities a
// scenario names with @needs:) or a scenario's declared capability check (a
// Given step that asks whether the stack has something and answers
// harness.NotApplicable with the evidence, as firmware.go's and
// storage_more.go's do) may make a scenario not applicable. An unsupported
// answer to any other step is a failure naming the answer: the stack took the
// scenario as far as an action it then says it does not have.

// UnsupportedAction is a step's failure on an unsupported answer to an
// action: the answer, and the capabilities the scenario declared (which the
// probe found present).
type UnsupportedAction struct {
	Err      error
	Declared []string
}

func (u *UnsupportedAction) Error() string {
	declared := "no capability"
	if len(u.Declared) > 0 {
		declared = "@needs:" + strings.Join(u.Declared, ", @needs:") + ", which the probe found present"
	}
	return fmt.Sprintf("the stack answered that it does not support an action of this scenario: %s "+
		"(the scenario declared %s; only the probe or a declared capability check may find a capability absent)",
		harness.DescribeError(u.Err), declared)
}

func (u *UnsupportedAction) Unwrap() error { return u.Err }

// unearned is the failure of a step that got an unsupported answer.
func unearned(ctx context.Context, err error) error {
	u := &UnsupportedAction{Err: err}
	if w := W(ctx); w != nil && w.Req != nil {
		for _, n := range w.Req.Needs {
			if !slices.Contains(u.Declared, n) {
				u.Declared = append(u.Declared, n)
			}
		}
	}
	return u
}
