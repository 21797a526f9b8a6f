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
	"sort"
	"strconv"
	"strings"

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

// maxBundleFile bounds every bundle file read back (untrusted input).
const maxBundleFile = 64 << 20

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
	data, err := io.ReadAll(io.LimitReader(r, maxBundleFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxBundleFile {
		return nil, fmt.Errorf("larger than %d MiB", maxBundleFile>>20)
	}
	return data, nil
}

func fileSum(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// SealBundle writes manifest.json over every other file in dir and, with a
// key, manifest.sig.
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
		if !e.Type().IsRegular() {
			return fmt.Errorf("%s is not a regular file", e.Name())
		}
		if m.Files[e.Name()], err = fileSum(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if err := os.WriteFile(filepath.Join(dir, BundleManifest), data, 0o644); err != nil {
		return err
	}
	if key == nil {
		return nil
	}
	sig := ed25519.Sign(key, data)
	return os.WriteFile(filepath.Join(dir, BundleSig), []byte(hex.EncodeToString(sig)+"\n"), 0o644)
}

// GenerateKeys writes an ed25519 key pair as PEM: PKCS #8 private, PKIX public.
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
	if err := os.WriteFile(privPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644)
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
	data, err := os.ReadFile(path)
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
	// Required gives, per suite version and profile, the requirement IDs the
	// profile holds in that version's catalogue.
	Required func(version, profile string) ([]string, error)
}

var summaryLine = regexp.MustCompile(`(?m)^([0-9]+) scenarios: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped(?:, ([0-9]+) waived)?`)

// VerifyBundle checks a bundle and returns every finding, passed or not.
func VerifyBundle(in VerifyInput) []Finding {
	var fs []Finding
	add := func(check string, err error, okMsg string) bool {
		if err != nil {
			fs = append(fs, Finding{Check: check, Msg: err.Error()})
			return false
		}
		fs = append(fs, Finding{Check: check, OK: true, Msg: okMsg})
		return true
	}
	path := func(name string) string { return filepath.Join(in.Dir, name) }
	open := func(name string) (*os.File, error) { return os.Open(path(name)) }

	// 1. The manifest covers exactly the bundle's files, byte for byte.
	manData, manErr := os.ReadFile(path(BundleManifest))
	var man *Manifest
	if manErr == nil {
		man, manErr = ReadManifest(bytes.NewReader(manData))
	}
	if add("manifest", manErr, "parses") {
		entries, err := os.ReadDir(in.Dir)
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
			if got, err := fileSum(path(e.Name())); err != nil || got != want {
				problems = append(problems, e.Name()+" does not match its sha256 in the manifest")
			}
		}
		for _, name := range []string{BundleProduct, BundleJUnit, BundleCucumber, BundleLog, BundleStack} {
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
		var err2 error
		if len(problems) > 0 {
			err2 = errors.New(strings.Join(problems, "; "))
		}
		add("hashes", err2, fmt.Sprintf("%d files match the manifest", len(man.Files)))
	}

	// 2. The signature over the manifest.
	sigErr := func() error {
		if in.PublicKey == nil {
			return errors.New("not checked: give the signer's public key with --pubkey")
		}
		raw, err := os.ReadFile(path(BundleSig))
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
		if manErr != nil || !ed25519.Verify(in.PublicKey, manData, sig) {
			return errors.New("the signature does not match the manifest and this key")
		}
		return nil
	}()
	add("signature", sigErr, "valid ed25519 signature over the manifest")

	// 3. The product.
	var product *Product
	err := func() error {
		f, err := open(BundleProduct)
		if err != nil {
			return err
		}
		defer f.Close()
		product, err = ReadProduct(f)
		return err
	}()
	add("product", err, func() string {
		if product == nil {
			return ""
		}
		return fmt.Sprintf("%s %s %s", product.Vendor, product.Product, product.Version)
	}())

	// 4. The stack, the suite version and the profile.
	stack := map[string]string{}
	err = func() error {
		f, err := open(BundleStack)
		if err != nil {
			return err
		}
		defer f.Close()
		data, err := readBounded(f)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(data, &stack); err != nil {
			return fmt.Errorf("stack.json: %w", err)
		}
		for _, k := range []string{"suite.version", "profile", "run.id", "libvirt.daemon", "driver"} {
			if stack[k] == "" {
				return fmt.Errorf("stack.json lacks %s", k)
			}
		}
		return nil
	}()
	stackOK := add("stack", err, fmt.Sprintf("%s, libvirt %s, hypervisor %s", stack["driver"], stack["libvirt.daemon"], stack["hypervisor.version"]))
	if stackOK {
		known := false
		for _, v := range in.KnownVersions {
			known = known || v == stack["suite.version"]
		}
		var err error
		if !known {
			err = fmt.Errorf("suite version %q is not one this verifier knows (%s)", stack["suite.version"], strings.Join(in.KnownVersions, ", "))
		}
		add("suite version", err, stack["suite.version"])
	}

	// 5. The results: every requirement of the profile is there, none failed.
	var res *Results
	err = func() error {
		f, err := open(BundleJUnit)
		if err != nil {
			return err
		}
		defer f.Close()
		res, err = ReadJUnit(f)
		return err
	}()
	if add("junit", err, "parses") && stackOK {
		required, err := in.Required(stack["suite.version"], stack["profile"])
		if err == nil {
			var missing []string
			for _, id := range required {
				if res.Verdicts[id] == nil {
					missing = append(missing, id)
				}
			}
			if len(missing) > 0 {
				err = fmt.Errorf("%d of the %d requirements of profile %s are missing: %s", len(missing), len(required), stack["profile"], strings.Join(missing, ", "))
			}
		}
		add("complete", err, fmt.Sprintf("all %d requirements of profile %s are present", len(required), stack["profile"]))
		var failed, waived []string
		for _, id := range sortedIDs(res) {
			switch res.Verdicts[id].Status {
			case Failed:
				failed = append(failed, id)
			case Waived:
				waived = append(waived, id)
			}
		}
		var ferr error
		switch {
		case len(failed) > 0:
			ferr = fmt.Errorf("%d requirement(s) failed: %s", len(failed), strings.Join(failed, ", "))
		case len(waived) > 0:
			ferr = fmt.Errorf("%d requirement(s) failed under a waiver, which does not certify: %s", len(waived), strings.Join(waived, ", "))
		}
		add("no failures", ferr, fmt.Sprintf("%d requirements, none failed", len(res.Verdicts)))

		// 6. JUnit, log and stack tell the same story.
		var problems []string
		for _, k := range []string{"run.id", "profile", "suite.version", "libvirt.daemon", "driver", "hypervisor.version"} {
			if res.Properties[k] != stack[k] {
				problems = append(problems, fmt.Sprintf("%s is %q in junit.xml, %q in stack.json", k, res.Properties[k], stack[k]))
			}
		}
		if logData, err := os.ReadFile(path(BundleLog)); err != nil {
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
			} else if got := [5]int{atoi(m[1]), atoi(m[2]), atoi(m[3]), atoi(m[4]), atoi(m[5])}; got != want {
				problems = append(problems, fmt.Sprintf("run.log counts %v scenarios/passed/failed/skipped/waived, junit.xml %v", got, want))
			}
		}
		var aerr error
		if len(problems) > 0 {
			aerr = errors.New(strings.Join(problems, "; "))
		}
		add("agreement", aerr, "junit.xml, run.log and stack.json agree")
	}
	return fs
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }
