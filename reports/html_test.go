package reports

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

var htmlClock = time.Date(2026, 11, 24, 12, 30, 0, 0, time.UTC)

// wellFormed parses the report as XML: every element closed, every
// attribute quoted, every entity known; what a browser reads without
// guessing.
func wellFormed(t *testing.T, doc []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = true
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("the HTML report is not well-formed: %v", err)
		}
	}
}

func writeHTML(t *testing.T, r *Report) string {
	t.Helper()
	var b bytes.Buffer
	v := JudgeSelection(ResultsOf(r), "MUST")
	if err := WriteHTML(&b, HTMLInput{Report: r, Verdict: v, Generated: htmlClock}); err != nil {
		t.Fatal(err)
	}
	wellFormed(t, b.Bytes())
	return b.String()
}

// The report reads top down: verdict, what did not pass (the worst first,
// with cause and step), areas, facts; it fetches nothing and runs nothing.
func TestHTMLReportGolden(t *testing.T) {
	got := writeHTML(t, sample())
	checkGolden(t, "report.golden.html", []byte(got))
	order := []string{`id="verdict"`, "NOT CONFORMANT", "1 failed: DOM-014", `id="not-passed"`, "failed (suite error)", "DOM-014",
		"Invalid &lt;transition&gt; &amp; co", `When I start domain &#34;vm&#34;`, "VIR_ERR_OPERATION_INVALID: domain is already running\nsecond line",
		"blocked (kvm), by CONN-018", "waived", "not-run (peer)", "not-applicable (domcaps)", `id="areas"`, `id="facts"`, "host.example"}
	at := 0
	for _, want := range order {
		i := strings.Index(got[at:], want)
		if i < 0 {
			t.Fatalf("%q missing, or not after what comes before it", want)
		}
		at += i + len(want)
	}
	for _, banned := range []string{"<script", "src=", "href=", "@import", "url("} {
		if strings.Contains(got, banned) {
			t.Errorf("the report is not self-contained: it has %q", banned)
		}
	}
	if strings.Contains(got, "ovacts-abcd1234-s3-vm") || strings.Contains(got, "admin") {
		t.Error("the report quotes a run's object name or the URI's user")
	}
}

// Feature files and the stack's answers are untrusted: whatever they hold
// reaches the page as text, never as markup or terminal codes.
func TestHTMLReportHostile(t *testing.T) {
	r := sample()
	r.Properties = append(r.Properties, Property{Name: `x"><script>alert(1)</script>`, Value: "</dd></dl><img src=x onerror=alert(1)>\x1b[2J"})
	o := &r.Outcomes[1]
	o.Title = `<script>alert("t")</script>`
	o.ReqID = `DOM-014"><b>`
	o.Area = "</td><td>"
	o.Reason = "</pre><iframe src=\"http://evil\"></iframe>\x1b]0;owned\x07 & more"
	o.FailedStep = `When I "<style>body{display:none}</style>"`
	got := writeHTML(t, r)
	checkGolden(t, "report-hostile.golden.html", []byte(got))
	for _, banned := range []string{"<script", "<img", "<iframe", "<b>", "<style>body", "\x1b", "\x07"} {
		if strings.Contains(got, banned) {
			t.Errorf("untrusted text became markup or a control code: %q", banned)
		}
	}
	for _, want := range []string{"&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;", "&lt;/pre&gt;&lt;iframe", `\x1b]0;owned\x07 &amp; more`, "&lt;/td&gt;&lt;td&gt;"} {
		if !strings.Contains(got, want) {
			t.Errorf("the hostile text is not shown as text: %q missing", want)
		}
	}
}

// What the verdict counts comes before what it does not, whatever the
// outcome.
func TestHTMLReportCountedFirst(t *testing.T) {
	r := sample()
	r.Outcomes[1].State = "advisory" // DOM-014 failed, advisory
	got := writeHTML(t, r)
	adv, na := strings.Index(got, `<span class="id">DOM-014</span>`), strings.Index(got, `<span class="id">CONN-013</span>`)
	if adv < 0 || na < 0 || adv < na || !strings.Contains(got, "advisory: not counted by the verdict") {
		t.Errorf("an advisory failure (at %d) before a counted not-applicable (at %d), or not marked", adv, na)
	}
}

// A rehearsal that would be conformant says so, never CONFORMANT alone.
func TestHTMLReportRehearsal(t *testing.T) {
	r := sample()
	r.Outcomes = r.Outcomes[:1]
	var b bytes.Buffer
	v := JudgeSelection(ResultsOf(r), "MUST")
	if err := WriteHTML(&b, HTMLInput{Report: r, Verdict: v, Rehearsal: true, Generated: htmlClock}); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	if v.Kind != Conformant || !strings.Contains(got, "<h2>REHEARSAL</h2>") || strings.Contains(got, "<h2>CONFORMANT</h2>") ||
		!strings.Contains(got, "Every selected scenario passed.") {
		t.Errorf("a rehearsal reads as conformant, or the empty list is not said:\n%s", got)
	}
	if !strings.Contains(got, "Written by ovacts at 2026-11-24T12:30:00Z") {
		t.Error("the injected clock is not the report's time")
	}
}

// The Cucumber JSON carries the run's metadata where
// multiple-cucumber-html-reporter reads it: on every feature, browser,
// device and platform, without the URI's credentials.
func TestCucumberMetadata(t *testing.T) {
	r := sample()
	r.Properties = append(r.Properties, Property{"libvirt.daemon", "11.3.0"}, Property{"hypervisor.version", "9.2.0"}, Property{"suite.version", "1.4.0"})
	var b bytes.Buffer
	if err := WriteCucumber(&b, r); err != nil {
		t.Fatal(err)
	}
	var features []struct {
		Metadata *cucumberMetadata `json:"metadata"`
	}
	if err := json.Unmarshal(b.Bytes(), &features); err != nil {
		t.Fatal(err)
	}
	want := cucumberMetadata{Browser: cucumberNamed{"libvirt", "11.3.0"}, Device: "host.example", Platform: cucumberNamed{"QEMU", "9.2.0"},
		Stack: "qemu+tcp://host/system", Suite: "1.4.0"}
	for i, f := range features {
		if f.Metadata == nil || *f.Metadata != want {
			t.Errorf("feature %d: metadata %+v, want %+v", i, f.Metadata, want)
		}
	}
	if strings.Contains(b.String(), "admin") {
		t.Error("the Cucumber JSON names the URI's user")
	}
	b.Reset()
	if err := WriteCucumber(&b, &Report{Outcomes: sample().Outcomes}); err != nil || strings.Contains(b.String(), `"metadata"`) {
		t.Errorf("a report that reached no stack has metadata (%v)", err)
	}
}
