package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// debToRPM names, for each package the .deb depends on or recommends, the
// package that provides the same on RPM distributions (Fedora, RHEL and
// their rebuilds): a dependency added to one format without its equivalent
// in the other fails TestReleasePackagesMatch.
var debToRPM = map[string]string{
	"libvirt0":      "libvirt-libs",
	"libxml2-utils": "libxml2",
	"qemu-utils":    "qemu-img",
}

// The .rpm that make release writes carries the same files as its .deb and the
// RPM names of the same dependencies. No RPM-based root can be made on this
// machine (docs/stacks.md, "RPM"), so this is how the .rpm is checked: both
// are built by nfpm from packaging/nfpm.yaml as scripts/release.sh builds
// them (a stand-in binary: the files and dependencies are the config's), and
// read back with dpkg-deb and rpm.
func TestReleasePackagesMatch(t *testing.T) {
	for _, tool := range []string{"dpkg-deb", "rpm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing (scripts/setup.sh installs it): %v", tool, err)
		}
	}
	deb, rpm := buildPackages(t)
	checkRPMMatchesDeb(t, deb, rpm)
}

// buildPackages runs nfpm, at the version scripts/release.sh pins, on
// packaging/nfpm.yaml with release.sh's substitutions.
func buildPackages(t *testing.T) (deb, rpm string) {
	t.Helper()
	release, err := os.ReadFile("../../scripts/release.sh")
	if err != nil {
		t.Fatal(err)
	}
	nfpm := regexp.MustCompile(`(?m)^NFPM=(\S+)$`).FindSubmatch(release)
	if nfpm == nil {
		t.Fatal("scripts/release.sh pins no NFPM=")
	}
	conf, err := os.ReadFile("../../packaging/nfpm.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dist := t.TempDir()
	stand := filepath.Join(dist, "ovacts-linux-amd64")
	if err := os.WriteFile(stand, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	// The man pages and completions, as release.sh writes them (gen-docs of
	// the binary under test).
	docs := filepath.Join(dist, ".docs")
	if out, err := exec.Command(bin, "gen-docs", docs).CombinedOutput(); err != nil {
		t.Fatalf("gen-docs: %v\n%s", err, out)
	}
	r := strings.NewReplacer("${OVACTS_ARCH}", "amd64", "${OVACTS_VERSION}", "0.0.0-test", "${OVACTS_BINARY}", stand, "${OVACTS_DOCS}", docs)
	confFile := filepath.Join(dist, "nfpm.yaml")
	if err := os.WriteFile(confFile, []byte(r.Replace(string(conf))), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, packager := range []string{"deb", "rpm"} {
		cmd := exec.Command("go", "run", string(nfpm[1]), "package", "--config", confFile, "--packager", packager, "--target", dist+"/")
		cmd.Dir = "../.."
		cmd.Env = withoutGOFLAGS()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("nfpm %s: %v\n%s", packager, err, out)
		}
	}
	one := func(pattern string) string {
		m, _ := filepath.Glob(filepath.Join(dist, pattern))
		if len(m) != 1 {
			t.Fatalf("want one %s in %s, got %v", pattern, dist, m)
		}
		return m[0]
	}
	return one("*.deb"), one("*.rpm")
}

// checkRPMMatchesDeb compares the files and the dependencies (mapped through
// debToRPM) of a .deb and an .rpm.
func checkRPMMatchesDeb(t *testing.T, deb, rpm string) {
	t.Helper()
	run := func(name string, args ...string) string {
		out, err := exec.Command(name, args...).Output()
		if err != nil {
			t.Fatalf("%s %v: %v", name, args, err)
		}
		return string(out)
	}
	debFiles, debDirs := map[string]bool{}, map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(run("dpkg-deb", "-c", deb)), "\n") {
		f := strings.Fields(l)
		path := strings.TrimSuffix(strings.TrimPrefix(f[len(f)-1], "."), "/")
		if strings.HasPrefix(l, "d") {
			debDirs[path] = true
		} else {
			debFiles[path] = true
		}
	}
	var rpmFiles []string
	for _, p := range strings.Fields(run("rpm", "-qpl", rpm)) {
		if !debDirs[p] {
			rpmFiles = append(rpmFiles, p)
		}
	}
	sort.Strings(rpmFiles)
	if got, want := strings.Join(rpmFiles, " "), strings.Join(sortedKeys(debFiles), " "); got != want || want == "" {
		t.Errorf("the .rpm carries %q, the .deb %q", got, want)
	}
	for _, field := range []struct{ deb, rpm string }{{"Depends", "--requires"}, {"Recommends", "--recommends"}} {
		want := map[string]bool{}
		for _, d := range strings.Split(run("dpkg-deb", "-f", deb, field.deb), ",") {
			name := strings.Fields(strings.TrimSpace(d) + " ")
			if len(name) == 0 {
				continue
			}
			rpmName, ok := debToRPM[name[0]]
			if !ok {
				t.Errorf("the .deb's %s names %s, which has no RPM equivalent in debToRPM", field.deb, name[0])
			}
			want[rpmName] = true
		}
		got := map[string]bool{}
		for _, l := range strings.Split(strings.TrimSpace(run("rpm", "-qp", field.rpm, rpm)), "\n") {
			if f := strings.Fields(l); len(f) > 0 && !strings.HasPrefix(f[0], "rpmlib(") && !strings.HasPrefix(f[0], "/") {
				got[f[0]] = true
			}
		}
		if g, w := strings.Join(sortedKeys(got), " "), strings.Join(sortedKeys(want), " "); g != w {
			t.Errorf("the .rpm's %s are %q, the .deb's %s mapped to RPM names %q", field.rpm, g, field.deb, w)
		}
	}
}

func sortedKeys(m map[string]bool) []string {
	var k []string
	for s := range m {
		k = append(k, s)
	}
	sort.Strings(k)
	return k
}

// withoutGOFLAGS is the environment without GOFLAGS (make test's tags and
// libguestfs modfile are not a go run of a tool's).
func withoutGOFLAGS() []string {
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "GOFLAGS=") {
			env = append(env, e)
		}
	}
	return env
}

// make build runs scripts/setup.sh --packages first: with every package
// present it needs no root (the README says so), and the full setup, which
// starts daemons, still refuses a user with one line. Run as nobody.
func TestSetupPackagesNeedsNoRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run setup.sh as another user")
	}
	setup, err := filepath.Abs("../../scripts/setup.sh")
	if err != nil {
		t.Fatal(err)
	}
	asNobody := func(args ...string) result {
		cmd := exec.Command("setpriv", append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", "bash", setup}, args...)...)
		cmd.Dir = t.TempDir()
		return execResult(t, cmd)
	}
	if r := asNobody("--packages"); r.code != 0 || !strings.Contains(r.stdout, "packages present") {
		t.Errorf("setup.sh --packages as nobody, packages present: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := asNobody(); r.code != 2 || !strings.Contains(r.stderr, "must run as root") {
		t.Errorf("setup.sh as nobody: exit %d, want 2 and one line saying root is needed\n%s%s", r.code, r.stdout, r.stderr)
	}
}
