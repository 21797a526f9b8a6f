// Command setgen writes the suite's requirement set (features/sets/<set>.json)
// from the features: make catalogue regenerates the draft set, or starts the
// next one (SET=YYYY.MM), and releases it (RELEASE=YYYY-MM-DD). A released
// set is never written again.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ovacts/ovacts/features"
	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/reports"
)

func main() {
	dir := flag.String("dir", "features/sets", "directory of the sets")
	name := flag.String("set", "", "the set to write: the newest draft by default; a new name starts the next set")
	release := flag.String("release", "", "release the set on this date (YYYY-MM-DD)")
	evidence := flag.String("evidence", "", "with -release: comma-separated JUnit reports (or bundles) of the full profile on the reference stacks; "+
		"every requirement new in the set must have passed in each that holds it, or carry a finding in docs/findings.md")
	findings := flag.String("findings", "docs/findings.md", "the findings file")
	flag.Parse()
	if *evidence != "" && *release == "" {
		fmt.Fprintln(os.Stderr, "setgen: -evidence checks a release: give -release too")
		os.Exit(2)
	}
	if err := run(*dir, *name, *release, *evidence, *findings); err != nil {
		fmt.Fprintf(os.Stderr, "setgen: %v\n", err)
		os.Exit(2)
	}
}

// checkEvidence refuses a release whose new requirements neither passed on
// the reference stacks' reports nor carry a finding (no reports: no check).
func checkEvidence(set, prev *harness.RequirementSet, evidence, findingsFile string) error {
	if evidence == "" {
		return nil
	}
	ev := map[string]*reports.Results{}
	for _, p := range strings.Split(evidence, ",") {
		res, err := reports.ReadResults(p)
		if err != nil {
			return err
		}
		if reports.IsRehearsal(res.Properties) {
			return fmt.Errorf("%s is a run on libvirt's test driver: a release needs runs on the reference stacks", p)
		}
		ev[p] = res
	}
	findings, err := os.ReadFile(findingsFile)
	if err != nil {
		return err
	}
	if problems := harness.ReleaseEvidence(set, prev, ev, string(findings)); len(problems) > 0 {
		return fmt.Errorf("set %s is not ready for release:\n%s", set.Name, strings.Join(problems, "\n"))
	}
	return nil
}

func run(dir, name, release, evidence, findings string) error {
	suite, err := harness.LoadSuite(features.FS, nil)
	if err != nil {
		return err
	}
	newest := suite.NewestSet()
	switch {
	case name == "" && (newest == nil || newest.Status != harness.SetDraft):
		return fmt.Errorf("no draft set to regenerate: start one with make catalogue SET=%s", time.Now().UTC().Format("2006.01"))
	case name == "":
		name = newest.Name
	case newest != nil && name < newest.Name:
		return fmt.Errorf("set %s is older than the newest set %s", name, newest.Name)
	case newest != nil && name == newest.Name && newest.Status != harness.SetDraft:
		return fmt.Errorf("set %s is %s and never changes: start the next set with SET=YYYY.MM", name, newest.Status)
	case newest != nil && name > newest.Name && newest.Status == harness.SetDraft:
		return fmt.Errorf("set %s is still a draft: release it (RELEASE=YYYY-MM-DD) before starting %s", newest.Name, name)
	}
	set, err := harness.GenerateSet(suite, name, harness.PreviousReleased(suite.Sets, name))
	if err != nil {
		return err
	}
	if release != "" {
		if _, err := time.Parse("2006-01-02", release); err != nil {
			return fmt.Errorf("release date %q is not YYYY-MM-DD", release)
		}
		if err := checkEvidence(set, harness.PreviousReleased(suite.Sets, name), evidence, findings); err != nil {
			return err
		}
		set.Status, set.Released = harness.SetReleased, release
	}
	data, err := json.MarshalIndent(set, "", "  ")
	if err != nil {
		return err
	}
	p := filepath.Join(dir, name+".json")
	if err := os.WriteFile(p, append(data, '\n'), 0o644); err != nil {
		return err
	}
	counts := map[string]int{}
	for _, e := range set.Requirements {
		counts[e.State]++
	}
	fmt.Printf("%s: set %s (%s): %d requirements: %d required, %d advisory, %d deprecated; %d retired\n", p, name, set.Status,
		len(set.Requirements), counts[harness.StateRequired], counts[harness.StateAdvisory], counts[harness.StateDeprecated], len(set.Retired))
	return nil
}
