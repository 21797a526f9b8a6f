//go:build realstack

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/reports"
	"github.com/ovacts/ovacts/site"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// A certification program's site, as its readers see it: four signed
// bundles from real runs (two versions of one product, the newer on a stack
// broken so that it is not conformant; a second product, conformant on the
// peer daemon, and incomplete in a later version) published with the
// vendors' keys, then read in headless Chromium at 1400 and 390 px wide.
func TestRealStackPublishedSiteInChromium(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	os.Mkdir(keys, 0o755)
	for _, v := range []string{"acme", "beta-systems"} {
		if r := ovacts(t, "keygen", "--out", filepath.Join(dir, v)); r.code != 0 {
			t.Fatal(r.stderr)
		}
		os.Rename(filepath.Join(dir, v+".pub"), filepath.Join(keys, v+".pub"))
	}
	bundle := func(name, vendor, product, version, uri, profile string, want int) string {
		t.Helper()
		b := filepath.Join(dir, name)
		r := ovacts(t, "run", "--uri", uri, "--profile", profile, "--bundle", b, "--sign-key", filepath.Join(dir, reports.Slug(vendor)+".key"),
			"--vendor", vendor, "--product-name", product, "--product-version", version)
		if r.code != want {
			t.Fatalf("run %s: exit %d, want %d\n%s%s", name, r.code, want, r.stdout, r.stderr)
		}
		return b
	}
	var bundles []string
	bundles = append(bundles, bundle("acme-1", "Acme", "Acme Virt", "1.0", realURI, "core", 0))
	// Acme Virt 2.0: the same stack, but domain definitions cannot be stored.
	breakIt, restore := replaceDirByFile("/etc/libvirt/qemu")
	t.Cleanup(func() { restore() })
	breakIt(t)
	bundles = append(bundles, bundle("acme-2", "Acme", "Acme Virt", "2.0", realURI, "core", 1))
	if err := restore(); err != nil {
		t.Fatal(err)
	}
	bundles = append(bundles, bundle("beta-7", "Beta Systems", "Cloud", "7", peerURI, "core", 0))
	bundles = append(bundles, bundle("beta-8", "Beta Systems", "Cloud", "8", realURI, "ovirt-engine", 3)) // no engine given

	out := filepath.Join(dir, "site")
	r := ovacts(t, append([]string{"publish", "-o", out, "--keys", keys}, bundles...)...)
	if r.code != 0 {
		t.Fatalf("publish: %d %s%s", r.code, r.stdout, r.stderr)
	}
	status := readStatus(t, filepath.Join(out, "status.json"))
	released := "" // a build holding the newest released set's requirements unchanged runs as that set
	for _, set := range knownSets() {
		if set.Status == catalogue.SetReleased {
			released = set.Name
		}
	}
	for label, want := range map[string]string{"Acme Virt 1.0": "conformant", "Acme Virt 2.0": "not conformant",
		"Beta Systems Cloud 7": "conformant", "Beta Systems Cloud 8": "incomplete"} {
		if got := status[label]; got.Verdict != want || !got.Verified || !strings.HasPrefix(got.Signer, "ed25519:") || got.Set != released {
			t.Errorf("%s: %+v, want %s, verified, signed, on the newest released set %s", label, got, want, released)
		}
	}
	validateSiteJSON(t, out)
	// 13 months on, every one has expired; none reads conformant.
	later := filepath.Join(dir, "site-later")
	if r := ovacts(t, append([]string{"publish", "-o", later, "--keys", keys, "--now", time.Now().AddDate(0, 13, 0).Format(time.DateOnly)}, bundles...)...); r.code != 0 {
		t.Fatalf("publish later: %d %s", r.code, r.stderr)
	}
	for label, p := range readStatus(t, filepath.Join(later, "status.json")) {
		if p.Verdict != "expired" {
			t.Errorf("13 months later, %s is %s", label, p.Verdict)
		}
	}
	readSiteInChromium(t, out, status)
}

// validateSiteJSON: status.json and matrix.json validate against the
// schemas the site carries, which are the committed ones.
func validateSiteJSON(t *testing.T, out string) {
	c := jsonschema.NewCompiler()
	for name, data := range site.Schemas {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		c.AddResource(name, doc)
	}
	for doc, schema := range map[string]string{"status.json": "status.schema.json", "matrix.json": "matrix.schema.json"} {
		sch, err := c.Compile(schema)
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(filepath.Join(out, doc))
		if err != nil {
			t.Fatal(err)
		}
		v, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(v); err != nil {
			t.Errorf("%s: %v", doc, err)
		}
	}
}

type statusProduct struct {
	Label, Slug, Verdict, Set, Signer, Page string
	Verified                                bool
	Why                                     []string
}

func readStatus(t *testing.T, path string) map[string]statusProduct {
	t.Helper()
	var doc struct{ Products []statusProduct }
	data, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(data, &doc) != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out := map[string]statusProduct{}
	for _, p := range doc.Products {
		out[p.Label] = p
	}
	return out
}

// server serves the site and records every request made to it.
type server struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string
}

func serveSite(t *testing.T, dir string) *server {
	s := &server{}
	files := http.FileServer(http.Dir(dir))
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.seen = append(s.seen, r.URL.Path)
		s.mu.Unlock()
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.seen)
}

// browser is a headless Chromium at a window width.
func browser(t *testing.T, width int, scripts bool) (context.Context, func()) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath("chromium"), chromedp.NoSandbox,
		chromedp.WindowSize(width, 900), chromedp.Flag("disable-background-networking", true))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	var mobile []chromedp.EmulateViewportOption
	if width < 600 {
		mobile = append(mobile, chromedp.EmulateMobile)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), 900, mobile...), chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !scripts})
		return err
	})); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	return ctx, func() { cancelC(); cancelA() }
}

func evalJS[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

func navigate(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
}

func readSiteInChromium(t *testing.T, out string, status map[string]statusProduct) {
	srv := serveSite(t, out)
	shots := os.Getenv("OVACTS_SCREENSHOT_DIR")
	if shots == "" {
		shots = t.TempDir()
	}
	os.MkdirAll(shots, 0o755)
	var m struct {
		Rows []struct {
			ID, Area string
			Profiles []string
		}
	}
	data, _ := os.ReadFile(filepath.Join(out, "matrix.json"))
	if err := json.Unmarshal(data, &m); err != nil || len(m.Rows) == 0 {
		t.Fatalf("matrix.json: %v", err)
	}
	count := func(pred func(area string, profiles []string) bool) int {
		n := 0
		for _, r := range m.Rows {
			if pred(r.Area, r.Profiles) {
				n++
			}
		}
		return n
	}
	type rect struct{ Left, Top, Width float64 }
	for _, width := range []int{1400, 390} {
		ctx, done := browser(t, width, true)
		// The index: one card per product version, with its verdict.
		navigate(t, ctx, srv.URL+"/index.html")
		cards := evalJS[[]rect](t, ctx, `[...document.querySelectorAll("article.card")].map(c => { const r = c.getBoundingClientRect(); return {Left: r.left, Top: r.top + scrollY, Width: r.width}; })`)
		texts := evalJS[string](t, ctx, `[...document.querySelectorAll("article.card")].map(c => c.innerText).join("\n---\n")`)
		if len(cards) != 4 {
			t.Fatalf("%d px: %d cards, want 4", width, len(cards))
		}
		for label, p := range status {
			if !strings.Contains(texts, label) || !strings.Contains(texts, p.Signer) {
				t.Errorf("%d px: the cards do not show %s and its signer", width, label)
			}
		}
		sameRow := cards[0].Top == cards[1].Top
		if width == 1400 && !sameRow {
			t.Errorf("1400 px: the two versions of Acme Virt are not side by side: %+v", cards)
		}
		if width == 390 {
			for i := 1; i < len(cards); i++ {
				if cards[i].Left != cards[0].Left || cards[i].Top <= cards[i-1].Top || cards[i].Left+cards[i].Width > 390 {
					t.Errorf("390 px: the cards do not stack within the screen: %+v", cards)
					break
				}
			}
		}
		screenshot(t, ctx, filepath.Join(shots, fmt.Sprintf("index-%d.png", width)))

		// A product page: the failure with its reason, how to reproduce, the history.
		acme2 := status["Acme Virt 2.0"]
		navigate(t, ctx, srv.URL+"/"+acme2.Page)
		page := evalJS[string](t, ctx, `document.body.innerText`)
		for _, want := range []string{"not conformant", "DOM-001", "cannot create config directory", "Reproduce", "--profile core", "--vendor Acme",
			"History", "1.0", "regression: DOM-001", "Results by area", "libvirt", "kernel"} {
			if !strings.Contains(page, want) {
				t.Errorf("%d px: the page of Acme Virt 2.0 lacks %q", width, want)
			}
		}
		screenshot(t, ctx, filepath.Join(shots, fmt.Sprintf("product-%d.png", width)))

		// The matrix: every row, filters from the address and from the controls.
		navigate(t, ctx, srv.URL+"/matrix.html#area=DOM")
		dom := count(func(a string, _ []string) bool { return a == "DOM" })
		if got := evalJS[int](t, ctx, `document.querySelectorAll("tr.req-row:not([hidden])").length`); got != dom {
			t.Errorf("%d px: #area=DOM shows %d rows, want %d", width, got, dom)
		}
		evalJS[bool](t, ctx, `(() => { const a = document.getElementById("f-area"); a.value = ""; a.dispatchEvent(new Event("change"));
			const p = document.getElementById("f-profile"); p.value = "ovirt-engine"; p.dispatchEvent(new Event("change")); return true; })()`)
		oe := count(func(_ string, ps []string) bool { return slices.Contains(ps, "ovirt-engine") })
		if got := evalJS[int](t, ctx, `document.querySelectorAll("tr.req-row:not([hidden])").length`); got != oe || oe == 0 {
			t.Errorf("%d px: the profile filter shows %d rows, want %d", width, got, oe)
		}
		if h := evalJS[string](t, ctx, `location.hash`); h != "#profile=ovirt-engine" {
			t.Errorf("%d px: the address does not keep the filter: %q", width, h)
		}
		evalJS[bool](t, ctx, `(() => { const p = document.getElementById("f-profile"); p.value = ""; p.dispatchEvent(new Event("change")); return true; })()`)
		if width == 390 {
			// The table scrolls sideways inside its box; the requirement column stays in view.
			s := evalJS[[]float64](t, ctx, `(() => { const s = document.getElementById("matrix-scroll"); const before = s.scrollWidth > s.clientWidth;
				s.scrollLeft = s.scrollWidth; const c = document.querySelector("tr.req-row th.req").getBoundingClientRect();
				const b = s.getBoundingClientRect(); return [before ? 1 : 0, s.scrollLeft, c.left - b.left, c.right]; })()`)
			if s[0] != 1 || s[1] <= 0 || s[2] < -1 || s[2] > 2 || s[3] > 390 {
				t.Errorf("390 px: the matrix does not scroll with its first column in view: overflow %v, scrolled %v, first column at %v..%v", s[0], s[1], s[2], s[3])
			}
			evalJS[bool](t, ctx, `(() => { document.getElementById("matrix-scroll").scrollLeft = 0; return true; })()`)
		}
		screenshot(t, ctx, filepath.Join(shots, fmt.Sprintf("matrix-%d.png", width)))
		done()
	}
	// With JavaScript off the matrix is all there, and the filters (which need it) are not shown.
	ctx, done := browser(t, 1400, false)
	defer done()
	navigate(t, ctx, srv.URL+"/matrix.html#area=DOM")
	html := evalJS[string](t, ctx, `document.documentElement.outerHTML`)
	if n := strings.Count(html, `<tr class="req-row"`); n != len(m.Rows) || strings.Contains(html, "req-row\" hidden") || !strings.Contains(html, `<form id="filters" hidden="">`) {
		t.Errorf("without JavaScript: %d of %d rows, filters shown: %v", n, len(m.Rows), !strings.Contains(html, `<form id="filters" hidden="">`))
	}
	// No request leaves the pages: the server saw the pages and nothing else
	// (http.FileServer answers /index.html with a redirect to /), and the CSP
	// stops an injected fetch.
	for _, p := range srv.requests() {
		if !strings.HasSuffix(p, ".html") && p != "/" && p != "/favicon.ico" {
			t.Errorf("a page fetched %s (all requests: %v)", p, srv.requests())
		}
	}
	done()
	ctx, done = browser(t, 1400, true)
	defer done()
	index, _ := os.ReadFile(filepath.Join(out, "index.html"))
	probe := strings.Replace(string(index), "<main>", `<main><img src="/probe.png"><script>fetch("/probe.js")</script>`, 1)
	os.WriteFile(filepath.Join(out, "probe.html"), []byte(probe), 0o644)
	navigate(t, ctx, srv.URL+"/probe.html")
	time.Sleep(500 * time.Millisecond) // an allowed fetch would have been made by now
	for _, p := range srv.requests() {
		if strings.HasPrefix(p, "/probe.") && p != "/probe.html" {
			t.Errorf("the CSP let an injected page element fetch %s", p)
		}
	}
	t.Logf("screenshots in %s", shots)
}

func screenshot(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if len(png) < 5000 {
		t.Fatalf("%s: a %d-byte screenshot", path, len(png))
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d bytes", path, len(png))
}
