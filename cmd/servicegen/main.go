// Command servicegen writes a service release of a requirement set (make
// service-release): the set's requirements with the ones accepted challenges
// excluded, each with its reason and link, under features/services/.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/features"
	"github.com/ovacts/ovacts/internal/safeio"
	"github.com/ovacts/ovacts/reports"
)

// errUsage: bad input (exit 2).
var errUsage = errors.New("servicegen")

// request is one service release to make.
type request struct {
	set, exclude, reason, link, released, dir string
}

func main() {
	var r request
	flag.StringVar(&r.set, "set", "", "the released requirement set it serves (YYYY.MM)")
	flag.StringVar(&r.exclude, "exclude", "", "the challenged requirement's ID")
	flag.StringVar(&r.reason, "reason", "", "why the challenge was accepted, one sentence")
	flag.StringVar(&r.link, "link", "", "https:// link to the challenge and its decision")
	flag.StringVar(&r.released, "released", time.Now().UTC().Format(time.DateOnly), "release date (YYYY-MM-DD)")
	flag.StringVar(&r.dir, "dir", "features/services", "where service releases are kept")
	flag.Parse()
	path, err := r.write(features.FS)
	if err != nil {
		fmt.Fprintf(os.Stderr, "servicegen: %v\n", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
	fmt.Printf("%s: rebuild ovacts (make build) so that run, verify and publish know it\n", path)
}

// build makes the next service release of the set: the previous one's
// exclusions and the new one.
func (r request) build(builtin fs.FS, prev []reports.ServiceRelease) (*reports.ServiceRelease, error) {
	sets, err := catalogue.LoadSets(builtin)
	if err != nil {
		return nil, err
	}
	var set *catalogue.RequirementSet
	for _, s := range sets {
		if s.Name == r.set {
			set = s
		}
	}
	switch {
	case set == nil:
		return nil, fmt.Errorf("%w: -set %q is not a requirement set of this tree", errUsage, r.set)
	case set.Status != catalogue.SetReleased:
		return nil, fmt.Errorf("%w: set %s is %s: only a released set has service releases (a draft is changed itself)", errUsage, r.set, set.Status)
	}
	if _, ok := set.Entry(r.exclude); !ok || r.exclude == "" {
		return nil, fmt.Errorf("%w: -exclude %q is not a requirement of set %s", errUsage, r.exclude, r.set)
	}
	if _, err := time.Parse(time.DateOnly, r.released); err != nil {
		return nil, fmt.Errorf("%w: -released %q is not YYYY-MM-DD", errUsage, r.released)
	}
	rel := &reports.ServiceRelease{Format: 1, Name: r.set + ".1", Set: r.set, SetDigest: set.Digest, Released: r.released}
	if last := reports.NewestService(prev, set.Name, set.Digest); last != nil {
		if slices.Contains(last.IDs(), r.exclude) {
			return nil, fmt.Errorf("%w: service release %s excludes %s already", errUsage, last.Name, r.exclude)
		}
		rel.Excluded = append(rel.Excluded, last.Excluded...)
		rel.Name = fmt.Sprintf("%s.%d", r.set, len(servicesOf(prev, r.set))+1)
	}
	rel.Excluded = append(rel.Excluded, reports.Exclusion{ID: r.exclude, Reason: strings.TrimSpace(r.reason), Link: r.link})
	rel.Digest = reports.ServiceDigest(rel.SetDigest, rel.Excluded)
	data, err := json.MarshalIndent(rel, "", "  ")
	if err != nil {
		return nil, err
	}
	if _, err := reports.ParseServiceRelease(data); err != nil { // the reason and the link, as run will read them
		return nil, fmt.Errorf("%w: %w", errUsage, err)
	}
	return rel, nil
}

func servicesOf(rels []reports.ServiceRelease, set string) []reports.ServiceRelease {
	var out []reports.ServiceRelease
	for _, r := range rels {
		if r.Set == set {
			out = append(out, r)
		}
	}
	return out
}

// write makes the release and writes it as dir/<release>.json, a new file.
func (r request) write(builtin fs.FS) (string, error) {
	prev, err := reports.LoadServiceReleases(os.DirFS(filepath.Dir(r.dir)), filepath.Base(r.dir))
	if err != nil {
		return "", err
	}
	rel, err := r.build(builtin, prev)
	if err != nil {
		return "", err
	}
	path := filepath.Join(r.dir, rel.Name+".json")
	f, err := safeio.CreateExclusive(path, 0o644)
	if err != nil {
		return "", err
	}
	return path, errors.Join(writeJSON(f, rel), f.Close())
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
