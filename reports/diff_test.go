package reports

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func junitOf(t testing.TB, r *Report) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteJUnit(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// What WriteJUnit writes, ReadJUnit reads back as one verdict per requirement.
func TestReadJUnitRoundTrip(t *testing.T) {
	res, err := ReadJUnit(bytes.NewReader(junitOf(t, sample())))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Status{"DOM-001": Passed, "DOM-014": Failed, "CONN-013": NotApplicable, "KVM-009": Blocked, "MIG-001": NotRun, "ERR-008": Waived, "VND-001": Failed}
	if len(res.Verdicts) != len(want) {
		t.Fatalf("verdicts %v", res.Verdicts)
	}
	for id, st := range want {
		if v := res.Verdicts[id]; v == nil || v.Status != st {
			t.Errorf("%s: %+v, want %s", id, v, st)
		}
	}
	// DOM-014 has a passing and a failing scenario: the requirement failed, with the failure's message.
	if v := res.Verdicts["DOM-014"]; v.Title != "Invalid <transition> & co" || !strings.Contains(v.Detail, "already running") || v.Level != "MUST" {
		t.Errorf("DOM-014: %+v", v)
	}
	if res.Properties["run.id"] != "abcd1234" {
		t.Errorf("properties %v", res.Properties)
	}
	if v := res.Verdicts["CONN-013"]; len(v.Capabilities) != 1 || v.Capabilities[0] != "domcaps" {
		t.Errorf("CONN-013 capabilities %v", v.Capabilities)
	}
	if !res.Verdicts["VND-001"].SuiteError {
		t.Error("the suite error is not one")
	}
	// The run's own judgement of its report is the same as the JUnit's.
	if got, want := ResultsOf(sample()), res; got.Cases != want.Cases || len(got.Verdicts) != len(want.Verdicts) {
		t.Errorf("ResultsOf %+v, ReadJUnit %+v", got.Cases, want.Cases)
	} else {
		for id, v := range want.Verdicts {
			g := got.Verdicts[id]
			if g.Status != v.Status || g.SuiteError != v.SuiteError || strings.Join(g.Capabilities, ",") != strings.Join(v.Capabilities, ",") {
				t.Errorf("%s: ResultsOf %+v, ReadJUnit %+v", id, g, v)
			}
		}
	}
}

// Reports of earlier suite versions keep their meaning: their skip words
// read as the categories they were.
func TestReadJUnitOldSkipWords(t *testing.T) {
	doc := `<testsuites><testsuite>
<testcase name="A-001 [MUST] a"><skipped message="unsupported: needs domcaps: no"/></testcase>
<testcase name="A-002 [MUST] b"><skipped message="precondition: needs peer: none"/></testcase>
<testcase name="A-003 [MUST] c"><skipped>blocked (kvm): kvm is broken</skipped></testcase>
</testsuite></testsuites>`
	res, err := ReadJUnit(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]Status{"A-001": NotApplicable, "A-002": NotRun, "A-003": Blocked} {
		if got := res.Verdicts[id].Status; got != want {
			t.Errorf("%s: %s, want %s", id, got, want)
		}
	}
}

func TestReadJUnitRefuses(t *testing.T) {
	for name, doc := range map[string]string{
		"not XML":          "hello",
		"not JUnit":        "<html><body/></html>",
		"no testcases":     `<testsuites name="ovacts"></testsuites>`,
		"foreign testcase": `<testsuites><testsuite><testcase name="TestFoo"/></testsuite></testsuites>`,
		"two levels":       `<testsuites><testsuite><testcase name="DOM-001 [MUST] a"/><testcase name="DOM-001 [MAY] a #2"/></testsuite></testsuites>`,
		"bad level":        `<testsuites><testsuite><testcase name="DOM-001 [OFTEN] a"/></testsuite></testsuites>`,
		"truncated":        string(junitOf(t, sample())[:300]),
	} {
		if _, err := ReadJUnit(strings.NewReader(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	big := strings.NewReader(strings.Repeat(" ", MaxInputBytes+1))
	if _, err := ReadJUnit(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversized report: %v", err)
	}
}

func TestDiff(t *testing.T) {
	old := sample()
	next := sample()
	next.Outcomes[0].Status, next.Outcomes[0].Reason = Failed, "VIR_ERR_NO_DOMAIN: gone"           // DOM-001 passed -> failed
	next.Outcomes[1].Status = Passed                                                               // DOM-014 failed -> passed
	next.Outcomes[3].Status, next.Outcomes[3].Capability, next.Outcomes[3].Reason = Passed, "", "" // CONN-013 not applicable -> passed
	next.Outcomes[5].Status = Blocked                                                              // MIG-001 not run -> blocked
	next.Outcomes[7].ReqID = "VND-002"                                                             // VND-001 removed, VND-002 added
	a, err := ReadJUnit(bytes.NewReader(junitOf(t, old)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ReadJUnit(bytes.NewReader(junitOf(t, next)))
	if err != nil {
		t.Fatal(err)
	}
	if c := Diff(a, a); !c.Empty() {
		t.Fatalf("a report against itself: %+v", c)
	}
	c := Diff(a, b)
	ids := func(cs []Change) string {
		var out []string
		for _, ch := range cs {
			out = append(out, ch.ReqID)
		}
		return strings.Join(out, ",")
	}
	for name, got := range map[string][2]string{
		"regressions": {ids(c.Regressions), "DOM-001"},
		"fixes":       {ids(c.Fixes), "DOM-014"},
		"now running": {ids(c.NowRunning), "CONN-013"},
		"blocked":     {ids(c.NewlyBlocked), "MIG-001"},
		"skipped":     {ids(c.NewlySkipped), ""},
		"added":       {ids(c.Added), "VND-002"},
		"removed":     {ids(c.Removed), "VND-001"},
	} {
		if got[0] != got[1] {
			t.Errorf("%s: %q, want %q", name, got[0], got[1])
		}
	}
	// And backwards: the regression is a fix, a run requirement is newly skipped.
	back := Diff(b, a)
	if ids(back.Fixes) != "DOM-001" || ids(back.Regressions) != "DOM-014" || ids(back.NewlySkipped) != "CONN-013,MIG-001" {
		t.Errorf("backwards: %+v", back)
	}

	var text bytes.Buffer
	if err := WriteChanges(&text, c); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "diff.golden.txt")
	if *update {
		os.WriteFile(golden, text.Bytes(), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test ./reports -update)", err)
	}
	if !bytes.Equal(want, text.Bytes()) {
		t.Errorf("diff text differs from %s:\n%s", golden, text.String())
	}
	var js bytes.Buffer
	if err := WriteChangesJSON(&js, Diff(a, a)); err != nil {
		t.Fatal(err)
	}
	var round map[string][]Change
	if err := json.Unmarshal(js.Bytes(), &round); err != nil || round["regressions"] == nil || len(round) != 8 {
		t.Errorf("JSON of no changes: %s %v", js.String(), err)
	}
}

// Untrusted input: never a panic; what parses diffs empty against itself.
func FuzzReadJUnit(f *testing.F) {
	f.Add(junitOf(f, sample()))
	f.Add([]byte(`<testsuites><testsuite><testcase name="DOM-001 [MUST] a"><skipped message="x"/></testcase></testsuite></testsuites>`))
	f.Add([]byte(`<testsuites><testsuite><testcase name="A-001 [MAY] a #3"><failure/><skipped/></testcase></testsuite></testsuites>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := ReadJUnit(bytes.NewReader(data))
		if err != nil {
			return
		}
		if len(res.Verdicts) == 0 {
			t.Fatal("a report without verdicts was accepted")
		}
		if c := Diff(res, res); !c.Empty() {
			t.Fatalf("a report differs from itself: %+v", c)
		}
		for id, v := range res.Verdicts {
			if _, known := statusRank[v.Status]; id != v.ReqID || !known {
				t.Fatalf("verdict %+v under %s", v, id)
			}
		}
	})
}

// diff prints the titles and messages of other people's reports escaped.
func TestWriteChangesEscapes(t *testing.T) {
	var b strings.Builder
	c := Changes{Regressions: []Change{{ReqID: "VND-001", Title: "t\x1b[2K\r✓ verified", From: Passed, To: Failed, Detail: "boom\x1b]0;x\x07"}}}
	if err := WriteChanges(&b, c); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(b.String(), "\x1b\r\x07") || !strings.Contains(b.String(), `t\x1b[2K\x0d✓ verified`) {
		t.Errorf("WriteChanges prints control characters raw: %q", b.String())
	}
}
