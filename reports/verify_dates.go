// What only the signer asserts, checked against the rest of the bundle: the
// run's date in stack.json, junit.xml and run.log, and its driver in
// stack.json, junit.xml and run.log's connect lines. A signer can still forge
// all of them consistently; what this catches is an edit of one of them.

package reports

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// DateTolerance is how far apart the run's start may be in stack.json,
// junit.xml and run.log, and how far after the time of the check.
const DateTolerance = time.Minute

// CheckDates names verify's check of the run's date and driver.
const CheckDates = "dates"

// LogHead is the run log's first line: "ovacts VERSION run ID against URI,
// started TIME" (harness.Run writes it).
var logHead = regexp.MustCompile(`(?m)^ovacts \S+ run \S+ against (.*), started (\S+)$`)

// logStack is the run log's connect line: "stack: DRIVER, libvirt ...".
var logStack = regexp.MustCompile(`(?m)^stack: ([^,\n]+), libvirt `)

// checkDates: the run's start agrees in the three files (within
// DateTolerance) and is not after the time of the check; its driver agrees
// with the log's connect lines.
func (v *verifier) checkDates() {
	if v.results == nil || !v.stackOK {
		return
	}
	logData, err := v.read(BundleLog)
	if err != nil {
		v.add(CheckDates, err, "")
		return
	}
	now := v.in.Now
	if now.IsZero() {
		now = time.Now()
	}
	started, problems := runDates(v.stack["started"], v.results.Started, string(logData), now)
	problems = append(problems, driverProblems(v.stack["driver"], string(logData))...)
	var perr error
	if len(problems) > 0 {
		perr = errors.New(strings.Join(problems, "; "))
	}
	v.add(CheckDates, perr, fmt.Sprintf("run started %s (stack.json, junit.xml and run.log within %s), driver %s", started.UTC().Format(time.RFC3339), DateTolerance, v.stack["driver"]))
}

func runDates(stackStarted, junitStamp, log string, now time.Time) (time.Time, []string) {
	started, err := time.Parse(time.RFC3339, stackStarted)
	if err != nil {
		return started, []string{fmt.Sprintf("stack.json's started %q is not a time (RFC 3339)", stackStarted)}
	}
	var problems []string
	apart := func(what, s string, t time.Time, err error) {
		switch d := t.Sub(started).Abs(); {
		case err != nil:
			problems = append(problems, fmt.Sprintf("%s's start %q is not a time", what, s))
		case d > DateTolerance:
			problems = append(problems, fmt.Sprintf("%s says the run started %s, stack.json %s: more than %s apart", what, s, stackStarted, DateTolerance))
		}
	}
	jt, err := time.Parse(time.RFC3339, junitStamp)
	if err != nil { // Ant's format has no zone: UTC, as WriteJUnitFormat writes it
		jt, err = time.Parse("2006-01-02T15:04:05", junitStamp)
	}
	apart("junit.xml", junitStamp, jt, err)
	if m := logHead.FindStringSubmatch(log); m == nil {
		problems = append(problems, "run.log has no start line (ovacts VERSION run ID against URI, started TIME)")
	} else {
		lt, err := time.Parse(time.RFC3339, m[2])
		apart("run.log", m[2], lt, err)
	}
	if started.After(now.Add(DateTolerance)) {
		problems = append(problems, fmt.Sprintf("the run is dated %s, after %s, the time it is judged at", stackStarted, now.UTC().Format(time.RFC3339)))
	}
	return started, problems
}

// driverProblems: the driver stack.json names is the one the log's connect
// line names, and the URI's scheme (qemu+tcp://... is QEMU's).
func driverProblems(driver, log string) []string {
	var problems []string
	if m := logStack.FindStringSubmatch(log); m == nil {
		problems = append(problems, "run.log has no connect line (stack: DRIVER, libvirt ...)")
	} else if m[1] != driver {
		problems = append(problems, fmt.Sprintf("run.log connected to driver %q, stack.json says %q", m[1], driver))
	}
	if m := logHead.FindStringSubmatch(log); m != nil {
		scheme, _, ok := strings.Cut(m[1], ":")
		scheme, _, _ = strings.Cut(scheme, "+")
		if ok && scheme != "" && !strings.EqualFold(scheme, driver) {
			problems = append(problems, fmt.Sprintf("run.log ran against a %s:// URI, stack.json says driver %q", scheme, driver))
		}
	}
	return problems
}
