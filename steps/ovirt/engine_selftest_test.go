package ovirt_test

// Self-test of the oVirt engine steps: an in-process HTTPS stub with canned
// answers, well-behaved or with one flaw at a time. It proves the checks pass
// on an engine that keeps the contract and fail on one that breaks it. These
// runs are labelled self-tests in their reports; they are never conformance.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/features"
	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/reports"
	"github.com/ovacts/ovacts/steps"
)

type flaw string

const (
	wellBehaved    flaw = ""
	badTokenType   flaw = "the SSO issues a token that is not a bearer token"
	noScopeCheck   flaw = "the API lets in tokens issued without scope=ovirt-app-api"
	noV4Path       flaw = "the API does not serve the /v4 path"
	acceptsV3      flaw = "the API serves version 3 instead of answering 400"
	noJSON         flaw = "the API root comes as XML when JSON is asked for"
	missingLink    flaw = "the API root has no jobs link"
	malformedFault flaw = "errors come without a fault document"
	noRevoke       flaw = "logout does not revoke the token"
	badCollection  flaw = "the vms collection breaks the engine's own XSD"
	removeLeaves   flaw = "a removed VM stays"
	startRefused   flaw = "VMs cannot be started"
)

// The requirement each flaw must fail, and only it.
var flawFails = map[flaw]string{
	badTokenType: "OVIRT-001", noScopeCheck: "OVIRT-002", noV4Path: "OVIRT-003", acceptsV3: "OVIRT-004",
	noJSON: "OVIRT-005", missingLink: "OVIRT-006", malformedFault: "OVIRT-007", noRevoke: "OVIRT-008",
	badCollection: "OVIRT-009", removeLeaves: "OVIRT-010", startRefused: "OVIRT-011",
}

const stubUser, stubPassword = "admin@internal", "stub-secret"

type stubVM struct{ id, name, status string }

// engineStub answers like ovirt-engine 4.5 for what the steps ask.
type engineStub struct {
	flaw   flaw
	mu     sync.Mutex
	tokens map[string]string // token -> scope
	vms    map[string]*stubVM
	seq    int
}

func newEngineStub(f flaw) *engineStub {
	return &engineStub{flaw: f, tokens: map[string]string{}, vms: map[string]*stubVM{}}
}

const stubXSD = `<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:complexType name="Named">
    <xs:sequence>
      <xs:element name="name" type="xs:string" minOccurs="0"/>
      <xs:element name="status" type="xs:string" minOccurs="0"/>
    </xs:sequence>
    <xs:attribute name="id" type="xs:string"/>
    <xs:attribute name="href" type="xs:string"/>
  </xs:complexType>
  <xs:element name="vms"><xs:complexType><xs:sequence><xs:element name="vm" type="Named" minOccurs="0" maxOccurs="unbounded"/></xs:sequence></xs:complexType></xs:element>
  <xs:element name="hosts"><xs:complexType><xs:sequence><xs:element name="host" type="Named" minOccurs="0" maxOccurs="unbounded"/></xs:sequence></xs:complexType></xs:element>
  <xs:element name="clusters"><xs:complexType><xs:sequence><xs:element name="cluster" type="Named" minOccurs="0" maxOccurs="unbounded"/></xs:sequence></xs:complexType></xs:element>
  <xs:element name="data_centers"><xs:complexType><xs:sequence><xs:element name="data_center" type="Named" minOccurs="0" maxOccurs="unbounded"/></xs:sequence></xs:complexType></xs:element>
  <xs:element name="templates"><xs:complexType><xs:sequence><xs:element name="template" type="Named" minOccurs="0" maxOccurs="unbounded"/></xs:sequence></xs:complexType></xs:element>
</xs:schema>
`

var rootLinks = []string{"vms", "hosts", "clusters", "datacenters", "storagedomains", "disks", "networks", "templates", "jobs"}

var versionPath = regexp.MustCompile(`^/ovirt-engine/api/v([0-9]+)(/.*)?$`)

func (s *engineStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case r.URL.Path == "/ovirt-engine/sso/oauth/token":
		s.token(w, r)
	case r.URL.Path == "/ovirt-engine/services/sso-logout":
		r.ParseForm()
		if s.flaw != noRevoke {
			delete(s.tokens, r.PostForm.Get("token"))
		}
		writeJSON(w, 200, map[string]any{})
	case r.URL.Path == "/ovirt-engine/api" || strings.HasPrefix(r.URL.Path, "/ovirt-engine/api/"):
		s.api(w, r)
	default:
		http.NotFound(w, r)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func writeXML(w http.ResponseWriter, code int, doc string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(code)
	fmt.Fprint(w, doc)
}

func (s *engineStub) token(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	f := r.PostForm
	if f.Get("grant_type") != "password" || f.Get("username") != stubUser || f.Get("password") != stubPassword {
		writeJSON(w, 400, map[string]string{"error_code": "access_denied", "error": "Cannot authenticate user"})
		return
	}
	// Like the engine: a token without the scope parameter has an empty scope.
	s.seq++
	tok := fmt.Sprintf("stub-token-%d", s.seq)
	s.tokens[tok] = f.Get("scope")
	typ := "bearer"
	if s.flaw == badTokenType {
		typ = "mac"
	}
	writeJSON(w, 200, map[string]any{"access_token": tok, "scope": f.Get("scope"), "exp": "9999999999999", "token_type": typ})
}

func (s *engineStub) fault(w http.ResponseWriter, r *http.Request, code int, reason, detail string) {
	switch {
	case s.flaw == malformedFault:
		writeXML(w, code, "<error>"+detail+"</error>")
	case r.Header.Get("Accept") == "application/json":
		writeJSON(w, code, map[string]string{"reason": reason, "detail": detail})
	default:
		writeXML(w, code, fmt.Sprintf("<fault><reason>%s</reason><detail>%s</detail></fault>", reason, detail))
	}
}

func (s *engineStub) api(w http.ResponseWriter, r *http.Request) {
	version, path := r.Header.Get("Version"), strings.TrimPrefix(r.URL.Path, "/ovirt-engine/api")
	if m := versionPath.FindStringSubmatch(r.URL.Path); m != nil {
		version, path = m[1], m[2]
		if version == "4" && s.flaw == noV4Path {
			http.NotFound(w, r)
			return
		}
	}
	if version == "" {
		version = "4"
	}
	if version != "4" && !(version == "3" && s.flaw == acceptsV3) {
		w.WriteHeader(400) // the engine's VersionFilter: sendError(400), no document
		return
	}
	auth := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	scope, ok := s.tokens[auth]
	if !ok || (!strings.Contains(" "+scope+" ", " ovirt-app-api ") && s.flaw != noScopeCheck) {
		w.WriteHeader(401)
		return
	}
	json := r.Header.Get("Accept") == "application/json"
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case path == "" || path == "/":
		if _, schema := r.URL.Query()["schema"]; schema {
			writeXML(w, 200, stubXSD)
			return
		}
		if json && s.flaw != noJSON {
			writeJSON(w, 200, map[string]any{"product_info": map[string]string{"name": "oVirt Engine (stub)"}})
			return
		}
		var links strings.Builder
		for _, rel := range rootLinks {
			if rel == "jobs" && s.flaw == missingLink {
				continue
			}
			fmt.Fprintf(&links, `<link href="/ovirt-engine/api/%s" rel="%s"/>`, rel, rel)
		}
		writeXML(w, 200, "<api>"+links.String()+"<product_info><name>oVirt Engine (stub)</name></product_info></api>")
	case parts[0] == "vms" && len(parts) == 1 && r.Method == http.MethodPost:
		var v struct {
			Name string `xml:"name"`
		}
		if xml.NewDecoder(r.Body).Decode(&v) != nil || v.Name == "" {
			s.fault(w, r, 400, "Incomplete parameters", "Vm [name] required for add")
			return
		}
		s.seq++
		vm := &stubVM{id: fmt.Sprintf("00000000-0000-4000-8000-%012d", s.seq), name: v.Name, status: "down"}
		s.vms[vm.id] = vm
		writeXML(w, 201, fmt.Sprintf(`<vm id="%s"><name>%s</name><status>down</status></vm>`, vm.id, vm.name))
	case parts[0] == "vms" && len(parts) == 1:
		var b strings.Builder
		for _, vm := range s.vms {
			fmt.Fprintf(&b, `<vm id="%s"><name>%s</name><status>%s</status>`, vm.id, vm.name, vm.status)
			if s.flaw == badCollection {
				b.WriteString("<bogus/>")
			}
			b.WriteString("</vm>")
		}
		if s.flaw == badCollection && len(s.vms) == 0 {
			b.WriteString(`<vm id="x"><bogus/></vm>`)
		}
		writeXML(w, 200, "<vms>"+b.String()+"</vms>")
	case parts[0] == "vms":
		vm, ok := s.vms[parts[1]]
		if !ok {
			s.fault(w, r, 404, "Operation Failed", "Entity not found: "+parts[1])
			return
		}
		switch {
		case len(parts) == 2 && r.Method == http.MethodGet:
			writeXML(w, 200, fmt.Sprintf(`<vm id="%s"><name>%s</name><status>%s</status></vm>`, vm.id, vm.name, vm.status))
		case len(parts) == 2 && r.Method == http.MethodDelete:
			if s.flaw != removeLeaves {
				delete(s.vms, vm.id)
			}
			writeXML(w, 200, "<action><status>complete</status></action>")
		case len(parts) == 3 && parts[2] == "start":
			if s.flaw == startRefused {
				s.fault(w, r, 409, "Operation Failed", "Cannot run VM. VM is not bootable")
				return
			}
			vm.status = "up"
			writeXML(w, 200, "<action><status>complete</status></action>")
		case len(parts) == 3 && parts[2] == "stop":
			vm.status = "down"
			writeXML(w, 200, "<action><status>complete</status></action>")
		default:
			s.fault(w, r, 404, "Operation Failed", "no such action")
		}
	case parts[0] == "clusters":
		writeXML(w, 200, `<clusters><cluster id="c1"><name>Default</name></cluster></clusters>`)
	case parts[0] == "hosts":
		writeXML(w, 200, `<hosts><host id="h1"><name>host1</name><status>up</status></host></hosts>`)
	case parts[0] == "datacenters":
		writeXML(w, 200, `<data_centers><data_center id="d1"><name>Default</name><status>up</status></data_center></data_centers>`)
	case parts[0] == "templates":
		writeXML(w, 200, `<templates><template id="t0"><name>Blank</name></template></templates>`)
	default:
		s.fault(w, r, 404, "Operation Failed", "no such collection")
	}
}

// stubRun runs the ovirt-engine profile against a stub, labelled a self-test.
func stubRun(t *testing.T, f flaw, mutate func(*harness.Config)) (*reports.Report, error) {
	t.Helper()
	stub := newEngineStub(f)
	srv := httptest.NewTLSServer(stub)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	pw := filepath.Join(dir, "password")
	if err := os.WriteFile(pw, []byte(stubPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	label := "oVirt engine steps against an HTTPS stub, well-behaved"
	if f != wellBehaved {
		label = "oVirt engine steps against an HTTPS stub where " + string(f)
	}
	cfg := harness.Config{URI: "test:///default", Profile: "ovirt-engine", Concurrency: 1, StepTimeout: 10 * time.Second,
		FailOn: catalogue.MUST, SuiteVersion: "selftest", Registry: harness.RunRegistry{Dir: t.TempDir()}, SelfTest: label,
		OVirt: harness.OVirtConfig{URL: srv.URL, User: stubUser, PasswordFile: pw, CAFile: ca, AllowChanges: true}}
	if mutate != nil {
		mutate(&cfg)
	}
	rep, err := harness.Run(context.Background(), cfg, features.FS, steps.Initialize)
	if err == nil && f == wellBehaved {
		stub.mu.Lock()
		left := len(stub.vms) + len(stub.tokens)
		stub.mu.Unlock()
		if left != 0 {
			t.Errorf("the run left %d VMs and tokens on the engine", left)
		}
	}
	return rep, err
}

func failedReqs(rep *reports.Report) (failed []string, passed, other int) {
	seen := map[string]bool{}
	for _, o := range rep.Outcomes {
		switch o.Status {
		case reports.Failed:
			if !seen[o.ReqID] {
				failed = append(failed, o.ReqID)
				seen[o.ReqID] = true
			}
		case reports.Passed:
			passed++
		default:
			other++
		}
	}
	sort.Strings(failed)
	return failed, passed, other
}

func TestOVirtEngineSelfTest(t *testing.T) {
	rep, err := stubRun(t, wellBehaved, nil)
	if err != nil {
		t.Fatal(err)
	}
	failed, passed, other := failedReqs(rep)
	if len(failed) != 0 || other != 0 || passed != len(rep.Outcomes) || passed == 0 {
		t.Fatalf("well-behaved stub: failed %v, %d passed, %d other of %d", failed, passed, other, len(rep.Outcomes))
	}
	if dir := os.Getenv("OVACTS_SELFTEST_DIR"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		fh, err := os.Create(filepath.Join(dir, "ovirt-engine-stub.xml"))
		if err != nil {
			t.Fatal(err)
		}
		defer fh.Close()
		if err := reports.WriteJUnit(fh, rep); err != nil {
			t.Fatal(err)
		}
	}
	for f, want := range flawFails {
		t.Run(string(f), func(t *testing.T) {
			rep, err := stubRun(t, f, nil)
			if err != nil {
				t.Fatal(err)
			}
			failed, _, other := failedReqs(rep)
			if strings.Join(failed, ",") != want || other != 0 {
				t.Errorf("failed %v (and %d neither passed nor failed), want exactly %s to fail", failed, other, want)
			}
		})
	}
}

// The report of a self-test says so, and is refused where conformance is read.
func TestOVirtEngineSelfTestIsNeverConformance(t *testing.T) {
	rep, err := stubRun(t, wellBehaved, nil)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := reports.WriteJUnit(&b, rep); err != nil {
		t.Fatal(err)
	}
	doc := b.String()
	if !strings.Contains(doc, `<testsuites name="`+reports.SelfTestSuite+`"`) || !strings.Contains(doc, `name="self-test, not conformance: oVirt engine API"`) ||
		!strings.Contains(doc, `name="selftest" value="oVirt engine steps against an HTTPS stub, well-behaved; not conformance"`) {
		t.Errorf("the JUnit does not say it is a self-test:\n%.600s", doc)
	}
	if _, err := reports.ReadJUnit(strings.NewReader(doc)); err == nil || !strings.Contains(err.Error(), "not a conformance result") {
		t.Errorf("a self-test report was read as results: %v", err)
	}
}

// Without an engine the profile is skipped as a missing precondition; a
// read-only run skips the scenarios that change the engine.
func TestOVirtEngineWithoutEngineOrChanges(t *testing.T) {
	rep, err := stubRun(t, wellBehaved, func(c *harness.Config) { c.OVirt = harness.OVirtConfig{} })
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range rep.Outcomes {
		if o.Status != reports.NotRun || o.Capability != "ovirt-engine" || !strings.Contains(o.Reason, "no engine supplied (--ovirt-url)") {
			t.Errorf("%s: %s %s %q", o.ReqID, o.Status, o.Capability, o.Reason)
		}
	}
	rep, err = stubRun(t, wellBehaved, func(c *harness.Config) { c.OVirt.AllowChanges = false })
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range rep.Outcomes {
		changes := o.ReqID == "OVIRT-010" || o.ReqID == "OVIRT-011"
		if changes && (o.Status != reports.NotRun || !strings.Contains(o.Reason, "--ovirt-allow-changes")) {
			t.Errorf("%s in a read-only run: %s %q", o.ReqID, o.Status, o.Reason)
		}
		if !changes && o.Status != reports.Passed {
			t.Errorf("%s in a read-only run: %s %q", o.ReqID, o.Status, o.Reason)
		}
	}
}

// Bad engine input is a setup error before anything runs.
func TestOVirtEngineBadInput(t *testing.T) {
	for name, mutate := range map[string]func(*harness.Config){
		"no user":                func(c *harness.Config) { c.OVirt.User = "" },
		"no password file":       func(c *harness.Config) { c.OVirt.PasswordFile = "/nonexistent/pw" },
		"no CA and not insecure": func(c *harness.Config) { c.OVirt.CAFile = "" },
		"CA and insecure":        func(c *harness.Config) { c.OVirt.Insecure = true },
		"plain http":             func(c *harness.Config) { c.OVirt.URL = strings.Replace(c.OVirt.URL, "https:", "http:", 1) },
		"credentials in URL":     func(c *harness.Config) { c.OVirt.URL = strings.Replace(c.OVirt.URL, "https://", "https://u:p@", 1) },
		"closed port":            func(c *harness.Config) { c.OVirt.URL = "https://127.0.0.1:1" },
		"CA that is not PEM":     func(c *harness.Config) { c.OVirt.CAFile = c.OVirt.PasswordFile },
		"wrong CA":               func(c *harness.Config) { c.OVirt.CAFile = otherCA(t) },
	} {
		t.Run(name, func(t *testing.T) {
			_, err := stubRun(t, wellBehaved, mutate)
			var se *harness.SetupError
			if err == nil || !errors.As(err, &se) {
				t.Errorf("want a setup error, got %v", err)
			}
		})
	}
}

// otherCA writes a self-signed CA certificate that did not sign the stub's.
func otherCA(t *testing.T) string {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "not the engine's CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "other-ca.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
