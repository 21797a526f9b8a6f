package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ovacts/ovacts/features"
	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/reports"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// runUX is how ovacts run selects beyond a profile and tags, and how much it
// prints (issue 36).
type runUX struct {
	name           string
	durations      int
	quiet, verbose bool
}

func (o *runCmd) uxFlags(f *pflag.FlagSet) {
	f.StringVarP(&o.ux.name, "name", "k", "", "run only the requirements whose ID or a scenario's name contains this text (case aside), within the selection")
	f.BoolVar(&o.cfg.FailFast, "fail-fast", false, "after the first failure, start no other scenario (those left are not run, \"--fail-fast\")")
	f.IntVar(&o.ux.durations, "durations", 0, "after the summary, list the N slowest scenarios")
	f.BoolVarP(&o.ux.quiet, "quiet", "q", false, "print only the verdict and errors (a bundle's run.log still has everything)")
	f.BoolVarP(&o.ux.verbose, "verbose", "v", false, "also print each step of each scenario, with its outcome and time")
}

// applySelection applies the selection rules of issue 36: --tags or --name
// without --profile choose from every profile (harness.EveryProfile, judged
// as a selection); --features alone runs the files' own scenarios; --name
// narrows to the requirements it names. It runs before anything is written.
func (o *runCmd) applySelection(cmd *cobra.Command) error {
	cfg := &o.cfg
	if o.ux.quiet && o.ux.verbose {
		return usage("give -q (--quiet) or -v (--verbose), not both")
	}
	if o.ux.durations < 0 {
		return usage("--durations must be a number of scenarios, at least 0, got %d", o.ux.durations)
	}
	cfg.VerboseSteps = o.ux.verbose
	if !cmd.Flags().Changed("profile") && o.rerunFrom == "" {
		if cfg.Tags == "" && o.ux.name == "" && len(cfg.FeatureDirs) > 0 {
			own, err := harness.OwnTags(features.FS, *cfg)
			if err != nil {
				return usage("%s", oneLine(err.Error()))
			}
			cfg.Profile, cfg.Tags = harness.EveryProfile, own
		}
		if cfg.Tags != "" || o.ux.name != "" {
			cfg.Profile = harness.EveryProfile
		}
	}
	if o.ux.name == "" {
		return nil
	}
	tags, err := harness.NameTags(features.FS, *cfg, o.ux.name)
	if errors.Is(err, harness.ErrNameMatchesNothing) {
		return usage("%s (profile %s%s)", oneLine(err.Error()), cfg.Profile, map[bool]string{true: ", tags " + cfg.Tags}[cfg.Tags != ""])
	} else if err != nil {
		return usage("%s", oneLine(err.Error()))
	}
	cfg.Tags = tags
	return nil
}

// outputs sets where the run writes: the progress, and the verdict.
func (o *runCmd) outputs(b *bundleRun) {
	var log io.Writer
	if b != nil {
		log = b.log
	}
	out := o.stdout
	if isTerminal(out) {
		out = &liveLine{w: out, now: time.Now}
	}
	o.progress = o.progressTo(out, log)
	if log != nil {
		o.stdout = io.MultiWriter(o.stdout, log)
	}
	o.cfg.Progress = o.progress
	o.pickService() // the run certifies against its set's newest service release
}

// progressTo is where the run's progress and summary go: stdout, and a
// bundle's log; with -q, the log only.
func (o *runCmd) progressTo(stdout, log io.Writer) io.Writer {
	switch {
	case o.ux.quiet && log != nil:
		return log
	case o.ux.quiet:
		return io.Discard
	case log != nil:
		return io.MultiWriter(stdout, log)
	}
	return stdout
}

// writeDurations lists the n slowest scenarios of the run.
func writeDurations(w io.Writer, rep *reports.Report, n int) {
	if n <= 0 {
		return
	}
	slow := reports.Slowest(rep.Outcomes, n)
	fmt.Fprintf(w, "slowest %d scenario(s):\n", len(slow))
	for _, o := range slow {
		fmt.Fprintf(w, "  %8s  %-9s %s\n", o.Duration.Round(1e6), o.ReqID, reports.Printable(o.Title))
	}
}
