// Revocation: the program withdraws a published entry. The list is a JSON
// file signed with the project's key (a hex ed25519 signature and a newline
// in FILE.sig, as a bundle's manifest.sig); verify fails a revoked product
// version, and publish shows it revoked, with its reason and date, and its
// badge says so.

package reports

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Revoked is the published verdict of a revoked entry.
const Revoked VerdictKind = "revoked"

// CheckRevoked names verify's check against the revocation list.
const CheckRevoked = "revoked"

// ErrRevocations: the revocation list is unsigned, tampered or malformed.
var ErrRevocations = errors.New("revocation list refused")

// Revocation is one revoked product version.
type Revocation struct {
	Vendor  string `json:"vendor"`
	Product string `json:"product"`
	Version string `json:"version"`
	Reason  string `json:"reason"`
	Date    string `json:"date"` // YYYY-MM-DD
	Link    string `json:"link,omitempty"`
}

// String is the revocation as verify and the site say it.
func (r *Revocation) String() string {
	s := fmt.Sprintf("revoked on %s: %s", r.Date, r.Reason)
	if r.Link != "" {
		s += " (" + r.Link + ")"
	}
	return s
}

// Revocations is the signed list.
type Revocations struct {
	Format  int          `json:"format"`
	Revoked []Revocation `json:"revoked"`
}

// ReadRevocations checks the list's signature with the project's key, then
// parses it strictly.
func ReadRevocations(data, sig []byte, key ed25519.PublicKey) (*Revocations, error) {
	text, ok := strings.CutSuffix(string(sig), "\n")
	raw, err := hex.DecodeString(text)
	if !ok || err != nil || len(raw) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: its signature is not a hex ed25519 signature and a newline", ErrRevocations)
	}
	if !ed25519.Verify(key, data, raw) {
		return nil, fmt.Errorf("%w: the signature does not match the list and the project's key %s", ErrRevocations, KeyFingerprint(key))
	}
	var l Revocations
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRevocations, err)
	}
	if l.Format != 1 {
		return nil, fmt.Errorf("%w: format %d, want 1", ErrRevocations, l.Format)
	}
	for _, r := range l.Revoked {
		if err := r.check(); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrRevocations, err)
		}
	}
	return &l, nil
}

func (r *Revocation) check() error {
	if strings.TrimSpace(r.Vendor) == "" || strings.TrimSpace(r.Product) == "" || strings.TrimSpace(r.Version) == "" || strings.TrimSpace(r.Reason) == "" {
		return fmt.Errorf("an entry needs a vendor, a product, a version and a reason (%s %s %s)", r.Vendor, r.Product, r.Version)
	}
	if _, err := time.Parse(time.DateOnly, r.Date); err != nil {
		return fmt.Errorf("the revocation of %s %s %s has no date YYYY-MM-DD: %q", r.Vendor, r.Product, r.Version, r.Date)
	}
	return nil
}

// Add appends a revocation, checked; a product version is revoked once.
func (l *Revocations) Add(r Revocation) error {
	if err := r.check(); err != nil {
		return err
	}
	if old := l.Find(&Product{Vendor: r.Vendor, Product: r.Product, Version: r.Version}); old != nil {
		return fmt.Errorf("%s %s %s is revoked already (%s)", r.Vendor, r.Product, r.Version, old)
	}
	l.Revoked = append(l.Revoked, r)
	return nil
}

// Signed is the list as written (indented JSON and a newline) and its
// signature file's content.
func (l *Revocations) Signed(key ed25519.PrivateKey) (data, sig []byte, err error) {
	if data, err = json.MarshalIndent(l, "", "  "); err != nil {
		return nil, nil, err
	}
	data = append(data, '\n')
	return data, []byte(hex.EncodeToString(ed25519.Sign(key, data)) + "\n"), nil
}

// Find is the revocation of a product version (vendor as VendorKeyName
// matches it, product and version exactly), or nil; nil-safe.
func (l *Revocations) Find(p *Product) *Revocation {
	if l == nil || p == nil {
		return nil
	}
	for i, r := range l.Revoked {
		if vendorID(r.Vendor) == vendorID(p.Vendor) && r.Product == p.Product && r.Version == p.Version {
			return &l.Revoked[i]
		}
	}
	return nil
}
