package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/internal/safeio"
	"github.com/ovacts/ovacts/reports"
)

// rerunStatuses are the verdicts --rerun-failed selects: a failure, an
// errored scenario (a failure of the suite's, counted failed), and a
// requirement blocked by a broken capability. A waived failure is known and
// stays out; so do not-applicable and not-run requirements, which a rerun on
// the same stack would decide the same way.
var rerunStatuses = []reports.Status{reports.Failed, reports.Blocked}

// rerunFailed narrows cfg to the requirements that failed, errored or were
// blocked in an earlier report (a JUnit file of ovacts or a bundle
// directory), in that report's profile and, unless a URI was given (--uri or
// OVACTS_URI), against its URI, which is printed and held to harness.CheckURI. It returns the line saying what it selected, and nothing to run
// when the report has no such requirement. Every problem with the report is a
// usage error.
func rerunFailed(path string, cfg *harness.Config, uriGiven, profileGiven bool) (said string, nothing bool, err error) {
	res, err := reports.ReadResults(path)
	if err != nil {
		return "", false, usage("--rerun-failed %s", oneLine(err.Error()))
	}
	p := res.Properties
	if v := p["suite.version"]; v != cfg.SuiteVersion {
		return "", false, usage("--rerun-failed %s: written by ovacts %s, this is ovacts %s: its requirements may not be this suite's", path, safeio.Printable(orDash(v)), cfg.SuiteVersion)
	}
	if p["profile"] == "" {
		return "", false, usage("--rerun-failed %s: the report names no profile", path)
	}
	if profileGiven && cfg.Profile != p["profile"] {
		return "", false, usage("--rerun-failed reruns in the report's profile %s; drop --profile %s", safeio.Printable(p["profile"]), cfg.Profile)
	}
	cfg.Profile = p["profile"]
	against := "the report's URI"
	switch {
	case uriGiven:
		if harness.RedactURI(cfg.URI) != p["uri"] {
			against = fmt.Sprintf("--uri (the report ran against %s)", safeio.Printable(orDash(p["uri"])))
		} else {
			against = "--uri, the report's URI"
		}
	case p["uri"] == "":
		return "", false, usage("--rerun-failed %s: the report names no URI; give --uri", path)
	case strings.Contains(p["uri"], "xxxxx"):
		return "", false, usage("--rerun-failed %s: the report's URI %s has its secrets redacted; give --uri", path, safeio.Printable(p["uri"]))
	default:
		// The report chose this URI, not the person running ovacts: it may
		// not run a program (harness.CheckURI), and it is said.
		if err := harness.CheckURI(p["uri"]); err != nil {
			return "", false, usage("--rerun-failed %s: the report's URI %s is refused: %s; give it with --uri (or OVACTS_URI) if it is yours", path, safeio.Printable(p["uri"]), err)
		}
		cfg.URI = p["uri"]
		against = "the report's URI " + safeio.Printable(p["uri"])
	}
	cfg.RerunOf = p["run.id"]
	var picked []string
	for id, v := range res.Verdicts {
		if slices.Contains(rerunStatuses, v.Status) {
			picked = append(picked, id)
		}
	}
	slices.Sort(picked)
	if len(picked) == 0 {
		return fmt.Sprintf("rerun-failed: nothing to rerun: %s has no failed, errored or blocked requirement", path), true, nil
	}
	var terms, named []string
	for _, id := range picked {
		terms = append(terms, "@req:"+id)
		v := res.Verdicts[id]
		what := string(v.Status)
		if v.SuiteError {
			what = "errored"
		}
		named = append(named, safeio.Printable(id)+" ("+what+")")
	}
	sel := strings.Join(terms, " or ")
	if prev := p["tags"]; prev != "" {
		sel = "(" + prev + ") and (" + sel + ")"
	}
	if cfg.Tags != "" {
		sel = "(" + cfg.Tags + ") and (" + sel + ")"
	}
	cfg.Tags = sel
	said = fmt.Sprintf("rerun-failed: %d requirement%s of run %s, profile %s, against %s: %s",
		len(picked), plural(len(picked)), safeio.Printable(orDash(p["run.id"])), safeio.Printable(cfg.Profile), against, strings.Join(named, ", "))
	return said, false, nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
