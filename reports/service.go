// Service releases: an accepted challenge of a requirement excludes it from
// a released set without a new set. A service release (2026.12.1) names its
// set and that set's digest, the requirements it excludes, each with the
// reason and the link to the decided challenge, and a digest of its own.
// Runs certify against the newest service release of their set; verify and
// publish judge a bundle without the exclusions of the release it names.

package reports

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/ovacts/ovacts/catalogue"
)

// Report properties of a run against a service release.
const (
	PropService       = "requirements.service"        // the service release, "2026.12.1"
	PropServiceDigest = "requirements.service.digest" // its digest
	PropExcluded      = "requirements.excluded"       // the IDs it excludes, comma-separated
)

// CheckService names verify's check of the service release.
const CheckService = "service"

// ErrService: a service release file that is not one.
var ErrService = errors.New("not a service release")

// Exclusion is one challenged requirement a service release excludes.
type Exclusion struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
	Link   string `json:"link"` // the challenge and its decision
}

// ServiceRelease is one features/services/<set>.<n>.json.
type ServiceRelease struct {
	Format    int         `json:"format"`
	Name      string      `json:"release"`   // "2026.12.1"
	Set       string      `json:"set"`       // "2026.12"
	SetDigest string      `json:"setDigest"` // the set's digest: the requirements it serves
	Released  string      `json:"released"`  // YYYY-MM-DD
	Excluded  []Exclusion `json:"excluded"`
	Digest    string      `json:"digest"` // ServiceDigest
}

var serviceName = regexp.MustCompile(`^(20[0-9]{2}\.(?:0[1-9]|1[0-2]))\.([1-9][0-9]*)$`)

// number is the release's service number (1 in 2026.12.1).
func (s *ServiceRelease) number() int {
	m := serviceName.FindStringSubmatch(s.Name)
	n, _ := strconv.Atoi(m[2])
	return n
}

// ServiceDigest covers what a verdict against the release depends on: its
// set's digest and the IDs it excludes.
func ServiceDigest(setDigest string, excluded []Exclusion) string {
	ids := make([]string, 0, len(excluded))
	for _, e := range excluded {
		ids = append(ids, e.ID)
	}
	sort.Strings(ids)
	sum := sha256.Sum256([]byte(setDigest + "\n" + strings.Join(ids, "\n")))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// ParseServiceRelease reads a service release strictly and checks it.
func ParseServiceRelease(data []byte) (*ServiceRelease, error) {
	var s ServiceRelease
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrService, err)
	}
	m := serviceName.FindStringSubmatch(s.Name)
	var problem string
	switch {
	case s.Format != 1:
		problem = fmt.Sprintf("format %d, want 1", s.Format)
	case m == nil || m[1] != s.Set:
		problem = fmt.Sprintf("release %q is not <set>.<n> of set %q", s.Name, s.Set)
	case s.Released == "" || s.SetDigest == "":
		problem = "it needs its release date and its set's digest"
	case len(s.Excluded) == 0:
		problem = "it excludes nothing"
	case s.Digest != ServiceDigest(s.SetDigest, s.Excluded):
		problem = "its digest is not that of its set and exclusions: a service release is generated, never edited"
	}
	for _, e := range s.Excluded {
		if problem == "" && (e.ID == "" || strings.TrimSpace(e.Reason) == "" || !strings.HasPrefix(e.Link, "https://")) {
			problem = fmt.Sprintf("exclusion %q needs an ID, a reason and an https:// link to its challenge", e.ID)
		}
	}
	if problem != "" {
		return nil, fmt.Errorf("%w: %s", ErrService, problem)
	}
	return &s, nil
}

// LoadServiceReleases reads every *.json under dir of fsys, by set and
// number.
func LoadServiceReleases(fsys fs.FS, dir string) ([]ServiceRelease, error) {
	names, err := fs.Glob(fsys, dir+"/*.json")
	if err != nil {
		return nil, err
	}
	var out []ServiceRelease
	for _, n := range names {
		data, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		s, err := ParseServiceRelease(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		if want := strings.TrimSuffix(path.Base(n), ".json"); s.Name != want {
			return nil, fmt.Errorf("%s: %w: it names release %q", n, ErrService, s.Name)
		}
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b ServiceRelease) int {
		if c := strings.Compare(a.Set, b.Set); c != 0 {
			return c
		}
		return a.number() - b.number()
	})
	return out, nil
}

// NewestService is the newest service release of the set with this digest,
// or nil.
func NewestService(releases []ServiceRelease, set, digest string) *ServiceRelease {
	var newest *ServiceRelease
	for i := range releases {
		if r := &releases[i]; r.Set == set && r.SetDigest == digest {
			newest = r
		}
	}
	return newest
}

// Apply drops the excluded requirements from what a profile demands (nil:
// the profile as it is).
func (s *ServiceRelease) Apply(p catalogue.Profile) catalogue.Profile {
	if s == nil {
		return p
	}
	req := make(map[string]string, len(p.Required))
	for id, lvl := range p.Required {
		req[id] = lvl
	}
	for _, e := range s.Excluded {
		delete(req, e.ID)
	}
	p.Required = req
	return p
}

// IDs are the excluded requirements' IDs.
func (s *ServiceRelease) IDs() []string {
	var ids []string
	for _, e := range s.Excluded {
		ids = append(ids, e.ID)
	}
	return ids
}

// Properties are the report properties of a run against the release.
func (s *ServiceRelease) Properties() []Property {
	if s == nil {
		return nil
	}
	return []Property{{Name: PropService, Value: s.Name}, {Name: PropServiceDigest, Value: s.Digest}, {Name: PropExcluded, Value: strings.Join(s.IDs(), ",")}}
}

// Describe says what the release excludes, one line per exclusion.
func (s *ServiceRelease) Describe() []string {
	var out []string
	for _, e := range s.Excluded {
		out = append(out, fmt.Sprintf("%s excluded by service release %s: %s (%s)", e.ID, s.Name, e.Reason, e.Link))
	}
	return out
}

// checkService: a bundle that names a service release names one the
// verifier knows, of the bundle's set, with the same digest and exclusions.
func (v *verifier) checkService() {
	name := v.stack[PropService]
	if name == "" || !v.stackOK {
		return
	}
	var rel *ServiceRelease
	for i := range v.in.Services {
		if v.in.Services[i].Name == name {
			rel = &v.in.Services[i]
		}
	}
	var err error
	switch {
	case rel == nil:
		err = fmt.Errorf("service release %q is not one this verifier knows", name)
	case rel.Set != v.stack[PropSet] || rel.SetDigest != v.stack[PropSetDigest]:
		err = fmt.Errorf("service release %s serves set %s (%s), not the bundle's %s (%s)", name, rel.Set, rel.SetDigest, v.stack[PropSet], v.stack[PropSetDigest])
	case rel.Digest != v.stack[PropServiceDigest] || strings.Join(rel.IDs(), ",") != v.stack[PropExcluded]:
		err = fmt.Errorf("the bundle's service release %s (%s, excluding %q) is not the verifier's (%s, excluding %q)", name, v.stack[PropServiceDigest], v.stack[PropExcluded], rel.Digest, strings.Join(rel.IDs(), ","))
	}
	msg := ""
	if err == nil {
		v.service = rel
		msg = "run against service release " + name + ": " + strings.Join(rel.Describe(), "; ")
	}
	v.add(CheckService, err, msg)
}

// Service is the service release the column's bundle ran against, or nil.
func (c *MatrixColumn) Service() *ServiceRelease { return c.in.Service }

// Reproducer is the independent signer of a reproduction, or "".
func (c *MatrixColumn) Reproducer() string { return c.in.Reproducer }
