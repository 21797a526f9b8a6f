package reports

import (
	"bytes"
	"strings"
	"testing"
)

// The verdict names the input each not-run requirement missed, grouped.
func TestVerdictNamesTheMissingInput(t *testing.T) {
	peer := "not-run (peer): needs peer: no second stack: give one with --peer-uri"
	res := &Results{Verdicts: map[string]*Verdict{
		"MIG-001": {ReqID: "MIG-001", Level: "MUST", Status: NotRun, Detail: peer},
		"MIG-002": {ReqID: "MIG-002", Level: "MUST", Status: NotRun, Detail: peer + "\nmore"},
		"GST-001": {ReqID: "GST-001", Level: "MUST", Status: NotRun},
		"DOM-001": {ReqID: "DOM-001", Level: "MUST", Status: Passed},
	}}
	var b bytes.Buffer
	WriteVerdict(&b, JudgeSelection(res, "must"), false)
	for _, want := range []string{
		"\n  2 not run: MIG-001, MIG-002 (no second stack: give one with --peer-uri)\n",
		"\n  1 not run (an input of the run was missing): GST-001\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the verdict does not say %q:\n%s", want, b.String())
		}
	}
}
