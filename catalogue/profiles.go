package catalogue

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// profileDef is a scenario set a run can select: a tag expression, and the
// capabilities the profile treats as optional (a requirement not applicable
// because the stack lacks one of them leaves the profile conformant).
type profileDef struct {
	expr     string
	optional []string
	about    string
}

var profileDefs = map[string]profileDef{
	"core": {expr: "@core", optional: []string{"kvm", "nwfilter", "secrets", "domcaps"},
		about: "the MUST requirements of the basic areas, on any libvirt stack, local or remote"},
	"full": {expr: "not @ovirt-engine",
		about: "every requirement of the KVM/libvirt stack and its host (the oVirt engine's API has a profile of its own)"},
	"ovirt-host":   {expr: "@ovirt-host", about: "oVirt host readiness"},
	"libguestfs":   {expr: "@guestfs", about: "libguestfs on the stack's host"},
	"ovirt-engine": {expr: "@ovirt-engine", about: "an oVirt engine's REST API"},
}

// Profile is what a profile demands, the measure reports.Judge applies: its
// requirements with their levels, and the capabilities it treats as
// optional: a requirement that is not applicable because the stack lacks one
// of them does not make the profile incomplete.
type Profile struct {
	Name     string
	Required map[string]string // requirement ID -> level
	Optional []string
}

// ProfileNames lists the known profiles.
func ProfileNames() []string { return slices.Sorted(maps.Keys(profileDefs)) }

// Profile is what a profile demands in this suite: its required
// requirements (advisory and deprecated ones run but are not counted) with
// their levels, and the capabilities it treats as optional.
func (s *Suite) Profile(name string) (Profile, error) {
	def, ok := profileDefs[name]
	if !ok {
		return Profile{}, fmt.Errorf("unknown profile %q%s (known: %s)", name, DidYouMean(name, ProfileNames()), strings.Join(ProfileNames(), ", "))
	}
	sel, err := Selection(name, "")
	if err != nil {
		return Profile{}, err
	}
	reqs, _ := s.Select(sel)
	p := Profile{Name: name, Required: map[string]string{}, Optional: def.optional}
	for _, r := range reqs {
		if r.State == StateRequired {
			p.Required[r.ID] = string(r.Level)
		}
	}
	return p, nil
}

// EveryProfile is the profile name of a run that selects from every
// profile's scenarios (run --tags without --profile): no profile of its own,
// so its verdict is its selection's, never a profile's.
const EveryProfile = "all"

// Selection combines a profile (or EveryProfile) and a user tag expression.
func Selection(profile, tags string) (*TagExpr, error) {
	def, ok := profileDefs[profile]
	if profile == EveryProfile {
		def, ok = profileDef{expr: ""}, true
	}
	src := def.expr
	if !ok {
		return nil, fmt.Errorf("unknown profile %q%s (known: %s)", profile, DidYouMean(profile, ProfileNames()), strings.Join(ProfileNames(), ", "))
	}
	p, err := ParseTagExpr(src)
	if err != nil {
		return nil, err
	}
	u, err := ParseTagExpr(tags)
	if err != nil {
		return nil, err
	}
	return p.And(u), nil
}

// Derivation is what a report says of a set of requirements it holds, once,
// when it holds a scenario of the set's tag: where the set comes from and
// what it is not, as a report property.
type Derivation struct{ Property, Text string }

var derivations = []struct {
	tag string
	Derivation
}{
	{"@ovirt-host", Derivation{"ovirt-host.derived-from", "VDSM v4.50.7 and ovirt-engine 4.5.7 sources; a readiness check of the host, not an oVirt certification"}},
}

// Derivations are the derivations of the tags the pickles carry.
func Derivations(pickles []*Pickle) []Derivation {
	var out []Derivation
	for _, d := range derivations {
		for _, p := range pickles {
			if slices.Contains(p.Tags, d.tag) {
				out = append(out, d.Derivation)
				break
			}
		}
	}
	return out
}
