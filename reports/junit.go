package reports

import (
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
)

// JUnit XML as CI tools read it: one testsuite per feature, one testcase per
// scenario, and one first testsuite, "ovacts run", that carries the run's
// properties once. The default format validates against the schemas CI tools
// check with (Jenkins xUnit's junit-10.xsd, dtkit's junit-4.xsd): no file or
// line on a testcase, a <skipped> with text only, elements in schema order.
// GitLab's format adds file and line (its test view links them); Ant's adds
// what Ant's JUnit.xsd requires (package, id, hostname, a zone-less timestamp,
// the suites' system-out and system-err).
//
// A testcase is named "REQ-ID [LEVEL] title". Its outcome category is the
// first word of its <skipped> text ("not-applicable (nwfilter): ...",
// "not-run (peer): ...", "blocked (kvm): ...", "waived: ..."). Its system-out
// is the scenario as it ran: every step with its outcome and time.

// JUnitFormat is a JUnit dialect.
type JUnitFormat string

const (
	JUnitDefault JUnitFormat = "junit" // junit-10.xsd and junit-4.xsd
	JUnitGitLab  JUnitFormat = "gitlab"
	JUnitAnt     JUnitFormat = "ant"
)

// JUnitFormats lists the dialects --junit-format takes.
var JUnitFormats = []JUnitFormat{JUnitDefault, JUnitGitLab, JUnitAnt}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Package    string          `xml:"package,attr,omitempty"` // ant
	ID         *int            `xml:"id,attr"`                // ant
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Hostname   string          `xml:"hostname,attr,omitempty"`
	Properties *junitProps     `xml:"properties"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  *junitPreserved `xml:"system-out"`
	SystemErr  *junitPreserved `xml:"system-err"`
}

type junitProps struct {
	Props []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitPreserved struct {
	Text string `xml:",chardata"`
}

// junitCase keeps junit-4's child order: skipped, error, failure, system-out.
type junitCase struct {
	Name      string          `xml:"name,attr"`
	Classname string          `xml:"classname,attr"`
	File      string          `xml:"file,attr,omitempty"` // gitlab
	Line      int             `xml:"line,attr,omitempty"` // gitlab
	Time      string          `xml:"time,attr"`
	Skipped   *junitSkipped   `xml:"skipped"`
	Error     *junitMessage   `xml:"error"`
	Failure   *junitMessage   `xml:"failure"`
	SystemOut *junitPreserved `xml:"system-out"`
}

type junitSkipped struct {
	Message string `xml:"message,attr,omitempty"` // ant only: junit-4 allows no attribute
	Text    string `xml:",chardata"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

func secs(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// WaivedPrefix starts the skip text of a waived failure in JUnit.
const WaivedPrefix = "waived: "

// CaseName is the testcase name of an outcome: requirement, level and title.
func CaseName(o Outcome) string { return fmt.Sprintf("%s [%s] %s", o.ReqID, o.Level, o.Title) }

// runName matches the names the suite gives objects: a failure's text reads
// the same from one night to the next with the logical names in their place.
var runName = regexp.MustCompile(`ovacts-[a-z0-9]{8}-(?:s[0-9]+-)?`)

// Stable replaces per-run object names by their logical names.
func Stable(s string) string { return runName.ReplaceAllString(s, "") }

// FailureMessage names the requirement, the step and libvirt's error.
func FailureMessage(o Outcome) string {
	msg := fmt.Sprintf("%s (%s) failed", o.ReqID, o.Level)
	if o.FailedStep != "" {
		msg += fmt.Sprintf(" at step \"%s\"", o.FailedStep)
	}
	return Stable(msg + ": " + firstLine(o.Reason))
}

// FailureText is a failure readable on its own: which requirement, where,
// what was expected and what was seen, and libvirt's error code.
func FailureText(o Outcome) string {
	var b strings.Builder
	fmt.Fprintf(&b, "requirement %s (%s): %s\n", o.ReqID, o.Level, o.Title)
	fmt.Fprintf(&b, "scenario at %s:%d\n", o.FeatureURI, o.Line)
	if o.FailedStep != "" {
		fmt.Fprintf(&b, "failed step: %s\n", o.FailedStep)
	}
	if o.ErrorCode != "" {
		fmt.Fprintf(&b, "libvirt error: %s\n", o.ErrorCode)
	}
	b.WriteString(o.Reason)
	return Stable(strings.TrimRight(b.String(), "\n")) + "\n"
}

// SkipText is a non-passing, non-failing outcome's <skipped> text: its
// category first, then the reason.
func SkipText(o Outcome) string {
	if o.Status == Waived {
		return WaivedPrefix + o.Waiver + "; " + FailureMessage(o)
	}
	text := Category(o) + ": " + o.Reason
	if o.BlockedBy != "" && !strings.Contains(o.Reason, o.BlockedBy) {
		text += " (" + o.BlockedBy + ")"
	}
	return Stable(text)
}

// StepsText is the scenario as it ran, for system-out.
func StepsText(o Outcome) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Scenario: %s (%s:%d)\n", o.Title, o.FeatureURI, o.Line)
	fmt.Fprintf(&b, "  requirement %s, level %s, outcome %s\n", o.ReqID, o.Level, Category(o))
	for _, f := range o.Shared {
		fmt.Fprintf(&b, "  shared fixture %s\n", f)
	}
	for _, g := range o.GuestStarts {
		fmt.Fprintf(&b, "  guest %s\n", g)
	}
	for _, s := range o.Steps {
		fmt.Fprintf(&b, "  %-9s %s%s", s.Status, s.Keyword, s.Text)
		if s.Duration > 0 {
			fmt.Fprintf(&b, " (%s)", s.Duration.Round(time.Millisecond))
		}
		b.WriteString("\n")
		if s.Error != "" {
			fmt.Fprintf(&b, "            %s\n", strings.ReplaceAll(firstLine(s.Error), "\n", " "))
		}
	}
	return Stable(b.String())
}

// WriteJUnit writes the report as JUnit XML of the default format.
func WriteJUnit(w io.Writer, r *Report) error { return WriteJUnitFormat(w, r, JUnitDefault) }

// WriteJUnitFormat writes the report as JUnit XML of a format. Counts are
// derived from the testcases, so they always agree with the children.
func WriteJUnitFormat(w io.Writer, r *Report, format JUnitFormat) error {
	stamp := r.Started.UTC().Format(time.RFC3339)
	if format == JUnitAnt {
		stamp = r.Started.UTC().Format("2006-01-02T15:04:05")
	}
	root := junitSuites{Name: r.Suite, Time: secs(r.Duration)}
	env := junitSuite{Name: "ovacts run", Time: secs(0), Timestamp: stamp, Properties: &junitProps{}}
	for _, p := range r.Properties {
		env.Properties.Props = append(env.Properties.Props, junitProperty(p))
	}
	if len(env.Properties.Props) == 0 {
		env.Properties = nil
	}
	root.Suites = append(root.Suites, env)
	index := map[string]int{}
	var caseNames []map[string]int
	var out []*strings.Builder
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
			root.Suites = append(root.Suites, junitSuite{Name: name, Timestamp: stamp})
			caseNames = append(caseNames, map[string]int{})
			out = append(out, &strings.Builder{})
		}
		s := &root.Suites[i]
		c := junitCaseOf(o, format)
		// Outline rows share a title: keep names unique within a suite.
		caseNames[i-1][c.Name]++
		if n := caseNames[i-1][c.Name]; n > 1 {
			c.Name = fmt.Sprintf("%s #%d", c.Name, n)
		}
		switch {
		case c.Error != nil:
			s.Errors++
		case c.Failure != nil:
			s.Failures++
		case c.Skipped != nil:
			s.Skipped++
		}
		steps := StepsText(o)
		if format == JUnitAnt {
			// Ant has no system-out per testcase: the suite's holds them all.
			out[i-1].WriteString(c.Name + "\n" + steps + "\n")
		} else {
			c.SystemOut = &junitPreserved{Text: steps}
		}
		s.Tests++
		s.Cases = append(s.Cases, c)
	}
	for i := range root.Suites {
		s := &root.Suites[i]
		if i > 0 {
			var d time.Duration
			for _, o := range r.Outcomes {
				if index[o.FeatureURI] == i {
					d += o.Duration
				}
			}
			s.Time = secs(d)
		}
		root.Tests += s.Tests
		root.Failures += s.Failures
		root.Errors += s.Errors
		if format == JUnitAnt {
			antSuite(s, i, r.Property("hostname"), out)
		}
	}
	if format == JUnitAnt {
		// Ant's aggregated report puts nothing on <testsuites>.
		return encodeXML(w, struct {
			XMLName xml.Name     `xml:"testsuites"`
			Suites  []junitSuite `xml:"testsuite"`
		}{Suites: root.Suites})
	}
	return encodeXML(w, root)
}

// junitCaseOf is an outcome's testcase: a failure (its type the libvirt
// error code, else "assertion"), a suite error, or a skip with its category.
func junitCaseOf(o Outcome, format JUnitFormat) junitCase {
	c := junitCase{Name: CaseName(o), Classname: o.Area + "." + strings.TrimSuffix(baseName(o.FeatureURI), ".feature"), Time: secs(o.Duration)}
	if format == JUnitGitLab {
		c.File, c.Line = o.FeatureURI, o.Line
	}
	switch {
	case o.Status == Failed && o.SuiteError:
		c.Error = &junitMessage{Message: FailureMessage(o), Type: "suite-error", Body: FailureText(o)}
	case o.Status == Failed:
		typ := o.ErrorCode
		if typ == "" {
			typ = "assertion"
		}
		c.Failure = &junitMessage{Message: FailureMessage(o), Type: typ, Body: FailureText(o)}
	case o.Status != Passed:
		c.Skipped = &junitSkipped{Text: SkipText(o)}
		if format == JUnitAnt {
			c.Skipped.Message = firstLine(c.Skipped.Text)
		}
	}
	return c
}

// antSuite gives suite i what Ant's JUnit.xsd demands: an id, a package, a
// host name, properties, and system-out (the steps of its testcases) and
// system-err.
func antSuite(s *junitSuite, i int, hostname string, out []*strings.Builder) {
	id := i
	s.ID, s.Package, s.Hostname = &id, "ovacts", orDash(hostname)
	if s.Properties == nil {
		s.Properties = &junitProps{}
	}
	s.SystemOut, s.SystemErr = &junitPreserved{}, &junitPreserved{}
	if i > 0 {
		s.SystemOut.Text = out[i-1].String()
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func encodeXML(w io.Writer, v any) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(v); err != nil {
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

// SetupErrorCase names the single testcase of a report written when a run
// could not start, or has not finished.
const SetupErrorCase = "ovacts run setup"

// WriteSetupError writes the JUnit of a run that judged nothing: one errored
// testcase that says why. A CI job that publishes the report sees the failure,
// never an earlier run's passes.
func WriteSetupError(w io.Writer, msg string, started time.Time) error {
	root := junitSuites{Name: "ovacts", Tests: 1, Errors: 1, Time: secs(0), Suites: []junitSuite{{
		Name: "ovacts run", Tests: 1, Errors: 1, Time: secs(0), Timestamp: started.UTC().Format(time.RFC3339),
		Cases: []junitCase{{Name: SetupErrorCase, Classname: "ovacts", Time: secs(0),
			Error: &junitMessage{Message: msg, Type: "setup-error", Body: msg}}},
	}}}
	return encodeXML(w, root)
}
