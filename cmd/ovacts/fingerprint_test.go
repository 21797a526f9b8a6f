package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// keygen prints the fingerprint, fingerprint prints it again, verify names
// the signer by it, and the shell pipeline of docs/certification.md and of fingerprint's
// help gives the same value (issue 36, build 5).
func TestFingerprintsAgree(t *testing.T) {
	dir := t.TempDir()
	prefix := filepath.Join(dir, "acme")
	r := ovacts(t, "keygen", "--out", prefix)
	m := regexp.MustCompile(`(?m)^fingerprint: (ed25519:[0-9a-f]{16}) `).FindStringSubmatch(r.stdout)
	if r.code != 0 || m == nil {
		t.Fatalf("keygen: exit %d, no fingerprint line: %s", r.code, r.stdout)
	}
	fp := m[1]
	if r := ovacts(t, "fingerprint", prefix+".pub"); r.code != 0 || r.stdout != fp+"  "+prefix+".pub\n" {
		t.Errorf("fingerprint: exit %d %q, want %s", r.code, r.stdout, fp)
	}
	readme, err := os.ReadFile("../../docs/certification.md")
	pipeline := regexp.MustCompile(`(?m)^echo "ed25519:\$\(openssl .*acme\.pub.*$`).Find(readme)
	if err != nil || pipeline == nil {
		t.Fatalf("docs/certification.md has no fingerprint pipeline (%v)", err)
	}
	if _, err := exec.LookPath("openssl"); err == nil {
		sh := exec.Command("sh", "-c", string(pipeline))
		sh.Dir = dir // where acme.pub is
		out, err := sh.Output()
		if err != nil || strings.TrimSpace(string(out)) != fp {
			t.Errorf("docs/certification.md's pipeline gives %q (%v), keygen %s", out, err, fp)
		}
	}
	bundle := filepath.Join(dir, "bundle")
	if r := ovacts(t, "run", "--tags", "@req:CONN-001", "--profile", "core", "--bundle", bundle, "--vendor", "Acme", "--product-name", "P", "--product-version", "1", "--sign-key", prefix+".key"); r.code != 4 {
		t.Fatalf("bundle run: exit %d %s", r.code, r.stderr)
	}
	if r := ovacts(t, "verify", "--pubkey", prefix+".pub", bundle); !strings.Contains(r.stdout, "signature over the manifest, by the key "+fp+"\n") {
		t.Errorf("verify does not name the signer %s: %s", fp, r.stdout)
	}
	oneLineExit2(t, []string{"fingerprint", prefix + ".key"}, `no PEM "PUBLIC KEY" block`)
}
