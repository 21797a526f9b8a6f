package reports

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
)

// JUnit XML as read by Jenkins, GitLab and most CI: one testsuite per feature,
// one testcase per scenario. Skips carry their reason in <skipped message>.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Time      string        `xml:"time,attr"`
	Skipped   *junitMessage `xml:"skipped"`
	Failure   *junitMessage `xml:"failure"`
	Error     *junitMessage `xml:"error"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Body    string `xml:",chardata"`
}

func secs(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// WaivedPrefix starts the skip message of a waived failure in JUnit.
const WaivedPrefix = "waived: "

// CaseName is the testcase name of an outcome: requirement, level and title.
func CaseName(o Outcome) string { return fmt.Sprintf("%s [%s] %s", o.ReqID, o.Level, o.Title) }

// FailureMessage names the requirement, the step and libvirt's error.
func FailureMessage(o Outcome) string {
	msg := fmt.Sprintf("%s (%s) failed", o.ReqID, o.Level)
	if o.FailedStep != "" {
		msg += fmt.Sprintf(" at step \"%s\"", o.FailedStep)
	}
	return msg + ": " + firstLine(o.Reason)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// WriteJUnit writes the report as JUnit XML. Counts are derived from the
// testcases, so they always agree with the children.
func WriteJUnit(w io.Writer, r *Report) error {
	root := junitSuites{Name: r.Suite, Time: secs(r.Duration)}
	index := map[string]int{}
	props := make([]junitProperty, 0, len(r.Properties))
	for _, p := range r.Properties {
		props = append(props, junitProperty(p))
	}
	var caseNames []map[string]int
	for _, o := range r.Outcomes {
		i, ok := index[o.FeatureURI]
		if !ok {
			i = len(root.Suites)
			index[o.FeatureURI] = i
			name := o.Feature
			if name == "" {
				name = o.FeatureURI
			}
			if r.Suite == SelfTestSuite {
				name = "self-test, not conformance: " + name
			}
			root.Suites = append(root.Suites, junitSuite{Name: name, Timestamp: r.Started.UTC().Format(time.RFC3339), Properties: props})
			caseNames = append(caseNames, map[string]int{})
		}
		s := &root.Suites[i]
		c := junitCase{Name: CaseName(o), Classname: o.Area + "." + strings.TrimSuffix(baseName(o.FeatureURI), ".feature"),
			File: o.FeatureURI, Line: o.Line, Time: secs(o.Duration)}
		// Outline rows share a title: keep names unique within a suite.
		caseNames[i][c.Name]++
		if n := caseNames[i][c.Name]; n > 1 {
			c.Name = fmt.Sprintf("%s #%d", c.Name, n)
		}
		switch {
		case o.Status == Skipped:
			c.Skipped = &junitMessage{Message: o.SkipKind + ": " + o.Reason}
			s.Skipped++
		case o.Status == Waived:
			// JUnit has no "waived": a skip that says so and carries the failure.
			c.Skipped = &junitMessage{Message: WaivedPrefix + o.Waiver + "; " + FailureMessage(o)}
			s.Skipped++
		case o.Status == Failed && o.SuiteError:
			c.Error = &junitMessage{Message: FailureMessage(o), Type: "suite-error", Body: o.Reason}
			s.Errors++
		case o.Status == Failed:
			typ := o.ErrorCode
			if typ == "" {
				typ = "assertion"
			}
			c.Failure = &junitMessage{Message: FailureMessage(o), Type: typ, Body: o.Reason}
			s.Failures++
		}
		s.Tests++
		s.Cases = append(s.Cases, c)
	}
	for i := range root.Suites {
		s := &root.Suites[i]
		var d time.Duration
		for _, o := range r.Outcomes {
			if index[o.FeatureURI] == i {
				d += o.Duration
			}
		}
		s.Time = secs(d)
		root.Tests += s.Tests
		root.Failures += s.Failures
		root.Errors += s.Errors
		root.Skipped += s.Skipped
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(root); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func baseName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}
