// Verifying a certification bundle: its manifest, hashes and signature, its
// product and stack, and that its report agrees with its run log.

package reports

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/internal/safeio"
)

// Finding is one check of verify.
type Finding struct {
	Check string
	OK    bool
	Msg   string
}

// VerifyInput is what verify checks a bundle against.
type VerifyInput struct {
	Dir       string
	PublicKey ed25519.PublicKey // nil: the signature cannot be checked, which fails
	// KeyFor, when set, gives the key of the vendor the bundle's product.yaml
	// names (the bytes hashed, parsed once): the bundle verifies only with its
	// own vendor's key, never with any key offered. It replaces PublicKey.
	KeyFor func(vendor string) (ed25519.PublicKey, error)
	// Now is when the run's date is judged (a run dated after it is refused);
	// zero: the time of the check.
	Now time.Time
	// readFile reads a bundle file (safeio.ReadRegular); tests replace it to
	// change a file between two reads.
	readFile func(path string, max int64) ([]byte, error)
	// Sets are the requirement sets the verifier knows, oldest first: a
	// bundle is checked against the one it names.
	Sets []catalogue.SetInfo
	// Profile gives what a profile demands in a requirement set.
	Profile func(set, profile string) (catalogue.Profile, error)
	Level   string // the level judged (--fail-on): MUST by default
	// Services are the service releases the verifier knows: a bundle that
	// names one is judged without its exclusions (service.go).
	Services []ServiceRelease
	// Revocations, when given, is the program's signed revocation list: a
	// revoked product version fails (revocation.go).
	Revocations *Revocations
}

// CheckSet names verify's check of the requirement set.
const CheckSet = "set"

// AcceptedSets is how many of the newest released sets results are accepted
// against (as OpenStack's interop program accepts the two latest guidelines).
const AcceptedSets = 2

var summaryLine = regexp.MustCompile(`(?m)^([0-9]+) scenarios: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) blocked, ([0-9]+) not applicable, ([0-9]+) not run(?:, ([0-9]+) waived)?(?:, ([0-9]+) suite errors)?`)

// Bundle is what CheckBundle read of a bundle.
type Bundle struct {
	Findings []Finding
	Product  *Product
	Key      ed25519.PublicKey // the key the signature was checked with
	Stack    map[string]string
	Results  *Results
	// Intact: the manifest, the hashes, the signature, the product, the stack,
	// the requirement set and the report all check out, and agree.
	Intact bool
	// Set is the requirement set it was run against (when the verifier
	// knows it); a draft set's bundle certifies nothing.
	Set *catalogue.SetInfo
	// SetExpired: its set is released but older than the accepted ones.
	SetExpired bool
	// Service is the service release it ran against, when it names one the
	// verifier knows; nil otherwise.
	Service *ServiceRelease
}

// Draft reports whether it ran against a draft set.
func (b Bundle) Draft() bool { return b.Set != nil && b.Set.Status == "draft" }

// bundleFiles are the files every bundle has besides its manifest and signature.
var bundleFiles = []string{BundleProduct, BundleJUnit, BundleCucumber, BundleLog, BundleStack}

// verifier gathers a bundle's findings, reading each file once, bounded and
// only as a regular file of the bundle (a link, a FIFO or a device is refused).
type verifier struct {
	in         VerifyInput
	findings   []Finding
	files      map[string][]byte // each file as read once: hashed and parsed from these bytes
	manData    []byte
	manErr     error
	product    *Product
	productErr error
	parsed     bool
	key        ed25519.PublicKey
	stack      map[string]string
	stackOK    bool
	results    *Results
	set        *catalogue.SetInfo
	setExpired bool
	service    *ServiceRelease
}

func (v *verifier) add(check string, err error, okMsg string) bool {
	if err != nil {
		v.findings = append(v.findings, Finding{Check: check, Msg: err.Error()})
		return false
	}
	v.findings = append(v.findings, Finding{Check: check, OK: true, Msg: okMsg})
	return true
}

// read gives a bundle file's bytes: those hashed, when the manifest check
// read it; a file is never read a second time.
func (v *verifier) read(name string) ([]byte, error) {
	if data, ok := v.files[name]; ok {
		return data, nil
	}
	data, err := v.in.readFile(filepath.Join(v.in.Dir, name), MaxInputBytes)
	if err == nil {
		v.files[name] = data
	}
	return data, err
}

// CheckBundle checks that a bundle is intact and what it claims to be:
// manifest and hashes, signature, product, stack, suite version, report, and
// that the report, the log and the stack agree. It judges nothing.
func CheckBundle(in VerifyInput) Bundle {
	if in.readFile == nil {
		in.readFile = safeio.ReadRegular
	}
	v := &verifier{in: in, stack: map[string]string{}, files: map[string][]byte{}}
	v.checkManifest()
	v.checkSignature()
	v.checkProduct()
	v.checkStack()
	v.checkService()
	v.checkResults()
	v.checkDates()
	b := Bundle{Findings: v.findings, Product: v.product, Key: v.key, Stack: v.stack, Results: v.results, Intact: true, Set: v.set, SetExpired: v.setExpired, Service: v.service}
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
	if r := in.Revocations.Find(b.Product); r != nil {
		fs = append(fs, Finding{Check: CheckRevoked, Msg: r.String()})
	}
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
	p, err := in.Profile(b.Stack[PropSet], b.Stack["profile"])
	if err != nil {
		return append(fs, Finding{Check: "verdict", Msg: err.Error()})
	}
	verdict := Judge(b.Service.Apply(p), b.Results, level)
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
		data, err := v.read(e.Name())
		sum := sha256.Sum256(data)
		if err != nil {
			problems = append(problems, err.Error())
		} else if hex.EncodeToString(sum[:]) != want {
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
		v.key = v.in.PublicKey
		if v.in.KeyFor != nil {
			if v.parseProduct(); v.product == nil {
				return errors.New("not checked: the bundle names no vendor whose key could check it")
			}
			k, err := v.in.KeyFor(v.product.Vendor)
			if err != nil {
				return fmt.Errorf("not checked: %w", err)
			}
			v.key = k
		}
		if v.key == nil {
			return errors.New("not checked: give the signer's public key with --pubkey")
		}
		raw, err := v.in.readFile(filepath.Join(v.in.Dir, BundleSig), 4096)
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
		if v.manErr != nil || !ed25519.Verify(v.key, v.manData, sig) {
			return errors.New("the signature does not match the manifest and this key")
		}
		return nil
	}()
	v.add("signature", err, "valid ed25519 signature over the manifest, by the key "+KeyFingerprint(v.key))
}

// parseProduct parses product.yaml, once, from the bytes the manifest hashed.
func (v *verifier) parseProduct() {
	if v.parsed {
		return
	}
	v.parsed = true
	data, err := v.read(BundleProduct)
	if err == nil {
		v.product, err = ReadProduct(bytes.NewReader(data))
	}
	v.productErr = err
}

func (v *verifier) checkProduct() {
	v.parseProduct()
	err := v.productErr
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
	v.checkSet()
}

// checkSet: the bundle names a requirement set this verifier knows, that is
// neither withdrawn nor older than the AcceptedSets newest released ones,
// and the run's requirements are exactly that set's.
func (v *verifier) checkSet() {
	s := v.stack
	name := s[PropSet]
	var released, known []string
	for _, set := range v.in.Sets {
		known = append(known, set.Name)
		if set.Status == "released" {
			released = append(released, set.Name)
		}
		if set.Name == name {
			v.set = &set
		}
	}
	accepted := released[max(0, len(released)-AcceptedSets):]
	err := func() error {
		switch set := v.set; {
		case name == "":
			return fmt.Errorf("the bundle names no requirement set (written by ovacts %s): run it again with a current release", s["suite.version"])
		case set == nil:
			return fmt.Errorf("requirement set %q is not one this verifier knows (%s)", name, strings.Join(known, ", "))
		case set.Status == "withdrawn":
			return fmt.Errorf("requirement set %s was withdrawn: %s", name, set.WithdrawnWhy)
		case set.Status == "released" && !slices.Contains(accepted, name):
			v.setExpired = true
			return fmt.Errorf("requirement set %s is older than the %d newest released sets (%s): results are accepted only against those", name, AcceptedSets, strings.Join(accepted, ", "))
		case s[PropSetDigest] != set.Digest:
			return fmt.Errorf("the run's requirements (%s) are not those of set %s (%s): the binary that ran was not a build of that set", s[PropSetDigest], name, set.Digest)
		}
		return nil
	}()
	msg := ""
	if v.set != nil {
		msg = fmt.Sprintf("requirement set %s (%s %s), run by ovacts %s", name, v.set.Status, v.set.Released, s["suite.version"])
	}
	if v.add(CheckSet, err, msg) && v.set.Status == "draft" {
		v.add("draft", nil, fmt.Sprintf("set %s is a draft, not released: the bundle certifies nothing until it is run against a released set", name))
	}
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
	if err := checkStackBounds(stack); err != nil {
		return nil, err
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
	for _, k := range []string{"run.id", "profile", "suite.version", "libvirt.daemon", "driver", "hypervisor.version", PropSet, PropSetDigest, PropService, PropServiceDigest, PropExcluded} {
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
