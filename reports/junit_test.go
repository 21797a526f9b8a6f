package reports

import (
	"bytes"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// sample is a report with every kind of outcome, at fixed times.
func sample() *Report {
	start := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	return &Report{
		Suite: "ovacts", Started: start, Duration: 1500 * time.Millisecond,
		Properties: []Property{{"uri", "qemu+tcp://admin:xxxxx@host/system"}, {"driver", "QEMU"}, {"profile", "core"}, {"run.id", "abcd1234"}},
		Outcomes: []Outcome{
			{ReqID: "DOM-001", Level: "MUST", Area: "DOM", Title: "Lifecycle", Feature: "Domain lifecycle", FeatureURI: "features/domain/lifecycle.feature", Line: 7, Status: Passed, Duration: 410 * time.Millisecond},
			{ReqID: "DOM-014", Level: "MUST", Area: "DOM", Title: "Invalid <transition> & co", Feature: "Domain lifecycle", FeatureURI: "features/domain/lifecycle.feature", Line: 120, Status: Failed,
				FailedStep: `Then domain "vm" is running`, ErrorCode: "VIR_ERR_OPERATION_INVALID", Reason: "starting: VIR_ERR_OPERATION_INVALID: domain is already running\nsecond line", Duration: 20 * time.Millisecond},
			{ReqID: "DOM-014", Level: "MUST", Area: "DOM", Title: "Invalid <transition> & co", Feature: "Domain lifecycle", FeatureURI: "features/domain/lifecycle.feature", Line: 121, Status: Passed, Duration: 10 * time.Millisecond},
			{ReqID: "CONN-013", Level: "SHOULD", Area: "CONN", Title: "Domain capabilities", Feature: "Connection and host", FeatureURI: "features/connection/connection.feature", Line: 50, Status: Skipped,
				SkipKind: "unsupported", Reason: "needs domcaps: VIR_ERR_NO_SUPPORT: not supported"},
			{ReqID: "VND-001", Level: "MAY", Area: "VND", Title: "Vendor", Feature: "", FeatureURI: "/tmp/v.feature", Line: 3, Status: Failed, SuiteError: true,
				FailedStep: "Then the flux capacitor is charged", Reason: "step is undefined: the flux capacitor is charged"},
		},
	}
}

func TestJUnitGolden(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJUnit(&b, sample()); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "junit.golden.xml")
	if *update {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./reports -update to create it)", err)
	}
	if !bytes.Equal(want, b.Bytes()) {
		t.Errorf("JUnit differs from %s (go test ./reports -update after checking):\n%s", golden, b.String())
	}
}

// The counts on every element must agree with its children, whatever the outcomes.
func TestJUnitCountsMatchChildren(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJUnit(&b, sample()); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	var tests, fails, errs, skips int
	for _, s := range doc.Suites {
		var f, e, k int
		for _, c := range s.Cases {
			switch {
			case c.Failure != nil:
				f++
			case c.Error != nil:
				e++
			case c.Skipped != nil:
				k++
			}
			if c.Skipped != nil && !strings.Contains(c.Skipped.Message, ":") {
				t.Errorf("%s: skip without kind and reason: %q", c.Name, c.Skipped.Message)
			}
		}
		if s.Tests != len(s.Cases) || s.Failures != f || s.Errors != e || s.Skipped != k {
			t.Errorf("suite %s says %d/%d/%d/%d, children %d/%d/%d/%d", s.Name, s.Tests, s.Failures, s.Errors, s.Skipped, len(s.Cases), f, e, k)
		}
		if len(s.Properties) != 4 {
			t.Errorf("suite %s has %d properties", s.Name, len(s.Properties))
		}
		tests, fails, errs, skips = tests+s.Tests, fails+s.Failures, errs+s.Errors, skips+s.Skipped
	}
	if doc.Tests != 5 || tests != 5 || doc.Failures != fails || doc.Errors != errs || doc.Skipped != skips || fails != 1 || errs != 1 || skips != 1 {
		t.Errorf("root says %d/%d/%d/%d, suites %d/%d/%d/%d", doc.Tests, doc.Failures, doc.Errors, doc.Skipped, tests, fails, errs, skips)
	}
	// Outline rows sharing a title get distinct testcase names.
	names := map[string]bool{}
	for _, c := range doc.Suites[0].Cases {
		if names[c.Name] {
			t.Errorf("duplicate testcase name %q", c.Name)
		}
		names[c.Name] = true
	}
}

func TestFailureMessageNamesRequirementStepAndCode(t *testing.T) {
	o := sample().Outcomes[1]
	got := FailureMessage(o)
	for _, want := range []string{"DOM-014", "MUST", `Then domain "vm" is running`, "VIR_ERR_OPERATION_INVALID", "already running"} {
		if !strings.Contains(got, want) {
			t.Errorf("failure message %q lacks %q", got, want)
		}
	}
	if strings.Contains(got, "second line") {
		t.Error("the message attribute should hold the first line only")
	}
}

func TestSummaryAndProgress(t *testing.T) {
	var b bytes.Buffer
	WriteSummary(&b, sample())
	for _, want := range []string{"5 scenarios: 2 passed, 1 failed, 1 skipped, 1 suite errors in 1.5s", "MUST     3: 2 passed, 1 failed", "area DOM"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
	line := ProgressLine(sample().Outcomes[3])
	if !strings.HasPrefix(line, "SKIP  CONN-013") || !strings.Contains(line, "skipped, unsupported: needs domcaps") {
		t.Errorf("progress line %q", line)
	}
}
