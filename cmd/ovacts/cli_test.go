package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ovacts/ovacts/reports"
)

var bin string // the ovacts binary built for these tests

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ovacts-bin")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "ovacts")
	// Stamped as a release build is, so that the binary and these tests agree.
	version = testVersion
	if out, err := exec.Command("go", "build", "-ldflags", "-X main.version="+testVersion, "-o", bin, ".").CombinedOutput(); err != nil {
		panic("building ovacts: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

// ovacts runs the binary with a state directory of its own.
func ovacts(t *testing.T, args ...string) result {
	t.Helper()
	return ovactsIn(t, t.TempDir(), args...)
}

// ovactsIn runs ovacts with a given state directory (runs that share it see
// each other's ledgers).
func ovactsIn(t *testing.T, stateDir string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "OVACTS_STATE_DIR="+stateDir)
	return execResult(t, cmd)
}

// execResult runs cmd to its end: its exit code and what it wrote; a command that
// could not run at all stops the test.
func execResult(t *testing.T, cmd *exec.Cmd) result {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Every bad input exits 2 with one line on stderr naming the problem, and no trace.
func TestBadInputsExit2WithOneLine(t *testing.T) {
	malformed := writeFile(t, "bad.feature", "Feature: Bad\n  Scenario: S\n    Given x\n  Examples oops\n")
	untagged := writeFile(t, "untagged.feature", "Feature: Untagged\n  Scenario: S\n    Given x\n")
	needs := writeFile(t, "needs.feature", "Feature: N\n  @req:VND-001 @must @needs:warp\n  Scenario: S\n    Given x\n")
	clash := writeFile(t, "clash.feature", "Feature: C\n  @req:CONN-001 @must\n  Scenario: S\n    Given x\n")
	binary := writeFile(t, "binary.feature", "\x00\x01\x02 not gherkin \xff\xfe")
	dir := t.TempDir()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"bad URI", []string{"run", "--uri", "bogus://nowhere"}, `cannot connect to bogus://nowhere: VIR_ERR_`},
		{"unparseable URI", []string{"run", "--uri", "::::"}, `cannot connect to [unparseable URI]`},
		{"password redacted", []string{"run", "--uri", "nosuch+tcp://me:s3cret@localhost/system"}, `me:xxxxx@localhost`},
		{"unknown profile", []string{"run", "--profile", "gold"}, `unknown profile "gold"`},
		{"malformed tags", []string{"run", "--tags", "@core and"}, `tag expression "@core and"`},
		{"unknown tag", []string{"run", "--tags", "@req:NOPE-001"}, `unknown tag @req:NOPE-001`},
		{"malformed feature", []string{"run", "--features", malformed}, `bad.feature:4: malformed Gherkin`},
		{"feature without req", []string{"run", "--features", untagged}, `untagged.feature:2: scenario "S" has no @req`},
		{"missing features dir", []string{"run", "--features", "/nonexistent/ovacts"}, `/nonexistent/ovacts: cannot read features: no such file or directory`},
		{"unwritable junit", []string{"run", "--junit", "/proc/ovacts/junit.xml"}, `--junit: /proc/ovacts/junit.xml: no such file or directory`},
		{"comma in junit", []string{"run", "--junit", dir + "/a.xml,junit:/tmp/x"}, `a report path may not contain a comma`},
		{"comma in cucumber", []string{"run", "--cucumber", dir + "/c.json,junit:/tmp/x"}, `a report path may not contain a comma`},
		{"existing bundle", []string{"run", "--bundle", dir, "--vendor", "v", "--product-name", "p", "--product-version", "1"}, `--bundle ` + dir + ` exists: give a new directory`},
		{"bad fail-on", []string{"run", "--fail-on", "never"}, `--fail-on must be must, should or may`},
		{"zero concurrency", []string{"run", "--concurrency", "0"}, `--concurrency must be auto or a number of at least 1, got "0"`},
		{"word concurrency", []string{"run", "--concurrency", "many"}, `--concurrency must be auto or a number of at least 1, got "many"`},
		{"bad step timeout", []string{"run", "--step-timeout", "soon"}, `invalid argument "soon"`},
		{"unknown flag", []string{"run", "--frobnicate"}, `unknown flag: --frobnicate`},
		{"unknown command", []string{"certify-everything"}, `unknown command "certify-everything"`},
		{"extra argument", []string{"run", "qemu:///system"}, `unknown command "qemu:///system"`},
		{"list unknown profile", []string{"list", "--profile", "gold"}, `unknown profile "gold"`},
		{"list bad format", []string{"list", "--format", "yaml"}, `--format must be text, json or markdown`},
		{"cleanup bad URI", []string{"cleanup", "--uri", "bogus://nowhere"}, `cannot connect to bogus://nowhere`},
		{"empty URI", []string{"run", "--uri", ""}, `cannot connect to : empty URI`},
		{"unreachable host", []string{"run", "--uri", "qemu+tcp://127.0.0.1:1/system"}, `cannot connect to qemu+tcp://127.0.0.1:1/system: VIR_ERR_SYSTEM_ERROR`},
		{"unreachable ssh host", []string{"run", "--uri", "qemu+ssh://root@127.0.0.1:1/system"}, `cannot connect to qemu+ssh://root@127.0.0.1:1/system`},
		{"unknown need", []string{"run", "--features", needs}, `needs.feature:3: unknown capability @needs:warp`},
		{"requirement clash", []string{"run", "--features", clash}, `clash.feature:3: requirement CONN-001 already defined at features/connection/connection.feature`},
		{"binary feature file", []string{"run", "--features", binary}, `binary.feature`},
		{"junit is a directory", []string{"run", "--junit", dir}, `--junit: ` + dir + ` is a directory`},
		{"unwritable cucumber", []string{"run", "--cucumber", "/proc/ovacts/c.json"}, `--cucumber: /proc/ovacts/c.json: no such file or directory`},
		{"dangling not", []string{"run", "--tags", "not"}, `tag expression "not": unexpected end`},
		{"negative concurrency", []string{"run", "--concurrency", "-3"}, `--concurrency must be auto or a number of at least 1, got "-3"`},
		{"zero step timeout", []string{"run", "--step-timeout", "0s"}, `--step-timeout must be positive`},
		{"negative scenario timeout", []string{"run", "--scenario-timeout", "-1s"}, `--scenario-timeout must not be negative`},
		{"empty profile", []string{"run", "--profile", ""}, `unknown profile ""`},
		{"list malformed tags", []string{"list", "--tags", "(@core"}, `missing ')'`},
		{"list missing features", []string{"list", "--features", "/nonexistent/ovacts"}, `cannot read features`},
		{"cleanup extra argument", []string{"cleanup", "now"}, `unknown command "now"`},
		{"version unknown flag", []string{"version", "--bogus"}, `unknown flag: --bogus`},
		{"missing guest disk", []string{"run", "--guest-disk", "/nonexistent/guest.qcow2"}, `--guest-disk /nonexistent/guest.qcow2: no such file or directory`},
		{"guest disk is a directory", []string{"run", "--guest-disk", dir}, `--guest-disk ` + dir + `: not a regular file`},
		{"missing guest kernel", []string{"run", "--guest-kernel", "/nonexistent/vmlinux"}, `--guest-kernel /nonexistent/vmlinux: no such file`},
		{"missing guest initrd", []string{"run", "--guest-kernel", malformed, "--guest-initrd", "/nonexistent/initrd"}, `--guest-initrd /nonexistent/initrd: no such file`},
		{"initrd without kernel", []string{"run", "--guest-initrd", malformed}, `--guest-initrd needs --guest-kernel`},
		{"two guests", []string{"run", "--guest-kernel", malformed, "--guest-disk", malformed}, `give one guest`},
		{"guest dir without build", []string{"run", "--guest-dir", dir}, `has no guest build`},
		{"bad guest accel", []string{"run", "--guest-accel", "fast"}, `--guest-accel must be auto, kvm or tcg, got "fast"`},
		{"unreachable peer", []string{"run", "--peer-uri", "qemu+tcp://127.0.0.1:1/system"}, `peer: cannot connect to qemu+tcp://127.0.0.1:1/system`},
		{"diff missing report", []string{"diff", "/nonexistent/a.xml", malformed}, `/nonexistent/a.xml: no such file`},
		{"diff not a report", []string{"diff", malformed, malformed}, `bad.feature: not a JUnit report`},
		{"diff directory without junit", []string{"diff", dir, dir}, `junit.xml: no such file`},
		{"diff one argument", []string{"diff", malformed}, `accepts 2 arg(s), received 1`},
		{"diff bad format", []string{"diff", "--format", "yaml", malformed, malformed}, `--format must be text or json`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := ovacts(t, c.args...)
			if r.code != 2 {
				t.Fatalf("exit %d, want 2\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
			}
			lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "ovacts: ") {
				t.Fatalf("stderr is not one 'ovacts:' line: %q", r.stderr)
			}
			if !strings.Contains(lines[0], c.want) {
				t.Fatalf("stderr %q does not contain %q", lines[0], c.want)
			}
			if strings.Contains(r.stderr+r.stdout, "goroutine ") || strings.Contains(r.stderr, "s3cret") || strings.Contains(r.stdout, "s3cret") {
				t.Fatalf("a stack trace or a password leaked: %s%s", r.stdout, r.stderr)
			}
		})
	}
}

// testVersion is the version the tests' binary is stamped with.
const testVersion = "v0.0.0-ovacts-test"

// The version is stamped, never written in the code: -ldflags sets it; else
// go build's VCS stamp gives a pseudo-version of the commit, and a build
// without VCS information says "devel".
func TestVersion(t *testing.T) {
	if r := ovacts(t, "version"); r.code != 0 || r.stdout != "ovacts "+testVersion+"\n" {
		t.Fatalf("version: %d %q", r.code, r.stdout)
	}
	for flag, want := range map[string]*regexp.Regexp{
		"-buildvcs=true":  regexp.MustCompile(`^ovacts v0\.0\.0-[0-9]{14}-[0-9a-f]{12}(\+dirty)?\n$`),
		"-buildvcs=false": regexp.MustCompile(`^ovacts devel\n$`),
	} {
		b := filepath.Join(t.TempDir(), "ovacts")
		if out, err := exec.Command("go", "build", flag, "-o", b, ".").CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", flag, err, out)
		}
		out, err := exec.Command(b, "version").Output()
		if err != nil || !want.MatchString(string(out)) {
			t.Errorf("built with %s: %q %v, want %s", flag, out, err, want)
		}
	}
}

type listing struct {
	Scenarios    int `json:"scenarios"`
	Requirements []struct {
		ID    string `json:"id"`
		Level string `json:"level"`
	} `json:"requirements"`
}

func list(t *testing.T, args ...string) listing {
	t.Helper()
	r := ovacts(t, append([]string{"list", "--json"}, args...)...)
	if r.code != 0 {
		t.Fatalf("list: %d %s", r.code, r.stderr)
	}
	var c listing
	if err := json.Unmarshal([]byte(r.stdout), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestListIsADryRunOfTheSelection(t *testing.T) {
	full, core := list(t), list(t, "--profile", "core")
	if len(full.Requirements) < 40 || core.Scenarios >= full.Scenarios || core.Scenarios == 0 {
		t.Fatalf("full %d reqs/%d scenarios, core %d scenarios", len(full.Requirements), full.Scenarios, core.Scenarios)
	}
	for _, r := range core.Requirements {
		if r.Level != "MUST" {
			t.Errorf("core holds %s at level %s", r.ID, r.Level)
		}
	}
	one := list(t, "--tags", "@req:DOM-014")
	if len(one.Requirements) != 1 || one.Scenarios != 5 {
		t.Errorf("@req:DOM-014 selects %d requirements, %d scenarios", len(one.Requirements), one.Scenarios)
	}
}

type junitDoc struct {
	Tests    int `xml:"tests,attr"`
	Skipped  int // counted from the testcases (testsuites has no skipped count in junit-4)
	Errors   int `xml:"errors,attr"`
	Failures int `xml:"failures,attr"`
	Suites   []struct {
		Props []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Text string `xml:",chardata"`
			} `xml:"failure"`
			Error   *struct{} `xml:"error"`
			Skipped *struct {
				Text string `xml:",chardata"`
			} `xml:"skipped"`
			Out string `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func readJUnit(t *testing.T, path string) junitDoc {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d junitDoc
	if err := xml.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	for _, s := range d.Suites {
		for _, c := range s.Cases {
			if c.Skipped != nil {
				d.Skipped++
			}
		}
	}
	return d
}

func TestRunCoreOnTestDriver(t *testing.T) {
	junit := filepath.Join(t.TempDir(), "out", "junit.xml")
	cucumber := filepath.Join(t.TempDir(), "cucumber.json")
	r := ovacts(t, "run", "--junit", junit, "--cucumber", cucumber)
	if r.code != reports.ExitRehearsal || !strings.Contains(r.stdout, "REHEARSAL: would be conformant") || strings.Contains(r.stdout, ": CONFORMANT") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"run ", "against test:///default", "stack: TEST", "selected ", "[  1/", "PASS   CONN-001", "scenarios: ", "JUnit report: "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("progress lacks %q", want)
		}
	}
	d := readJUnit(t, junit)
	if want := list(t, "--profile", "core").Scenarios; d.Tests != want {
		t.Errorf("JUnit has %d testcases, the core profile %d scenarios", d.Tests, want)
	}
	props := map[string]string{}
	for _, p := range d.Suites[0].Props {
		props[p.Name] = p.Value
	}
	for _, k := range []string{"uri", "driver", "libvirt.client", "libvirt.daemon", "host.arch", "profile", "run.id", "suite.version", "domain.type", "hostname"} {
		if props[k] == "" {
			t.Errorf("JUnit property %s missing", k)
		}
	}
	var cj []any
	if b, err := os.ReadFile(cucumber); err != nil || json.Unmarshal(b, &cj) != nil || len(cj) == 0 {
		t.Errorf("cucumber JSON missing or empty: %v", err)
	}
}

func TestRunExitCodes(t *testing.T) {
	undefined := writeFile(t, "v.feature", "Feature: V\n  @req:VND-001 @may\n  Scenario: S\n    Then the flux capacitor is charged\n")
	if r := ovacts(t, "run", "--profile", "full", "--features", undefined, "--tags", "@req:VND-001"); r.code != 3 || !strings.Contains(r.stdout, "ERROR  VND-001") ||
		!strings.Contains(r.stdout, "INCOMPLETE") {
		t.Errorf("undefined step: exit %d\n%s", r.code, r.stdout)
	}
	// The test driver answers invalid transitions with VIR_ERR_INTERNAL_ERROR:
	// a SHOULD failure that fails the run only with --fail-on should. At
	// --fail-on must the selection judged nothing (no MUST passed): incomplete.
	if r := ovacts(t, "run", "--profile", "full", "--tags", "@req:ERR-008"); r.code != 3 || !strings.Contains(r.stdout, "FAIL   ERR-008") || !strings.Contains(r.stdout, "the selection judged nothing") {
		t.Errorf("SHOULD failure at --fail-on must: exit %d\n%s", r.code, r.stdout)
	}
	if r := ovacts(t, "run", "--profile", "full", "--tags", "@req:ERR-008", "--fail-on", "should"); r.code != 1 {
		t.Errorf("SHOULD failure at --fail-on should: exit %d", r.code)
	}
	// A profile: core would be conformant on the test driver (a rehearsal,
	// never 0); full is not (no KVM: OVH-001 fails); ovirt-engine without an
	// engine is incomplete.
	for profile, want := range map[string]int{"core": reports.ExitRehearsal, "full": 1, "ovirt-engine": 3} {
		if r := ovacts(t, "run", "--profile", profile); r.code != want {
			t.Errorf("--profile %s: exit %d, want %d\n%s", profile, r.code, want, r.stdout)
		}
	}
}

func TestRequirementsDocIsCurrent(t *testing.T) {
	r := ovacts(t, "list", "--format", "markdown")
	want, err := os.ReadFile("../../docs/requirements.md")
	if err != nil {
		t.Fatal(err)
	}
	if r.stdout != string(want) {
		t.Fatal("docs/requirements.md is stale: run 'make docs'")
	}
}

// The example of a vendor feature in docs/areas.md must run as written.
func TestReadmeVendorExampleRuns(t *testing.T) {
	b, err := os.ReadFile("../../docs/areas.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), "```gherkin\n")
	body, _, ok2 := strings.Cut(after, "```")
	if !ok || !ok2 {
		t.Fatal("docs/areas.md has no gherkin example")
	}
	r := ovacts(t, "run", "--profile", "full", "--features", writeFile(t, "vendor.feature", body), "--tags", "@req:VND-001")
	if r.code != reports.ExitRehearsal || !strings.Contains(r.stdout, "PASS   VND-001") {
		t.Fatalf("docs/areas.md example: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// --keep leaves the created objects and says so, loudly and by name.
func TestKeepSaysWhatItLeaves(t *testing.T) {
	r := ovacts(t, "run", "--keep", "--profile", "full", "--tags", "@req:DOM-002 or @req:STOR-005")
	if r.code != reports.ExitRehearsal {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"KEEP: left domain ovacts-", "KEEP: left volume ovacts-", "KEEP: left pool ovacts-", "WARNING: --keep left every object"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
}

// firstLine is the first line of s that starts with prefix.
func firstLine(s, prefix string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}
