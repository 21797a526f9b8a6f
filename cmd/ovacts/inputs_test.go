package main

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
