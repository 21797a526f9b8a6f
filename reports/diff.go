package reports

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// MaxJUnitBytes bounds a JUnit report read from outside: ovacts' own reports
// of the full profile are well under a megabyte.
const MaxJUnitBytes = 64 << 20

// Verdict is one requirement's result in a report: failed if any of its
// scenarios failed (or errored), else passed if any passed, else skipped.
type Verdict struct {
	ReqID  string `json:"req"`
	Level  string `json:"level"`
	Title  string `json:"title"`
	Status Status `json:"status"`
	Detail string `json:"detail,omitempty"` // the first failure's or skip's message
}

// Results are the requirement verdicts of one report.
type Results struct {
	Verdicts   map[string]*Verdict
	Properties map[string]string
	// Cases counts the testcases as the run's summary does: scenarios, passed,
	// failed (suite errors included), skipped, waived.
	Cases [5]int
}

var caseName = regexp.MustCompile(`^([A-Z][A-Z0-9]*-[0-9]{3}) \[(MUST|SHOULD|MAY)\] (.*?)(?: #[0-9]+)?$`)

type junitIn struct {
	XMLName xml.Name `xml:"testsuites"`
	Suites  []struct {
		Props []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases []struct {
			Name    string     `xml:"name,attr"`
			Failure *junitNote `xml:"failure"`
			Error   *junitNote `xml:"error"`
			Skipped *junitNote `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

type junitNote struct {
	Message string `xml:"message,attr"`
}

var statusRank = map[Status]int{Skipped: 0, Passed: 1, Waived: 2, Failed: 3}

// ReadJUnit reads a JUnit report written by ovacts. It is untrusted input: the
// size is bounded, and every testcase must name a requirement and a level.
func ReadJUnit(r io.Reader) (*Results, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxJUnitBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxJUnitBytes {
		return nil, fmt.Errorf("larger than %d MiB", MaxJUnitBytes>>20)
	}
	var doc junitIn
	if err := xml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("not a JUnit report: %w", err)
	}
	return resultsOf(&doc)
}

// ReadResults reads a JUnit report of ovacts from a file, or the junit.xml of
// a bundle directory.
func ReadResults(path string) (*Results, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, BundleJUnit)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := ReadJUnit(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

func resultsOf(doc *junitIn) (*Results, error) {
	res := &Results{Verdicts: map[string]*Verdict{}, Properties: map[string]string{}}
	cases := 0
	for _, s := range doc.Suites {
		for _, p := range s.Props {
			if _, seen := res.Properties[p.Name]; !seen {
				res.Properties[p.Name] = p.Value
			}
		}
		for _, c := range s.Cases {
			cases++
			m := caseName.FindStringSubmatch(c.Name)
			if m == nil {
				return nil, fmt.Errorf("testcase %q does not name an ovacts requirement (want \"AREA-NNN [LEVEL] title\")", c.Name)
			}
			status, detail, slot := Passed, "", 1
			switch {
			case c.Failure != nil:
				status, detail, slot = Failed, c.Failure.Message, 2
			case c.Error != nil:
				status, detail, slot = Failed, c.Error.Message, 2
			case c.Skipped != nil && strings.HasPrefix(c.Skipped.Message, WaivedPrefix):
				status, detail, slot = Waived, c.Skipped.Message, 4
			case c.Skipped != nil:
				status, detail, slot = Skipped, c.Skipped.Message, 3
			}
			res.Cases[0]++
			res.Cases[slot]++
			v := res.Verdicts[m[1]]
			if v == nil {
				res.Verdicts[m[1]] = &Verdict{ReqID: m[1], Level: m[2], Title: m[3], Status: status, Detail: detail}
				continue
			}
			if v.Level != m[2] {
				return nil, fmt.Errorf("requirement %s has two levels, %s and %s", m[1], v.Level, m[2])
			}
			if statusRank[status] > statusRank[v.Status] {
				v.Status, v.Detail = status, detail
			}
		}
	}
	if cases == 0 {
		return nil, errors.New("the report has no testcases")
	}
	if what, ok := res.Properties[SelfTestProperty]; ok {
		return nil, fmt.Errorf("a self-test report (%s) is a test of ovacts, not a conformance result", what)
	}
	return res, nil
}

// SelfTestProperty marks a report of the suite run against a fake: it is
// never read as conformance (diff, verify, matrix refuse it).
const SelfTestProperty = "selftest"

// SelfTestSuite is the name of a self-test report's JUnit suites.
const SelfTestSuite = "ovacts-selftest"

// Change is one requirement whose verdict differs between two reports.
type Change struct {
	ReqID  string `json:"req"`
	Level  string `json:"level"`
	Title  string `json:"title"`
	From   Status `json:"from,omitempty"`
	To     Status `json:"to,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// Changes lists what changed from one report to the next.
type Changes struct {
	Regressions  []Change `json:"regressions"`   // not failed before, failed now
	NewlyWaived  []Change `json:"newly_waived"`  // not waived before, a waived failure now
	Fixes        []Change `json:"fixes"`         // failed or waived before, passed now
	NewlySkipped []Change `json:"newly_skipped"` // ran before, skipped now
	NowRunning   []Change `json:"now_running"`   // skipped before, passed now
	Added        []Change `json:"added"`         // in the new report only
	Removed      []Change `json:"removed"`       // in the old report only
}

// Empty reports whether nothing changed.
func (c Changes) Empty() bool {
	return len(c.Regressions)+len(c.NewlyWaived)+len(c.Fixes)+len(c.NewlySkipped)+len(c.NowRunning)+len(c.Added)+len(c.Removed) == 0
}

// Diff compares two reports requirement by requirement.
func Diff(old, new *Results) Changes {
	var c Changes
	for _, id := range sortedIDs(old, new) {
		o, n := old.Verdicts[id], new.Verdicts[id]
		switch {
		case o == nil:
			c.Added = append(c.Added, Change{ReqID: id, Level: n.Level, Title: n.Title, To: n.Status, Detail: n.Detail})
		case n == nil:
			c.Removed = append(c.Removed, Change{ReqID: id, Level: o.Level, Title: o.Title, From: o.Status})
		case o.Status == n.Status:
		case n.Status == Failed:
			c.Regressions = append(c.Regressions, change(o, n, n.Detail))
		case n.Status == Waived:
			c.NewlyWaived = append(c.NewlyWaived, change(o, n, n.Detail))
		case (o.Status == Failed || o.Status == Waived) && n.Status == Passed:
			c.Fixes = append(c.Fixes, change(o, n, ""))
		case n.Status == Skipped:
			c.NewlySkipped = append(c.NewlySkipped, change(o, n, n.Detail))
		default: // skipped -> passed
			c.NowRunning = append(c.NowRunning, change(o, n, ""))
		}
	}
	return c
}

func change(o, n *Verdict, detail string) Change {
	return Change{ReqID: n.ReqID, Level: n.Level, Title: n.Title, From: o.Status, To: n.Status, Detail: detail}
}

func sortedIDs(rs ...*Results) []string {
	ms := make([]map[string]*Verdict, len(rs))
	for i, r := range rs {
		ms[i] = r.Verdicts
	}
	return sortedUnion(ms...)
}

// sortedUnion lists the keys of the maps, each once, sorted.
func sortedUnion[V any](ms ...map[string]V) []string {
	seen := map[string]bool{}
	var keys []string
	for _, m := range ms {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return keys
}

// WriteChanges prints the changes for a person: one section per kind, one line
// per requirement, and the failure or skip message under regressions and skips.
func WriteChanges(w io.Writer, c Changes) error {
	var b strings.Builder
	if c.Empty() {
		b.WriteString("no changes\n")
	}
	section := func(title string, cs []Change) {
		if len(cs) == 0 {
			return
		}
		fmt.Fprintf(&b, "%s (%d):\n", title, len(cs))
		for _, ch := range cs {
			move := string(ch.To)
			switch {
			case ch.From != "" && ch.To != "":
				move = fmt.Sprintf("%s -> %s", ch.From, ch.To)
			case ch.From != "":
				move = fmt.Sprintf("was %s", ch.From)
			}
			fmt.Fprintf(&b, "  %-9s %-6s %-20s %s\n", ch.ReqID, ch.Level, move, ch.Title)
			if ch.Detail != "" {
				fmt.Fprintf(&b, "      %s\n", firstLine(ch.Detail))
			}
		}
	}
	section("regressions", c.Regressions)
	section("newly waived", c.NewlyWaived)
	section("fixes", c.Fixes)
	section("newly skipped", c.NewlySkipped)
	section("now running", c.NowRunning)
	section("added requirements", c.Added)
	section("removed requirements", c.Removed)
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteChangesJSON prints the changes as JSON (empty lists, not null).
func WriteChangesJSON(w io.Writer, c Changes) error {
	for _, l := range []*[]Change{&c.Regressions, &c.NewlyWaived, &c.Fixes, &c.NewlySkipped, &c.NowRunning, &c.Added, &c.Removed} {
		if *l == nil {
			*l = []Change{}
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(c)
}
