package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The README's vendor path ("Certifying your product"), its commands as
// written, one after another in one directory, with the ovacts under test
// first on PATH and libvirt's test driver for the local URI: the package
// install is the one command not run (the binary under test stands in for
// it). keygen, run, verify and publish must each accept what the README
// gives them: a misspelt flag, a product.yaml field that ReadProduct refuses
// or a wrong file name exits 2 or leaves no site.
func TestReadmeVendorPathRuns(t *testing.T) {
	cmds := readmeVendorCommands(t)
	work, state := t.TempDir(), t.TempDir()
	env := append(os.Environ(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"),
		"OVACTS_STATE_DIR="+state, "OVACTS_URI=test:///default")
	sh := func(script string) result {
		cmd := exec.Command("bash", "--noprofile", "--norc", "-o", "pipefail", "-c", script)
		cmd.Dir, cmd.Env = work, env
		return execResult(t, cmd)
	}
	if r := sh("command -v ovacts"); strings.TrimSpace(r.stdout) != bin {
		t.Fatalf("ovacts on PATH is %q, not the binary under test %s", r.stdout, bin)
	}
	ran := map[string]bool{}
	for _, c := range cmds {
		if strings.HasPrefix(c, "sudo apt install ./ovacts_") {
			continue
		}
		c = strings.ReplaceAll(c, "qemu:///system", "test:///default")
		if strings.Contains(c, "qemu") {
			t.Fatalf("a README vendor command names a stack other than qemu:///system, which this test will not touch: %s", c)
		}
		r := sh(c)
		sub := ""
		if f := strings.Fields(c); len(f) > 1 && f[0] == "ovacts" {
			sub = f[1]
			ran[sub] = true
		}
		switch {
		case sub == "run" || sub == "verify":
			// The verdict of the test driver's run is not the README's to
			// promise (a rehearsal certifies nothing); a usage error is.
			if r.code == 2 {
				t.Errorf("README: %s: exit 2\n%s%s", c, r.stdout, r.stderr)
			}
		case r.code != 0:
			t.Errorf("README: %s: exit %d\n%s%s", c, r.code, r.stdout, r.stderr)
		}
		if sub == "verify" && !strings.Contains(r.stdout, "ok   signature") {
			t.Errorf("README: %s: the bundle's signature did not verify:\n%s", c, r.stdout)
		}
	}
	for _, want := range []string{"keygen", "run", "verify", "publish"} {
		if !ran[want] {
			t.Errorf("the README's vendor path has no ovacts %s", want)
		}
	}
	index, err := os.ReadFile(filepath.Join(work, "site", "index.html"))
	if err != nil || !strings.Contains(string(index), "ACME Virt") {
		t.Errorf("the vendor path published no site listing its product (%v)", err)
	}
}

// readmeVendorCommands are the commands of the sh block after the README's
// vendor-path marker, a here-document kept with the command that opens it.
func readmeVendorCommands(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), "<!-- vendor-path")
	_, block, ok2 := strings.Cut(after, "```sh\n")
	block, _, ok3 := strings.Cut(block, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("README.md has no vendor-path sh block")
	}
	var cmds []string
	var heredoc string // the end word of an open here-document
	for _, l := range strings.Split(strings.TrimSpace(block), "\n") {
		switch {
		case heredoc != "":
			cmds[len(cmds)-1] += "\n" + l
			if l == heredoc {
				heredoc = ""
			}
		default:
			cmds = append(cmds, l)
			if _, word, ok := strings.Cut(l, "<<"); ok {
				heredoc = strings.Trim(strings.TrimSpace(word), `'"`)
			}
		}
	}
	if heredoc != "" {
		t.Fatalf("README.md's vendor path leaves a here-document open (%s)", heredoc)
	}
	return cmds
}
