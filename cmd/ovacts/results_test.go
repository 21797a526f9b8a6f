package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// entries lists a directory's names.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// checkWellFormed parses an HTML report as XML: every element closed and
// every attribute quoted, which the report promises.
func checkWellFormed(t *testing.T, doc []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = true
	for {
		if _, err := d.Token(); errors.Is(err, io.EOF) {
			return
		} else if err != nil {
			t.Fatalf("report.html is not well-formed: %v", err)
		}
	}
}

var runDirName = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}Z-([a-z0-9]{8})$`)

// A run on the test driver writes its results directory: the four files,
// the HTML report readable, the log what stdout showed; latest points at it,
// and at the next run's once that one is done, which estimates its time
// from this one's.
func TestRunWritesResultsDirectory(t *testing.T) {
	out := filepath.Join(t.TempDir(), "results")
	args := []string{"run", "--uri", "test:///default", "--tags", "@req:DOM-001 or @req:CONN-013 or @req:HOST-001", "--output-dir", out}
	r := ovacts(t, args...)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (HOST-001 fails on the test driver): %s", r.code, r.stderr)
	}
	names := entries(t, out)
	if len(names) != 2 || names[1] != "latest" || !runDirName.MatchString(names[0]) {
		t.Fatalf("%s holds %q, want one run's directory and latest", out, names)
	}
	dir := filepath.Join(out, names[0])
	if first := strings.SplitN(r.stdout, "\n", 2)[0]; !strings.HasPrefix(first, "results: "+dir+" ") {
		t.Errorf("the run does not start by naming its results directory: %q", first)
	}
	if !strings.Contains(r.stdout, "HTML report: "+filepath.Join(dir, "report.html")+"\n") {
		t.Error("the run does not end by naming its HTML report")
	}
	if got := strings.Join(entries(t, dir), " "); got != "cucumber.json junit.xml report.html run.log" {
		t.Fatalf("the run's directory holds %s", got)
	}
	if link, err := os.Readlink(filepath.Join(out, "latest")); err != nil || link != names[0] {
		t.Fatalf("latest -> %q (%v), want %s", link, err, names[0])
	}
	html, _ := os.ReadFile(filepath.Join(dir, "report.html"))
	checkWellFormed(t, html)
	for _, want := range []string{"NOT CONFORMANT", "1 failed: HOST-001", "HOST-001", "the capabilities name no host CPU model", "CONN-013", "not-applicable (domcaps)", "libvirt.daemon"} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	if log, _ := os.ReadFile(filepath.Join(dir, "run.log")); string(log) != r.stdout {
		t.Errorf("run.log is not what stdout showed:\n%s\n---\n%s", log, r.stdout)
	}
	var features []struct{ Metadata map[string]any }
	data, _ := os.ReadFile(filepath.Join(dir, "cucumber.json"))
	if err := json.Unmarshal(data, &features); err != nil || len(features) == 0 || features[0].Metadata["device"] == nil {
		t.Errorf("cucumber.json without metadata (%v): %.300s", err, data)
	}

	r2 := ovacts(t, args...)
	names2 := entries(t, out)
	if len(names2) != 3 || names2[2] != "latest" {
		t.Fatalf("after a second run %s holds %q, want two runs' directories and latest, nothing else", out, names2)
	}
	// Two runs in the same second sort by their random run IDs: the second
	// run's directory is the one that was not there before.
	second := names2[0]
	if second == names[0] {
		second = names2[1]
	}
	if link, _ := os.Readlink(filepath.Join(out, "latest")); link != second || link == names[0] {
		t.Errorf("latest -> %q after the second run, want %s", link, second)
	}
	if !strings.Contains(r2.stdout, "estimate: about 0s for 2 scenario(s), 1 at once (2 timed by the latest run, 0 by the probes, 0 by neither)\n") {
		t.Errorf("the second run does not estimate from the first:\n%s", r2.stdout)
	}
}

// Without --output-dir, the results go under the state directory; -q keeps
// them and the log whole and prints little.
func TestResultsDefaultAndQuiet(t *testing.T) {
	state := t.TempDir()
	r := ovactsIn(t, state, "run", "--uri", "test:///default", "--tags", "@req:DOM-001", "-q")
	if r.code != 4 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	home := filepath.Join(state, "results")
	names := entries(t, home)
	if len(names) != 2 || names[1] != "latest" {
		t.Fatalf("%s holds %q", home, names)
	}
	log, _ := os.ReadFile(filepath.Join(home, "latest", "run.log"))
	if strings.Contains(r.stdout, "[  1/1] PASS") || !strings.Contains(string(log), "[  1/1] PASS   DOM-001") {
		t.Errorf("-q: stdout %q, log %q", r.stdout, log)
	}
}

// A --output-dir that is a file, or under one, is refused in one line with
// exit 2; a run that does not start leaves no results and no directory it
// made for them.
func TestOutputDirErrors(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "f")
	os.WriteFile(file, []byte("x"), 0o644)
	for _, c := range []struct{ dir, want string }{
		{file, "ovacts: --output-dir " + file + " is a file, not a directory\n"},
		{filepath.Join(file, "sub"), "ovacts: --output-dir " + filepath.Join(file, "sub") + ": not a directory\n"},
	} {
		r := ovacts(t, "run", "--uri", "test:///default", "--tags", "@req:DOM-001", "--output-dir", c.dir)
		if r.code != 2 || r.stderr != c.want {
			t.Errorf("--output-dir %s: exit %d, %q; want 2, %q", c.dir, r.code, r.stderr, c.want)
		}
	}
	if os.Geteuid() != 0 {
		ro := filepath.Join(tmp, "ro")
		os.Mkdir(ro, 0o500)
		if r := ovacts(t, "run", "--uri", "test:///default", "--tags", "@req:DOM-001", "--output-dir", ro); r.code != 2 || !strings.Contains(r.stderr, "permission denied") {
			t.Errorf("an unwritable --output-dir: exit %d, %q", r.code, r.stderr)
		}
	}
	deep := filepath.Join(tmp, "new", "deeper")
	r := ovacts(t, "run", "--uri", "test:///nonexistent.xml", "--output-dir", deep)
	if r.code != 2 {
		t.Fatalf("a stack that cannot be reached: exit %d", r.code)
	}
	if got := entries(t, tmp); len(got) != 1 || got[0] != "f" {
		t.Errorf("a run that did not start left %q in %s", got, tmp)
	}
}

// latest is replaced by a link renamed over it, never left half made; a
// latest that is not a link is not touched, and nothing of the new link
// stays.
func TestPointLatest(t *testing.T) {
	dir := t.TempDir()
	for _, run := range []string{"20261208T010000Z-aaaaaaaa", "20261208T020000Z-bbbbbbbb"} {
		os.Mkdir(filepath.Join(dir, run), 0o755)
		if err := pointLatest(dir, run); err != nil {
			t.Fatal(err)
		}
		if link, _ := os.Readlink(filepath.Join(dir, "latest")); link != run {
			t.Fatalf("latest -> %q, want %s", link, run)
		}
	}
	if got := strings.Join(entries(t, dir), " "); got != "20261208T010000Z-aaaaaaaa 20261208T020000Z-bbbbbbbb latest" {
		t.Errorf("the directory holds %s", got)
	}
	other := t.TempDir()
	os.Mkdir(filepath.Join(other, "latest"), 0o755)
	os.WriteFile(filepath.Join(other, "latest", "keep"), nil, 0o644)
	if err := pointLatest(other, "20261208T020000Z-bbbbbbbb"); err == nil || !strings.Contains(err.Error(), "is not a link") {
		t.Errorf("a latest directory: %v", err)
	}
	if got := strings.Join(entries(t, other), " "); got != "latest" || len(entries(t, filepath.Join(other, "latest"))) != 1 {
		t.Errorf("after refusing, the directory holds %s", got)
	}
}
