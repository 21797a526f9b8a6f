package harness

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"
	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/internal/safeio"
	"github.com/ovacts/ovacts/reports"
)

// Config is one run's settings.
type Config struct {
	URI          string
	Profile      string
	Tags         string
	FeatureDirs  []string
	JUnitPath    string
	JUnitFormat  reports.JUnitFormat // "" = reports.JUnitDefault
	CucumberPath string
	Concurrency  int // 0 = auto (AutoConcurrency, decided after the probe)
	StepTimeout  time.Duration
	// ScenarioTimeout bounds a whole scenario; zero means no bound beyond the steps'.
	ScenarioTimeout time.Duration
	Keep            bool
	FailOn          catalogue.Level // failures at this level or stricter make the run fail
	SuiteVersion    string
	Command         string // the command line as run, URIs redacted: a report's "Reproduce" section
	// Service is the service release of the run's set it certifies against
	// (its exclusions are not counted; reports/service.go), or nil.
	Service *reports.ServiceRelease
	// APICoverage: write the scenarios' coverage of libvirt's public API to
	// this file (JSON), from libvirt's client debug log at APILog, which the
	// caller has libvirt write (LIBVIRT_LOG_OUTPUTS, before libvirt starts).
	APICoverage, APILog string
	// AdminHelper is the ovacts binary whose `admin-helper` command makes the
	// admin API calls (libvirt's admin and main libraries cannot share a
	// process); empty: the admin requirements are not run.
	AdminHelper string
	Progress    io.Writer
	Clock       func() time.Time
	Registry    RunRegistry
	Guest       GuestConfig
	Guestfs     GuestfsConfig
	OVirt       OVirtConfig
	// SelfTest labels a run of the suite against a fake (a stub engine): its
	// report says so, and reports.ReadResults refuses it as conformance.
	SelfTest string
	RunID    string // empty: a new random one
	// PeerURI names a second stack, the destination of migrations; "" = none.
	PeerURI string
	// Waivers turn the failures they cover into waived outcomes (--waivers).
	Waivers []reports.Waiver
	// VerboseSteps: the progress lists each scenario's steps (-v).
	VerboseSteps bool
	// FailFast: once a scenario failed, start no other (they are not run,
	// "--fail-fast"); those running finish.
	FailFast bool
	// RerunOf is the run ID of the report --rerun-failed took its
	// selection from; the report says so (rerun.of).
	RerunOf string
	// StepLocation names the step definition a step's text matches (its
	// file:line), for the Cucumber JSON; nil leaves it out.
	StepLocation func(text string) string
	// Watch follows the run as it goes (the progress's estimate and its
	// notices of long scenarios); nil: nothing follows it.
	Watch Watcher
}

// SetupError is a usage or setup problem (bad input, unreachable stack): exit 2.
type SetupError struct{ Err error }

func (e *SetupError) Error() string { return e.Err.Error() }

func (e *SetupError) Unwrap() error { return e.Err }

func setupErr(format string, args ...any) error { return &SetupError{Err: fmt.Errorf(format, args...)} }

// StepsInit registers step definitions on a godog scenario context.
type StepsInit func(*godog.ScenarioContext)

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// CheckReportPath refuses a report path the run could not write, or one with
// a comma (godog's format list separator), before anything runs.
func CheckReportPath(flag, path string) error {
	if path == "" {
		return nil
	}
	if strings.Contains(path, ",") {
		return fmt.Errorf("%s %s: a report path may not contain a comma", flag, path)
	}
	if err := safeio.CheckWritable(path); err != nil {
		return fmt.Errorf("%s: %w", flag, err)
	}
	return nil
}

// check refuses settings a run cannot start with, and fills in defaults.
func (cfg *Config) check() error {
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	// Probes and scenarios write from their own goroutines: one line at a time.
	if _, ok := cfg.Progress.(*lineWriter); !ok {
		cfg.Progress = &lineWriter{w: cfg.Progress}
	}
	for flag, p := range map[string]string{"--junit": cfg.JUnitPath, "--cucumber": cfg.CucumberPath} {
		if err := CheckReportPath(flag, p); err != nil {
			return &SetupError{Err: err}
		}
	}
	if cfg.Concurrency < 0 {
		return setupErr("--concurrency must be auto or at least 1, got %d", cfg.Concurrency)
	}
	if cfg.StepTimeout <= 0 {
		return setupErr("--step-timeout must be positive, got %s", cfg.StepTimeout)
	}
	if cfg.ScenarioTimeout < 0 {
		return setupErr("--scenario-timeout must not be negative, got %s", cfg.ScenarioTimeout)
	}
	if err := CheckAccel("--guestfs-accel", cfg.Guestfs.Accel); err != nil {
		return &SetupError{Err: err}
	}
	if cfg.Guestfs.AccelTimeout < 0 {
		return setupErr("--guestfs-accel-timeout must not be negative, got %s", cfg.Guestfs.AccelTimeout)
	}
	if cfg.Guest.BootTimeout <= 0 {
		cfg.Guest.BootTimeout = 60 * time.Second
	}
	return nil
}

// CheckAccel refuses an accelerator choice (--guest-accel, --guestfs-accel)
// other than auto, kvm or tcg ("" is auto).
func CheckAccel(flag, accel string) error {
	switch accel {
	case "", "auto", "kvm", "tcg":
		return nil
	}
	return fmt.Errorf("%s must be auto, kvm or tcg, got %q", flag, accel)
}

// lineWriter serialises writes to the progress output.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
