package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ovacts/ovacts/internal/safeio"
	"github.com/ovacts/ovacts/reports"
	"github.com/ovacts/ovacts/site"
	"github.com/spf13/cobra"
)

// defaultFindings is the findings page triage links a requirement's finding
// from, when it is there (run from a checkout).
const defaultFindings = "docs/findings.md"

// triageOpts are triage's flags.
type triageOpts struct {
	baselines, projectKey, findings string
	findingsSet                     bool
}

func newTriageCmd(stdout io.Writer) *cobra.Command {
	var o triageOpts
	cmd := &cobra.Command{
		Use:   "triage BUNDLE",
		Short: "Label each non-passing requirement of a bundle by the project's reference baselines: reference, one generation, flaky on the reference, or only this product",
		Long: `Compare a bundle's non-passing requirements with the project's reference
baselines of the same requirement set (make baselines: repeated full runs on
each reference generation, signed with the project's key):

  reference               the reference stack of the bundle's generation does
                          not pass it either (with the finding that names it)
  one generation          another reference generation fails it, not the
                          bundle's own
  flaky on the reference  a generation's repeated runs disagree on it
  only this product       every reference run passed it: the vendor's own
  no reference result     no reference run has a result for it

The bundle's generation is the newest reference whose libvirt is not newer
than the bundle's. Every baseline run must check out with the project's key
(--project-key; default DIR/project.pub): an unsigned or altered baseline is
refused. Triage explains a verdict and never changes one: exit 0 after
printing, 2 on bad input (ovacts verify judges the bundle).`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			o.findingsSet = c.Flags().Changed("findings")
			return runTriage(stdout, args[0], o)
		},
	}
	cmd.Flags().StringVar(&o.baselines, "baselines", "baselines", "directory of the reference baselines, <set>/<generation>/run-N")
	cmd.Flags().StringVar(&o.projectKey, "project-key", "", "the project's public key the baselines are signed with (default: DIR/project.pub)")
	cmd.Flags().StringVar(&o.findings, "findings", defaultFindings, "the findings page whose \"## REQ-ID: ...\" headings are linked")
	return cmd
}

func runTriage(w io.Writer, dir string, o triageOpts) error {
	bundle, err := readForTriage(dir)
	if err != nil {
		return usage("%s", oneLine(err.Error()))
	}
	base, key, err := loadTriageBaselines(o, bundle.Stack[reports.PropSet])
	if err != nil {
		return usage("%s", oneLine(err.Error()))
	}
	links, err := readFindings(o)
	if err != nil {
		return usage("--findings: %s", oneLine(err.Error()))
	}
	tr := reports.TriageResults(bundle.Results, bundle.Stack["libvirt.daemon"], base, links)
	writeTriage(w, dir, bundle, base, key, tr)
	return nil
}

// readForTriage reads a bundle's report and stack: its files must match its
// manifest and agree; its signature is verify's to check.
func readForTriage(dir string) (reports.Bundle, error) {
	if st, err := os.Lstat(dir); err != nil || !st.IsDir() {
		return reports.Bundle{}, fmt.Errorf("%s is not a bundle directory", dir)
	}
	b := reports.CheckBundle(reports.VerifyInput{Dir: dir})
	for _, f := range b.Findings {
		if !f.OK && f.Check != "signature" && f.Check != reports.CheckSet {
			return b, fmt.Errorf("%s: %s: %s", dir, f.Check, f.Msg)
		}
	}
	if b.Results == nil || b.Stack[reports.PropSet] == "" {
		return b, fmt.Errorf("%s: the bundle has no report or names no requirement set", dir)
	}
	return b, nil
}

// loadTriageBaselines reads the project key and the set's baselines.
func loadTriageBaselines(o triageOpts, set string) (*reports.Baselines, string, error) {
	key, err := reports.ReadPublicKey(o.keyPath())
	if err != nil {
		return nil, "", fmt.Errorf("--project-key: %w", err)
	}
	b, err := reports.LoadBaselines(o.baselines, set, key)
	if err != nil {
		return nil, "", err
	}
	return b, reports.KeyFingerprint(key), nil
}

// keyPath is --project-key, by default the baselines' project.pub.
func (o triageOpts) keyPath() string {
	if o.projectKey != "" {
		return o.projectKey
	}
	return filepath.Join(o.baselines, "project.pub")
}

// readFindings reads the findings page: the default one only when present.
func readFindings(o triageOpts) (map[string]string, error) {
	data, err := safeio.ReadRegular(o.findings, reports.MaxInputBytes)
	if err != nil {
		if !o.findingsSet && errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	return reports.FindingLinks(data, o.findings), nil
}

func writeTriage(w io.Writer, dir string, b reports.Bundle, base *reports.Baselines, key string, tr reports.Triage) {
	name := "(no product)"
	if b.Product != nil {
		name = safeio.Printable(b.Product.Name() + " " + b.Product.Version)
	}
	fmt.Fprintf(w, "triage of %s (%s, libvirt %s, set %s) against the reference baselines, signed by the project key %s:\n",
		dir, name, safeio.Printable(b.Stack["libvirt.daemon"]), base.Set, key)
	for _, g := range base.Generations {
		mark := ""
		if g.Name == tr.Own {
			mark = " (this bundle's generation)"
		}
		fmt.Fprintf(w, "  %s: libvirt %s, %d runs%s\n", g.Name, g.Libvirt, len(g.Runs), mark)
	}
	if base.Rehearsal {
		fmt.Fprintln(w, "  (the baselines are rehearsals on libvirt's test driver: they stand for no reference stack)")
	}
	for _, e := range tr.Entries {
		fmt.Fprintf(w, "%-9s %-6s %-14s %-22s %s\n", e.Req, e.Level, e.Status, e.Label, e.Why)
		if e.Finding != "" {
			fmt.Fprintf(w, "%-54s finding: %s\n", "", e.Finding)
		}
	}
	fmt.Fprintf(w, "summary: %s\n", tr.Summary())
	fmt.Fprintln(w, "triage explains the verdict and does not change it: ovacts verify judges the bundle")
}

// addBaselines gives publish the baselines of every set its columns ran
// (--baselines): a set without baselines is noted, baselines that do not
// check out with the project key are refused (exit 2).
func (o *publishCmd) addBaselines(opt *site.Options, cols []*reports.MatrixColumn) ([]string, error) {
	if o.triage.baselines == "" {
		return nil, nil
	}
	key, err := reports.ReadPublicKey(o.triage.keyPath())
	if err != nil {
		return nil, usage("--project-key: %s", oneLine(err.Error()))
	}
	opt.Baselines = map[string]*reports.Baselines{}
	var notes []string
	for _, c := range cols {
		if _, done := opt.Baselines[c.Set]; done || c.Set == "" {
			continue
		}
		b, err := reports.LoadBaselines(o.triage.baselines, c.Set, key)
		switch {
		case errors.Is(err, reports.ErrNoBaselines):
			notes = append(notes, fmt.Sprintf("set %s: no baselines under %s, its products are not triaged", c.Set, o.triage.baselines))
		case err != nil:
			return nil, usage("--baselines: %s", oneLine(err.Error()))
		}
		opt.Baselines[c.Set] = b
	}
	if opt.Findings, err = readFindings(o.triage); err != nil {
		return nil, usage("--findings: %s", oneLine(err.Error()))
	}
	return notes, nil
}
