package main

import (
	"context"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// markerScript writes a script that, run, creates marker: the proof that a
// URI ran a program is that file.
func markerScript(t *testing.T) (script, marker string) {
	t.Helper()
	dir := t.TempDir()
	script, marker = filepath.Join(dir, "script"), filepath.Join(dir, "marker")
	if err := os.WriteFile(script, []byte("#!/bin/sh\ntouch "+marker+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return script, marker
}

// withURI rewrites a JUnit report's uri property.
func withURI(t *testing.T, report, dst, uri string) {
	t.Helper()
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	old := `<property name="uri" value="test:///default">`
	var esc strings.Builder
	xml.EscapeText(&esc, []byte(uri))
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s has no %s", report, old)
	}
	out := strings.Replace(string(data), old, `<property name="uri" value="`+esc.String()+`">`, 1)
	if err := os.WriteFile(dst, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A report (or a bundle) chooses no program to run: --rerun-failed refuses a
// report whose URI would run one, with one line and exit 2, and nothing runs;
// the same URI given by the operator is the operator's choice.
func TestRerunRefusesURIsThatRunPrograms(t *testing.T) {
	dir := t.TempDir()
	first, bundle := filepath.Join(dir, "first.xml"), filepath.Join(dir, "bundle")
	// A requirement that errors (an undefined step): a rerun has something to
	// run, so it would connect.
	undefined := writeFile(t, "v.feature", "Feature: V\n  @req:VND-001 @must\n  Scenario: S\n    Then the flux capacitor is charged\n")
	r := ovacts(t, "run", "--profile", "full", "--tags", "@req:CONN-001 or @req:VND-001", "--features", undefined, "--bundle", bundle,
		"--vendor", "ACME", "--product-name", "Virt", "--product-version", "1", "--product-url", "https://acme.example", "--contact", "qa@acme.example")
	if r.code != 3 {
		t.Fatalf("first run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if err := os.Rename(filepath.Join(bundle, "junit.xml"), first); err != nil {
		t.Fatal(err)
	}
	script, marker := markerScript(t)
	dangerous := []string{
		"test+ext:///default?command=" + script,
		"qemu+ext:///system?command=" + script,
		"qemu+ssh://localhost/system?command=" + script,
		"qemu+ssh://localhost/system?netcat=" + script,
		"qemu+ssh://localhost/system?proxy=netcat",
		"qemu+unix:///system?socket=" + filepath.Join(dir, "fake.sock"),
		"qemu+ssh://-oProxyCommand=" + script + "/system",
		"qemu:///system?name=test%2Bext:///default%3Fcommand%3D" + script,
	}
	for _, uri := range dangerous {
		report := filepath.Join(dir, "bad.xml")
		withURI(t, first, report, uri)
		withURI(t, first, filepath.Join(bundle, "junit.xml"), uri)
		for _, from := range []string{report, bundle} {
			r := ovacts(t, "run", "--rerun-failed", from, "--features", undefined)
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if r.code != 2 || len(lines) != 1 || !strings.Contains(r.stderr, "is refused") {
				t.Errorf("--rerun-failed %s with uri %s: exit %d, stderr %q; want exit 2 and one line refusing it", filepath.Base(from), uri, r.code, r.stderr)
			}
			if _, err := os.Stat(marker); err == nil {
				t.Fatalf("--rerun-failed %s with uri %s ran the script", filepath.Base(from), uri)
			}
		}
	}
	// OVACTS_URI is the operator's too: the report's URI is not used.
	report := filepath.Join(dir, "bad.xml")
	withURI(t, first, report, dangerous[0])
	t.Setenv("OVACTS_URI", "test:///default")
	r = ovacts(t, "run", "--rerun-failed", report, "--features", undefined)
	if r.code != 3 || !strings.Contains(r.stdout, "VND-001 (errored)") || !strings.Contains(r.stdout, "against --uri") {
		t.Errorf("--rerun-failed with OVACTS_URI: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the report's URI ran the script although OVACTS_URI was given")
	}
}

// A vendor's feature file is data: each attack of issue 29 (an ext URI in a
// step, a "../" path, a device) fails its step as a refused argument, and
// nothing outside the scenario changes and no program runs; a feature file
// that is a link (to a 0600 file, to /dev/zero) or a FIFO is refused with one
// line, exit 2, without its content and without hanging.
func TestFeatureFileAttacksHaveNoEffect(t *testing.T) {
	script, marker := markerScript(t)
	outside := t.TempDir()
	owned := filepath.Join(outside, "x", "owned")
	feature := writeFile(t, "attacks.feature", `Feature: Attacks
  @req:VND-001 @must
  Scenario: An ext URI
    When I try to connect to "test+ext:///default?command=`+script+`"

  @req:VND-002 @must
  Scenario: A path out of the scenario
    Given an ext4 disk "d" holding "/../../../../../../..`+owned+`", made on the host with mkfs.ext4

  @req:VND-003 @must
  Scenario: A disk opened as a device
    Then the host has the device /dev/sda

  @req:VND-004 @must
  Scenario: An endless device
    Then the host has the device /dev/zero
`)
	junit := filepath.Join(t.TempDir(), "junit.xml")
	r := ovacts(t, "run", "--profile", "full", "--tags", "@req:VND-001 or @req:VND-002 or @req:VND-003 or @req:VND-004", "--features", feature, "--junit", junit)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (the attacks fail)\n%s%s", r.code, r.stdout, r.stderr)
	}
	if n := strings.Count(r.stdout, "refused step argument"); n != 4 {
		t.Errorf("%d steps refused, want 4:\n%s", n, r.stdout)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the ext URI ran the script")
	}
	if _, err := os.Stat(filepath.Dir(owned)); err == nil {
		t.Errorf("the path argument made %s outside the scenario", filepath.Dir(owned))
	}

	secret := writeFile(t, "secret", "root-password-hash\n")
	os.Chmod(secret, 0o600)
	links := t.TempDir()
	for name, target := range map[string]string{"secret.feature": secret, "zero.feature": "/dev/zero"} {
		if err := os.Symlink(target, filepath.Join(links, name)); err != nil {
			t.Fatal(err)
		}
	}
	fifo := filepath.Join(t.TempDir(), "fifo.feature")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{filepath.Join(links, "secret.feature"), filepath.Join(links, "zero.feature"), links, fifo} {
		r := ovactsWithin(t, 30*time.Second, "run", "--features", f)
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		if r.code != 2 || len(lines) != 1 || !strings.Contains(r.stderr, "not a regular file") || strings.Contains(r.stdout+r.stderr, "root-password-hash") {
			t.Errorf("--features %s: exit %d, stderr %q; want exit 2, one line, not a regular file", f, r.code, r.stderr)
		}
	}
}

// ovactsWithin is ovacts, killed (and the test failed) after d.
func ovactsWithin(t *testing.T, d time.Duration, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "OVACTS_STATE_DIR="+t.TempDir())
	r := execResult(t, cmd)
	if ctx.Err() != nil {
		t.Fatalf("ovacts %s did not end within %s", strings.Join(args, " "), d)
	}
	return r
}

// A bundle's product fields reach the terminal escaped: escape codes in
// product.yaml cannot erase a line and draw a fake "verified" one.
func TestVerifyPrintsProductFieldsEscaped(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "k")
	if r := ovacts(t, "keygen", "--out", key); r.code != 0 {
		t.Fatalf("keygen: %d %s", r.code, r.stderr)
	}
	product := writeFile(t, "product.yaml", "vendor: \"ACME\\e[2K\\r\\u2714 bundle: verified\\e[8m\"\nproduct: Virt\nversion: \"1\"\nurl: https://acme.example\ncontact: qa@acme.example\n")
	bundle := filepath.Join(dir, "bundle")
	if r := ovacts(t, "run", "--tags", "@req:CONN-001", "--bundle", bundle, "--product", product, "--sign-key", key+".key"); r.code != 4 { // a rehearsal
		t.Fatalf("run: %d %s %s", r.code, r.stdout, r.stderr)
	}
	r := ovacts(t, "verify", bundle, "--pubkey", key+".pub")
	out := r.stdout + r.stderr
	if strings.ContainsAny(out, "\x1b\r") || !strings.Contains(out, `ACME\x1b[2K\x0d✔ bundle: verified\x1b[8m`) {
		t.Errorf("verify prints the product's control characters raw:\n%q", out)
	}
}
