package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// gen-docs writes a man page for every visible command, and each page
// mentions every one of that command's flags.
func TestGenDocsManPagePerCommandWithItsFlags(t *testing.T) {
	dir := t.TempDir()
	root := newRoot(io.Discard, io.Discard)
	root.SetArgs([]string{"gen-docs", dir})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		if !c.IsAvailableCommand() && c != root {
			return
		}
		name := strings.ReplaceAll(c.CommandPath(), " ", "-") + ".1"
		b, err := os.ReadFile(filepath.Join(dir, docsMan, name))
		if err != nil {
			t.Errorf("no man page for %q: %v", c.CommandPath(), err)
			return
		}
		n++
		page := strings.ReplaceAll(string(b), `\-`, "-")
		c.NonInheritedFlags().VisitAll(func(f *pflag.Flag) {
			if !f.Hidden && !strings.Contains(page, "--"+f.Name) {
				t.Errorf("%s does not mention --%s", name, f.Name)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if n < 13 { // ovacts and its twelve commands at least
		t.Errorf("%d man pages", n)
	}
	if _, err := os.Stat(filepath.Join(dir, docsMan, "ovacts-gen-docs.1")); err == nil {
		t.Error("the hidden gen-docs command has a man page")
	}
	for _, p := range []string{docsBash, docsZsh, docsFish} {
		if b, err := os.ReadFile(filepath.Join(dir, p)); err != nil || !bytes.Contains(b, []byte("ovacts")) {
			t.Errorf("completion %s: %v", p, err)
		}
	}
}

// The completion a shell runs (cobra's __complete) offers the profile
// names for --profile and the catalogue's tags for --tags.
func TestCompletionOfProfilesAndTags(t *testing.T) {
	complete := func(args ...string) []string {
		var out bytes.Buffer
		root := newRoot(&out, io.Discard)
		root.SetArgs(append([]string{cobra.ShellCompRequestCmd}, args...))
		if err := root.Execute(); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		return lines[:len(lines)-1] // the last line is the directive
	}
	if got := complete("run", "--profile", "fu"); !slices.Equal(got, []string{"full"}) {
		t.Errorf("run --profile fu completes to %q, want [full]", got)
	}
	if got := complete("list", "--profile", ""); !slices.Contains(got, "core") || !slices.Contains(got, "full") {
		t.Errorf("list --profile completes to %q", got)
	}
	if got := complete("run", "--tags", "@req:DOM-00"); !slices.Contains(got, "@req:DOM-001") || slices.ContainsFunc(got, func(s string) bool { return !strings.HasPrefix(s, "@req:DOM-00") }) {
		t.Errorf("run --tags @req:DOM-00 completes to %q", got)
	}
}

// The packages install what gen-docs writes, where each shell looks.
func TestNfpmInstallsGeneratedDocs(t *testing.T) {
	b, err := os.ReadFile("../../packaging/nfpm.yaml")
	if err != nil {
		t.Fatal(err)
	}
	conf := string(b)
	for src, dst := range map[string]string{
		docsMan + "/*.1": "/usr/share/man/man1/",
		docsBash:         "/usr/share/bash-completion/completions/ovacts",
		docsZsh:          "/usr/share/zsh/vendor-completions/_ovacts",
		docsFish:         "/usr/share/fish/vendor_completions.d/ovacts.fish",
	} {
		re := regexp.MustCompile(`- src: \$\{OVACTS_DOCS\}/` + regexp.QuoteMeta(src) + `\n\s+dst: ` + regexp.QuoteMeta(dst) + `\n`)
		if !re.MatchString(conf) {
			t.Errorf("packaging/nfpm.yaml does not install %s at %s", src, dst)
		}
	}
	if s, err := os.ReadFile("../../scripts/release.sh"); err != nil || !strings.Contains(string(s), "gen-docs") {
		t.Errorf("scripts/release.sh does not run gen-docs before nfpm (%v)", err)
	}
}

// The help of ovacts and of ovacts run, and so their man pages, name the
// five outcomes in the words the reports use.
func TestHelpNamesTheFiveOutcomes(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"run", "--help"}} {
		var out bytes.Buffer
		root := newRoot(&out, io.Discard)
		root.SetArgs(args)
		if err := root.Execute(); err != nil {
			t.Fatal(err)
		}
		help := strings.Join(strings.Fields(out.String()), " ")
		for _, o := range []string{"passed", "failed", "blocked", "not applicable", "not run"} {
			if !strings.Contains(help, o) {
				t.Errorf("ovacts %s does not name the outcome %q", strings.Join(args, " "), o)
			}
		}
		if strings.Contains(help, "skipped") {
			t.Errorf("ovacts %s still says skipped", strings.Join(args, " "))
		}
	}
}
