package harness_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cucumber/godog"
	"github.com/ovacts/ovacts/features"
	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/reports"
	"github.com/ovacts/ovacts/steps"
)

func config(t *testing.T) harness.Config {
	return harness.Config{URI: "test:///default", Profile: "full", Concurrency: 1, StepTimeout: 10 * time.Second,
		FailOn: harness.MUST, SuiteVersion: "test", Registry: harness.RunRegistry{Dir: t.TempDir()}}
}

func run(t *testing.T, ctx context.Context, cfg harness.Config) *reports.Report {
	t.Helper()
	rep, err := harness.Run(ctx, cfg, features.FS, steps.Initialize)
	if err != nil {
		t.Fatalf("run: %v", err) // includes Close() returning non-zero: an unfreed object
	}
	return rep
}

func assertNothingLeft(t *testing.T) {
	t.Helper()
	conn, err := harness.Open("test:///default")
	if err != nil {
		t.Fatal(err)
	}
	defer harness.CloseChecked(conn)
	left, err := harness.PrefixedObjects(conn)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Fatalf("objects left behind: %v", left)
	}
}

func byCase(rep *reports.Report) map[string]reports.Outcome {
	m := map[string]reports.Outcome{}
	for _, o := range rep.Outcomes {
		m[o.FeatureURI+":"+strconv.Itoa(o.Line)] = o
	}
	return m
}

func TestRunOnTestDriver(t *testing.T) {
	rep := run(t, context.Background(), config(t))
	suite, err := harness.LoadSuite(features.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Outcomes) != len(suite.Pickles) {
		t.Fatalf("%d outcomes for %d scenarios", len(rep.Outcomes), len(suite.Pickles))
	}
	c := reports.Tally(rep.Outcomes, nil)
	if c.SuiteErrors != 0 || c.Passed == 0 {
		t.Fatalf("tally %+v", c)
	}
	for _, o := range rep.Outcomes {
		switch {
		case o.Status == reports.Skipped && (o.Reason == "" || o.SkipKind == ""):
			t.Errorf("%s skipped without a reason", o.ReqID)
		case o.Status == reports.Failed && o.Level == "MUST":
			t.Errorf("%s (MUST) failed on the test driver: %s", o.ReqID, o.Reason)
		case o.ReqID == "CONN-013" && !(o.Status == reports.Skipped && strings.Contains(o.Reason, "needs domcaps")):
			t.Errorf("CONN-013 should be skipped before the run for lack of domain capabilities: %+v", o)
		case o.ReqID == "ERR-004" && !(o.Status == reports.Skipped && strings.Contains(o.Reason, "needs secrets")):
			t.Errorf("ERR-004 should be skipped before the run for lack of secrets: %+v", o)
		case o.ReqID == "STOR-007" && !(o.Status == reports.Skipped && o.SkipKind == "unsupported" && strings.Contains(o.Reason, "virStorageVolResize")):
			t.Errorf("STOR-007 should be a runtime unsupported skip on the test driver: %+v", o)
		}
	}
	if rep.Property("driver") != "TEST" || rep.Property("domain.type") != "test" || rep.Property("uri") != "test:///default" {
		t.Errorf("properties: %+v", rep.Properties)
	}
	if harness.ExitCode(rep, harness.MUST) != 0 {
		t.Error("exit code is not 0 at level MUST")
	}
	// The test driver returns VIR_ERR_INTERNAL_ERROR for invalid transitions:
	// a SHOULD failure that fails the run only when asked to.
	if harness.ExitCode(rep, harness.SHOULD) != 1 {
		t.Error("SHOULD failures do not fail the run at --fail-on should")
	}
	assertNothingLeft(t)
}

func TestConcurrentRunMatchesSerial(t *testing.T) {
	serial := run(t, context.Background(), config(t))
	cfg := config(t)
	cfg.Concurrency = 4
	conc := run(t, context.Background(), cfg)
	a, b := byCase(serial), byCase(conc)
	if len(a) != len(b) {
		t.Fatalf("%d vs %d outcomes", len(a), len(b))
	}
	for k, o := range a {
		if b[k].Status != o.Status {
			t.Errorf("%s %s: serial %s, concurrent %s (%s)", k, o.ReqID, o.Status, b[k].Status, b[k].Reason)
		}
	}
	assertNothingLeft(t)
}

func TestInterruptedRunSkipsTheRestAndCleansUp(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep := run(t, ctx, config(t))
	if !rep.Interrupted || rep.Property("interrupted") != "true" {
		t.Fatal("report not marked interrupted")
	}
	for _, o := range rep.Outcomes {
		if o.Status == reports.Passed {
			t.Fatalf("%s passed in a run interrupted before it started", o.ReqID)
		}
		// Skips decided before the run keep their kind (the stack lacks it, or the
		// run's setup does: no peer); everything else was cut by the interrupt.
		if o.Status == reports.Skipped && o.SkipKind != "interrupted" && o.SkipKind != "unsupported" && o.SkipKind != "precondition" {
			t.Fatalf("%s: skip kind %q", o.ReqID, o.SkipKind)
		}
	}
	assertNothingLeft(t)
}

func vendorFeature(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "vendor.feature"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestUndefinedStepFailsEvenAMayRequirement(t *testing.T) {
	cfg := config(t)
	cfg.FeatureDirs = []string{vendorFeature(t, `Feature: Vendor
  @req:VND-001 @may
  Scenario: Uses a step nobody defined
    Given a domain "vm" that is running
    Then the flux capacitor is charged
`)}
	cfg.Tags = "@req:VND-001"
	rep := run(t, context.Background(), cfg)
	if len(rep.Outcomes) != 1 {
		t.Fatalf("%d outcomes", len(rep.Outcomes))
	}
	o := rep.Outcomes[0]
	if o.Status != reports.Failed || !o.SuiteError || !strings.Contains(o.Reason, "undefined") || !strings.Contains(o.FailedStep, "flux capacitor") {
		t.Fatalf("undefined step outcome: %+v", o)
	}
	if harness.ExitCode(rep, harness.MUST) != 1 {
		t.Fatal("an undefined step does not fail the run")
	}
	assertNothingLeft(t)
}

func TestNoSupportIsSkipForShouldAndFailureForMust(t *testing.T) {
	cfg := config(t)
	cfg.FeatureDirs = []string{vendorFeature(t, `Feature: Vendor secrets
  @req:VND-001 @must
  Scenario: Must have secrets
    When I try to look up a secret that does not exist
    Then the call fails with VIR_ERR_NO_SECRET

  @req:VND-002 @should
  Scenario: Should have secrets
    When I try to look up a secret that does not exist
    Then the call fails with VIR_ERR_NO_SECRET
`)}
	cfg.Tags = "@req:VND-001 or @req:VND-002"
	rep := run(t, context.Background(), cfg)
	got := map[string]reports.Outcome{}
	for _, o := range rep.Outcomes {
		got[o.ReqID] = o
	}
	if o := got["VND-001"]; o.Status != reports.Failed || o.ErrorCode != "VIR_ERR_NO_SUPPORT" || !strings.Contains(o.Reason, "does not support what this MUST requirement needs") {
		t.Errorf("MUST on an unsupported call: %+v", o)
	}
	if o := got["VND-002"]; o.Status != reports.Skipped || o.SkipKind != "unsupported" {
		t.Errorf("SHOULD on an unsupported call: %+v", o)
	}
}

func TestInjectedClockGivesDeterministicDurations(t *testing.T) {
	cfg := config(t)
	cfg.Tags = "@req:CONN-001"
	var tick time.Duration
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cfg.Clock = func() time.Time { tick += 250 * time.Millisecond; return base.Add(tick) }
	rep := run(t, context.Background(), cfg)
	if !rep.Started.Equal(base.Add(250*time.Millisecond)) || rep.Outcomes[0].Duration != 250*time.Millisecond {
		t.Fatalf("started %v, scenario took %v", rep.Started, rep.Outcomes[0].Duration)
	}
}

func TestSetupErrors(t *testing.T) {
	cases := map[string]func(*harness.Config){
		"bad uri":         func(c *harness.Config) { c.URI = "nosuchdriver:///x" },
		"unknown profile": func(c *harness.Config) { c.Profile = "gold" },
		"bad tags":        func(c *harness.Config) { c.Tags = "@a and" },
		"unknown tag":     func(c *harness.Config) { c.Tags = "@req:NOPE-999" },
		"no concurrency":  func(c *harness.Config) { c.Concurrency = 0 },
		"report path":     func(c *harness.Config) { c.JUnitPath = "/proc/ovacts/junit.xml" },
	}
	names := make([]string, 0, len(cases))
	for n := range cases {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		cfg := config(t)
		cases[n](&cfg)
		_, err := harness.Run(context.Background(), cfg, features.FS, steps.Initialize)
		var se *harness.SetupError
		if err == nil || !errors.As(err, &se) {
			t.Errorf("%s: want a SetupError, got %v", n, err)
		}
	}
	assertNothingLeft(t)
}

// A step that panics fails its scenario, and what the scenario created is still removed.
func TestPanickingStepIsAFailureAndCleansUp(t *testing.T) {
	cfg := config(t)
	cfg.FeatureDirs = []string{vendorFeature(t, `Feature: Panics
  @req:VND-001 @must
  Scenario: A step panics after creating a domain
    Given a domain "vm" that is running
    Then a self-test step panics
`)}
	cfg.Tags = "@req:VND-001"
	init := func(sc *godog.ScenarioContext) {
		steps.Initialize(sc)
		sc.Step(`^a self-test step panics$`, func() error { panic("boom") })
	}
	rep, err := harness.Run(context.Background(), cfg, features.FS, init)
	if err != nil {
		t.Fatal(err)
	}
	o := rep.Outcomes[0]
	if o.Status != reports.Failed || !strings.Contains(o.Reason, "boom") || o.SuiteError {
		t.Fatalf("panicking step: %+v", o)
	}
	assertNothingLeft(t)
}
