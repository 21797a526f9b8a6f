package reports

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// History is how long each scenario of an earlier run took, read from that
// run's JUnit report (any dialect): what the progress of the next run
// estimates its time left from. A scenario is known by HistoryKey.
type History map[string]time.Duration

// HistoryKey names a scenario across runs as its JUnit testcase does: its
// class (area and feature file) and its name (requirement, level, title).
func HistoryKey(o Outcome) string {
	return o.Area + "." + strings.TrimSuffix(baseName(o.FeatureURI), ".feature") + "\x00" + CaseName(o)
}

// ReadHistory reads the durations of the scenarios a JUnit report ran;
// those decided before they ran (skipped in no time) are left out, and
// scenarios that share a name ("#2" aside) get their mean.
func ReadHistory(data []byte) (History, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	type sum struct {
		total time.Duration
		n     int
	}
	sums := map[string]*sum{}
	var key string
	var took time.Duration
	var skipped bool
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("not a JUnit report: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "testcase":
				key, took = caseKey(t)
				skipped = false
			case "skipped":
				skipped = true
			}
		case xml.EndElement:
			if t.Name.Local != "testcase" || key == "" || (skipped && took == 0) {
				continue
			}
			s := sums[key]
			if s == nil {
				s = &sum{}
				sums[key] = s
			}
			s.total += took
			s.n++
			key = ""
		}
	}
	h := History{}
	for k, s := range sums {
		h[k] = s.total / time.Duration(s.n)
	}
	return h, nil
}

// maxHistory bounds a testcase's time read back: longer is not a duration
// of a run of ovacts.
const maxHistory = 1e6 // seconds

func caseKey(t xml.StartElement) (string, time.Duration) {
	var class, name string
	var took time.Duration
	for _, a := range t.Attr {
		switch a.Name.Local {
		case "classname":
			class = a.Value
		case "name":
			name = a.Value
		case "time":
			if s, err := strconv.ParseFloat(a.Value, 64); err == nil && s >= 0 && s < maxHistory {
				took = time.Duration(s * float64(time.Second))
			}
		}
	}
	if name == "" {
		return "", 0
	}
	return class + "\x00" + ordinal.ReplaceAllString(name, ""), took
}

// ordinal is what JUnit adds to the name of a scenario that shares its
// name with an earlier one (" #2").
var ordinal = regexp.MustCompile(` #[0-9]+$`)
