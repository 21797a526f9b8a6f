// make baselines' script, on libvirt's test driver.

package main

import (
	"crypto/ed25519"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ovacts/ovacts/reports"
)

// scripts/baselines.sh makes RUNS signed runs per generation under
// <set>/libvirt-<x.y>/run-N, reads them back with the project's public key,
// never overwrites a generation, and refuses a key pair that does not match;
// triage then tells a vendor's own failure from the reference's.
func TestBaselinesScript(t *testing.T) {
	dir := t.TempDir()
	for _, k := range []string{"project", "other"} {
		if r := ovacts(t, "keygen", "--out", filepath.Join(dir, k)); r.code != 0 {
			t.Fatalf("keygen: %s", r.stderr)
		}
	}
	out := filepath.Join(dir, "baselines")
	script := func(pub string) result {
		cmd := exec.Command("bash", "../../scripts/baselines.sh")
		cmd.Env = append(os.Environ(), "BIN="+bin, "RUNS=2", "PROFILE=core", "GENERATIONS=rehearsal", "OUT="+out,
			"PROJECT_KEY="+filepath.Join(dir, "project.key"), "PROJECT_PUB="+pub, "OVACTS_STATE_DIR="+t.TempDir())
		return execResult(t, cmd)
	}
	pub := filepath.Join(dir, "project.pub")
	if r := script(pub); r.code != 0 {
		t.Fatalf("baselines.sh: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	runs, _ := filepath.Glob(filepath.Join(out, "*", "libvirt-9.0", "run-*"))
	if len(runs) != 2 {
		t.Fatalf("runs %v, want run-1 and run-2 of libvirt-9.0", runs)
	}
	for _, run := range runs {
		b := reports.CheckBundle(reports.VerifyInput{Dir: run, PublicKey: readPub(t, pub)})
		if b.Product == nil || b.Product.Vendor != "ovacts project" || !b.Intact && !onlySetFails(b) {
			t.Errorf("%s: %+v", run, b.Findings)
		}
	}
	if r := script(pub); r.code == 0 || !strings.Contains(r.stderr, "exists: a generation's baselines are never overwritten") {
		t.Errorf("a second make baselines: exit %d\n%s", r.code, r.stderr)
	}
	os.RemoveAll(out)
	if r := script(filepath.Join(dir, "other.pub")); r.code == 0 || !strings.Contains(r.stderr, "is PROJECT_KEY its private key?") {
		t.Errorf("a public key of another pair: exit %d\n%s", r.code, r.stderr)
	}
	os.RemoveAll(out)
	if r := script(pub); r.code != 0 {
		t.Fatalf("baselines.sh: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	runs, _ = filepath.Glob(filepath.Join(out, "*", "libvirt-9.0", "run-1"))
	vendorKey := filepath.Join(dir, "vendor")
	ovacts(t, "keygen", "--out", vendorKey)
	k, err := reports.ReadPrivateKey(vendorKey + ".key")
	if err != nil {
		t.Fatal(err)
	}
	vendor := filepath.Join(dir, "vendor-bundle")
	rebundle(t, runs[0], vendor, k, bundleEdit{fail: []string{"DOM-004"}})
	r := ovacts(t, "triage", vendor, "--baselines", out, "--project-key", pub)
	if r.code != 0 || !strings.Contains(r.stdout, "DOM-004   MUST   failed         only this product      passes on libvirt-9.0 (2 of 2 runs)") ||
		!strings.Contains(r.stdout, "HOST-001  MUST   failed         reference") {
		t.Errorf("triage: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func readPub(t *testing.T, path string) ed25519.PublicKey {
	t.Helper()
	k, err := reports.ReadPublicKey(path)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// onlySetFails: every check but the set's holds.
func onlySetFails(b reports.Bundle) bool {
	for _, f := range b.Findings {
		if !f.OK && f.Check != reports.CheckSet {
			return false
		}
	}
	return true
}
