// Triage: a vendor's non-passing requirements, each labelled by what the
// project's reference baselines say of it (the same generation fails it too,
// one generation does, the reference runs disagree, or only this product
// fails it). It explains a verdict and never changes one.

package reports

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// TriageLabel says whose a non-passing requirement is.
type TriageLabel string

const (
	// LabelReference: the reference stack of the bundle's generation does not
	// pass it either, in any of its runs.
	LabelReference TriageLabel = "reference"
	// LabelOneGeneration: another reference generation fails it in every run;
	// the bundle's own generation does not.
	LabelOneGeneration TriageLabel = "one generation"
	// LabelFlaky: a reference generation's repeated runs disagree on it.
	LabelFlaky TriageLabel = "flaky on the reference"
	// LabelOnlyProduct: every reference run that judged it passed it.
	LabelOnlyProduct TriageLabel = "only this product"
	// LabelNoReference: no reference run has a result for it.
	LabelNoReference TriageLabel = "no reference result"
)

// ErrBaselines: the baselines are missing, unsigned, tampered or not the
// bundle's requirement set; triage refuses them.
var ErrBaselines = errors.New("baselines refused")

// ErrNoBaselines: there are no baselines of the set at all (with ErrBaselines).
var ErrNoBaselines = errors.New("no baselines")

// Generation is one reference stack's repeated runs.
type Generation struct {
	Name    string // its directory, "libvirt-9.0"
	Libvirt string // the libvirt.daemon of its runs
	Runs    []*Results
}

// Baselines are a requirement set's reference runs, per generation, oldest
// libvirt first, each checked with the project's key.
type Baselines struct {
	Set         string
	Generations []Generation
	Rehearsal   bool // made on libvirt's test driver (tests, rehearsals)
}

// TriageEntry is one non-passing requirement of the bundle.
type TriageEntry struct {
	Req     string      `json:"req"`
	Level   string      `json:"level"`
	Status  Status      `json:"status"`
	Label   TriageLabel `json:"label"`
	Why     string      `json:"why"`
	Finding string      `json:"finding,omitempty"` // docs/findings.md#anchor naming the requirement
}

// Triage is a bundle's triage against baselines.
type Triage struct {
	Own     string        `json:"generation"` // the generation the bundle is compared with
	Entries []TriageEntry `json:"entries"`
}

// Count is how many entries carry the label.
func (t Triage) Count(l TriageLabel) int {
	n := 0
	for _, e := range t.Entries {
		if e.Label == l {
			n++
		}
	}
	return n
}

// Summary is the line that says how many failures are the vendor's own.
func (t Triage) Summary() string {
	if len(t.Entries) == 0 {
		return "every requirement passed: nothing to triage"
	}
	parts := []string{}
	for _, l := range []TriageLabel{LabelReference, LabelOneGeneration, LabelFlaky, LabelNoReference} {
		if n := t.Count(l); n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, l))
		}
	}
	rest := ""
	if len(parts) > 0 {
		rest = "; the others: " + strings.Join(parts, ", ")
	}
	return fmt.Sprintf("%d of %d non-passing requirements are this product's own (only this product)%s", t.Count(LabelOnlyProduct), len(t.Entries), rest)
}

// verdictNotPassed: a requirement the run did not pass (or did not judge).
func verdictNotPassed(v *Verdict) bool { return v.Status != Passed || v.SuiteError }

// TriageResults labels every non-passing requirement of res against b;
// libvirt is the bundle's libvirt.daemon, findings the requirements'
// finding links (FindingLinks).
func TriageResults(res *Results, libvirt string, b *Baselines, findings map[string]string) Triage {
	own := ownGeneration(b.Generations, libvirt)
	t := Triage{}
	if own >= 0 {
		t.Own = b.Generations[own].Name
	}
	for _, id := range sortedIDs(res) {
		v := res.Verdicts[id]
		if !verdictNotPassed(v) {
			continue
		}
		e := TriageEntry{Req: id, Level: v.Level, Status: v.Status}
		if v.SuiteError {
			e.Status = "suite error"
		}
		e.Label, e.Why = label(id, b.Generations, own)
		if e.Label == LabelReference || e.Label == LabelOneGeneration || e.Label == LabelFlaky {
			e.Finding = findings[id]
		}
		t.Entries = append(t.Entries, e)
	}
	return t
}

// tally is how a generation's runs judged one requirement.
type tally struct{ passed, other, runs int }

func tallyOf(g Generation, id string) tally {
	t := tally{runs: len(g.Runs)}
	for _, r := range g.Runs {
		if v := r.Verdicts[id]; v != nil {
			if verdictNotPassed(v) {
				t.other++
			} else {
				t.passed++
			}
		}
	}
	return t
}

// label decides an entry's label: the own generation failing it in every
// run first, then any disagreement, then another generation failing it.
func label(id string, gens []Generation, own int) (TriageLabel, string) {
	ts := make([]tally, len(gens))
	for i, g := range gens {
		ts[i] = tallyOf(g, id)
	}
	if own >= 0 && ts[own].other > 0 && ts[own].passed == 0 {
		return LabelReference, fmt.Sprintf("does not pass on %s (this bundle's generation) either: %d of %d runs", gens[own].Name, ts[own].other, ts[own].runs)
	}
	for i, t := range ts {
		if t.other > 0 && t.passed > 0 {
			return LabelFlaky, fmt.Sprintf("%s's runs disagree: passed in %d, not in %d", gens[i].Name, t.passed, t.other)
		}
	}
	for i, t := range ts {
		if t.other > 0 {
			return LabelOneGeneration, fmt.Sprintf("does not pass on %s only: %d of %d runs", gens[i].Name, t.other, t.runs)
		}
	}
	var passed []string
	for i, t := range ts {
		if t.passed > 0 {
			passed = append(passed, fmt.Sprintf("%s (%d of %d runs)", gens[i].Name, t.passed, t.runs))
		}
	}
	if len(passed) == 0 {
		return LabelNoReference, "no reference run has a result for it"
	}
	return LabelOnlyProduct, "passes on " + strings.Join(passed, " and ")
}

// ownGeneration is the generation a bundle of libvirt version v is compared
// with: the newest whose libvirt is not newer than v, else the oldest.
func ownGeneration(gens []Generation, v string) int {
	if len(gens) == 0 {
		return -1
	}
	best := 0
	for i, g := range gens {
		if compareVersions(g.Libvirt, v) <= 0 {
			best = i
		}
	}
	return best
}

// compareVersions orders dotted versions numerically ("9.0.0" < "11.3.0").
func compareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(pa), len(pb)); i++ {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			return x - y
		}
	}
	return 0
}

var findingHeading = regexp.MustCompile(`(?m)^## ([A-Z][A-Z0-9]*-[0-9]{3})\b(.*)$`)

// FindingLinks reads a findings page (docs/findings.md): each "## REQ-ID: ..."
// heading gives that requirement the link path#anchor (GitHub's anchors).
func FindingLinks(md []byte, path string) map[string]string {
	links := map[string]string{}
	for _, m := range findingHeading.FindAllStringSubmatch(string(md), -1) {
		if _, dup := links[m[1]]; !dup {
			links[m[1]] = path + "#" + anchor(m[1]+m[2])
		}
	}
	return links
}

// anchor is GitHub's anchor of a heading: lower case, letters, digits,
// spaces as hyphens, hyphens and underscores kept, the rest dropped.
func anchor(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(h)) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		}
	}
	return b.String()
}

// LoadBaselines reads the baselines of set under dir (dir/<set>/<generation>/
// run-N, each a bundle) and checks every run with the project's key: its
// manifest, hashes, signature, stack, report and dates, and that it ran the
// set. Anything missing, unsigned or tampered is refused (ErrBaselines).
func LoadBaselines(dir, set string, key ed25519.PublicKey) (*Baselines, error) {
	setDir := filepath.Join(dir, set)
	gens, err := subdirs(setDir)
	if errors.Is(err, ErrBaselines) {
		return nil, err
	}
	if err != nil || len(gens) == 0 {
		return nil, fmt.Errorf("%w: %w of set %s under %s (make baselines makes them)", ErrBaselines, ErrNoBaselines, set, dir)
	}
	b := &Baselines{Set: set}
	for _, g := range gens {
		gen, err := loadGeneration(filepath.Join(setDir, g), set, key, b)
		if err != nil {
			return nil, err
		}
		b.Generations = append(b.Generations, *gen)
	}
	slices.SortStableFunc(b.Generations, func(x, y Generation) int { return compareVersions(x.Libvirt, y.Libvirt) })
	return b, nil
}

func loadGeneration(dir, set string, key ed25519.PublicKey, b *Baselines) (*Generation, error) {
	runs, err := subdirs(dir)
	if errors.Is(err, ErrBaselines) {
		return nil, err
	}
	if err != nil || len(runs) == 0 {
		return nil, fmt.Errorf("%w: %s holds no runs", ErrBaselines, dir)
	}
	gen := &Generation{Name: filepath.Base(dir)}
	for _, r := range runs {
		run := filepath.Join(dir, r)
		bun := CheckBundle(VerifyInput{Dir: run, PublicKey: key})
		for _, f := range bun.Findings {
			if !f.OK && f.Check != CheckSet {
				return nil, fmt.Errorf("%w: %s: %s: %s", ErrBaselines, run, f.Check, f.Msg)
			}
		}
		if bun.Results == nil {
			return nil, fmt.Errorf("%w: %s has no report", ErrBaselines, run)
		}
		if got := bun.Stack[PropSet]; got != set {
			return nil, fmt.Errorf("%w: %s ran set %q, not %s", ErrBaselines, run, got, set)
		}
		lv := bun.Stack["libvirt.daemon"]
		if gen.Libvirt != "" && lv != gen.Libvirt {
			return nil, fmt.Errorf("%w: %s ran libvirt %s, the other runs of %s %s", ErrBaselines, run, lv, gen.Name, gen.Libvirt)
		}
		gen.Libvirt = lv
		b.Rehearsal = b.Rehearsal || IsRehearsal(bun.Stack)
		gen.Runs = append(gen.Runs, bun.Results)
	}
	return gen, nil
}

// subdirs lists the directories in dir, sorted; a link is refused.
func subdirs(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		switch {
		case e.Type()&os.ModeSymlink != 0:
			return nil, fmt.Errorf("%w: %s is a link", ErrBaselines, filepath.Join(dir, e.Name()))
		case e.IsDir():
			out = append(out, e.Name())
		}
	}
	return out, nil
}
