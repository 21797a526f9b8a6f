package reports

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/ovacts/ovacts/internal/safeio"
)

// Verdict is one requirement's result in a report, from all its scenarios:
// the worst of them (failed, blocked, waived, not run, not applicable,
// passed), with the first message of that kind.
type Verdict struct {
	ReqID  string `json:"req"`
	Level  string `json:"level"`
	Title  string `json:"title"`
	Status Status `json:"status"`
	Detail string `json:"detail,omitempty"` // the first failure's or skip's message
	// SuiteError: the suite itself erred on a scenario of it (an undefined
	// step, a failed cleanup): the requirement was not judged.
	SuiteError bool `json:"suiteError,omitempty"`
	// Capabilities are the needs its not-applicable scenarios lacked ("" for
	// a "not supported" answer while running).
	Capabilities []string `json:"capabilities,omitempty"`
}

// Results are the requirement verdicts of one report.
type Results struct {
	Verdicts   map[string]*Verdict
	Properties map[string]string
	// Cases counts the testcases as the run's summary does.
	Cases Counts
	// Started is the timestamp of the report's first suite: when the run started.
	Started string
	// AreaSeconds sums the testcases' times per area (their requirement IDs'
	// prefix); scenarios that ran concurrently overlap in it.
	AreaSeconds map[string]float64
}

var caseName = regexp.MustCompile(`^([A-Z][A-Z0-9]*-[0-9]{3}) \[(MUST|SHOULD|MAY)\] (.*?)(?: #[0-9]+)?$`)

type junitIn struct {
	XMLName xml.Name `xml:"testsuites"`
	Suites  []struct {
		Timestamp string `xml:"timestamp,attr"`
		Props     []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases []struct {
			Name    string     `xml:"name,attr"`
			Time    float64    `xml:"time,attr"`
			Failure *junitNote `xml:"failure"`
			Error   *junitNote `xml:"error"`
			Skipped *junitNote `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

type junitNote struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// statusRank orders a requirement's scenarios: the worst one decides.
var statusRank = map[Status]int{Passed: 0, NotApplicable: 1, NotRun: 2, Waived: 3, Blocked: 4, Failed: 5}

// skipWords are the categories a <skipped> text starts with; the words of
// earlier reports ("unsupported", "precondition", "interrupted") read as the
// categories they were.
var skipWords = map[string]Status{
	"not-applicable": NotApplicable, "not-run": NotRun, "blocked": Blocked, "waived": Waived,
	"unsupported": NotApplicable, "precondition": NotRun, "interrupted": NotRun,
}

var skipHead = regexp.MustCompile(`^([a-z-]+)(?: \(([a-z0-9-]+)\))?: `)

// parseSkip reads a <skipped> text's category and capability.
func parseSkip(text string) (Status, string) {
	m := skipHead.FindStringSubmatch(text)
	if m == nil {
		return NotRun, ""
	}
	if st, ok := skipWords[m[1]]; ok {
		return st, m[2]
	}
	return NotRun, ""
}

// ReadJUnit reads a JUnit report written by ovacts. It is untrusted input: the
// size is bounded, and every testcase must name a requirement and a level.
func ReadJUnit(r io.Reader) (*Results, error) {
	data, err := readBounded(r)
	if err != nil {
		return nil, err
	}
	if err := countCases(data); err != nil {
		return nil, err
	}
	var doc junitIn
	if err := xml.Unmarshal(data, &doc); err != nil {
		return nil, notJUnit(data, err)
	}
	return resultsOf(&doc)
}

// ReadResults reads a JUnit report of ovacts from a file, or the junit.xml of
// a bundle directory. Only regular files are read (a link, a FIFO or a
// device is refused), and only so much.
func ReadResults(path string) (*Results, error) {
	if st, err := os.Lstat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, BundleJUnit)
	}
	data, err := safeio.ReadRegular(path, MaxInputBytes)
	if err != nil {
		return nil, err
	}
	r, err := ReadJUnit(bytes.NewReader(data))
	if err != nil {
		return nil, InFile(path, err)
	}
	return r, nil
}

func resultsOf(doc *junitIn) (*Results, error) {
	res := &Results{Verdicts: map[string]*Verdict{}, Properties: map[string]string{}, AreaSeconds: map[string]float64{}}
	if len(doc.Suites) > 0 {
		res.Started = doc.Suites[0].Timestamp
	}
	for _, s := range doc.Suites {
		for _, p := range s.Props {
			if _, seen := res.Properties[p.Name]; !seen {
				res.Properties[p.Name] = p.Value
			}
		}
		for _, c := range s.Cases {
			if c.Name == SetupErrorCase && c.Error != nil {
				return nil, fmt.Errorf("the run judged nothing: %s", c.Error.Message)
			}
			m := caseName.FindStringSubmatch(c.Name)
			if m == nil {
				return nil, fmt.Errorf("testcase %q does not name an ovacts requirement (want \"AREA-NNN [LEVEL] title\")", c.Name)
			}
			area, _, _ := strings.Cut(m[1], "-")
			res.AreaSeconds[area] += c.Time
			status, detail, capability, suiteErr := Passed, "", "", false
			switch {
			case c.Failure != nil:
				status, detail = Failed, c.Failure.Message
			case c.Error != nil:
				status, detail, suiteErr = Failed, c.Error.Message, c.Error.Type == "suite-error"
			case c.Skipped != nil:
				detail = strings.TrimSpace(c.Skipped.Text)
				if detail == "" {
					detail = c.Skipped.Message // reports before the text carried it
				}
				status, capability = parseSkip(detail)
			}
			if err := res.add(m[1], m[2], m[3], status, capability, detail, suiteErr); err != nil {
				return nil, err
			}
		}
	}
	if res.Cases.Total == 0 {
		return nil, errors.New("the report has no testcases")
	}
	if what, ok := res.Properties[SelfTestProperty]; ok {
		return nil, fmt.Errorf("a self-test report (%s) is a test of ovacts, not a conformance result", what)
	}
	return res, nil
}

// ResultsOf aggregates a run's report as ReadJUnit aggregates its JUnit: a
// run judges itself the way verify and the matrix judge it afterwards.
func ResultsOf(r *Report) *Results {
	res := &Results{Verdicts: map[string]*Verdict{}, Properties: map[string]string{}, AreaSeconds: map[string]float64{}}
	for _, p := range r.Properties {
		res.Properties[p.Name] = p.Value
	}
	for _, o := range r.Outcomes {
		detail := ""
		switch o.Status {
		case Failed:
			detail = FailureMessage(o)
		case Passed:
		default:
			detail = SkipText(o)
		}
		res.add(o.ReqID, o.Level, Stable(o.Title), o.Status, o.Capability, detail, o.SuiteError)
	}
	return res
}

// add counts one scenario into its requirement's verdict.
func (res *Results) add(id, level, title string, status Status, capability, detail string, suiteErr bool) error {
	res.Cases.add(status, suiteErr)
	v := res.Verdicts[id]
	switch {
	case v == nil:
		v = &Verdict{ReqID: id, Level: level, Title: title, Status: status, Detail: detail}
		res.Verdicts[id] = v
	case v.Level != level:
		return fmt.Errorf("requirement %s has two levels, %s and %s", id, v.Level, level)
	case statusRank[status] > statusRank[v.Status] || (suiteErr && !v.SuiteError):
		v.Status, v.Detail = status, detail
	}
	v.SuiteError = v.SuiteError || suiteErr
	if status == NotApplicable && !slices.Contains(v.Capabilities, capability) {
		v.Capabilities = append(v.Capabilities, capability)
	}
	return nil
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
	NewlyBlocked []Change `json:"newly_blocked"` // not blocked before, blocked now
	NewlySkipped []Change `json:"newly_skipped"` // passed before, not applicable or not run now
	NowRunning   []Change `json:"now_running"`   // not applicable, not run or blocked before, passed now
	Added        []Change `json:"added"`         // in the new report only
	Removed      []Change `json:"removed"`       // in the old report only
}

// Empty reports whether nothing changed.
func (c Changes) Empty() bool {
	return len(c.Regressions)+len(c.NewlyBlocked)+len(c.NewlyWaived)+len(c.Fixes)+len(c.NewlySkipped)+len(c.NowRunning)+len(c.Added)+len(c.Removed) == 0
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
		case n.Status == Blocked:
			c.NewlyBlocked = append(c.NewlyBlocked, change(o, n, n.Detail))
		case n.Status == Waived:
			c.NewlyWaived = append(c.NewlyWaived, change(o, n, n.Detail))
		case (o.Status == Failed || o.Status == Waived) && n.Status == Passed:
			c.Fixes = append(c.Fixes, change(o, n, ""))
		case n.Status == NotApplicable || n.Status == NotRun:
			c.NewlySkipped = append(c.NewlySkipped, change(o, n, n.Detail))
		default: // not passing before, passed now
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
			// The reports are other people's files: their texts are escaped.
			fmt.Fprintf(&b, "  %-9s %-6s %-20s %s\n", safeio.Printable(ch.ReqID), safeio.Printable(ch.Level), move, safeio.Printable(ch.Title))
			if ch.Detail != "" {
				fmt.Fprintf(&b, "      %s\n", safeio.Printable(firstLine(ch.Detail)))
			}
		}
	}
	section("regressions", c.Regressions)
	section("newly blocked", c.NewlyBlocked)
	section("newly waived", c.NewlyWaived)
	section("fixes", c.Fixes)
	section("newly not applicable or not run", c.NewlySkipped)
	section("now running", c.NowRunning)
	section("added requirements", c.Added)
	section("removed requirements", c.Removed)
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteChangesJSON prints the changes as JSON (empty lists, not null).
func WriteChangesJSON(w io.Writer, c Changes) error {
	for _, l := range []*[]Change{&c.Regressions, &c.NewlyBlocked, &c.NewlyWaived, &c.Fixes, &c.NewlySkipped, &c.NowRunning, &c.Added, &c.Removed} {
		if *l == nil {
			*l = []Change{}
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(c)
}
