package reports

import (
	"strings"
	"testing"

	"github.com/ovacts/ovacts/catalogue"
)

// verify accepts a bundle only against a requirement set it knows, that is
// neither withdrawn nor older than the two newest released ones, and whose
// digest is the run's; a draft set's bundle checks out but certifies nothing.
func TestVerifyChecksTheRequirementSet(t *testing.T) {
	sets := []catalogue.SetInfo{
		{Name: "2026.05", Status: "released", Released: "2026-05-04", Digest: "sha256:05"},
		{Name: "2026.08", Status: "withdrawn", Released: "2026-08-03", Digest: "sha256:08", WithdrawnWhy: "NET-004 asserted a QEMU bug"},
		{Name: "2026.11", Status: "released", Released: "2026-11-29", Digest: "sha256:11"},
		{Name: "2027.02", Status: "released", Released: "2027-02-01", Digest: "sha256:02"},
		{Name: "2027.05", Status: "draft", Digest: "sha256:d"},
	}
	for _, c := range []struct {
		name, set, digest  string
		ok, expired, draft bool
		msg                string
	}{
		{"newest released", "2027.02", "sha256:02", true, false, false, "requirement set 2027.02 (released 2027-02-01)"},
		{"second newest released", "2026.11", "sha256:11", true, false, false, "2026.11"},
		{"older than the two newest", "2026.05", "sha256:05", false, true, false, "older than the 2 newest released sets (2026.11, 2027.02)"},
		{"withdrawn", "2026.08", "sha256:08", false, false, false, "was withdrawn: NET-004 asserted a QEMU bug"},
		{"unknown", "2031.01", "sha256:x", false, false, false, `requirement set "2031.01" is not one this verifier knows`},
		{"none named", "", "", false, false, false, "names no requirement set"},
		{"requirements differ from the set's", "2027.02", "sha256:other", false, false, false, "are not those of set 2027.02"},
		{"draft", "2027.05", "sha256:d", true, false, true, "2027.05 (draft"},
	} {
		v := &verifier{in: VerifyInput{Sets: sets}, stack: map[string]string{PropSet: c.set, PropSetDigest: c.digest, "suite.version": "v1"}}
		v.checkSet()
		f := v.findings[0]
		b := Bundle{Set: v.set, SetExpired: v.setExpired}
		if f.Check != CheckSet || f.OK != c.ok || v.setExpired != c.expired || b.Draft() != c.draft || !strings.Contains(f.Msg, c.msg) {
			t.Errorf("%s: %+v expired %v draft %v", c.name, f, v.setExpired, b.Draft())
		}
		if c.draft && (len(v.findings) != 2 || v.findings[1].Check != "draft" || !strings.Contains(v.findings[1].Msg, "certifies nothing")) {
			t.Errorf("%s: %+v", c.name, v.findings)
		}
	}
}
