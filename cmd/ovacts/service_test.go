// Service releases: what run picks, and what verify accepts.

package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/features"
	"github.com/ovacts/ovacts/reports"
)

// serviceRelease is a service release of the set the suite runs, excluding ids.
func serviceRelease(t *testing.T, name string, ids ...string) reports.ServiceRelease {
	t.Helper()
	suite, err := catalogue.LoadSuite(features.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	set, _ := suite.RunSet()
	r := reports.ServiceRelease{Format: 1, Name: set.Name + "." + name, Set: set.Name, SetDigest: set.Digest, Released: "2026-12-20"}
	for _, id := range ids {
		r.Excluded = append(r.Excluded, reports.Exclusion{ID: id, Reason: "challenge accepted", Link: "https://example.org/challenges/" + id})
	}
	r.Digest = reports.ServiceDigest(r.SetDigest, r.Excluded)
	return r
}

// run certifies against the newest service release of its set, and none of
// another set or of another digest.
func TestRunPicksNewestService(t *testing.T) {
	suite, err := catalogue.LoadSuite(features.FS, nil)
	if err != nil {
		t.Fatal(err)
	}
	one, two := serviceRelease(t, "1", "DOM-001"), serviceRelease(t, "2", "DOM-001", "DOM-002")
	other := two
	other.Name, other.Set = "2026.11.1", "2026.11"
	stale := two
	stale.Name, stale.SetDigest = stale.Set+".3", "sha256:00"
	if got := runService(suite, []reports.ServiceRelease{one, two, other, stale}); got == nil || got.Name != two.Name {
		t.Errorf("picked %+v, want %s", got, two.Name)
	}
	if got := runService(suite, []reports.ServiceRelease{other, stale}); got != nil {
		t.Errorf("picked %s for another set or digest", got.Name)
	}
}

// verify judges a bundle of a service release without its exclusions and
// says which applied; it refuses a release it does not know, and one whose
// exclusions are not the verifier's.
func TestVerifyServiceRelease(t *testing.T) {
	f := newTriageFixture(t)
	rel := serviceRelease(t, "1", "DOM-001")
	props := map[string]string{}
	for _, p := range rel.Properties() {
		props[p.Name] = p.Value
	}
	serviced := filepath.Join(f.dir, "serviced")
	rebundle(t, f.run, serviced, f.project, bundleEdit{fail: []string{"DOM-001"}, props: props})
	plain := filepath.Join(f.dir, "plain")
	rebundle(t, f.run, plain, f.project, bundleEdit{fail: []string{"DOM-001"}})
	verify := func(dir string, rels ...reports.ServiceRelease) map[string]reports.Finding {
		got := map[string]reports.Finding{}
		for _, fd := range reports.VerifyBundle(reports.VerifyInput{Dir: dir, PublicKey: readPub(t, f.projectPub), Sets: setInfos(), Profile: profileOf, Services: rels}) {
			got[fd.Check] = fd
		}
		return got
	}
	got := verify(serviced, rel)
	if s := got[reports.CheckService]; !s.OK || !strings.Contains(s.Msg, "DOM-001 excluded by service release "+rel.Name+": challenge accepted (https://example.org/challenges/DOM-001)") {
		t.Errorf("service: %+v", s)
	}
	if v := got["verdict"]; !v.OK || !strings.Contains(v.Msg, "conformant") {
		t.Errorf("verdict with DOM-001 excluded: %+v", v)
	}
	if v := verify(plain, rel)["verdict"]; v.OK || !strings.Contains(v.Msg, "DOM-001") {
		t.Errorf("a bundle of the set itself is judged with DOM-001: %+v", v)
	}
	if s := verify(serviced)[reports.CheckService]; s.OK || !strings.Contains(s.Msg, "not one this verifier knows") {
		t.Errorf("an unknown service release: %+v", s)
	}
	wider := serviceRelease(t, "1", "DOM-001", "DOM-002")
	if s := verify(serviced, wider)[reports.CheckService]; s.OK || !strings.Contains(s.Msg, "is not the verifier's") {
		t.Errorf("other exclusions: %+v", s)
	}
}
