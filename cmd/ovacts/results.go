package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/internal/safeio"
	"github.com/ovacts/ovacts/reports"
)

// The results directory of a run (issue 36): under --output-dir (default
// resultsHome), a directory of its own named by its start and run ID, with
// the JUnit report, the Cucumber JSON, the run log and the HTML report; and
// beside the runs' directories a link, latest, to the newest.
const (
	resultsJUnit    = "junit.xml"
	resultsCucumber = "cucumber.json"
	resultsLog      = "run.log"
	resultsHTML     = "report.html"
	resultsLatest   = "latest"
)

// errOutputDir is a --output-dir the run cannot write its results into.
var errOutputDir = errors.New("--output-dir")

// resultsHome is where runs keep their results when --output-dir is not
// given: $OVACTS_STATE_DIR/results when set (the run registry's directory),
// else $XDG_STATE_HOME/ovacts/results, else ~/.local/state/ovacts/results.
func resultsHome() string {
	if d := os.Getenv("OVACTS_STATE_DIR"); d != "" {
		return filepath.Join(d, "results")
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "ovacts", "results")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = os.TempDir()
	}
	return filepath.Join(home, ".local", "state", "ovacts", "results")
}

// resultsRun is one run's results directory while the run goes.
type resultsRun struct {
	parent, dir string
	made        []string // directories this run made, outermost first
	log         *os.File
}

// startResults makes the run's directory under parent, and its log. On any
// error nothing it made is left.
func startResults(parent, runID string, started time.Time) (*resultsRun, error) {
	parent = filepath.Clean(parent)
	r := &resultsRun{parent: parent}
	if st, err := os.Stat(parent); err == nil && !st.IsDir() {
		return nil, fmt.Errorf("%w %s is a file, not a directory", errOutputDir, parent)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w %s: %s", errOutputDir, parent, safeio.Reason(err))
	}
	if err := r.mkdirs(parent); err != nil {
		r.discard()
		return nil, fmt.Errorf("%w %s: %s", errOutputDir, parent, safeio.Reason(err))
	}
	r.dir = filepath.Join(parent, started.UTC().Format("20060102T150405Z")+"-"+runID)
	if err := os.Mkdir(r.dir, 0o755); err != nil {
		r.dir = ""
		r.discard()
		return nil, fmt.Errorf("%w %s: %s", errOutputDir, parent, safeio.Reason(err))
	}
	r.made = append(r.made, r.dir)
	log, err := safeio.CreateExclusive(filepath.Join(r.dir, resultsLog), 0o644)
	if err != nil {
		r.discard()
		return nil, fmt.Errorf("%w %s: %s", errOutputDir, parent, safeio.Reason(err))
	}
	r.log = log
	return r, nil
}

// mkdirs makes dir and its missing parents, noting each one it made.
func (r *resultsRun) mkdirs(dir string) error {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil || d == filepath.Dir(d) {
			break
		}
		missing = append([]string{d}, missing...)
	}
	for _, d := range missing {
		if err := os.Mkdir(d, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		r.made = append(r.made, d)
	}
	return nil
}

// discard removes what the run made, for a run that never started: its
// files, its directory, and the directories it made for them (if empty).
func (r *resultsRun) discard() {
	if r.log != nil {
		r.log.Close()
	}
	if r.dir != "" {
		for _, name := range []string{resultsLog, resultsJUnit, resultsCucumber, resultsHTML} {
			os.Remove(filepath.Join(r.dir, name))
		}
	}
	for i := len(r.made) - 1; i >= 0; i-- {
		os.Remove(r.made[i])
	}
}

// finish writes the reports of the run into its directory and points latest
// at it; the log stays open for the run's last lines.
func (r *resultsRun) finish(rep *reports.Report, v reports.ProfileVerdict, format reports.JUnitFormat, now time.Time) error {
	if format == "" {
		format = reports.JUnitDefault
	}
	writers := []struct {
		name  string
		write func(io.Writer) error
	}{
		{resultsJUnit, func(w io.Writer) error { return reports.WriteJUnitFormat(w, rep, format) }},
		{resultsCucumber, func(w io.Writer) error { return reports.WriteCucumber(w, rep) }},
		{resultsHTML, func(w io.Writer) error {
			return reports.WriteHTML(w, reports.HTMLInput{Report: rep, Verdict: v, Rehearsal: harness.IsRehearsal(rep), Generated: now})
		}},
	}
	for _, x := range writers {
		if err := safeio.WriteAtomic(filepath.Join(r.dir, x.name), 0o644, x.write); err != nil {
			return err
		}
	}
	return pointLatest(r.parent, filepath.Base(r.dir))
}

// pointLatest replaces parent/latest by a link to name, atomically (a new
// link renamed over the old one); a latest that is not a link is left
// alone, and an error leaves nothing of the new link behind.
func pointLatest(parent, name string) error {
	latest := filepath.Join(parent, resultsLatest)
	if st, err := os.Lstat(latest); err == nil && st.Mode()&fs.ModeSymlink == 0 {
		return fmt.Errorf("%s is not a link: left as it is", latest)
	}
	tmp := filepath.Join(parent, ".latest-"+name)
	if err := os.Symlink(name, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, latest); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// readHistory is the durations of the scenarios of the newest earlier run
// under parent (its latest link); none when there is none or it cannot be
// read: an estimate does without.
func readHistory(parent string) reports.History {
	data, err := safeio.ReadRegular(filepath.Join(parent, resultsLatest, resultsJUnit), reports.MaxInputBytes)
	if err != nil {
		return nil
	}
	h, err := reports.ReadHistory(data)
	if err != nil {
		return nil
	}
	return h
}

// plainLog is the run log: what the terminal showed, without terminal
// control codes (CSI sequences, carriage returns).
type plainLog struct{ w io.Writer }

var controlCodes = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]|\r`)

func (p plainLog) Write(b []byte) (int, error) {
	if _, err := p.w.Write(controlCodes.ReplaceAll(b, nil)); err != nil {
		return 0, err
	}
	return len(b), nil
}

// startResults makes the run's results directory, once the settings are
// checked, and says where it is: the first line of the run. A directory it
// cannot make is a usage error, and a bundle started for the run is removed.
func (o *runCmd) startResults(b *bundleRun) error {
	if o.cfg.RunID == "" {
		o.cfg.RunID = harness.NewRunID()
	}
	parent := o.ux.outputDir
	if parent == "" {
		parent = resultsHome()
	}
	r, err := startResults(parent, o.cfg.RunID, time.Now())
	if err != nil {
		if b != nil {
			b.discard()
		}
		return usage("%s", oneLine(err.Error()))
	}
	o.ux.results = r
	var w io.Writer = plainLog{r.log}
	if !o.ux.quiet {
		w = everyWriter{o.stdout, w}
	}
	fmt.Fprintf(w, "results: %s (%s when done; %s points at the newest run)\n", r.dir, resultsHTML, filepath.Join(r.parent, resultsLatest))
	return nil
}

// startOutputs makes the results directory, sets where the run writes, and
// starts the progress's ticks; stop ends them.
func (o *runCmd) startOutputs(b *bundleRun) (stop func(), err error) {
	if err := o.startResults(b); err != nil {
		return nil, err
	}
	o.outputs(b)
	return o.follow(), nil
}

// closeResults closes the run log at the end of the run, and removes the
// results directory of a run that did not start (exit 2): no report of it is
// left.
func (o *runCmd) closeResults(rerr *error) {
	if o.ux.results == nil {
		return
	}
	var ee *exitError
	if errors.As(*rerr, &ee) && ee.code == 2 {
		o.ux.results.discard()
		return
	}
	o.ux.results.log.Close()
}

// finishResults writes the reports into the results directory and says
// where the HTML report is; a directory it cannot complete is said, and the
// run's verdict stands.
func (o *runCmd) finishResults(rep *reports.Report, v reports.ProfileVerdict) {
	r := o.ux.results
	if err := r.finish(rep, v, o.cfg.JUnitFormat, time.Now()); err != nil {
		fmt.Fprintf(o.stderr, "ovacts: results %s: %s\n", r.dir, oneLine(safeio.Reason(err)))
		return
	}
	var w io.Writer = o.stdout // the terminal and the log, from outputs
	if o.ux.quiet {
		w = plainLog{r.log}
	}
	fmt.Fprintf(w, "HTML report: %s\n", filepath.Join(r.dir, resultsHTML))
}

// everyWriter writes to each of its writers whatever the others did: a
// closed pipe on stdout (ovacts run | head -1) must not cut the log short.
// It returns the first error.
type everyWriter []io.Writer

func (e everyWriter) Write(p []byte) (int, error) {
	var first error
	for _, w := range e {
		if _, err := w.Write(p); err != nil && first == nil {
			first = err
		}
	}
	return len(p), first
}
