package reports

import (
	"bytes"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Waiver is one known failure: which requirement, why, where it is tracked,
// and until when it may be waived.
type Waiver struct {
	Req     string `yaml:"req" json:"req"`
	Reason  string `yaml:"reason" json:"reason"`
	Link    string `yaml:"link" json:"link"`
	Expires string `yaml:"expires" json:"expires"` // YYYY-MM-DD, waived through that day (UTC)
	// When: the measured facts that justify it, each "name=value" or
	// "name!=value" over the run's properties (host.<fact>, driver, ...);
	// all must hold for the waiver to apply.
	When []string `yaml:"when,omitempty" json:"when,omitempty"`
	// Versions: the releases an upstream bug is known in, "libvirt" and/or
	// "qemu" to an inclusive range "9.0.0 - 11.3.0".
	Versions map[string]string `yaml:"versions,omitempty" json:"versions,omitempty"`
}

func (w Waiver) String() string {
	return fmt.Sprintf("%s (%s, until %s%s)", w.Reason, w.Link, w.Expires, w.conditionText())
}

var reqID = regexp.MustCompile(`^[A-Z][A-Z0-9]*-[0-9]{3}$`)

// ReadWaivers reads a known-failure list (untrusted input), strictly:
//
//	waivers:
//	  - req: ERR-008
//	    reason: the test driver answers VIR_ERR_INTERNAL_ERROR
//	    link: https://example.org/issue/1
//	    expires: 2027-06-30
func ReadWaivers(r io.Reader) ([]Waiver, error) {
	data, err := readBounded(r)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Waivers []Waiver `yaml:"waivers"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, yamlProblem(data, err, &doc)
	}
	// The line of each entry, for the checks below.
	var lines struct {
		Waivers []yaml.Node `yaml:"waivers"`
	}
	_ = yaml.Unmarshal(data, &lines)
	for i, w := range doc.Waivers {
		if err := checkWaiver(w, i, doc.Waivers[:i]); err != nil {
			if i < len(lines.Waivers) {
				return nil, &LineError{Line: lines.Waivers[i].Line, Msg: err.Error()}
			}
			return nil, err
		}
	}
	if len(doc.Waivers) == 0 {
		return nil, &LineError{Msg: "no waivers in the file (want a top-level 'waivers:' list)"}
	}
	return doc.Waivers, nil
}

// checkWaiver checks the i-th waiver, after those before it.
func checkWaiver(w Waiver, i int, before []Waiver) error {
	where := fmt.Sprintf("waiver %d", i+1)
	if !reqID.MatchString(w.Req) {
		return fmt.Errorf("%s: req %q is not a requirement ID (AREA-NNN)", where, w.Req)
	}
	if slices.ContainsFunc(before, func(b Waiver) bool { return b.Req == w.Req }) {
		return fmt.Errorf("%s: a second waiver for %s", where, w.Req)
	}
	if strings.TrimSpace(w.Reason) == "" {
		return fmt.Errorf("%s (%s): no reason", where, w.Req)
	}
	if u, err := url.Parse(w.Link); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%s (%s): link %q is not an http(s) URL", where, w.Req, w.Link)
	}
	if _, err := time.Parse(time.DateOnly, w.Expires); err != nil {
		return fmt.Errorf("%s (%s): expires %q is not a date (YYYY-MM-DD)", where, w.Req, w.Expires)
	}
	if err := w.checkConditions(); err != nil {
		return fmt.Errorf("%s (%s): %w", where, w.Req, err)
	}
	return nil
}

// WaiverUse says what the waivers did in a run.
type WaiverUse struct {
	Applied   []Waiver // waived at least one failure
	Expired   []Waiver // matched a failure but had expired: the failure stands
	Unmatched []Waiver // no failure of the run matched
	// Inapplicable: the waiver's condition is false on this run's stack, so it
	// waived nothing (its failures stand); Why says which condition and what
	// was measured.
	Inapplicable []InapplicableWaiver
}

// InapplicableWaiver is a waiver whose condition did not hold, and why.
type InapplicableWaiver struct {
	Waiver
	Why     string
	Matched bool // a failure of the run had its requirement: it stands
}

// ApplyWaivers turns the failures that an unexpired waiver covers into waived
// outcomes (suite errors are never waived) and records what every waiver did.
func ApplyWaivers(r *Report, ws []Waiver, now time.Time) WaiverUse {
	var use WaiverUse
	today := now.UTC().Format(time.DateOnly)
	for _, w := range ws {
		holds, evidence := w.Holds(r)
		if !holds {
			use.Inapplicable = append(use.Inapplicable, InapplicableWaiver{Waiver: w, Why: evidence, Matched: failedReq(r, w.Req)})
			r.Properties = append(r.Properties, Property{Name: "waiver." + w.Req + ".inapplicable", Value: evidence})
			continue
		}
		matched, applied := false, false
		for i := range r.Outcomes {
			o := &r.Outcomes[i]
			if o.ReqID != w.Req || o.Status != Failed || o.SuiteError {
				continue
			}
			matched = true
			if w.Expires >= today { // ISO dates compare as strings
				o.Status, o.Waiver = Waived, w.String()
				applied = true
			}
		}
		switch {
		case applied:
			use.Applied = append(use.Applied, w)
			if evidence != "" {
				r.Properties = append(r.Properties, Property{Name: "waiver." + w.Req + ".evidence", Value: evidence})
			}
		case matched:
			use.Expired = append(use.Expired, w)
		default:
			use.Unmatched = append(use.Unmatched, w)
		}
	}
	for _, l := range []struct {
		name string
		list []Waiver
	}{{"waivers.applied", use.Applied}, {"waivers.expired", use.Expired}, {"waivers.unmatched", use.Unmatched}, {"waivers.inapplicable", inapplicable(use)}} {
		var ids []string
		for _, w := range l.list {
			ids = append(ids, w.Req)
		}
		if len(ids) > 0 {
			r.Properties = append(r.Properties, Property{Name: l.name, Value: strings.Join(ids, ",")})
		}
	}
	return use
}

// WriteWaiverUse prints what the waivers did.
func WriteWaiverUse(w io.Writer, use WaiverUse) {
	for _, x := range use.Applied {
		fmt.Fprintf(w, "waiver: %s waived: %s\n", x.Req, x)
	}
	for _, x := range use.Expired {
		fmt.Fprintf(w, "waiver: %s EXPIRED on %s: its failure stands (%s)\n", x.Req, x.Expires, x.Link)
	}
	for _, x := range use.Inapplicable {
		stands := ""
		if x.Matched {
			stands = ": its failure stands"
		}
		fmt.Fprintf(w, "waiver: %s does not apply to this stack (%s)%s\n", x.Req, x.Why, stands)
	}
	for _, x := range use.Unmatched {
		fmt.Fprintf(w, "waiver: %s matched no failure of this run: remove it if the requirement passes now (%s)\n", x.Req, x.Link)
	}
}
