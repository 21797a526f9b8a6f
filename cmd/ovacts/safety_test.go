package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ovacts/ovacts/reports"
)

// A file someone wants overwritten, to see whether a write follows a link.
func victim(t *testing.T) string {
	t.Helper()
	return writeFile(t, "victim", "the host's file\n")
}

func unchanged(t *testing.T, path string) {
	t.Helper()
	if b, err := os.ReadFile(path); err != nil || string(b) != "the host's file\n" {
		t.Fatalf("%s was written through a link: %q, %v", path, b, err)
	}
}

// Every file ovacts writes replaces a planted symlink instead of following it,
// and the ones that must be new (bundle directory, keys) refuse it.
func TestWritesDoNotFollowPlantedLinks(t *testing.T) {
	dir := t.TempDir()
	v := victim(t)
	junit, cucumber := filepath.Join(dir, "j.xml"), filepath.Join(dir, "c.json")
	for _, l := range []string{junit, cucumber, junit + ".tmp", cucumber + ".tmp"} {
		if err := os.Symlink(v, l); err != nil {
			t.Fatal(err)
		}
	}
	r := ovacts(t, "run", "--tags", "@req:CONN-001", "--junit", junit, "--cucumber", cucumber)
	if r.code != reports.ExitRehearsal {
		t.Fatalf("exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	unchanged(t, v)
	for _, p := range []string{junit, cucumber} {
		if st, err := os.Lstat(p); err != nil || !st.Mode().IsRegular() {
			t.Errorf("%s is not the report itself: %v %v", p, st.Mode(), err)
		}
	}

	// A link where the bundle directory should go, or an existing directory.
	link := filepath.Join(dir, "bundle-link")
	os.Symlink(t.TempDir(), link)
	for _, b := range []string{link, t.TempDir()} {
		r := ovacts(t, "run", "--bundle", b, "--vendor", "v", "--product-name", "p", "--product-version", "1")
		if r.code != 2 || !strings.Contains(r.stderr, "exists: give a new directory") {
			t.Errorf("--bundle %s: exit %d %s", b, r.code, r.stderr)
		}
	}

	// keygen over a dangling link.
	out := filepath.Join(dir, "k")
	os.Symlink(filepath.Join(dir, "nowhere"), out+".key")
	if r := ovacts(t, "keygen", "--out", out); r.code != 2 || !strings.Contains(r.stderr, "exists") {
		t.Errorf("keygen over a dangling link: exit %d %s", r.code, r.stderr)
	}
	if _, err := os.Lstat(filepath.Join(dir, "nowhere")); !os.IsNotExist(err) {
		t.Error("keygen created the target of a dangling link")
	}
	if r := ovacts(t, "keygen", "--out", filepath.Join(dir, "good")); r.code != 0 {
		t.Fatalf("keygen: %s", r.stderr)
	}
	if st, err := os.Stat(filepath.Join(dir, "good.key")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("private key mode %v, %v", st.Mode(), err)
	}

	// The matrix's pages over planted links.
	mdir := t.TempDir()
	os.Symlink(v, filepath.Join(mdir, "matrix.html"))
	if r := ovacts(t, "matrix", junit, "-o", mdir, "--allow-unverified"); r.code != 0 {
		t.Fatalf("matrix: %s", r.stderr)
	}
	unchanged(t, v)
}

// A JUnit path that held an old report holds this run's report from the
// start: an errored placeholder while it runs, the setup error when it does
// not start, never the old passes.
func TestNoStaleReports(t *testing.T) {
	dir := t.TempDir()
	junit := filepath.Join(dir, "j.xml")
	if r := ovacts(t, "run", "--tags", "@req:CONN-001", "--junit", junit); r.code != reports.ExitRehearsal {
		t.Fatal(r.stderr)
	}
	for _, args := range [][]string{
		{"run", "--uri", "bogus://nowhere", "--junit", junit},
		{"run", "--profile", "gold", "--junit", junit},
		{"run", "--junit", filepath.Join(dir, "new.xml"), "--uri", "bogus://nowhere"},
	} {
		r := ovacts(t, args...)
		if r.code != 2 {
			t.Fatalf("%v: exit %d", args, r.code)
		}
		p := args[len(args)-1]
		if !strings.HasSuffix(p, ".xml") {
			p = args[len(args)-3]
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%v: no report: %v", args, err)
		}
		if !strings.Contains(string(b), `errors="1"`) || !strings.Contains(string(b), "the run did not start") || strings.Contains(string(b), "CONN-001") {
			t.Errorf("%v: the report does not say the run did not start:\n%s", args, b)
		}
		if d := ovacts(t, "diff", p, p); d.code != 2 || !strings.Contains(d.stderr, "the run judged nothing") {
			t.Errorf("diff of a setup-error report: exit %d %s", d.code, d.stderr)
		}
	}
}

// Readers of bundles and reports refuse links, FIFOs, devices and oversized
// files at once, and never print what a link points to.
func TestReadersRefuseLinksFIFOsAndGiants(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "k")
	if r := ovacts(t, "keygen", "--out", key); r.code != 0 {
		t.Fatal(r.stderr)
	}
	good := filepath.Join(dir, "good")
	if r := ovacts(t, "run", "--tags", "@req:CONN-001", "--bundle", good, "--vendor", "v", "--product-name", "p", "--product-version", "1", "--sign-key", key+".key"); r.code != reports.ExitRehearsal {
		t.Fatal(r.stderr)
	}
	tamper := func(t *testing.T, name string, plant func(p string)) string {
		b := filepath.Join(t.TempDir(), "b")
		if err := os.CopyFS(b, os.DirFS(good)); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(b, name)
		os.Remove(p)
		plant(p)
		return b
	}
	link := func(target string) func(string) { return func(p string) { os.Symlink(target, p) } }
	fifo := func(p string) { syscall.Mkfifo(p, 0o644) }
	giant := func(p string) {
		f, _ := os.Create(p)
		f.Truncate(2 << 30) // sparse: 2 GiB that takes no disk
		f.Close()
	}
	for _, c := range []struct {
		name  string
		file  string
		plant func(string)
		cmd   string
		want  string
	}{
		{"cucumber to /dev/zero", "cucumber.json", link("/dev/zero"), "verify", "not a regular file (a symbolic link)"},
		{"run.log as a FIFO", "run.log", fifo, "verify", "not a regular file (a FIFO)"},
		{"sparse 2 GiB junit", "junit.xml", giant, "verify", "larger than the 67108864 allowed"},
		{"junit as a device", "junit.xml", func(p string) { syscall.Mknod(p, syscall.S_IFCHR|0o644, 1<<8|5) }, "verify", "not a regular file (a device)"},
		{"stack out of the bundle", "stack.json", link("/etc/hostname"), "matrix", "not a regular file (a symbolic link)"},
		{"product to /etc/passwd", "product.yaml", link("/etc/passwd"), "matrix", "not a regular file (a symbolic link)"},
		{"junit FIFO in diff", "junit.xml", fifo, "diff", "not a regular file (a FIFO)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := tamper(t, c.file, c.plant)
			var args []string
			switch c.cmd {
			case "verify":
				args = []string{"verify", b, "--pubkey", key + ".pub"}
			case "matrix":
				args = []string{"matrix", b, "-o", t.TempDir(), "--pubkey", key + ".pub"}
			case "diff":
				args = []string{"diff", b, good}
			}
			start := time.Now()
			r := ovacts(t, args...)
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("took %s", took)
			}
			if r.code == 0 || !strings.Contains(r.stdout+r.stderr, c.want) {
				t.Fatalf("exit %d, want a refusal saying %q:\n%s%s", r.code, c.want, r.stdout, r.stderr)
			}
			if strings.Contains(r.stdout+r.stderr, "root:x:0:0") {
				t.Fatal("the content of the link's target was printed")
			}
		})
	}
	// The waiver and product readers too.
	f := filepath.Join(dir, "fifo")
	syscall.Mkfifo(f, 0o644)
	for _, args := range [][]string{{"run", "--waivers", f}, {"run", "--bundle", filepath.Join(dir, "nb"), "--product", f}} {
		if r := ovacts(t, args...); r.code != 2 || !strings.Contains(r.stderr, "not a regular file (a FIFO)") {
			t.Errorf("%v: exit %d %s", args, r.code, r.stderr)
		}
	}
}
