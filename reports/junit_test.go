package reports

import (
	"bytes"
	"encoding/xml"
	"flag"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ovacts/ovacts/internal/xmllint"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// sample is a report with every kind of outcome, at fixed times.
func sample() *Report {
	start := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	steps := []StepResult{{Keyword: "Given ", Text: `a domain "vm" defined from fixture "minimal"`, Status: "passed", Duration: 3 * time.Millisecond},
		{Keyword: "When ", Text: `I start domain "vm"`, Status: "failed", Duration: 12 * time.Millisecond,
			Error: "starting ovacts-abcd1234-s3-vm: VIR_ERR_OPERATION_INVALID: domain is already running"},
		{Keyword: "Then ", Text: `domain "vm" is running`, Status: "skipped"}}
	return &Report{
		Suite: "ovacts", Started: start, Duration: 1500 * time.Millisecond,
		Properties: []Property{{"uri", "qemu+tcp://admin:xxxxx@host/system"}, {"driver", "QEMU"}, {"profile", "core"}, {"run.id", "abcd1234"}, {"hostname", "host.example"}},
		Outcomes: []Outcome{
			{ReqID: "DOM-001", Level: "MUST", Area: "DOM", Title: "Lifecycle", Feature: "Domain lifecycle", FeatureURI: "features/domain/lifecycle.feature", Line: 7, Status: Passed, Duration: 410 * time.Millisecond},
			{ReqID: "DOM-014", Level: "MUST", Area: "DOM", Title: "Invalid <transition> & co", Feature: "Domain lifecycle", FeatureURI: "features/domain/lifecycle.feature", Line: 120, Status: Failed,
				FailedStep: `When I start domain "vm"`, ErrorCode: "VIR_ERR_OPERATION_INVALID", Reason: "starting ovacts-abcd1234-s3-vm: VIR_ERR_OPERATION_INVALID: domain is already running\nsecond line",
				Duration: 20 * time.Millisecond, Steps: steps},
			{ReqID: "DOM-014", Level: "MUST", Area: "DOM", Title: "Invalid <transition> & co", Feature: "Domain lifecycle", FeatureURI: "features/domain/lifecycle.feature", Line: 121, Status: Passed, Duration: 10 * time.Millisecond},
			{ReqID: "CONN-013", Level: "SHOULD", Area: "CONN", Title: "Domain capabilities", Feature: "Connection and host", FeatureURI: "features/connection/connection.feature", Line: 50,
				Status: NotApplicable, Capability: "domcaps", Reason: "needs domcaps: VIR_ERR_NO_SUPPORT: not supported"},
			{ReqID: "KVM-009", Level: "MUST", Area: "KVM", Title: "KVM acceleration", Feature: "KVM host", FeatureURI: "features/kvm/kvm.feature", Line: 54,
				Status: Blocked, Capability: "kvm", BlockedBy: "CONN-018", Reason: "kvm is broken (CONN-018 failed): kvm offered but a kvm domain did not start"},
			{ReqID: "MIG-001", Level: "MUST", Area: "MIG", Title: "Live migration", Feature: "Migration", FeatureURI: "features/migration/migration.feature", Line: 10,
				Status: NotRun, Capability: "peer", Reason: "needs peer: no second stack: give one with --peer-uri"},
			{ReqID: "ERR-008", Level: "SHOULD", Area: "ERR", Title: "Invalid state", Feature: "Errors", FeatureURI: "features/errors/errors.feature", Line: 58,
				Status: Waived, Waiver: "known (https://example.org, until 2027-06-30)", FailedStep: "Then the call fails with VIR_ERR_OPERATION_INVALID", Reason: "expected VIR_ERR_OPERATION_INVALID, got VIR_ERR_INTERNAL_ERROR"},
			{ReqID: "VND-001", Level: "MAY", Area: "VND", Title: "Vendor", Feature: "", FeatureURI: "/tmp/v.feature", Line: 3, Status: Failed, SuiteError: true,
				FailedStep: "Then the flux capacitor is charged", Reason: "step is undefined: the flux capacitor is charged"},
		},
	}
}

func TestJUnitGoldens(t *testing.T) {
	for _, f := range JUnitFormats {
		var b bytes.Buffer
		if err := WriteJUnitFormat(&b, sample(), f); err != nil {
			t.Fatal(err)
		}
		checkGolden(t, "junit."+string(f)+".golden.xml", b.Bytes())
	}
}

// The default report validates against the schemas Jenkins' xUnit plugin and
// dtkit check with, Ant's against Ant's; GitLab's adds file and line, which
// junit-10.xsd does not allow (that is why it is not the default).
func TestJUnitValidatesAgainstCISchemas(t *testing.T) {
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Skip("xmllint (libxml2-utils) is not installed; make setup installs it")
	}
	for _, c := range []struct {
		format  JUnitFormat
		schemas []string
	}{
		{JUnitDefault, []string{"junit-10.xsd", "junit-4.xsd"}},
		{JUnitAnt, []string{"JUnit.xsd"}},
	} {
		var b bytes.Buffer
		if err := WriteJUnitFormat(&b, sample(), c.format); err != nil {
			t.Fatal(err)
		}
		for _, s := range c.schemas {
			if err := xmllint.Validate(b.Bytes(), filepath.Join("testdata", "schemas", s)); err != nil {
				t.Errorf("%s format against %s: %v", c.format, s, err)
			}
		}
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
	for i, s := range doc.Suites {
		var f, e, k int
		for _, c := range s.Cases {
			switch {
			case c.Failure != nil:
				f++
			case c.Error != nil:
				e++
			case c.Skipped != nil:
				k++
				if st, _ := parseSkip(c.Skipped.Text); !strings.Contains(c.Skipped.Text, ": ") || st == "" {
					t.Errorf("%s: a skip without its category and reason: %q", c.Name, c.Skipped.Text)
				}
			}
			if c.SystemOut == nil || !strings.Contains(c.SystemOut.Text, "Scenario: ") {
				t.Errorf("%s: no steps in system-out", c.Name)
			}
		}
		if s.Tests != len(s.Cases) || s.Failures != f || s.Errors != e || s.Skipped != k {
			t.Errorf("suite %s says %d/%d/%d/%d, children %d/%d/%d/%d", s.Name, s.Tests, s.Failures, s.Errors, s.Skipped, len(s.Cases), f, e, k)
		}
		// The run's properties are written once, in the first suite.
		if (i == 0) != (s.Properties != nil) || (i == 0 && len(s.Properties.Props) != 5) {
			t.Errorf("suite %d (%s) properties %+v", i, s.Name, s.Properties)
		}
		tests, fails, errs, skips = tests+s.Tests, fails+s.Failures, errs+s.Errors, skips+s.Skipped
	}
	if doc.Tests != 8 || tests != 8 || doc.Failures != fails || doc.Errors != errs || fails != 1 || errs != 1 || skips != 4 {
		t.Errorf("root says %d/%d/%d, suites %d/%d/%d/%d", doc.Tests, doc.Failures, doc.Errors, tests, fails, errs, skips)
	}
	// Outline rows sharing a title get distinct testcase names.
	names := map[string]bool{}
	for _, c := range doc.Suites[1].Cases {
		if names[c.Name] {
			t.Errorf("duplicate testcase name %q", c.Name)
		}
		names[c.Name] = true
	}
}

// A failure's text alone says which requirement, where, expected and seen,
// with libvirt's code, and no per-run object names.
func TestFailureReadableOnItsOwn(t *testing.T) {
	o := sample().Outcomes[1]
	msg, text := FailureMessage(o), FailureText(o)
	for _, want := range []string{"DOM-014", "MUST", `When I start domain "vm"`, "VIR_ERR_OPERATION_INVALID", "already running"} {
		if !strings.Contains(msg, want) || !strings.Contains(text, want) {
			t.Errorf("failure lacks %q:\n%s\n%s", want, msg, text)
		}
	}
	for _, want := range []string{"features/domain/lifecycle.feature:120", "starting vm:", "second line"} {
		if !strings.Contains(text, want) {
			t.Errorf("failure text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(msg+text+StepsText(o), "abcd1234") {
		t.Errorf("a per-run name is left:\n%s\n%s", text, StepsText(o))
	}
	if strings.Contains(msg, "second line") {
		t.Error("the message attribute should hold the first line only")
	}
}

func TestSummaryAndProgress(t *testing.T) {
	var b bytes.Buffer
	WriteSummary(&b, sample())
	for _, want := range []string{
		"8 scenarios: 2 passed, 1 failed, 1 blocked, 1 not applicable, 1 not run, 1 waived, 1 suite errors in 1.5s",
		"kvm is broken (CONN-018 failed): kvm offered but a kvm domain did not start: 1 scenario(s) blocked",
		"MUST     5: 2 passed, 1 failed, 1 blocked, 0 not applicable, 1 not run", "area DOM"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
	for i, want := range map[int]string{3: "N/A    CONN-013  SHOULD Domain capabilities (0s)\n      not-applicable (domcaps): needs domcaps",
		4: "BLOCK  KVM-009", 5: "NOTRUN MIG-001"} {
		if line := ProgressLine(sample().Outcomes[i]); !strings.HasPrefix(line, want) {
			t.Errorf("progress line %q, want %q", line, want)
		}
	}
}

// xmllint.Validate is how the tests check a report against a schema.
func TestValidateXMLCatchesAnInvalidReport(t *testing.T) {
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Skip("xmllint is not installed")
	}
	bad := []byte(`<testsuites><testsuite name="x" tests="1"><testcase name="a" file="f"/></testsuite></testsuites>`)
	if err := xmllint.Validate(bad, filepath.Join("testdata", "schemas", "junit-10.xsd")); err == nil {
		t.Fatal("a testcase with a file attribute validated against junit-10.xsd")
	}
}
