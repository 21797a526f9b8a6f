package reports

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/ovacts/ovacts/internal/safeio"
	"go.yaml.in/yaml/v3"
)

// A certification bundle is a directory: product.yaml, junit.xml,
// cucumber.json, run.log, stack.json, manifest.json (the sha256 of every other
// file) and manifest.sig (an ed25519 signature over manifest.json).
const (
	BundleProduct  = "product.yaml"
	BundleJUnit    = "junit.xml"
	BundleCucumber = "cucumber.json"
	BundleLog      = "run.log"
	BundleStack    = "stack.json"
	BundleManifest = "manifest.json"
	BundleSig      = "manifest.sig"
)

// MaxInputBytes bounds every file ovacts reads back (untrusted input): a
// report, a bundle's files, a product description, a waiver list.
const MaxInputBytes = 64 << 20

// maxKeyFile bounds a PEM key file.
const maxKeyFile = 64 << 10

// Product says what was certified.
type Product struct {
	Vendor  string `yaml:"vendor" json:"vendor"`
	Product string `yaml:"product" json:"product"`
	Version string `yaml:"version" json:"version"`
	URL     string `yaml:"url,omitempty" json:"url,omitempty"`
	Contact string `yaml:"contact,omitempty" json:"contact,omitempty"`
}

// Check says what a product description lacks.
func (p *Product) Check() error {
	var missing []string
	for name, v := range map[string]string{"vendor": p.Vendor, "product": p.Product, "version": p.Version} {
		if strings.TrimSpace(v) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("product description lacks %s", strings.Join(missing, ", "))
	}
	return nil
}

// ReadProduct reads product.yaml strictly: unknown fields are an error.
func ReadProduct(r io.Reader) (*Product, error) {
	data, err := readBounded(r)
	if err != nil {
		return nil, err
	}
	var p Product
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("product YAML: %w", err)
	}
	if err := p.Check(); err != nil {
		return nil, err
	}
	return &p, nil
}

// WriteProduct writes product.yaml.
func WriteProduct(w io.Writer, p *Product) error {
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(p); err != nil {
		return err
	}
	return enc.Close()
}

// WriteStack writes stack.json: the run's properties (versions, arch, domain
// types, accelerator, suite version, profile, capabilities digest), by name.
func WriteStack(w io.Writer, r *Report) error {
	stack := map[string]string{}
	for _, p := range r.Properties {
		stack[p.Name] = p.Value
	}
	data, err := json.MarshalIndent(stack, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

// Manifest lists the sha256 of every bundle file but itself and its signature.
type Manifest struct {
	Format int               `json:"format"`
	Files  map[string]string `json:"files"`
}

// ReadManifest parses manifest.json.
func ReadManifest(r io.Reader) (*Manifest, error) {
	data, err := readBounded(r)
	if err != nil {
		return nil, err
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if m.Format != 1 {
		return nil, fmt.Errorf("manifest format %d, want 1", m.Format)
	}
	for name, sum := range m.Files {
		if name != filepath.Base(name) || name == "." || name == ".." || name == BundleManifest || name == BundleSig {
			return nil, fmt.Errorf("manifest names %q, which is not a bundle file", name)
		}
		if b, err := hex.DecodeString(sum); err != nil || len(b) != sha256.Size {
			return nil, fmt.Errorf("manifest: %q is not a sha256 of %s", sum, name)
		}
	}
	return &m, nil
}

func readBounded(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxInputBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxInputBytes {
		return nil, fmt.Errorf("larger than %d MiB", MaxInputBytes>>20)
	}
	return data, nil
}

// SealBundle writes manifest.json over every other file in dir and, with a
// key, manifest.sig. Only regular files may be in a bundle.
func SealBundle(dir string, key ed25519.PrivateKey) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	m := Manifest{Format: 1, Files: map[string]string{}}
	for _, e := range entries {
		if e.Name() == BundleManifest || e.Name() == BundleSig {
			continue
		}
		if m.Files[e.Name()], err = safeio.SumRegular(filepath.Join(dir, e.Name()), MaxInputBytes); err != nil {
			return err
		}
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if err := writeNew(filepath.Join(dir, BundleManifest), data, 0o644); err != nil {
		return err
	}
	if key == nil {
		return nil
	}
	sig := ed25519.Sign(key, data)
	return writeNew(filepath.Join(dir, BundleSig), []byte(hex.EncodeToString(sig)+"\n"), 0o644)
}

// writeNew writes a file that must not exist yet (nor a link in its place).
func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := safeio.CreateExclusive(path, mode)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	return errors.Join(err, f.Close())
}

// GenerateKeys writes an ed25519 key pair as PEM: PKCS #8 private (0600),
// PKIX public. Neither file may exist yet, not even as a dangling link.
func GenerateKeys(privPath, pubPath string) error {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	pk, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return err
	}
	if err := writeNew(privPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}), 0o600); err != nil {
		return err
	}
	if err := writeNew(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644); err != nil {
		os.Remove(privPath)
		return err
	}
	return nil
}

// ReadPrivateKey reads an ed25519 private key written by GenerateKeys.
func ReadPrivateKey(path string) (ed25519.PrivateKey, error) {
	block, err := readPEM(path, "PRIVATE KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(block)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: not an ed25519 key", path)
	}
	return ek, nil
}

// ReadPublicKey reads an ed25519 public key written by GenerateKeys.
func ReadPublicKey(path string) (ed25519.PublicKey, error) {
	block, err := readPEM(path, "PUBLIC KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKIXPublicKey(block)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ek, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%s: not an ed25519 key", path)
	}
	return ek, nil
}

func readPEM(path, typ string) ([]byte, error) {
	data, err := safeio.ReadRegular(path, maxKeyFile)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != typ {
		return nil, fmt.Errorf("%s: no PEM %q block", path, typ)
	}
	return block.Bytes, nil
}

// Finding is one check of verify.
type Finding struct {
	Check string
	OK    bool
	Msg   string
}

// VerifyInput is what verify checks a bundle against.
type VerifyInput struct {
	Dir           string
	PublicKey     ed25519.PublicKey // nil: the signature cannot be checked, which fails
	KnownVersions []string
	// Profile gives, per suite version, what a profile demands in that
	// version's catalogue.
	Profile func(version, profile string) (Profile, error)
	Level   string // the level judged (--fail-on): MUST by default
}

var summaryLine = regexp.MustCompile(`(?m)^([0-9]+) scenarios: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) blocked, ([0-9]+) not applicable, ([0-9]+) not run(?:, ([0-9]+) waived)?(?:, ([0-9]+) suite errors)?`)

// Bundle is what CheckBundle read of a bundle.
type Bundle struct {
	Findings []Finding
	Product  *Product
	Stack    map[string]string
	Results  *Results
	// Intact: the manifest, the hashes, the signature, the product, the stack,
	// the suite version and the report all check out, and agree.
	Intact bool
}

// bundleFiles are the files every bundle has besides its manifest and signature.
var bundleFiles = []string{BundleProduct, BundleJUnit, BundleCucumber, BundleLog, BundleStack}

// verifier gathers a bundle's findings, reading each file once, bounded and
// only as a regular file of the bundle (a link, a FIFO or a device is refused).
type verifier struct {
	in       VerifyInput
	findings []Finding
	manData  []byte
	manErr   error
	product  *Product
	stack    map[string]string
	stackOK  bool
	results  *Results
}

func (v *verifier) add(check string, err error, okMsg string) bool {
	if err != nil {
		v.findings = append(v.findings, Finding{Check: check, Msg: err.Error()})
		return false
	}
	v.findings = append(v.findings, Finding{Check: check, OK: true, Msg: okMsg})
	return true
}

func (v *verifier) read(name string) ([]byte, error) {
	return safeio.ReadRegular(filepath.Join(v.in.Dir, name), MaxInputBytes)
}

// CheckBundle checks that a bundle is intact and what it claims to be:
// manifest and hashes, signature, product, stack, suite version, report, and
// that the report, the log and the stack agree. It judges nothing.
func CheckBundle(in VerifyInput) Bundle {
	v := &verifier{in: in, stack: map[string]string{}}
	v.checkManifest()
	v.checkSignature()
	v.checkProduct()
	v.checkStack()
	v.checkResults()
	b := Bundle{Findings: v.findings, Product: v.product, Stack: v.stack, Results: v.results, Intact: true}
	for _, f := range v.findings {
		b.Intact = b.Intact && f.OK
	}
	return b
}

// VerifyBundle checks a bundle (CheckBundle) and judges the profile it claims
// (Judge), and returns every finding, passed or not.
func VerifyBundle(in VerifyInput) []Finding {
	b := CheckBundle(in)
	fs := b.Findings
	if b.Results == nil || b.Stack["profile"] == "" {
		return fs
	}
	level := in.Level
	if level == "" {
		level = "MUST"
	}
	if tags := b.Stack["tags"]; tags != "" {
		// Judged as run judged it, and never a certification.
		return append(fs, Finding{Check: "verdict", Msg: fmt.Sprintf("the run selected tags %q, which certifies no profile; %s", tags, JudgeSelection(b.Results, level))})
	}
	p, err := in.Profile(b.Stack["suite.version"], b.Stack["profile"])
	if err != nil {
		return append(fs, Finding{Check: "verdict", Msg: err.Error()})
	}
	verdict := Judge(p, b.Results, level)
	return append(fs, Finding{Check: "verdict", OK: verdict.Kind == Conformant, Msg: verdict.String()})
}

// checkManifest: the manifest covers exactly the bundle's files, byte for byte.
func (v *verifier) checkManifest() {
	var man *Manifest
	v.manData, v.manErr = v.read(BundleManifest)
	if v.manErr == nil {
		man, v.manErr = ReadManifest(bytes.NewReader(v.manData))
	}
	if !v.add("manifest", v.manErr, "parses") {
		return
	}
	entries, err := os.ReadDir(v.in.Dir)
	var problems []string
	if err != nil {
		problems = append(problems, err.Error())
	}
	present := map[string]bool{}
	for _, e := range entries {
		if e.Name() == BundleManifest || e.Name() == BundleSig {
			continue
		}
		present[e.Name()] = true
		want, listed := man.Files[e.Name()]
		if !listed {
			problems = append(problems, e.Name()+" is not in the manifest")
			continue
		}
		got, err := safeio.SumRegular(filepath.Join(v.in.Dir, e.Name()), MaxInputBytes)
		if err != nil {
			problems = append(problems, err.Error())
		} else if got != want {
			problems = append(problems, e.Name()+" does not match its sha256 in the manifest")
		}
	}
	for _, name := range bundleFiles {
		if !present[name] {
			problems = append(problems, name+" is missing")
		}
	}
	for name := range man.Files {
		if !present[name] {
			problems = append(problems, name+" is in the manifest but not in the bundle")
		}
	}
	sort.Strings(problems)
	var perr error
	if len(problems) > 0 {
		perr = errors.New(strings.Join(problems, "; "))
	}
	v.add("hashes", perr, fmt.Sprintf("%d files match the manifest", len(man.Files)))
}

// checkSignature: an ed25519 signature over the manifest by the given key.
func (v *verifier) checkSignature() {
	err := func() error {
		if v.in.PublicKey == nil {
			return errors.New("not checked: give the signer's public key with --pubkey")
		}
		raw, err := safeio.ReadRegular(filepath.Join(v.in.Dir, BundleSig), 4096)
		if err != nil {
			return fmt.Errorf("no signature: %w", err)
		}
		// Exactly as written: the hex signature and a newline, so that no byte of
		// the bundle can change unnoticed.
		text, ok := strings.CutSuffix(string(raw), "\n")
		sig, err := hex.DecodeString(text)
		if !ok || err != nil || len(sig) != ed25519.SignatureSize {
			return errors.New("the signature file is not a hex ed25519 signature and a newline")
		}
		if v.manErr != nil || !ed25519.Verify(v.in.PublicKey, v.manData, sig) {
			return errors.New("the signature does not match the manifest and this key")
		}
		return nil
	}()
	v.add("signature", err, "valid ed25519 signature over the manifest")
}

func (v *verifier) checkProduct() {
	data, err := v.read(BundleProduct)
	if err == nil {
		v.product, err = ReadProduct(bytes.NewReader(data))
	}
	msg := ""
	if v.product != nil {
		msg = fmt.Sprintf("%s %s %s", v.product.Vendor, v.product.Product, v.product.Version)
	}
	v.add("product", err, msg)
}

// checkStack: the stack, the suite version and the profile.
func (v *verifier) checkStack() {
	data, err := v.read(BundleStack)
	if err == nil {
		v.stack, err = ReadStack(data)
	}
	s := v.stack
	v.stackOK = v.add("stack", err, fmt.Sprintf("%s, libvirt %s, hypervisor %s", s["driver"], s["libvirt.daemon"], s["hypervisor.version"]))
	if !v.stackOK {
		return
	}
	if IsRehearsal(s) {
		v.add("rehearsal", nil, "run on libvirt's test driver (in-process, fake objects): a rehearsal of the suite, not a certification of a stack")
	}
	var verr error
	if !slices.Contains(v.in.KnownVersions, s["suite.version"]) {
		verr = fmt.Errorf("suite version %q is not one this verifier knows (%s)", s["suite.version"], strings.Join(v.in.KnownVersions, ", "))
	}
	v.add("suite version", verr, s["suite.version"])
}

// IsRehearsal says whether a run's stack was libvirt's test driver, whose
// results rehearse the suite and certify nothing.
func IsRehearsal(stack map[string]string) bool { return strings.EqualFold(stack["driver"], "test") }

// ReadStack parses stack.json and checks it names what verify relies on.
func ReadStack(data []byte) (map[string]string, error) {
	stack := map[string]string{}
	if err := json.Unmarshal(data, &stack); err != nil {
		return nil, fmt.Errorf("stack.json: %w", err)
	}
	for _, k := range []string{"suite.version", "profile", "run.id", "libvirt.daemon", "driver"} {
		if stack[k] == "" {
			return nil, fmt.Errorf("stack.json lacks %s", k)
		}
	}
	return stack, nil
}

// checkResults: the report parses and agrees with the log and the stack.
func (v *verifier) checkResults() {
	data, err := v.read(BundleJUnit)
	if err == nil {
		v.results, err = ReadJUnit(bytes.NewReader(data))
	}
	if !v.add("junit", err, fmt.Sprintf("parses: %s", v.countsOf())) || !v.stackOK {
		return
	}
	v.add("agreement", v.agreement(), "junit.xml, run.log and stack.json agree")
}

func (v *verifier) countsOf() string {
	if v.results == nil {
		return ""
	}
	return fmt.Sprintf("%d scenarios: %s", v.results.Cases.Total, v.results.Cases)
}

func (v *verifier) agreement() error {
	res, stack := v.results, v.stack
	var problems []string
	for _, k := range []string{"run.id", "profile", "suite.version", "libvirt.daemon", "driver", "hypervisor.version"} {
		if res.Properties[k] != stack[k] {
			problems = append(problems, fmt.Sprintf("%s is %q in junit.xml, %q in stack.json", k, res.Properties[k], stack[k]))
		}
	}
	if logData, err := v.read(BundleLog); err != nil {
		problems = append(problems, err.Error())
	} else {
		log := string(logData)
		if !strings.Contains(log, " run "+stack["run.id"]+" ") {
			problems = append(problems, "run.log is not the log of run "+stack["run.id"])
		}
		m := summaryLine.FindStringSubmatch(log)
		want := res.Cases
		if m == nil {
			problems = append(problems, "run.log has no summary line")
		} else if got := (Counts{Total: atoi(m[1]), Passed: atoi(m[2]), Failed: atoi(m[3]), Blocked: atoi(m[4]), NotApplicable: atoi(m[5]),
			NotRun: atoi(m[6]), Waived: atoi(m[7]), SuiteErrors: atoi(m[8])}); got != want {
			problems = append(problems, fmt.Sprintf("run.log counts %d scenarios: %s; junit.xml %d: %s", got.Total, got, want.Total, want))
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }
