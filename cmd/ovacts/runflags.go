package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/features"
	"github.com/ovacts/ovacts/internal/safeio"
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
	outputDir      string
	results        *resultsRun // the run's results directory
	watch          *runProgress
	live           *liveLine // on a terminal
}

func (o *runCmd) uxFlags(f *pflag.FlagSet) {
	f.StringVarP(&o.ux.name, "name", "k", "", "run only the requirements whose ID or a scenario's name contains this text (case aside), within the selection")
	f.BoolVar(&o.cfg.FailFast, "fail-fast", false, "after the first failure, start no other scenario (those left are not run, \"--fail-fast\")")
	f.IntVar(&o.ux.durations, "durations", 0, "after the summary, list the N slowest scenarios")
	f.BoolVarP(&o.ux.quiet, "quiet", "q", false, "print only the verdict and errors (a bundle's run.log still has everything)")
	f.BoolVarP(&o.ux.verbose, "verbose", "v", false, "also print each step of each scenario, with its outcome and time")
	f.StringVar(&o.ux.outputDir, "output-dir", "", "keep the run's results (report.html, junit.xml, cucumber.json, run.log) in a new directory under `DIR`, and point DIR/latest at it (default: $OVACTS_STATE_DIR/results when set, else $XDG_STATE_HOME/ovacts/results, else ~/.local/state/ovacts/results)")
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
			own, err := catalogue.OwnTags(features.FS, cfg.FeatureDirs)
			if err != nil {
				return usage("%s", oneLine(err.Error()))
			}
			cfg.Profile, cfg.Tags = catalogue.EveryProfile, own
		}
		if cfg.Tags != "" || o.ux.name != "" {
			cfg.Profile = catalogue.EveryProfile
		}
	}
	if o.ux.name == "" {
		return nil
	}
	tags, err := catalogue.NameTags(features.FS, cfg.FeatureDirs, cfg.Profile, cfg.Tags, o.ux.name)
	if errors.Is(err, catalogue.ErrNameMatchesNothing) {
		return usage("%s (profile %s%s)", oneLine(err.Error()), cfg.Profile, map[bool]string{true: ", tags " + cfg.Tags}[cfg.Tags != ""])
	} else if err != nil {
		return usage("%s", oneLine(err.Error()))
	}
	cfg.Tags = tags
	return nil
}

// outputs sets where the run writes: the progress (with its estimate and
// notices), and the verdict; both also to the logs (the results
// directory's, a bundle's).
func (o *runCmd) outputs(b *bundleRun) {
	logs := []io.Writer{plainLog{o.ux.results.log}}
	if b != nil {
		logs = append(logs, b.log)
	}
	log := everyWriter(logs)
	out := o.stdout
	if isTerminal(out) {
		o.ux.live = &liveLine{w: out, now: time.Now}
		out = o.ux.live
	}
	o.progress = &lockedWriter{w: o.progressTo(out, log)}
	o.stdout = everyWriter{o.stdout, log}
	o.ux.watch = newRunProgress(o.progress, readHistory(o.ux.results.parent))
	if o.ux.live != nil {
		o.ux.live.watch = o.ux.watch
	}
	o.cfg.Progress, o.cfg.Watch = o.progress, o.ux.watch
	o.pickService() // the run certifies against its set's newest service release
}

// follow starts the progress's ticks (notices of long scenarios, the live
// line redrawn); the function it returns stops them.
func (o *runCmd) follow() func() {
	return o.ux.watch.follow(5*time.Second, time.Now, o.ux.live)
}

// progressTo is where the run's progress and summary go: stdout, and the
// logs; with -q, the logs only.
func (o *runCmd) progressTo(stdout, log io.Writer) io.Writer {
	if o.ux.quiet {
		return log
	}
	return everyWriter{stdout, log}
}

// writeDurations lists the n slowest scenarios of the run.
func writeDurations(w io.Writer, rep *reports.Report, n int) {
	if n <= 0 {
		return
	}
	slow := reports.Slowest(rep.Outcomes, n)
	fmt.Fprintf(w, "slowest %d scenario(s):\n", len(slow))
	for _, o := range slow {
		fmt.Fprintf(w, "  %8s  %-9s %s\n", o.Duration.Round(1e6), o.ReqID, safeio.Printable(o.Title))
	}
}
