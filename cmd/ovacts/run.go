package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/features"
	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/internal/apicov"
	"github.com/ovacts/ovacts/internal/safeio"
	"github.com/ovacts/ovacts/reports"
	"github.com/ovacts/ovacts/steps"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// runCmd is ovacts run: its settings, and what it writes to.
type runCmd struct {
	cfg                                                            harness.Config
	failOn, bundleDir, productFile, signKey, waiverFile, rerunFrom string
	concurrency                                                    string
	product                                                        reports.Product
	ux                                                             runUX
	// stdout: the verdict (and a bundle's log); progress: the run's lines
	// and summary (stdout unless -q, and a bundle's log).
	stdout, stderr, progress io.Writer
}

func newRunCmd(stdout, stderr io.Writer) *cobra.Command {
	o := &runCmd{stdout: stdout, stderr: stderr,
		cfg: harness.Config{SuiteVersion: version, Progress: stdout, Registry: harness.DefaultRunRegistry(), StepLocation: steps.Locate}}
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the conformance scenarios against a libvirt URI",
		Long: `Run the selected scenarios against the stack at --uri and report each one as
passed, failed, blocked (by a broken capability), not applicable (the stack
lacks what it needs) or not run (an input of the run is missing), with the
reason. --profile (default core) selects a profile's scenarios; --tags and
--name narrow it when --profile is given, and otherwise choose from every
profile's scenarios (profile "all" in the report); --features alone runs the
scenarios of its files.

Exit codes: 0 the profile is conformant at --fail-on level (every requirement
at that level or stricter passed, or is not applicable for a capability the
profile treats as optional); 1 not conformant (a requirement failed, even under
a waiver, or is blocked by a broken capability); 3 incomplete (one was not run,
not judged, or not applicable for a reason the profile does not allow);
2 usage or setup error; 4 a rehearsal that would be conformant (a run on
libvirt's test driver certifies no stack, so it never exits 0); 130/143
interrupted by SIGINT/SIGTERM. With --tags or --name, the selection is judged instead of
a profile: 1 when a selected requirement at --fail-on or stricter failed or is
blocked, 3 when one was not run or is not applicable, or none passed.`,
		Example: runExamples,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needLibvirt(); err != nil {
				return err
			}
			defer survivePipes()()
			return o.run(cmd)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.cfg.URI, "uri", envOr("OVACTS_URI", "test:///default"), "libvirt URI of the stack under test (env OVACTS_URI)")
	f.StringVar(&o.cfg.Profile, "profile", "core", "scenario profile: "+strings.Join(catalogue.ProfileNames(), ", "))
	f.StringVar(&o.cfg.Tags, "tags", "", `tag expression, e.g. "@req:DOM-001 or (@must and not @needs:kvm)"`)
	f.StringArrayVar(&o.cfg.FeatureDirs, "features", nil, "extra feature file or directory, added to the built-in features (repeatable)")
	f.StringVar(&o.cfg.JUnitPath, "junit", "", "write the JUnit report to this file")
	f.StringVar((*string)(&o.cfg.JUnitFormat), "junit-format", string(reports.JUnitDefault), "JUnit dialect: junit (valid against Jenkins' junit-10.xsd and junit-4.xsd), gitlab (adds file and line) or ant (Ant's JUnit.xsd)")
	f.StringVar(&o.cfg.CucumberPath, "cucumber", "", "write the Cucumber JSON to this file")
	f.StringVar(&o.concurrency, "concurrency", "auto", "scenarios run at once: a number, or auto (from the stack's kind and its host's CPUs; the report says which)")
	f.DurationVar(&o.cfg.StepTimeout, "step-timeout", 60*time.Second, "longest a step may wait")
	f.DurationVar(&o.cfg.ScenarioTimeout, "scenario-timeout", 10*time.Minute, "longest a scenario may take (0: no bound beyond the steps')")
	f.BoolVar(&o.cfg.Keep, "keep", false, "leave created objects on the stack for debugging (they are listed)")
	f.StringVar(&o.cfg.PeerURI, "peer-uri", envOr("OVACTS_PEER_URI", ""), "a second stack, the destination of the migration scenarios (env OVACTS_PEER_URI)")
	f.StringVar(&o.cfg.Guest.Dir, "guest-dir", "", "guest build of fixtures/guest/build.sh (default: env OVACTS_GUEST_DIR, else "+harness.DefaultGuestDir+" when present)")
	f.StringVar(&o.cfg.Guest.Kernel, "guest-kernel", "", "boot guests from this kernel instead of the guest fixture (its system must run qemu-ga)")
	f.StringVar(&o.cfg.Guest.Initrd, "guest-initrd", "", "initrd for --guest-kernel")
	f.StringVar(&o.cfg.Guest.Cmdline, "guest-cmdline", "", "kernel command line for a direct-boot guest")
	f.StringVar(&o.cfg.Guest.Disk, "guest-disk", "", "boot guests from this disk image (raw or qcow2, with qemu-ga); used through an overlay, never written")
	f.StringVar(&o.cfg.Guest.Accel, "guest-accel", "auto", "accelerator of guest OS boots: auto (KVM, else TCG), kvm or tcg")
	f.DurationVar(&o.cfg.Guest.BootTimeout, "guest-boot-timeout", 60*time.Second, "longest a guest may take from start to a running agent")
	f.DurationVar(&o.cfg.Guest.AccelTimeout, "guest-accel-timeout", 10*time.Second, "with --guest-accel auto: how long KVM gets to boot the guest before TCG is tried")
	f.StringVar(&o.cfg.OVirt.URL, "ovirt-url", "", "oVirt engine of the ovirt-engine profile, e.g. https://engine.example.com")
	f.StringVar(&o.cfg.OVirt.User, "ovirt-user", "", "engine user, e.g. admin@internal")
	f.StringVar(&o.cfg.OVirt.PasswordFile, "ovirt-password-file", "", "file holding the engine user's password")
	f.StringVar(&o.cfg.OVirt.CAFile, "ovirt-ca-file", "", "the engine's CA certificate (PEM)")
	f.BoolVar(&o.cfg.OVirt.Insecure, "ovirt-insecure", false, "do not verify the engine's TLS certificate")
	f.BoolVar(&o.cfg.OVirt.AllowChanges, "ovirt-allow-changes", false, "let scenarios create, start, stop and remove VMs (named with the run prefix) on the engine")
	f.StringVar(&o.cfg.OVirt.Template, "ovirt-template", "Blank", "template of the VMs those scenarios create (starting needs one the cluster can run)")
	f.StringVar(&o.cfg.Guestfs.Accel, "guestfs-accel", "auto", "accelerator of the libguestfs appliance: auto (KVM, else TCG), kvm or tcg")
	f.DurationVar(&o.cfg.Guestfs.AccelTimeout, "guestfs-accel-timeout", 20*time.Second, "with --guestfs-accel auto: how long the appliance gets under KVM, from QEMU's start, before TCG is tried")
	f.StringVar(&o.bundleDir, "bundle", "", "write a certification bundle to this new directory (junit.xml, cucumber.json, run.log, stack.json, product.yaml, manifest)")
	f.StringVar(&o.productFile, "product", "", "with --bundle: product.yaml describing what is certified (vendor, product, version, url, contact)")
	f.StringVar(&o.product.Vendor, "vendor", "", "with --bundle and no --product: the vendor")
	f.StringVar(&o.product.Product, "product-name", "", "with --bundle and no --product: the product")
	f.StringVar(&o.product.Version, "product-version", "", "with --bundle and no --product: the product's version")
	f.StringVar(&o.product.URL, "product-url", "", "with --bundle and no --product: the product's URL")
	f.StringVar(&o.product.Contact, "contact", "", "with --bundle and no --product: who to ask")
	f.StringVar(&o.signKey, "sign-key", "", "with --bundle: sign the manifest with this ed25519 private key (ovacts keygen)")
	f.StringVar(&o.waiverFile, "waivers", "", "known-failure list (YAML: req, reason, link, expires): covered failures are reported as waived")
	f.StringVar(&o.rerunFrom, "rerun-failed", "", "run only the requirements that failed, errored or were blocked in this earlier report (its JUnit file or bundle), in its profile, against its URI (printed; refused if it would run a program) unless --uri or OVACTS_URI is given")
	f.StringVar(&o.failOn, "fail-on", "must", "lowest requirement level whose failure fails the run: must, should or may")
	o.uxFlags(f)
	cmd.SetUsageFunc(runUsage)
	f.StringVar(&o.cfg.APICoverage, "api-coverage", "", "write which of libvirt's public API functions the scenarios entered (not the harness) to this file, as JSON (needs libvirt-dev)")
	return cmd
}

// run is ovacts run: the settings, the run, its summary and verdict, the
// bundle, and the exit code.
func (o *runCmd) run(cmd *cobra.Command) (rerr error) {
	cfg := &o.cfg
	cfg.Command = commandLine(cmd)
	if exe, err := os.Executable(); err == nil {
		cfg.AdminHelper = exe
	}
	// --rerun-failed decides the selection, profile and URI before
	// anything is written: with nothing to rerun, nothing runs.
	if o.rerunFrom != "" {
		said, nothing, err := rerunFailed(o.rerunFrom, cfg, cmd.Flags().Changed("uri") || os.Getenv("OVACTS_URI") != "", cmd.Flags().Changed("profile"))
		if err != nil {
			o.setupFailed(err)
			return err
		}
		fmt.Fprintln(o.stdout, said)
		if nothing {
			return writeNothingReran(*cfg)
		}
	}
	if err := o.applySelection(cmd); err != nil {
		return err
	}
	if err := o.junitPlaceholder(); err != nil {
		return err
	}
	defer func() { o.setupFailed(rerr) }()
	b, err := o.settings()
	if err != nil {
		return err
	}
	stopFollowing, err := o.startOutputs(b)
	defer o.closeResults(&rerr)
	if err != nil {
		return err
	}
	defer stopFollowing()
	if cfg.APICoverage != "" {
		done, err := startAPILog(cfg)
		if err != nil {
			if b != nil {
				b.discard()
			}
			return err
		}
		defer done()
	}
	if b != nil {
		defer b.log.Close()
		defer func() {
			// A bundle of a run that never started is no bundle.
			var ee *exitError
			if errors.As(rerr, &ee) && ee.code == 2 {
				b.discard()
			}
		}()
	}
	ctx, sig, stop := interruptible(o.stderr)
	defer stop()
	rep, err := harness.Run(ctx, *cfg, features.FS, steps.Initialize)
	stopFollowing()
	var se *harness.SetupError
	if errors.As(err, &se) {
		return usage("%s", oneLine(se.Error()))
	}
	if rep == nil && err != nil {
		return usage("%s", oneLine(err.Error()))
	}
	verdict, err2 := o.conclude(rep, b)
	if err2 != nil {
		return err2
	}
	if err != nil { // the report exists but closing the connection failed
		return &exitError{code: 1, msg: oneLine(err.Error())}
	}
	if rep.Interrupted {
		code := 130
		if s := sig(); s == syscall.SIGTERM {
			code = 143
		}
		return &exitError{code: code, msg: "interrupted: partial report written, objects of this run removed"}
	}
	if code := harness.RunExitCode(verdict, rep); code == reports.ExitRehearsal {
		return &exitError{code: code, msg: verdict.Subject() + ": a rehearsal on libvirt's test driver, which would be conformant: it certifies no stack (see above)"}
	} else if code != 0 {
		return &exitError{code: code, msg: verdict.Subject() + ": " + string(verdict.Kind) + " (see above)"}
	}
	return nil
}

// junitPlaceholder makes the --junit path hold a report of this run from
// now on: an errored placeholder until the run finishes, the setup failure
// if it never starts (setupFailed); never an earlier run's report.
func (o *runCmd) junitPlaceholder() error {
	if o.cfg.JUnitPath == "" {
		return nil
	}
	if err := harness.CheckReportPath("--junit", o.cfg.JUnitPath); err != nil {
		return usage("%s", oneLine(err.Error()))
	}
	if err := writeSetupReport(o.cfg.JUnitPath, "the run has not finished: it was started and did not write its report (killed?)"); err != nil {
		return usage("--junit: %s", oneLine(err.Error()))
	}
	return nil
}

// setupFailed writes, for a run that did not start (exit 2), why into the
// JUnit report.
func (o *runCmd) setupFailed(err error) {
	var ee *exitError
	if o.cfg.JUnitPath != "" && errors.As(err, &ee) && ee.code == 2 && harness.CheckReportPath("--junit", o.cfg.JUnitPath) == nil {
		writeSetupReport(o.cfg.JUnitPath, "the run did not start: "+ee.msg)
	}
}

// settings checks the flags the harness does not (--fail-on, --junit-format,
// --waivers, the bundle's) and starts the bundle, if one is asked for.
func (o *runCmd) settings() (*bundleRun, error) {
	cfg := &o.cfg
	lvl, err := parseLevel(o.failOn)
	if err != nil {
		return nil, err
	}
	cfg.FailOn = lvl
	if cfg.Concurrency, err = parseConcurrency(o.concurrency); err != nil {
		return nil, err
	}
	if !slices.Contains(reports.JUnitFormats, cfg.JUnitFormat) {
		return nil, usage("--junit-format must be junit, gitlab or ant, got %q", cfg.JUnitFormat)
	}
	if o.waiverFile != "" {
		ws, err := readWaivers(o.waiverFile)
		if err != nil {
			return nil, usage("--waivers: %s", oneLine(err.Error()))
		}
		cfg.Waivers = ws
	}
	if o.bundleDir == "" {
		if o.productFile != "" || o.signKey != "" {
			return nil, usage("--product and --sign-key need --bundle")
		}
		return nil, nil
	}
	b, err := startBundle(o.bundleDir, o.productFile, o.product, o.signKey, cfg)
	if err != nil {
		return nil, usage("%s", oneLine(err.Error()))
	}
	return b, nil
}

// conclude prints the summary and the verdict, and seals the bundle.
func (o *runCmd) conclude(rep *reports.Report, b *bundleRun) (reports.ProfileVerdict, error) {
	cfg, stdout := o.cfg, o.stdout
	reports.WriteSummary(o.progress, rep)
	writeDurations(o.progress, rep, o.ux.durations)
	verdict, err := harness.Verdict(rep, cfg, features.FS, cfg.FailOn)
	if err != nil {
		return verdict, usage("judging the run: %s", oneLine(err.Error()))
	}
	reports.WriteVerdict(stdout, verdict, harness.IsRehearsal(rep))
	o.finishResults(rep, verdict)
	if reason := rep.Property("connection.lost"); reason != "" {
		fmt.Fprintf(stdout, "The connection to the stack was lost (%s). Its objects stay until the stack is back;\nthen the next run's sweep, or ovacts cleanup --uri ..., removes them.\n", reason)
	}
	if cfg.JUnitPath != "" {
		fmt.Fprintf(stdout, "JUnit report: %s\n", cfg.JUnitPath)
	}
	if cfg.Keep {
		fmt.Fprintln(stdout, "WARNING: --keep left every object this run created on the stack; remove them with: ovacts cleanup --uri ...")
	}
	if b != nil {
		if err := b.finish(rep); err != nil {
			return verdict, &exitError{code: 1, msg: "writing the bundle: " + oneLine(err.Error())}
		}
		fmt.Fprintf(o.stderr, "bundle: %s\n", o.bundleDir)
	}
	return verdict, nil
}

// interruptible returns a context cancelled by the first SIGINT/SIGTERM; the
// second one exits at once and leaves the objects to the next run's sweep.
func interruptible(stderr io.Writer) (context.Context, func() os.Signal, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	got := make(chan os.Signal, 1)
	go func() {
		s, ok := <-ch
		if !ok {
			return
		}
		got <- s
		fmt.Fprintf(stderr, "\novacts: %s: stopping after the current step and removing this run's objects (again to exit now)\n", s)
		cancel()
		if s2, ok := <-ch; ok {
			fmt.Fprintf(stderr, "ovacts: %s again: exiting now; objects of this run are left for the next sweep (ovacts cleanup)\n", s2)
			os.Exit(map[os.Signal]int{syscall.SIGINT: 130, syscall.SIGTERM: 143}[s2])
		}
	}()
	sig := func() os.Signal {
		select {
		case s := <-got:
			return s
		default:
			return nil
		}
	}
	return ctx, sig, func() { signal.Stop(ch); close(ch); cancel() }
}

// writeSetupReport replaces the JUnit report at path with one errored
// testcase saying msg.
// writeNothingReran writes the reports a --rerun-failed with nothing to rerun
// asked for: no testcases, and the run they would have rerun, so that no
// earlier report stays at those paths.
func writeNothingReran(cfg harness.Config) error {
	rep := &reports.Report{Suite: "ovacts", Started: time.Now(), Properties: []reports.Property{
		{Name: "profile", Value: cfg.Profile}, {Name: "rerun.of", Value: cfg.RerunOf},
		{Name: "suite.version", Value: cfg.SuiteVersion}}}
	for flag, p := range map[string]string{"--junit": cfg.JUnitPath, "--cucumber": cfg.CucumberPath} {
		if err := harness.CheckReportPath(flag, p); err != nil {
			return usage("%s", oneLine(err.Error()))
		}
	}
	if err := harness.WriteReports(cfg, rep); err != nil {
		return usage("%s", oneLine(err.Error()))
	}
	return nil
}

func writeSetupReport(path, msg string) error {
	return safeio.WriteAtomic(path, 0o644, func(w io.Writer) error { return reports.WriteSetupError(w, msg, time.Now()) })
}

func readWaivers(path string) ([]reports.Waiver, error) {
	data, err := safeio.ReadRegular(path, reports.MaxInputBytes)
	if err != nil {
		return nil, err
	}
	ws, err := reports.ReadWaivers(bytes.NewReader(data))
	if err != nil {
		return nil, reports.InFile(path, err)
	}
	return ws, nil
}

// parseConcurrency reads --concurrency: auto (0) or a count of at least 1.
func parseConcurrency(s string) (int, error) {
	if s == "auto" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, usage("--concurrency must be auto or a number of at least 1, got %q", s)
	}
	return n, nil
}

// commandLine is the run's command as given (the flags set, in a stable
// order), with passwords of URIs redacted and every argument quoted for a
// POSIX shell, for a report's "Reproduce" section.
func commandLine(cmd *cobra.Command) string {
	words := []string{"ovacts", "run"}
	cmd.Flags().Visit(func(f *pflag.Flag) {
		vals := []string{f.Value.String()}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			vals = sv.GetSlice()
		}
		for _, v := range vals {
			if strings.Contains(f.Name, "uri") || strings.Contains(f.Name, "url") {
				v = harness.RedactURI(v)
			}
			if f.Value.Type() == "bool" {
				words = append(words, "--"+f.Name+"="+v)
				continue
			}
			words = append(words, "--"+f.Name, shellQuote(v))
		}
	})
	return strings.Join(words, " ")
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@,+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// startAPILog has libvirt's client library log its public API entries to a
// file of the run's own (read by --api-coverage), before libvirt starts in
// this process; done removes it.
func startAPILog(cfg *harness.Config) (done func(), err error) {
	if err := harness.CheckReportPath("--api-coverage", cfg.APICoverage); err != nil {
		return nil, usage("%s", oneLine(err.Error()))
	}
	if _, err := apicov.LoadAPI(apicov.APIDir); err != nil {
		return nil, usage("--api-coverage: %s", oneLine(err.Error()))
	}
	dir, err := os.MkdirTemp("", "ovacts-api-log")
	if err != nil {
		return nil, usage("--api-coverage: %s", oneLine(err.Error()))
	}
	cfg.APILog = filepath.Join(dir, "libvirt.log")
	os.Setenv("LIBVIRT_LOG_FILTERS", "1:libvirt")
	os.Setenv("LIBVIRT_LOG_OUTPUTS", "1:file:"+cfg.APILog)
	return func() { os.RemoveAll(dir) }, nil
}
