//go:build realstack

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The HTML report of a run on the test driver, read in Chromium at 1400 and
// 390 px without JavaScript: the verdict first, then what did not pass,
// the areas and the facts, nothing wider than the screen, nothing fetched
// beside the report itself; the screenshots go to OVACTS_SCREENSHOT_DIR.
func TestHTMLReportInChromium(t *testing.T) {
	out := filepath.Join(t.TempDir(), "results")
	r := ovacts(t, "run", "--uri", "test:///default", "--profile", "full", "--output-dir", out)
	if r.code != 1 {
		t.Fatalf("a run of the full profile on the test driver: exit %d, want 1 (its known failures)\n%s", r.code, r.stderr)
	}
	srv := serveSite(t, filepath.Join(out, "latest"))
	shots := os.Getenv("OVACTS_SCREENSHOT_DIR")
	if shots == "" {
		shots = t.TempDir()
	}
	os.MkdirAll(shots, 0o755)
	type box struct{ Top, Left, Right float64 }
	for _, width := range []int{1400, 390} {
		ctx, done := browser(t, width, false)
		navigate(t, ctx, srv.URL+"/report.html")
		text := evalJS[string](t, ctx, `document.body.innerText`)
		for _, want := range []string{"NOT CONFORMANT", "Requirements that did not pass", "OVH-001", "failing step", "cause", "Areas", "Stack and run", "libvirt.daemon"} {
			if !strings.Contains(text, want) {
				t.Errorf("%d px: the report does not show %q", width, want)
			}
		}
		order := evalJS[[]float64](t, ctx, `["verdict", "not-passed", "areas", "facts"].map(id => document.getElementById(id).getBoundingClientRect().top + scrollY)`)
		for i := 1; i < len(order); i++ {
			if order[i] <= order[i-1] {
				t.Errorf("%d px: the verdict, what did not pass, the areas and the facts are not in that order: %v", width, order)
			}
		}
		if w := evalJS[float64](t, ctx, `document.documentElement.scrollWidth`); w > float64(width) {
			t.Errorf("%d px: the page is %v px wide", width, w)
		}
		// Each outcome's box fits the screen; the areas' table may scroll in its own box.
		boxes := evalJS[[]box](t, ctx, `[...document.querySelectorAll("article.outcome, #verdict, div.scroll")].map(e => { const r = e.getBoundingClientRect(); return {Top: r.top, Left: r.left, Right: r.right}; })`)
		for _, b := range boxes {
			if b.Left < 0 || b.Right > float64(width) {
				t.Errorf("%d px: a box runs off the screen: %+v", width, b)
				break
			}
		}
		screenshot(t, ctx, filepath.Join(shots, fmt.Sprintf("report-%d.png", width)))
		done()
	}
	for _, p := range srv.requests() {
		if p != "/report.html" && p != "/favicon.ico" {
			t.Errorf("the report fetched %s (all requests: %v)", p, srv.requests())
		}
	}
}
