package reports

import (
	"bytes"
	"strings"
	"testing"
)

// Sizes and counts a bundle brings are bounded, and each refusal names its limit.
func TestBundleInputsAreBounded(t *testing.T) {
	many := `<testsuites>` + strings.Repeat(`<testsuite name="f"><testcase name="DOM-001 [MUST] x"></testcase></testsuite>`, MaxTestCases+1) + `</testsuites>`
	if _, err := ReadJUnit(strings.NewReader(many)); err == nil || !strings.Contains(err.Error(), "more than the 10000 allowed") {
		t.Errorf("%d test cases: %v", MaxTestCases+1, err)
	}
	long := &Product{Vendor: "Acme", Product: strings.Repeat("x", MaxProductField+1), Version: "1"}
	if err := long.Check(); err == nil || !strings.Contains(err.Error(), "longer than the 200 allowed") {
		t.Errorf("a long product name: %v", err)
	}
	stack := `{"suite.version":"v","profile":"core","run.id":"r","libvirt.daemon":"9","driver":"QEMU","x":"` + strings.Repeat("y", MaxStackValue) + `"}`
	if _, err := ReadStack([]byte(stack)); err == nil || !strings.Contains(err.Error(), "longer than the 4096 bytes allowed") {
		t.Errorf("a long stack value: %v", err)
	}
}

// Rows are the sets' requirements: a test case of an unknown ID is dropped
// and counted, and a known one shows the set's title and level, not the
// bundle's.
func TestRestrictToTheSets(t *testing.T) {
	r := sample()
	r.Outcomes[0].Title = "[click me](https://evil.example)"
	r.Outcomes = append(r.Outcomes, Outcome{ReqID: "ZZZ-999", Level: "MUST", Area: "ZZZ", Title: "bloat", Status: Passed})
	res, err := ReadJUnit(bytes.NewReader(junitOf(t, r)))
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]ReqInfo{"DOM-001": {"Lifecycle", "MUST"}, "DOM-014": {"Invalid transitions", "SHOULD"}, "CONN-013": {"Domain capabilities", "SHOULD"}}
	n := res.Restrict(known, map[string]string{"OLD-001": "DOM-001"})
	if n != 5 || len(res.Verdicts) != 3 || res.Verdicts["ZZZ-999"] != nil {
		t.Errorf("dropped %d, kept %d", n, len(res.Verdicts))
	}
	if v := res.Verdicts["DOM-001"]; v.Title != "Lifecycle" || res.Verdicts["DOM-014"].Level != "SHOULD" {
		t.Errorf("titles and levels: %+v %+v", v, res.Verdicts["DOM-014"])
	}
}

// matrix.md: a link, an image or HTML in a label is inert text.
func TestMatrixMarkdownEscapesLinks(t *testing.T) {
	m := &Matrix{Columns: []*MatrixColumn{{Label: "[Acme](https://evil.example) ![x](https://evil.example/i.png) <b>x</b> www.evil.example", Profile: "core", Set: "2026.11"}}}
	var b bytes.Buffer
	if err := WriteMatrixMarkdown(&b, m); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"[Acme](", "![x](", "<b>", "](https", "https://evil", "www.evil"} {
		if strings.Contains(b.String(), bad) {
			t.Errorf("matrix.md keeps %q:\n%s", bad, b.String())
		}
	}
	if !strings.Contains(b.String(), "\\[Acme\\]\\(https://\u200bevil.example\\)") {
		t.Errorf("matrix.md:\n%s", b.String())
	}
}
