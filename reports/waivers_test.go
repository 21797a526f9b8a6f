package reports

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

const waiverDoc = `waivers:
  - req: DOM-014
    reason: known bug
    link: https://bugs.example/1
    expires: 2026-12-31
    when: [driver=QEMU]
  - req: VND-001
    reason: suite errors are never waived
    link: https://bugs.example/2
    expires: 2026-12-31
    when: [driver=QEMU]
  - req: NET-001
    reason: not in this run
    link: https://bugs.example/3
    expires: 2026-12-31
    when: [driver=QEMU]
`

func TestReadWaiversStrict(t *testing.T) {
	ws, err := ReadWaivers(strings.NewReader(waiverDoc))
	if err != nil || len(ws) != 3 || ws[0].Req != "DOM-014" || ws[0].Expires != "2026-12-31" {
		t.Fatalf("%+v %v", ws, err)
	}
	entry := func(req, reason, link, exp string) string {
		return "waivers:\n  - req: " + req + "\n    reason: " + reason + "\n    link: " + link + "\n    expires: " + exp + "\n    when: [driver=QEMU]\n"
	}
	for doc, want := range map[string]string{
		entry("dom-1", "r", "https://x.example", "2026-01-01"):                                                                         "not a requirement ID",
		entry("DOM-001", "''", "https://x.example", "2026-01-01"):                                                                      "no reason",
		entry("DOM-001", "r", "ftp://x.example", "2026-01-01"):                                                                         "not an http(s) URL",
		entry("DOM-001", "r", "https://x.example", "next year"):                                                                        "not a date",
		entry("DOM-001", "r", "https://x.example", "2026-02-30"):                                                                       "not a date",
		waiverDoc + "  - req: DOM-014\n    reason: r\n    link: https://x.example\n    expires: 2026-01-01\n    when: [driver=QEMU]\n": "a second waiver",
		"waivers: []\n":    "no waivers",
		"- req: DOM-001\n": "the file must be a mapping with the keys waivers, not a list",
		"waivers:\n  - req: DOM-001\n    owner: me\n": "line 3: unknown key 'owner'",
	} {
		if _, err := ReadWaivers(strings.NewReader(doc)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", doc, err, want)
		}
	}
}

func TestApplyWaivers(t *testing.T) {
	ws, _ := ReadWaivers(strings.NewReader(waiverDoc))
	r := sample()
	use := ApplyWaivers(r, ws, time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC)) // the last day still waives
	if len(use.Applied) != 1 || use.Applied[0].Req != "DOM-014" || len(use.Expired) != 0 || len(use.Unmatched) != 2 {
		t.Fatalf("use %+v", use)
	}
	if o := r.Outcomes[1]; o.Status != Waived || !strings.Contains(o.Waiver, "known bug") || o.Reason == "" {
		t.Fatalf("DOM-014 %+v", o)
	}
	if r.Outcomes[2].Status != Passed || r.Outcomes[7].Status != Failed {
		t.Fatal("a waiver touched a passing outcome or a suite error")
	}
	if r.Property("waivers.applied") != "DOM-014" || r.Property("waivers.unmatched") != "VND-001,NET-001" {
		t.Fatalf("properties %v", r.Properties)
	}
	c := Tally(r.Outcomes, nil)
	if c.Waived != 2 || c.Failed != 0 || c.SuiteErrors != 1 || !strings.Contains(c.String(), "2 waived") {
		t.Fatalf("tally %+v %s", c, c)
	}
	// In JUnit a waived failure is a skip that says so and keeps the failure;
	// read back, it is waived, not passed.
	var b bytes.Buffer
	WriteJUnit(&b, r)
	checkGolden(t, "junit-waived.golden.xml", b.Bytes())
	res, err := ReadJUnit(&b)
	if err != nil || res.Verdicts["DOM-014"].Status != Waived {
		t.Fatalf("read back: %v %+v", err, res.Verdicts["DOM-014"])
	}

	// The day after, the waiver has expired and the failure stands.
	r2 := sample()
	use = ApplyWaivers(r2, ws, time.Date(2027, 1, 1, 0, 0, 1, 0, time.UTC))
	if len(use.Expired) != 1 || r2.Outcomes[1].Status != Failed || r2.Property("waivers.expired") != "DOM-014" {
		t.Fatalf("expired: %+v %+v", use, r2.Outcomes[1])
	}
	var out bytes.Buffer
	WriteWaiverUse(&out, use)
	if !strings.Contains(out.String(), "DOM-014 EXPIRED on 2026-12-31") || !strings.Contains(out.String(), "NET-001 matched no failure") {
		t.Fatalf("%s", out.String())
	}
}

func FuzzReadWaivers(f *testing.F) {
	f.Add([]byte(waiverDoc))
	f.Add([]byte("waivers:\n  - {req: A-001, reason: r, link: 'http://h', expires: 2026-01-01, when: [host.kvm=absent]}\n"))
	f.Add([]byte("waivers:\n  - {req: A-001, reason: r, link: 'http://h', expires: 2026-01-01, versions: {libvirt: 9.0.0 - 11.3.0}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ws, err := ReadWaivers(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, w := range ws {
			if _, err := time.Parse(time.DateOnly, w.Expires); err != nil || !reqID.MatchString(w.Req) || w.Reason == "" || len(w.When)+len(w.Versions) == 0 {
				t.Fatalf("accepted %+v", w)
			}
		}
	})
}
