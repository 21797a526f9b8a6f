//go:build realstack

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The fleet templates of docs/ci: the GitHub workflow passes actionlint, the
// GitLab file GitLab's own JSON schema, and both templates' own shell steps,
// as written, certify this machine's stacks of both generations (the core profile, set as a user would set OVACTS_PROFILE), keep a
// signed bundle per host, then verify them all and publish the site. The
// steps that install the release and the SSH key need the network and the
// CI's secrets; those are the only ones not run here.
func TestRealStackCITemplates(t *testing.T) {
	gh := "../../docs/ci/github-actions.yml"
	lint := exec.Command("go", "run", "github.com/rhysd/actionlint/cmd/actionlint@v1.7.12", "-shellcheck=", "-pyflakes=", gh)
	lint.Env = withoutGOFLAGS()
	if out, err := lint.CombinedOutput(); err != nil {
		t.Errorf("actionlint %s: %v\n%s", gh, err, out)
	}
	checkGitLabSchema(t, "../../docs/ci/gitlab-ci.yml")
	keys := t.TempDir()
	if r := ovacts(t, "keygen", "--out", filepath.Join(keys, "acme")); r.code != 0 {
		t.Fatalf("keygen: %s%s", r.stdout, r.stderr)
	}
	key, _ := os.ReadFile(filepath.Join(keys, "acme.key"))
	pub, _ := os.ReadFile(filepath.Join(keys, "acme.pub"))
	hosts := []struct{ name, uri string }{{"local", realURI}, {"peer", peerURI}, {"trixie", trixieURI(t, "main")}}

	t.Run("github", func(t *testing.T) {
		var wf struct {
			Env  map[string]string
			Jobs map[string]struct {
				Steps []struct {
					Name, Run string
				}
			}
		}
		readYAML(t, gh, &wf)
		step := func(job, name string) string {
			for _, s := range wf.Jobs[job].Steps {
				if s.Name == name {
					return s.Run
				}
			}
			t.Fatalf("%s has no step %q in job %s", gh, name, job)
			return ""
		}
		work := t.TempDir()
		summary := filepath.Join(t.TempDir(), "summary.md")
		for _, h := range hosts {
			runTemplateStep(t, work, step("certify", "Run the suite"), wf.Env, "HOST_NAME="+h.name, "OVACTS_URI="+h.uri,
				"PRODUCT=ACME Virt", "PRODUCT_VERSION="+h.name, "SIGN_KEY="+string(key), "GITHUB_STEP_SUMMARY="+summary)
		}
		checkSummary(t, summary, len(hosts))
		// upload-artifact and download-artifact put each bundle under bundles/.
		os.Mkdir(filepath.Join(work, "bundles"), 0o755)
		for _, h := range hosts {
			if err := os.Rename(filepath.Join(work, "bundle-"+h.name), filepath.Join(work, "bundles", "bundle-"+h.name)); err != nil {
				t.Fatal(err)
			}
		}
		runTemplateStep(t, work, step("publish", "Verify every bundle and publish the site"), wf.Env, "SIGN_PUB="+string(pub))
		checkSite(t, work, "local", "peer")
	})

	t.Run("gitlab", func(t *testing.T) {
		var ci struct {
			Variables map[string]string
			Certify   struct {
				Script    []string
				Artifacts struct{ Reports struct{ Junit string } }
			}
			Publish struct{ Script []string }
		}
		gl := "../../docs/ci/gitlab-ci.yml"
		readYAML(t, gl, &ci)
		work := t.TempDir()
		for _, h := range hosts {
			runTemplateStep(t, work, strings.Join(ci.Certify.Script, "\n"), ci.Variables, "HOST_NAME="+h.name, "OVACTS_URI="+h.uri,
				"PRODUCT=ACME Virt", "PRODUCT_VERSION="+h.name, "OVACTS_SIGN_KEY="+filepath.Join(keys, "acme.key"))
			// The file artifacts:reports:junit hands to GitLab's test view.
			junit := strings.ReplaceAll(ci.Certify.Artifacts.Reports.Junit, "$HOST_NAME", h.name)
			if b, err := os.ReadFile(filepath.Join(work, junit)); junit == "" || err != nil || !strings.Contains(string(b), "<testsuites") {
				t.Errorf("%s: artifacts:reports:junit %q is not the host's JUnit report (%v)", gl, junit, err)
			}
		}
		runTemplateStep(t, work, strings.Join(ci.Publish.Script, "\n"), ci.Variables, "OVACTS_SIGN_PUB="+filepath.Join(keys, "acme.pub"))
		checkSite(t, work, "local", "peer")
	})
}

// checkSummary: the GitHub job summary got, per host, its verdict line and
// the JUnit counts table.
func checkSummary(t *testing.T, file string, hosts int) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if n := strings.Count(s, "\nverdict: "); n != hosts {
		t.Errorf("the job summary has %d verdict lines, want %d:\n%s", n, hosts, s)
	}
	if n := strings.Count(s, "| tests | failures | errors |"); n != hosts {
		t.Errorf("the job summary has %d count tables, want %d:\n%s", n, hosts, s)
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// runTemplateStep runs a template's shell step as the CI would (bash, -e and
// pipefail), with the template's variables, the core profile, the step's own
// values, and the ovacts under test first on PATH.
func runTemplateStep(t *testing.T, dir, script string, vars map[string]string, env ...string) {
	t.Helper()
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"), "OVACTS_STATE_DIR="+t.TempDir())
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Env = append(cmd.Env, "OVACTS_PROFILE=core")
	cmd.Env = append(cmd.Env, env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("template step failed: %v\n%s\n--- the step:\n%s", err, lastLines(string(out), 15), script)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// checkSite: the publish step exited 0, so every bundle verified as
// conformant; the site it wrote lists each host's product version.
func checkSite(t *testing.T, dir string, versions ...string) {
	t.Helper()
	index, err := os.ReadFile(filepath.Join(dir, "site", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range versions {
		if !strings.Contains(string(index), "ACME Virt "+v) && !strings.Contains(string(index), ">"+v+"<") {
			t.Errorf("the published index does not list ACME Virt %s", v)
		}
	}
}

// checkGitLabSchema validates a .gitlab-ci.yml with GitLab's own JSON schema
// (ci.json, which gitlab-ci-local bundles; scripts/consumers.sh installs it),
// and checks the check: the same file with an invalid "when" must fail it.
func checkGitLabSchema(t *testing.T, file string) {
	t.Helper()
	tool := filepath.Join(consumersDir, "node_modules", ".bin", "gitlab-ci-local")
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	validate := func(content string) (string, error) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, ".gitlab-ci.yml"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("git", "-C", dir, "init", "-q").CombinedOutput(); err != nil {
			t.Fatalf("git init: %v\n%s", err, out)
		}
		cmd := exec.Command(tool, "--list")
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := validate(string(src)); err != nil || !strings.Contains(out, "json schema validated") {
		t.Errorf("%s is not valid by GitLab's schema (%v):\n%s", file, err, out)
	}
	broken := strings.Replace(string(src), "  stage: certify\n", "  stage: certify\n  when: sometimes\n", 1)
	if broken == string(src) {
		t.Fatalf("%s has no certify stage to break", file)
	}
	if out, err := validate(broken); err == nil || !strings.Contains(out, "Invalid .gitlab-ci.yml configuration") {
		t.Errorf("an invalid when: passed GitLab's schema (%v):\n%s", err, out)
	}
}
