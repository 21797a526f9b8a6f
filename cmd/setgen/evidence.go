package main

// The release check: a set is released only when the requirements it adds
// passed on the reference stacks' reports, or carry a finding.

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/reports"
)

// checkEvidence refuses a release whose new requirements neither passed on
// the reference stacks' reports nor carry a finding (no reports: no check).
func checkEvidence(set, prev *catalogue.RequirementSet, evidence, findingsFile string) error {
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
	if problems := releaseEvidence(set, prev, ev, string(findings)); len(problems) > 0 {
		return fmt.Errorf("set %s is not ready for release:\n%s", set.Name, strings.Join(problems, "\n"))
	}
	return nil
}

// releaseEvidence checks what a release of set demands of the requirements
// it adds (advisory in it) and of those it starts to count (advisory in prev,
// the released set before it): each one passed in every given report of the
// reference stacks that holds it, and at least one holds it; or it carries a
// finding (a "## <ID>:" section of findings, docs/findings.md). It returns
// one line per requirement that does not.
func releaseEvidence(set, prev *catalogue.RequirementSet, evidence map[string]*reports.Results, findings string) []string {
	names := make([]string, 0, len(evidence))
	for n := range evidence {
		names = append(names, n)
	}
	sort.Strings(names)
	var problems []string
	for _, e := range set.Requirements {
		wasAdvisory := false
		if prev != nil {
			old, ok := prev.Entry(e.ID)
			wasAdvisory = ok && old.State == catalogue.StateAdvisory
		}
		if (e.State != catalogue.StateAdvisory && !(wasAdvisory && e.State == catalogue.StateRequired)) || strings.Contains(findings, "## "+e.ID+":") {
			continue
		}
		held := false
		for _, n := range names {
			v := evidence[n].Verdicts[e.ID]
			if v == nil {
				continue
			}
			held = true
			if v.Status != reports.Passed || v.SuiteError {
				problems = append(problems, fmt.Sprintf("%s: %s in %s, and no finding in docs/findings.md", e.ID, v.Status, n))
			}
		}
		if !held {
			problems = append(problems, fmt.Sprintf("%s: in none of the reports, and no finding in docs/findings.md", e.ID))
		}
	}
	return problems
}
