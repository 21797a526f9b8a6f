package main

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/internal/safeio"
	"github.com/ovacts/ovacts/reports"
	"github.com/spf13/cobra"
)

// driftRule says when a difference between what a bundle certified and what
// the stack is now requires re-certification.
type driftRule string

const (
	ruleAny   driftRule = "any change"
	ruleMinor driftRule = "major or minor version change" // a micro (or distribution) change is informational
	ruleInfo  driftRule = "informational"                 // printed, never a reason to re-certify
	ruleNot   driftRule = "not compared"                  // reading it would create something on the stack
)

// driftProp is one rule of the table: a property as the run's report names
// it (host.* stands for every host fact without a rule of its own).
type driftProp struct {
	prop string
	rule driftRule
	why  string
}

// driftRules is the one place that says which differences require
// re-certification; drift --help and docs/certification.md's "Drift" section show it
// (TestDriftRulesDocumented).
func driftRules() []driftProp {
	return []driftProp{
		{"driver", ruleAny, "another hypervisor driver is another stack"},
		{"libvirt.daemon", ruleMinor, "libvirt's features and behaviour change in minor releases; micro releases are fixes"},
		{"hypervisor.version", ruleMinor, "QEMU's likewise (7.2.0 to 7.2.1 is a fix, 7.2 to 8.0 is not)"},
		{"host.kernel", ruleMinor, "KVM, cgroups, namespaces and qdiscs come with the kernel; a distribution's update of the same major.minor is not a new kernel"},
		{"host.arch", ruleAny, "the host's architecture"},
		{"guest.arch", ruleAny, "the architecture of the run's guests"},
		{"domain.types", ruleAny, "the domain types offered (as a set): they decide which one the run uses"},
		{"capabilities.sha256", ruleAny, "the capabilities XML: CPU model and features, NUMA cells, emulators, machine types, security models"},
		{"machine", ruleAny, "the machine type the run's domains used (recorded with a peer of another generation): now its name if still offered"},
		{"host.*", ruleAny, "a fact of the host the run measured (host.kvm, host.qdisc.sfq, host.cgroup, ...): compared when the stack is local, \"unknown\" on either side is informational"},
		{"libvirt.client", ruleInfo, "the library of the host that runs ovacts, which need not be the stack's"},
		{"hostname", ruleInfo, "the hosts of a fleet have names of their own"},
		{"kvm.usable", ruleNot, "only a started domain tells (host.kvm says whether /dev/kvm answers)"},
		{"domain.type", ruleNot, "follows from domain.types and whether a kvm domain starts"},
		{"host.kvm.boots-linux", ruleNot, "only a booted guest tells"},
	}
}

// ruleFor finds the rule of a property, and whether it has one.
func ruleFor(rules []driftProp, prop string) (driftProp, bool) {
	for _, r := range rules {
		if r.prop == prop {
			return r, true
		}
	}
	if isHostFact(prop) && !strings.HasSuffix(prop, ".evidence") && prop != "host.facts" {
		return ruleFor(rules, "host.*")
	}
	return driftProp{}, false
}

// isHostFact says whether a property is one of the host's measured facts
// (host.<fact>, harness/hostfacts.go), which only a local stack has.
func isHostFact(prop string) bool { return strings.HasPrefix(prop, "host.") && prop != "host.arch" }

// driftLine is one difference.
type driftLine struct {
	prop, was, is, note string
	recertify           bool
}

func (l driftLine) String() string {
	s := fmt.Sprintf("  %-22s certified %s, now %s", l.prop, orNone(l.was), orNone(l.is))
	if l.note != "" {
		s += " (" + l.note + ")"
	}
	return safeio.Printable(s)
}

func orNone(s string) string {
	if s == "" {
		return `""`
	}
	return s
}

var majorMinorRE = regexp.MustCompile(`^([0-9]+)\.([0-9]+)`)

// majorMinor is "6.1" of "6.1.0-18-amd64", "9.0" of "9.0.0".
func majorMinor(v string) (string, bool) {
	m := majorMinorRE.FindStringSubmatch(v)
	if m == nil {
		return "", false
	}
	return m[1] + "." + m[2], true
}

// normalize makes two spellings of one value equal: a set of domain types in
// any order.
func normalize(prop, v string) string {
	if prop != "domain.types" {
		return v
	}
	parts := strings.Split(v, ",")
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// judgeDrift compares one property by its rule: no line when it did not change.
func judgeDrift(r driftProp, prop, was, is string) (driftLine, bool) {
	l := driftLine{prop: prop, was: was, is: is}
	switch {
	case normalize(prop, was) == normalize(prop, is) || r.rule == ruleNot:
		return l, false
	case was == "":
		l.note = "not recorded by the run"
	case r.rule == ruleInfo:
	case isHostFact(prop) && (was == "unknown" || is == "unknown"):
		l.note = "not measured on one side"
	case r.rule == ruleMinor:
		a, okA := majorMinor(was)
		b, okB := majorMinor(is)
		l.recertify = !okA || !okB || a != b
		if !l.recertify {
			l.note = "same major.minor"
		}
	default:
		l.recertify = true
	}
	return l, true
}

// compareStack compares what a bundle certified with what the stack is now,
// property by property, by the rules.
func compareStack(rules []driftProp, certified, now map[string]string, hostWhy string) []driftLine {
	var props []string
	for _, r := range rules {
		if !isHostFact(r.prop) {
			props = append(props, r.prop)
		}
	}
	var facts []string
	for k := range certified {
		if _, ok := ruleFor(rules, k); ok && isHostFact(k) {
			facts = append(facts, k)
		}
	}
	sort.Strings(facts)
	var out []driftLine
	for _, p := range props {
		if p == "machine" && certified[p] == "" {
			continue // recorded only when the run chose one
		}
		r, _ := ruleFor(rules, p)
		if l, changed := judgeDrift(r, p, certified[p], now[p]); changed {
			out = append(out, l)
		}
	}
	switch {
	case certified["host.facts"] != "measured":
	case hostWhy != "":
		out = append(out, driftLine{prop: "host.*", was: "measured", is: "not measured", note: hostWhy})
	default:
		for _, p := range facts {
			r, _ := ruleFor(rules, p)
			if l, changed := judgeDrift(r, p, certified[p], now[p]); changed {
				out = append(out, l)
			}
		}
	}
	return out
}

// machineNow is what the stack offers of the machine type the run used: its
// name while it is offered.
func machineNow(certified map[string]string, obs *harness.Observation) string {
	m := certified["machine"]
	if m == "" || obs.Offers(certified["guest.arch"], certified["domain.type"], m) {
		return m
	}
	return "not offered"
}

func driftHelp() string {
	var b strings.Builder
	b.WriteString(`Compare what a certification bundle recorded of its stack (stack.json) with
the stack at --uri now, in seconds, creating nothing on it: the versions, the
driver, the architecture, the domain types, the capabilities' digest, the
machine type and, when the stack runs on this host, the host's facts.

Exit 0 when the certificate still describes the stack ("no drift"); 1 when a
difference requires re-certification (each listed: property, certified value,
now); 2 on bad input (not a bundle, a URI refused, a stack that cannot be
reached). Informational differences are listed apart and never fail.
With --pubkey or --keys the bundle's signature is checked and the result said;
without, it is an unverified bundle, and its recorded values are taken as
they are.

Rules (property: when a difference requires re-certification):
`)
	for _, r := range driftRules() {
		fmt.Fprintf(&b, "  %-20s %s: %s\n", r.prop, r.rule, r.why)
	}
	return b.String()
}

func newDriftCmd(stdout io.Writer) *cobra.Command {
	var in driftInput
	cmd := &cobra.Command{
		Use:   "drift BUNDLE",
		Short: "Say whether the stack at --uri is still what a bundle certified, creating nothing",
		Long:  driftHelp(),
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			in.dir = args[0]
			return runDrift(stdout, in)
		},
	}
	cmd.Flags().StringVar(&in.uri, "uri", envOr("OVACTS_URI", "test:///default"), "libvirt URI of the stack now (env OVACTS_URI)")
	cmd.Flags().StringVar(&in.pubPath, "pubkey", "", "the signer's ed25519 public key: the bundle's signature is checked")
	cmd.Flags().StringVar(&in.keysDir, "keys", "", "directory of vendors' public keys, <vendor>.pub (as verify takes)")
	return cmd
}

type driftInput struct{ dir, uri, pubPath, keysDir string }

func runDrift(stdout io.Writer, in driftInput) error {
	if st, err := os.Lstat(in.dir); err != nil || !st.IsDir() {
		return usage("%s is not a bundle directory", in.dir)
	}
	if err := harness.CheckURI(in.uri); err != nil {
		return usage("--uri: %s", oneLine(err.Error()))
	}
	vin, err := driftVerifyInput(in)
	if err != nil {
		return err
	}
	b := reports.CheckBundle(vin)
	for _, f := range b.Findings {
		if f.Check == "stack" && !f.OK {
			return usage("%s is not a bundle: %s", in.dir, oneLine(f.Msg))
		}
	}
	obs, err := harness.Observe(in.uri)
	if err != nil {
		return usage("%s", oneLine(err.Error()))
	}
	now := obs.Properties
	now["machine"] = machineNow(b.Stack, obs)
	fmt.Fprintln(stdout, safeio.Printable(trustLine(in, b)))
	fmt.Fprintln(stdout, safeio.Printable(fmt.Sprintf("certified: %s", certifiedLine(b))))
	fmt.Fprintln(stdout, safeio.Printable(fmt.Sprintf("now:       %s: %s", harness.RedactURI(in.uri), obs)))
	lines := compareStack(driftRules(), b.Stack, now, obs.HostWhy)
	var recert, info []string
	for _, l := range lines {
		if l.recertify {
			recert = append(recert, l.String())
		} else {
			info = append(info, l.String())
		}
	}
	if len(info) > 0 {
		fmt.Fprintf(stdout, "informational (%d):\n%s\n", len(info), strings.Join(info, "\n"))
	}
	if len(recert) > 0 {
		fmt.Fprintf(stdout, "re-certification required (%d):\n%s\n", len(recert), strings.Join(recert, "\n"))
		return &exitError{code: 1, msg: fmt.Sprintf("%s: %d difference(s) require re-certification", in.dir, len(recert))}
	}
	fmt.Fprintf(stdout, "no drift: the stack at %s is still what %s certified\n", safeio.Printable(harness.RedactURI(in.uri)), safeio.Printable(in.dir))
	return nil
}

// driftVerifyInput is what CheckBundle reads the bundle with: the key given,
// as verify takes it, or none.
func driftVerifyInput(in driftInput) (reports.VerifyInput, error) {
	vin := reports.VerifyInput{Dir: in.dir, Sets: setInfos(), Profile: profileOf}
	if in.keysDir != "" && in.pubPath != "" {
		return vin, usage("give the key either with --pubkey or with --keys, not both")
	}
	if in.keysDir != "" {
		if st, err := os.Stat(in.keysDir); err != nil || !st.IsDir() {
			return vin, usage("--keys %s is not a directory", in.keysDir)
		}
		vin.KeyFor = (&keyring{dir: in.keysDir}).keyFor
	}
	if in.pubPath != "" {
		k, err := reports.ReadPublicKey(in.pubPath)
		if err != nil {
			return vin, usage("--pubkey: %s", oneLine(err.Error()))
		}
		vin.PublicKey = k
	}
	return vin, nil
}

// trustLine says whether the bundle's signature was checked, and how it fared.
func trustLine(in driftInput, b reports.Bundle) string {
	if in.pubPath == "" && in.keysDir == "" {
		return "unverified bundle: no --pubkey or --keys, its signature was not checked"
	}
	var failed []string
	for _, f := range b.Findings {
		if !f.OK {
			failed = append(failed, f.Check+": "+f.Msg)
		}
	}
	if len(failed) > 0 {
		return "bundle does NOT verify: " + strings.Join(failed, "; ")
	}
	return "verified bundle: signed by " + reports.KeyFingerprint(b.Key)
}

// certifiedLine names the product and the stack the bundle recorded.
func certifiedLine(b reports.Bundle) string {
	s := b.Stack
	what := "an unnamed product"
	if b.Product != nil {
		what = b.Product.Name() + " " + b.Product.Version
	}
	line := fmt.Sprintf("%s, run %s on %s, %s: %s, libvirt %s, hypervisor %s, %s", what, s["run.id"], s["started"], s["uri"], s["driver"], s["libvirt.daemon"], s["hypervisor.version"], s["host.arch"])
	if reports.IsRehearsal(s) {
		line += " (a rehearsal on libvirt's test driver: it certifies no stack)"
	}
	return line
}
