//go:build realstack

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ovacts/ovacts/reports"
)

// The released binary and its package (make release): built with
// libvirt_dlopen, it links nothing of libvirt; its .deb installs here and
// runs against the test driver and both generations' stacks; without
// libvirt.so.0 it stops with one line naming the package; SHA256SUMS and the
// SBOM describe what was built.
func TestRealStackReleasedPackage(t *testing.T) {
	if out, err := exec.Command("dpkg-query", "-W", "-f=${Status}", "ovacts").CombinedOutput(); err == nil && strings.Contains(string(out), "installed") {
		t.Skip("a package named ovacts is installed here already: not ours to replace")
	}
	dist := t.TempDir()
	const version = "v0.0.0-20261129000000-ovactsrelease"
	cmd := exec.Command("bash", "../../scripts/release.sh")
	cmd.Env = append(os.Environ(), "DIST="+dist, "VERSION="+version)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make release: %v\n%s", err, out)
	}
	t.Logf("%s", out)
	bin := filepath.Join(dist, "ovacts-linux-amd64")
	one := func(pattern string) string {
		m, _ := filepath.Glob(filepath.Join(dist, pattern))
		if len(m) != 1 {
			entries, _ := os.ReadDir(dist)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			t.Fatalf("the release holds %d of %s: %v", len(m), pattern, names)
		}
		return m[0]
	}
	one("ovacts-linux-amd64")
	deb := one("ovacts_*_amd64.deb")
	checkRPMMatchesDeb(t, deb, one("ovacts-*.x86_64.rpm"))
	one("ovacts-" + version + ".cdx.json")
	one("SHA256SUMS")
	sums := exec.Command("sha256sum", "-c", "SHA256SUMS")
	sums.Dir = dist
	if out, err := sums.CombinedOutput(); err != nil {
		t.Errorf("SHA256SUMS: %v\n%s", err, out)
	}
	if out, err := exec.Command("ldd", bin).CombinedOutput(); err != nil || strings.Contains(string(out), "libvirt") {
		t.Errorf("the released binary links libvirt (%v):\n%s", err, out)
	}
	var sbom struct {
		BOMFormat  string `json:"bomFormat"`
		Components []struct {
			Name, Version string
		} `json:"components"`
	}
	if b, err := os.ReadFile(filepath.Join(dist, "ovacts-"+version+".cdx.json")); err != nil || json.Unmarshal(b, &sbom) != nil || sbom.BOMFormat != "CycloneDX" {
		t.Errorf("the SBOM is not a CycloneDX document: %v", err)
	} else if !strings.Contains(string(b), "libvirt.org/go/libvirt") {
		t.Errorf("the SBOM does not list the libvirt binding among %d components", len(sbom.Components))
	}
	if out, _ := exec.Command("dpkg-deb", "-f", deb, "Depends").CombinedOutput(); !strings.Contains(string(out), "libvirt0") {
		t.Errorf("the .deb does not depend on libvirt0: %q", out)
	}
	checkArm64(t, dist, version, one)

	// Installed from its .deb, and removed with it afterwards.
	if out, err := exec.Command("dpkg", "-i", deb).CombinedOutput(); err != nil {
		t.Fatalf("dpkg -i: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("dpkg", "--purge", "ovacts").CombinedOutput(); err != nil {
			t.Errorf("dpkg --purge: %v\n%s", err, out)
		}
	})
	installed := func(args ...string) result {
		c := exec.Command("/usr/bin/ovacts", args...)
		c.Env = append(os.Environ(), "OVACTS_STATE_DIR="+t.TempDir())
		return execResult(t, c)
	}
	if r := installed("version"); !strings.Contains(r.stdout, version) {
		t.Errorf("the installed binary says %q, want its stamped %s", r.stdout, version)
	}
	// Both generations: this host's libvirt 9.0 and Debian 13's libvirt 11
	// (over qemu+tcp here; TestRealStackNewerGeneration installs the package there).
	// On the test driver the run is a rehearsal: exit 4, never 0.
	for _, uri := range []string{"test:///default", realURI, trixieURI(t, "main")} {
		want := 0
		if uri == "test:///default" {
			want = reports.ExitRehearsal
		}
		if r := installed("run", "--uri", uri, "--profile", "core"); r.code != want {
			t.Errorf("the installed binary on %s: exit %d, want %d\n%s%s", uri, r.code, want, r.stdout, r.stderr)
		}
	}
	if r := installed("run", "--uri", realURI, "--profile", "libguestfs"); !strings.Contains(r.stdout, "not-run") && !strings.Contains(r.stdout, "NOT RUN") {
		t.Errorf("the released binary (no libguestfs binding) should report the libguestfs area not run:\n%s", r.stdout)
	}

	// Without libvirt.so.0 (a mount namespace hides it): one line, exit 2,
	// naming the package.
	lib, err := filepath.EvalSymlinks("/usr/lib/x86_64-linux-gnu/libvirt.so.0")
	if err != nil {
		t.Fatal(err)
	}
	hide := exec.Command("unshare", "-m", "sh", "-c", "mount --bind /dev/null "+lib+" && exec /usr/bin/ovacts run --uri test:///default")
	var stdout, stderr bytes.Buffer
	hide.Stdout, hide.Stderr = &stdout, &stderr
	err = hide.Run()
	ee, _ := err.(*exec.ExitError)
	if ee == nil || ee.ExitCode() != 2 || strings.Count(strings.TrimSpace(stderr.String()), "\n") != 0 ||
		!strings.Contains(stderr.String(), "libvirt0") || !strings.Contains(stderr.String(), "libvirt-libs") {
		t.Errorf("without libvirt.so.0: %v, stderr %q, stdout %q", err, stderr.String(), stdout.String())
	}
}

// checkArm64: make setup installs Debian's aarch64 cross compiler, so the
// release holds linux/arm64 too: an aarch64 ELF linking nothing of libvirt,
// packaged for arm64, that runs under qemu-user with the arm64 C library,
// says its version, and on this host, which has no arm64 libvirt.so.0,
// exits 2 naming the package that brings it.
func checkArm64(t *testing.T, dist, version string, one func(string) string) {
	t.Helper()
	bin := one("ovacts-linux-arm64")
	if out, _ := exec.Command("dpkg-deb", "-f", one("ovacts_*_arm64.deb"), "Architecture").CombinedOutput(); strings.TrimSpace(string(out)) != "arm64" {
		t.Errorf("the arm64 .deb says architecture %q", out)
	}
	one("ovacts-*.aarch64.rpm")
	if out, err := exec.Command("file", "-b", bin).CombinedOutput(); err != nil || !strings.Contains(string(out), "ARM aarch64") {
		t.Errorf("%s is not an aarch64 binary: %v %s", bin, err, out)
	}
	if out, err := exec.Command("aarch64-linux-gnu-readelf", "-d", bin).CombinedOutput(); err != nil || strings.Contains(string(out), "libvirt") {
		t.Errorf("the arm64 binary links libvirt (%v):\n%s", err, out)
	}
	arm := func(args ...string) (string, int) {
		r := execResult(t, exec.Command("qemu-aarch64", append([]string{"-L", "/usr/aarch64-linux-gnu", bin}, args...)...))
		return r.stdout + r.stderr, r.code
	}
	if out, code := arm("version"); code != 0 || !strings.Contains(out, version) {
		t.Errorf("the arm64 binary under qemu-aarch64: exit %d, %q; want its version %s", code, out, version)
	}
	if out, code := arm("run", "--uri", "test:///default"); code != 2 || !strings.Contains(out, "libvirt0") || strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Errorf("the arm64 binary without an arm64 libvirt.so.0: exit %d, %q; want exit 2 and one line naming libvirt0", code, out)
	}
}
