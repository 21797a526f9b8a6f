// Command setgen writes the suite's requirement set (features/sets/<set>.json)
// from the features: make catalogue regenerates the draft set, or starts the
// next one (SET=YYYY.MM), and releases it (RELEASE=YYYY-MM-DD). A released
// set is never written again. With -requirements it writes only the
// requirement catalogue (docs/requirements.md) from the features and sets
// built into it: make catalogue runs it again for that once the set is
// written. It needs neither cgo nor libvirt.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/features"
)

func main() {
	dir := flag.String("dir", "features/sets", "directory of the sets")
	name := flag.String("set", "", "the set to write: the newest draft by default; a new name starts the next set")
	release := flag.String("release", "", "release the set on this date (YYYY-MM-DD)")
	evidence := flag.String("evidence", "", "with -release: comma-separated JUnit reports (or bundles) of the full profile on the reference stacks; "+
		"every requirement new in the set must have passed in each that holds it, or carry a finding in docs/findings.md")
	findings := flag.String("findings", "docs/findings.md", "the findings file")
	requirements := flag.String("requirements", "", "write only the requirement catalogue (docs/requirements.md) to this file, "+
		"from the features and sets built into setgen (after a set is written, run setgen anew)")
	flag.Parse()
	if *requirements != "" {
		if *name != "" || *release != "" || *evidence != "" {
			fmt.Fprintln(os.Stderr, "setgen: -requirements writes the catalogue only: give it alone")
			os.Exit(2)
		}
		if err := writeRequirements(*requirements); err != nil {
			fmt.Fprintf(os.Stderr, "setgen: %v\n", err)
			os.Exit(2)
		}
		return
	}
	if *evidence != "" && *release == "" {
		fmt.Fprintln(os.Stderr, "setgen: -evidence checks a release: give -release too")
		os.Exit(2)
	}
	if err := run(*dir, *name, *release, *evidence, *findings); err != nil {
		fmt.Fprintf(os.Stderr, "setgen: %v\n", err)
		os.Exit(2)
	}
}

func run(dir, name, release, evidence, findings string) error {
	suite, err := catalogue.LoadSuite(features.FS, nil)
	if err != nil {
		return err
	}
	newest := suite.NewestSet()
	switch {
	case name == "" && (newest == nil || newest.Status != catalogue.SetDraft):
		return fmt.Errorf("no draft set to regenerate: start one with make catalogue SET=%s", time.Now().UTC().Format("2006.01"))
	case name == "":
		name = newest.Name
	case newest != nil && name < newest.Name:
		return fmt.Errorf("set %s is older than the newest set %s", name, newest.Name)
	case newest != nil && name == newest.Name && newest.Status != catalogue.SetDraft:
		return fmt.Errorf("set %s is %s and never changes: start the next set with SET=YYYY.MM", name, newest.Status)
	case newest != nil && name > newest.Name && newest.Status == catalogue.SetDraft:
		return fmt.Errorf("set %s is still a draft: release it (RELEASE=YYYY-MM-DD) before starting %s", newest.Name, name)
	}
	set, err := catalogue.GenerateSet(suite, name, catalogue.PreviousReleased(suite.Sets, name))
	if err != nil {
		return err
	}
	if release != "" {
		if _, err := time.Parse("2006-01-02", release); err != nil {
			return fmt.Errorf("release date %q is not YYYY-MM-DD", release)
		}
		if err := checkEvidence(set, catalogue.PreviousReleased(suite.Sets, name), evidence, findings); err != nil {
			return err
		}
		set.Status, set.Released = catalogue.SetReleased, release
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
		len(set.Requirements), counts[catalogue.StateRequired], counts[catalogue.StateAdvisory], counts[catalogue.StateDeprecated], len(set.Retired))
	return nil
}
