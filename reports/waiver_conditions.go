package reports

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// A waiver is bound to a condition a reader can check: facts measured on
// the run's stack (When), or the releases an upstream bug is known in
// (Versions). A waiver with neither is refused: it would describe one
// machine and hide the same failure on every other stack.

// condFact names what a When condition may read: a measured host fact
// (host.<name>) or one of the stack's own properties.
var condFact = regexp.MustCompile(`^(host\.[a-z0-9][a-z0-9.-]*|driver|domain\.type|guest\.accel)$`)

// versionKeys maps a Versions key to the report property it reads.
var versionKeys = map[string]string{"libvirt": "libvirt.daemon", "qemu": "hypervisor.version"}

type condition struct {
	fact, value string
	negated     bool
}

func parseCondition(s string) (condition, error) {
	op := "="
	name, value, ok := strings.Cut(s, "!=")
	if ok {
		op = "!="
	} else if name, value, ok = strings.Cut(s, "="); !ok {
		return condition{}, fmt.Errorf("condition %q is not name=value or name!=value", s)
	}
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	if !condFact.MatchString(name) {
		return condition{}, fmt.Errorf("condition %q: %q is not a measured fact (host.<fact>, driver, domain.type, guest.accel)", s, name)
	}
	if value == "" {
		return condition{}, fmt.Errorf("condition %q has no value", s)
	}
	return condition{fact: name, value: value, negated: op == "!="}, nil
}

type version [3]int

func parseVersion(s string) (version, bool) {
	var v version
	parts := strings.Split(strings.TrimSpace(s), ".")
	if len(parts) < 2 || len(parts) > 3 {
		return v, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return v, false
		}
		v[i] = n
	}
	return v, true
}

func (v version) cmp(o version) int { return slices.Compare(v[:], o[:]) }

// parseRange reads "LOW - HIGH" (inclusive).
func parseRange(s string) (lo, hi version, err error) {
	a, b, ok := strings.Cut(s, " - ")
	if ok {
		var okA, okB bool
		lo, okA = parseVersion(a)
		hi, okB = parseVersion(b)
		if okA && okB && lo.cmp(hi) <= 0 {
			return lo, hi, nil
		}
	}
	return lo, hi, fmt.Errorf("version range %q is not \"LOW - HIGH\" (for example \"9.0.0 - 11.3.0\")", s)
}

// checkConditions is the loader's check: at least one condition, each well formed.
func (w Waiver) checkConditions() error {
	if len(w.When) == 0 && len(w.Versions) == 0 {
		return fmt.Errorf("no condition: name the measured fact that justifies it (when: [host.qdisc.sfq=absent]) or the releases of the upstream bug (versions: {libvirt: \"9.0.0 - 11.3.0\"})")
	}
	for _, c := range w.When {
		if _, err := parseCondition(c); err != nil {
			return err
		}
	}
	for k, r := range w.Versions {
		if _, ok := versionKeys[k]; !ok {
			return fmt.Errorf("versions: %q is not libvirt or qemu", k)
		}
		if _, _, err := parseRange(r); err != nil {
			return fmt.Errorf("versions: %s: %w", k, err)
		}
	}
	return nil
}

func (w Waiver) conditionText() string {
	var parts []string
	parts = append(parts, w.When...)
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range w.Versions {
			if !yield(k) {
				return
			}
		}
	}) {
		parts = append(parts, k+" "+w.Versions[k])
	}
	if len(parts) == 0 {
		return ""
	}
	return ", when " + strings.Join(parts, " and ")
}

// Holds evaluates the waiver's conditions on a run's report: whether all
// hold, with the evidence when they do (the facts and how they were
// measured) or the first that does not, and what was measured instead.
func (w Waiver) Holds(r *Report) (bool, string) {
	var evidence []string
	for _, s := range w.When {
		c, err := parseCondition(s)
		if err != nil {
			return false, err.Error()
		}
		got, measured := r.lookup(c.fact)
		if !measured {
			why := "was not measured"
			if note := r.Property("host.facts"); strings.HasPrefix(c.fact, "host.") && note != "" {
				why += " (" + note + ")"
			}
			return false, c.fact + " " + why
		}
		if (got == c.value) == c.negated {
			want := c.value
			if c.negated {
				want = "anything but " + c.value
			}
			return false, fmt.Sprintf("%s is %s, not %s", c.fact, got, want)
		}
		e := c.fact + "=" + got
		if how := r.Property(c.fact + ".evidence"); how != "" {
			e += " (" + how + ")"
		}
		evidence = append(evidence, e)
	}
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range w.Versions {
			if !yield(k) {
				return
			}
		}
	}) {
		lo, hi, err := parseRange(w.Versions[k])
		if err != nil {
			return false, err.Error()
		}
		prop := versionKeys[k]
		if k == "qemu" && r.Property("driver") != "QEMU" {
			return false, "the stack's driver is " + r.Property("driver") + ", not QEMU"
		}
		got, ok := parseVersion(r.Property(prop))
		if !ok {
			return false, prop + " was not recorded"
		}
		if got.cmp(lo) < 0 || got.cmp(hi) > 0 {
			return false, fmt.Sprintf("%s %s is outside %s", k, r.Property(prop), w.Versions[k])
		}
		evidence = append(evidence, fmt.Sprintf("%s %s in %s", k, r.Property(prop), w.Versions[k]))
	}
	return true, strings.Join(evidence, "; ")
}

// lookup reads a property, telling "not recorded" from an empty value.
func (r *Report) lookup(name string) (string, bool) {
	for _, p := range r.Properties {
		if p.Name == name {
			return p.Value, true
		}
	}
	return "", false
}

func failedReq(r *Report, req string) bool {
	for _, o := range r.Outcomes {
		if o.ReqID == req && o.Status == Failed && !o.SuiteError {
			return true
		}
	}
	return false
}

func inapplicable(use WaiverUse) []Waiver {
	var out []Waiver
	for _, x := range use.Inapplicable {
		out = append(out, x.Waiver)
	}
	return out
}
