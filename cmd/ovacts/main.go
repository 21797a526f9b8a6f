// Command ovacts runs the ovacts conformance suite against a KVM/libvirt stack.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/ovacts/ovacts/features"
	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/internal/safeio"
	"github.com/ovacts/ovacts/reports"
	"github.com/ovacts/ovacts/steps"
	"github.com/spf13/cobra"
)

// version is the suite version, stamped into every report. Release builds set
// it with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func usage(format string, args ...any) error {
	return &exitError{code: 2, msg: fmt.Sprintf(format, args...)}
}

func main() {
	os.Exit(execute(os.Args[1:], os.Stdout, os.Stderr))
}

// execute runs the CLI and returns the exit code: 0 conformant, 1 failures,
// 2 usage or setup error, 130/143 interrupted.
func execute(args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintf(stderr, "ovacts: %s\n", ee.msg)
		}
		return ee.code
	}
	// Anything cobra itself rejects (unknown flag or command, bad value) is usage.
	fmt.Fprintf(stderr, "ovacts: %s\n", oneLine(err.Error()))
	return 2
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "ovacts",
		Short:         "Conformance test suite for KVM/libvirt virtualization stacks",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usage("%s", err) })
	root.AddCommand(newRunCmd(stdout, stderr), newListCmd(stdout), newVersionCmd(stdout), newCleanupCmd(stdout), newDiffCmd(stdout), newKeygenCmd(stdout), newVerifyCmd(stdout), newMatrixCmd(stdout))
	return root
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func newRunCmd(stdout, stderr io.Writer) *cobra.Command {
	cfg := harness.Config{SuiteVersion: version, Progress: stdout, Registry: harness.DefaultRunRegistry(), StepLocation: steps.Locate}
	var failOn, bundleDir, productFile, signKey, waiverFile, rerunFrom string
	var product reports.Product
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the conformance scenarios against a libvirt URI",
		Long: `Run the selected scenarios against the stack at --uri and report each one as
passed, failed or skipped with a reason.

Exit codes: 0 the profile is conformant at --fail-on level (every requirement
at that level or stricter passed, or is not applicable for a capability the
profile treats as optional); 1 not conformant (a requirement failed, even under
a waiver, or is blocked by a broken capability); 3 incomplete (one was not run,
not judged, or not applicable for a reason the profile does not allow);
2 usage or setup error; 130/143 interrupted by SIGINT/SIGTERM. With --tags, the
selection is judged instead of a profile: 1 when a selected requirement at
--fail-on or stricter failed or is blocked.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (rerr error) {
			// --rerun-failed decides the selection, profile and URI before
			// anything is written: with nothing to rerun, nothing runs.
			if rerunFrom != "" {
				said, nothing, err := rerunFailed(rerunFrom, &cfg, cmd.Flags().Changed("uri"), cmd.Flags().Changed("profile"))
				if err != nil {
					if cfg.JUnitPath != "" && harness.CheckReportPath("--junit", cfg.JUnitPath) == nil {
						var ee *exitError
						if errors.As(err, &ee) {
							writeSetupReport(cfg.JUnitPath, "the run did not start: "+ee.msg)
						}
					}
					return err
				}
				fmt.Fprintln(stdout, said)
				if nothing {
					return writeNothingReran(cfg)
				}
			}
			// The report path holds a report of this run from now on: an
			// errored placeholder until the run finishes, the setup failure if
			// it never starts; never an earlier run's report.
			if cfg.JUnitPath != "" {
				if err := harness.CheckReportPath("--junit", cfg.JUnitPath); err != nil {
					return usage("%s", oneLine(err.Error()))
				}
				if err := writeSetupReport(cfg.JUnitPath, "the run has not finished: it was started and did not write its report (killed?)"); err != nil {
					return usage("--junit: %s", oneLine(err.Error()))
				}
				defer func() {
					var ee *exitError
					if errors.As(rerr, &ee) && ee.code == 2 {
						writeSetupReport(cfg.JUnitPath, "the run did not start: "+ee.msg)
					}
				}()
			}
			lvl, err := parseLevel(failOn)
			if err != nil {
				return err
			}
			cfg.FailOn = lvl
			if !slices.Contains(reports.JUnitFormats, cfg.JUnitFormat) {
				return usage("--junit-format must be junit, gitlab or ant, got %q", cfg.JUnitFormat)
			}
			if waiverFile != "" {
				ws, err := readWaivers(waiverFile)
				if err != nil {
					return usage("--waivers %s", oneLine(err.Error()))
				}
				cfg.Waivers = ws
			}
			var b *bundleRun
			if bundleDir != "" {
				var err error
				if b, err = startBundle(bundleDir, productFile, product, signKey, &cfg); err != nil {
					return usage("%s", oneLine(err.Error()))
				}
				defer b.log.Close()
				defer func() {
					// A bundle of a run that never started is no bundle.
					var ee *exitError
					if errors.As(rerr, &ee) && ee.code == 2 {
						b.discard()
					}
				}()
				stdout = io.MultiWriter(stdout, b.log)
				cfg.Progress = stdout
			} else if productFile != "" || signKey != "" {
				return usage("--product and --sign-key need --bundle")
			}
			ctx, sig, stop := interruptible(stderr)
			defer stop()
			rep, err := harness.Run(ctx, cfg, features.FS, steps.Initialize)
			var se *harness.SetupError
			if errors.As(err, &se) {
				return usage("%s", oneLine(se.Error()))
			}
			if rep == nil && err != nil {
				return usage("%s", oneLine(err.Error()))
			}
			reports.WriteSummary(stdout, rep)
			verdict, verr := harness.Verdict(rep, cfg, features.FS, cfg.FailOn)
			if verr != nil {
				return usage("judging the run: %s", oneLine(verr.Error()))
			}
			reports.WriteVerdict(stdout, verdict)
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
				if berr := b.finish(rep); berr != nil {
					return &exitError{code: 1, msg: "writing the bundle: " + oneLine(berr.Error())}
				}
				fmt.Fprintf(stderr, "bundle: %s\n", bundleDir)
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
			if code := harness.ExitCode(verdict); code != 0 {
				return &exitError{code: code, msg: verdict.Subject() + ": " + string(verdict.Kind) + " (see above)"}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.URI, "uri", envOr("OVACTS_URI", "test:///default"), "libvirt URI of the stack under test (env OVACTS_URI)")
	f.StringVar(&cfg.Profile, "profile", "core", "scenario profile: "+strings.Join(harness.ProfileNames(), ", "))
	f.StringVar(&cfg.Tags, "tags", "", `tag expression, e.g. "@req:DOM-001 or (@must and not @needs:kvm)"`)
	f.StringArrayVar(&cfg.FeatureDirs, "features", nil, "extra feature file or directory, added to the built-in features (repeatable)")
	f.StringVar(&cfg.JUnitPath, "junit", "", "write the JUnit report to this file")
	f.StringVar((*string)(&cfg.JUnitFormat), "junit-format", string(reports.JUnitDefault), "JUnit dialect: junit (valid against Jenkins' junit-10.xsd and junit-4.xsd), gitlab (adds file and line) or ant (Ant's JUnit.xsd)")
	f.StringVar(&cfg.CucumberPath, "cucumber", "", "write the Cucumber JSON to this file")
	f.IntVar(&cfg.Concurrency, "concurrency", 1, "scenarios run at once")
	f.DurationVar(&cfg.StepTimeout, "step-timeout", 60*time.Second, "longest a step may wait")
	f.DurationVar(&cfg.ScenarioTimeout, "scenario-timeout", 10*time.Minute, "longest a scenario may take (0: no bound beyond the steps')")
	f.BoolVar(&cfg.Keep, "keep", false, "leave created objects on the stack for debugging (they are listed)")
	f.StringVar(&cfg.PeerURI, "peer-uri", envOr("OVACTS_PEER_URI", ""), "a second stack, the destination of the migration scenarios (env OVACTS_PEER_URI)")
	f.StringVar(&cfg.Guest.Dir, "guest-dir", "", "guest build of fixtures/guest/build.sh (default: env OVACTS_GUEST_DIR, else "+harness.DefaultGuestDir+" when present)")
	f.StringVar(&cfg.Guest.Kernel, "guest-kernel", "", "boot guests from this kernel instead of the guest fixture (its system must run qemu-ga)")
	f.StringVar(&cfg.Guest.Initrd, "guest-initrd", "", "initrd for --guest-kernel")
	f.StringVar(&cfg.Guest.Cmdline, "guest-cmdline", "", "kernel command line for a direct-boot guest")
	f.StringVar(&cfg.Guest.Disk, "guest-disk", "", "boot guests from this disk image (raw or qcow2, with qemu-ga); used through an overlay, never written")
	f.StringVar(&cfg.Guest.Accel, "guest-accel", "auto", "accelerator of guest OS boots: auto (KVM, else TCG), kvm or tcg")
	f.DurationVar(&cfg.Guest.BootTimeout, "guest-boot-timeout", 60*time.Second, "longest a guest may take from start to a running agent")
	f.DurationVar(&cfg.Guest.AccelTimeout, "guest-accel-timeout", 10*time.Second, "with --guest-accel auto: how long KVM gets to boot the guest before TCG is tried")
	f.StringVar(&cfg.OVirt.URL, "ovirt-url", "", "oVirt engine of the ovirt-engine profile, e.g. https://engine.example.com")
	f.StringVar(&cfg.OVirt.User, "ovirt-user", "", "engine user, e.g. admin@internal")
	f.StringVar(&cfg.OVirt.PasswordFile, "ovirt-password-file", "", "file holding the engine user's password")
	f.StringVar(&cfg.OVirt.CAFile, "ovirt-ca-file", "", "the engine's CA certificate (PEM)")
	f.BoolVar(&cfg.OVirt.Insecure, "ovirt-insecure", false, "do not verify the engine's TLS certificate")
	f.BoolVar(&cfg.OVirt.AllowChanges, "ovirt-allow-changes", false, "let scenarios create, start, stop and remove VMs (named with the run prefix) on the engine")
	f.StringVar(&cfg.OVirt.Template, "ovirt-template", "Blank", "template of the VMs those scenarios create (starting needs one the cluster can run)")
	f.StringVar(&cfg.Guestfs.Accel, "guestfs-accel", "auto", "accelerator of the libguestfs appliance: auto (KVM, else TCG), kvm or tcg")
	f.DurationVar(&cfg.Guestfs.AccelTimeout, "guestfs-accel-timeout", 20*time.Second, "with --guestfs-accel auto: how long the appliance gets under KVM, from QEMU's start, before TCG is tried")
	f.StringVar(&bundleDir, "bundle", "", "write a certification bundle to this new directory (junit.xml, cucumber.json, run.log, stack.json, product.yaml, manifest)")
	f.StringVar(&productFile, "product", "", "with --bundle: product.yaml describing what is certified (vendor, product, version, url, contact)")
	f.StringVar(&product.Vendor, "vendor", "", "with --bundle and no --product: the vendor")
	f.StringVar(&product.Product, "product-name", "", "with --bundle and no --product: the product")
	f.StringVar(&product.Version, "product-version", "", "with --bundle and no --product: the product's version")
	f.StringVar(&product.URL, "product-url", "", "with --bundle and no --product: the product's URL")
	f.StringVar(&product.Contact, "contact", "", "with --bundle and no --product: who to ask")
	f.StringVar(&signKey, "sign-key", "", "with --bundle: sign the manifest with this ed25519 private key (ovacts keygen)")
	f.StringVar(&waiverFile, "waivers", "", "known-failure list (YAML: req, reason, link, expires): covered failures are reported as waived")
	f.StringVar(&rerunFrom, "rerun-failed", "", "run only the requirements that failed, errored or were blocked in this earlier report (its JUnit file or bundle), in its profile, against its URI unless --uri is given")
	f.StringVar(&failOn, "fail-on", "must", "lowest requirement level whose failure fails the run: must, should or may")
	return cmd
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

func newListCmd(stdout io.Writer) *cobra.Command {
	var profile, tags, format string
	var dirs []string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the requirement catalogue (a dry run of the selection)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			suite, err := harness.LoadSuite(features.FS, dirs)
			if err != nil {
				return usage("%s", err)
			}
			var sel *harness.TagExpr
			if profile == "" { // every requirement of the suite
				sel, err = harness.ParseTagExpr(tags)
			} else {
				sel, err = harness.Selection(profile, tags)
			}
			if err != nil {
				return usage("%s", err)
			}
			if unknown := suite.UnknownTags(harness.UserTags(tags)); len(unknown) > 0 {
				return usage("unknown tag %s: no loaded scenario carries it", strings.Join(unknown, ", "))
			}
			reqs, pickles := suite.Select(sel)
			switch format {
			case "json":
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					Suite        string                 `json:"suite"`
					Version      string                 `json:"version"`
					Profile      string                 `json:"profile"`
					Tags         string                 `json:"tags,omitempty"`
					Scenarios    int                    `json:"scenarios"`
					Requirements []*harness.Requirement `json:"requirements"`
				}{"ovacts", version, profile, tags, len(pickles), reqs})
			case "markdown":
				writeMarkdown(stdout, suite, reqs)
				return nil
			case "text":
				for _, r := range reqs {
					needs := ""
					if len(r.Needs) > 0 {
						needs = "  needs: " + strings.Join(r.Needs, ",")
					}
					fmt.Fprintf(stdout, "%-9s %-6s %s  (%s:%d)%s\n", r.ID, r.Level, r.Title, r.URI, r.Line, needs)
				}
				fmt.Fprintf(stdout, "%d requirements, %d scenarios (profile %s)\n", len(reqs), len(pickles), profile)
				return nil
			}
			return usage("--format must be text, json or markdown, got %q", format)
		},
	}
	f := cmd.Flags()
	f.StringVar(&profile, "profile", "", "list a profile's requirements only: "+strings.Join(harness.ProfileNames(), ", ")+" (default: every requirement)")
	f.StringVar(&tags, "tags", "", "tag expression")
	f.StringArrayVar(&dirs, "features", nil, "extra feature file or directory (repeatable)")
	f.StringVar(&format, "format", "text", "text, json or markdown")
	cmd.Flags().Bool("json", false, "shorthand for --format json")
	cmd.PreRunE = func(cmd *cobra.Command, _ []string) error {
		if j, _ := cmd.Flags().GetBool("json"); j {
			format = "json"
		}
		return nil
	}
	return cmd
}

// writeMarkdown renders the catalogue generated into docs/requirements.md.
func writeMarkdown(w io.Writer, suite *harness.Suite, reqs []*harness.Requirement) {
	// Each requirement's profiles, from the profile table itself.
	inProfiles := map[string][]string{}
	for _, name := range harness.ProfileNames() {
		p, err := suite.Profile(name)
		if err != nil {
			continue
		}
		for id := range p.Required {
			inProfiles[id] = append(inProfiles[id], name)
		}
	}
	fmt.Fprintln(w, "# ovacts requirement catalogue")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Generated from the feature files by `make docs` (`ovacts list --format markdown`). Do not edit by hand.")
	byArea := map[string][]*harness.Requirement{}
	var areas []string
	for _, r := range reqs {
		if _, ok := byArea[r.Area]; !ok {
			areas = append(areas, r.Area)
		}
		byArea[r.Area] = append(byArea[r.Area], r)
	}
	sort.Strings(areas)
	counts := map[harness.Level]int{}
	for _, r := range reqs {
		counts[r.Level]++
	}
	fmt.Fprintf(w, "\n%d requirements: %d MUST, %d SHOULD, %d MAY.\n", len(reqs), counts[harness.MUST], counts[harness.SHOULD], counts[harness.MAY])
	for _, a := range areas {
		fmt.Fprintf(w, "\n## %s: %s\n\n| ID | Level | Requirement | Needs | Profiles | Level cited from | Source |\n|---|---|---|---|---|---|---|\n", a, byArea[a][0].Feature)
		for _, r := range byArea[a] {
			profiles := strings.Join(inProfiles[r.ID], ", ")
			var refs []string
			for _, ref := range r.Refs {
				if rf, ok := suite.References[ref]; ok {
					refs = append(refs, fmt.Sprintf("[%s](%s)", ref, rf.URL))
				} else {
					refs = append(refs, ref)
				}
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | [%s:%d](../%s#L%d) |\n", r.ID, r.Level, strings.ReplaceAll(r.Title, "|", "\\|"),
				strings.Join(r.Needs, ", "), profiles, strings.Join(refs, ", "), r.URI, r.Line, r.URI, r.Line)
		}
	}
	fmt.Fprintf(w, "\n## References\n\nA requirement's level (RFC 2119) is cited from these documents.\n\n| Key | Reference |\n|---|---|\n")
	for _, k := range slices.Sorted(maps.Keys(suite.References)) {
		rf := suite.References[k]
		fmt.Fprintf(w, "| %s | [%s](%s) |\n", k, rf.Title, rf.URL)
	}
}

func newVersionCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the suite version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintf(stdout, "ovacts %s\n", version)
			return nil
		},
	}
}

func newCleanupCmd(stdout io.Writer) *cobra.Command {
	var uri string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "cleanup",
		Short: "Remove the objects that this host's ledgers list for ovacts runs that are no longer alive",
		Long: `Remove what dead ovacts runs left on the stack at --uri, and nothing else.

Every run records each object in its ledger (under the state directory) before
it creates it. cleanup removes an object only when a dead run's ledger lists it
and its name and UUID (or path) still match; an owner record naming another run,
another host or a live process protects it. Objects no ledger lists, whatever
their names, are never touched. --dry-run lists what would go and why.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			reg := harness.DefaultRunRegistry()
			if err := reg.Check(); err != nil {
				return usage("%s", oneLine(err.Error()))
			}
			conn, err := harness.Open(uri)
			if err != nil {
				return usage("%s", oneLine(err.Error()))
			}
			stack, err := harness.StackKey(conn)
			if err != nil {
				conn.Close()
				return usage("%s", oneLine(harness.DescribeError(err)))
			}
			res := harness.SweepStack(conn, uri, stack, reg, harness.SweepOptions{DryRun: dryRun})
			if !dryRun {
				reg.Prune()
			}
			closeErr := harness.CloseChecked(conn)
			verb := "removed"
			if dryRun {
				verb = "would remove"
			}
			for _, r := range res.Removed {
				fmt.Fprintf(stdout, "%s %s: %s\n", verb, r.Res, r.Why)
			}
			for _, r := range res.Kept {
				fmt.Fprintf(stdout, "left %s: %s\n", r.Res, r.Why)
			}
			if res.Logs > 0 {
				fmt.Fprintf(stdout, "removed %d QEMU log(s) of those domains from %s\n", res.Logs, harness.QEMULogDir)
			}
			fmt.Fprintf(stdout, "%d %s, %d left, %d errors\n", len(res.Removed), verb, len(res.Kept), len(res.Errors))
			if err := errors.Join(append(res.Errors, closeErr)...); err != nil {
				return &exitError{code: 1, msg: oneLine(harness.DescribeError(err))}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&uri, "uri", envOr("OVACTS_URI", "test:///default"), "libvirt URI (env OVACTS_URI)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "list what would be removed and why, remove nothing")
	return cmd
}

func newDiffCmd(stdout io.Writer) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "Compare two runs requirement by requirement (JUnit files, or directories holding junit.xml); exit 1 on a regression",
		Args:  cobra.ExactArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return usage("--format must be text or json, got %q", format)
			}
			var rs [2]*reports.Results
			for i, p := range args {
				r, err := reports.ReadResults(p)
				if err != nil {
					return usage("%s", oneLine(err.Error()))
				}
				rs[i] = r
			}
			c := reports.Diff(rs[0], rs[1])
			var err error
			if format == "json" {
				err = reports.WriteChangesJSON(stdout, c)
			} else {
				err = reports.WriteChanges(stdout, c)
			}
			if err != nil {
				return err
			}
			if len(c.Regressions) > 0 {
				return &exitError{code: 1, msg: fmt.Sprintf("%d regression(s) from %s to %s", len(c.Regressions), args[0], args[1])}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "text or json")
	return cmd
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
	if cfg.JUnitPath != "" {
		if err := harness.CheckReportPath("--junit", cfg.JUnitPath); err != nil {
			return usage("%s", oneLine(err.Error()))
		}
		if err := safeio.WriteAtomic(cfg.JUnitPath, 0o644, func(w io.Writer) error { return reports.WriteJUnitFormat(w, rep, cfg.JUnitFormat) }); err != nil {
			return usage("--junit: %s", oneLine(err.Error()))
		}
	}
	if cfg.CucumberPath != "" {
		if err := harness.CheckReportPath("--cucumber", cfg.CucumberPath); err != nil {
			return usage("%s", oneLine(err.Error()))
		}
		if err := safeio.WriteAtomic(cfg.CucumberPath, 0o644, func(w io.Writer) error { return reports.WriteCucumber(w, rep) }); err != nil {
			return usage("--cucumber: %s", oneLine(err.Error()))
		}
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
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ws, nil
}
