package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/features"
	"github.com/ovacts/ovacts/internal/safeio"
	"github.com/ovacts/ovacts/reports"
	"github.com/ovacts/ovacts/site"
	"github.com/spf13/cobra"
)

// maxPublished bounds the bundles of one publication.
const maxPublished = 2000

type publishCmd struct {
	out, keysDir, failOn, now string
	pubkeys                   []string
	allowUnverified           bool
	triage                    triageOpts // --baselines, --project-key, --findings
	revocations, reproducers  string
}

func newPublishCmd(stdout io.Writer) *cobra.Command {
	o := &publishCmd{}
	cmd := &cobra.Command{
		Use:     "publish BUNDLE... -o SITE",
		Aliases: []string{"matrix"},
		Short:   "Publish the compatibility site (products, matrix, badges, status.json) from verified bundles",
		Long: `Publish a static compatibility site from bundles: index.html (each product
version with its verdict, requirement set, run and expiry dates, signer and
badge), products/<slug>.html (results by area, every non-pass with its reason,
the stack, how to reproduce, the product's history), matrix.html (requirements
x products by area, with filters), badges/, status.json and matrix.json with
their JSON Schemas (schemas/), and matrix.md.

Every bundle is checked first (hashes, signature, product, stack, requirement
set, report, dates) with the key of the vendor it names, and no other: --keys
DIR holding one <vendor>.pub per vendor (lower case, dashes; a name with
letters beyond ASCII adds a suffix from its hash, as the error says), or
--pubkey files named the same way. A bundle that does not check out is
refused (exit 2), or, with --allow-unverified, shown as "unverified" and never
as conformant; so is a bare JUnit report. A bundle whose run is older than 12
months (at --now), or whose requirement set is older than the two newest
released sets, is shown as "expired". Each product version is judged only for
the profile its bundle claims. ("ovacts matrix" is the same command.)`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			o.triage.findingsSet = c.Flags().Changed("findings")
			return o.run(stdout, args)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.out, "out", "o", "", "output directory (made if needed; its files are replaced)")
	f.StringArrayVar(&o.pubkeys, "pubkey", nil, "a vendor's ed25519 public key, named <vendor>.pub as in --keys (repeatable): bundles of that vendor verify with it, and only those")
	f.StringVar(&o.keysDir, "keys", "", "directory of vendors' public keys, <vendor>.pub: a bundle verifies only with its own vendor's key")
	f.BoolVar(&o.allowUnverified, "allow-unverified", false, "show bundles that do not verify, and bare JUnit reports, as unverified instead of refusing them")
	f.StringVar(&o.failOn, "fail-on", "must", "lowest requirement level the verdicts count: must, should or may")
	f.StringVar(&o.triage.baselines, "baselines", "", "reference baselines (make baselines): each product page labels its non-passing requirements as ovacts triage does")
	f.StringVar(&o.triage.projectKey, "project-key", "", "the project's public key the baselines are signed with (default: BASELINES/project.pub)")
	f.StringVar(&o.triage.findings, "findings", defaultFindings, "with --baselines: the findings page whose \"## REQ-ID: ...\" headings are linked")
	f.StringVar(&o.revocations, "revocations", "", "the program's revocation list (ovacts revoke; signed in FILE.sig, checked with --project-key): a revoked entry shows revoked, with its reason and date")
	f.StringVar(&o.reproducers, "reproducer-keys", "", "directory of independent signers' public keys, <signer>.pub: a bundle of a vendor's product version signed by one of them is a reproduction, and lifts that version to \"reproduced\" when every requirement's outcome is the same")
	f.StringVar(&o.now, "now", "", "judge expiry as of this day (YYYY-MM-DD; default today): a site rebuilt from the same bundles on the same --now is the same")
	return cmd
}

func (o *publishCmd) run(stdout io.Writer, args []string) error {
	if o.out == "" {
		return usage("give the output directory with -o DIR")
	}
	level, err := parseLevel(o.failOn)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	if o.now != "" {
		if now, err = time.Parse(time.DateOnly, o.now); err != nil {
			return usage("--now %q is not a day (YYYY-MM-DD)", o.now)
		}
	}
	if o.keysDir != "" {
		if st, err := os.Stat(o.keysDir); err != nil || !st.IsDir() {
			return usage("--keys %s is not a directory", o.keysDir)
		}
	}
	keys, err := newKeyring(o.keysDir, o.pubkeys)
	if err != nil {
		return usage("%s", oneLine(err.Error()))
	}
	// A run dated later on the --now day is not after it.
	checkNow := now
	if o.now != "" {
		checkNow = now.AddDate(0, 0, 1)
	}
	if len(args) > maxPublished {
		return usage("%d bundles, more than the %d one publication takes", len(args), maxPublished)
	}
	opt, err := siteOptions(now, string(level))
	if err != nil {
		return &exitError{code: 1, msg: oneLine(err.Error())}
	}
	cols, dropped, err := o.columns(args, keys, checkNow, &opt)
	if err != nil {
		return err
	}
	notes, err := o.addBaselines(&opt, cols)
	if err != nil {
		return err
	}
	s := site.Build(cols, profileOf, opt)
	if err := site.Write(o.out, s); errors.Is(err, site.ErrLinkedDir) {
		return usage("-o %s", oneLine(err.Error()))
	} else if err != nil {
		return &exitError{code: 1, msg: oneLine(err.Error())}
	}
	fmt.Fprintf(stdout, "site of %d product versions x %d requirements: %s/index.html, matrix.html, status.json, matrix.json\n", len(s.Products), len(s.Matrix.Rows), o.out)
	for _, p := range s.Products {
		fmt.Fprintf(stdout, "  %s: profile %s, set %s: %s\n", safeio.Printable(p.Label), p.Profile, orDash(p.Set), p.Verdict)
	}
	for _, n := range notes {
		fmt.Fprintf(stdout, "  %s\n", n)
	}
	for _, d := range dropped {
		fmt.Fprint(stdout, d)
	}
	for _, b := range s.Withdrawn {
		fmt.Fprintf(stdout, "  withdrawn: %s (no longer published; its page removed, its badge says withdrawn)\n", b)
	}
	return nil
}

// siteOptions: this binary's requirement sets, each requirement's profiles
// and each area's name.
func siteOptions(now time.Time, level string) (site.Options, error) {
	opt := site.Options{Now: now, Level: level, SuiteVersion: version, Profiles: map[string][]string{}, Aliases: map[string]string{}, Areas: map[string]string{},
		Requirements: map[string]reports.ReqInfo{}}
	suite, err := catalogue.LoadSuite(features.FS, nil)
	if err != nil {
		return opt, err
	}
	for _, s := range suite.Sets { // oldest first: the newest set's title wins
		opt.Sets = append(opt.Sets, s.Info())
		for _, e := range s.Requirements {
			opt.Requirements[e.ID] = reports.ReqInfo{Title: e.Title, Level: e.Level}
		}
	}
	if n := suite.NewestSet(); n != nil {
		for _, e := range n.Requirements {
			opt.Profiles[e.ID] = e.Profiles
			for _, old := range e.Aliases {
				opt.Aliases[old] = e.ID
			}
		}
	}
	for _, r := range suite.Requirements {
		if _, ok := opt.Areas[r.Area]; !ok {
			opt.Areas[r.Area] = r.Feature
		}
	}
	return opt, nil
}

// publishInput reads one argument of publish: a bundle, checked once with
// the key of the vendor it names (and no other), or a bare JUnit report
// (unverified). A bundle that checks out but for its requirement set being
// too old is kept, to be shown as expired.
func publishInput(path string, keys *keyring, now time.Time) (reports.ColumnInput, error) {
	st, err := os.Lstat(path)
	if err != nil {
		return reports.ColumnInput{}, err
	}
	if !st.IsDir() {
		return reports.BareReport(path)
	}
	b := reports.CheckBundle(reports.VerifyInput{Dir: path, Sets: setInfos(), KeyFor: keys.keyFor, Now: now, Services: knownServices()})
	ci := reports.ColumnInput{Source: path, Product: b.Product, Stack: b.Stack, Results: b.Results, Verified: b.Intact,
		SetExpired: onlySetExpired(b), Draft: b.Draft(), Service: b.Service}
	if ci.Verified || ci.SetExpired {
		ci.Signer = reports.KeyFingerprint(b.Key)
	}
	for _, f := range b.Findings {
		if !f.OK {
			ci.Problem = f.Check + ": " + f.Msg
			break
		}
	}
	if b.Results == nil {
		return ci, fmt.Errorf("%s: %s", path, ci.Problem)
	}
	return ci, nil
}

// onlySetExpired: every check held but that the bundle's requirement set is
// older than the accepted ones.
func onlySetExpired(b reports.Bundle) bool {
	if !b.SetExpired {
		return false
	}
	for _, f := range b.Findings {
		if !f.OK && f.Check != reports.CheckSet {
			return false
		}
	}
	return true
}
