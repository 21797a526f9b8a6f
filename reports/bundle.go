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
	"sort"
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

// Report properties a bundle's verification and the published site read.
const (
	PropSet       = "requirements.set"        // the requirement set the run's suite is (YYYY.MM)
	PropSetStatus = "requirements.set.status" // draft, released or withdrawn, as the running binary had it
	PropSetDigest = "requirements.digest"     // the digest of the run's requirements (ID, level, state, profiles, steps)
	PropCommand   = "run.command"             // the command line, URIs redacted
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

// Name is the product's name with its vendor's, once: "Acme Virt" for
// vendor Acme and product "Acme Virt", "Acme Virt" for vendor Acme and
// product "Virt".
func (p *Product) Name() string {
	if strings.HasPrefix(strings.ToLower(p.Product), strings.ToLower(p.Vendor)) {
		return p.Product
	}
	return p.Vendor + " " + p.Product
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
	return p.checkFields()
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
		return nil, yamlProblem(data, err, &p)
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

// KeyFingerprint names a public key as the site and the commands show it:
// "ed25519:" and the first 8 bytes of the sha256 of its 32 raw bytes, in hex
// (the last 32 bytes of the PEM file's DER).
func KeyFingerprint(k ed25519.PublicKey) string {
	sum := sha256.Sum256(k)
	return "ed25519:" + hex.EncodeToString(sum[:8])
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
