package reports

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"testing"
)

// A signed list reads back with its key only; Find matches a vendor as its
// key name does, the product and version exactly; a version is revoked once.
func TestRevocations(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	other, _, _ := ed25519.GenerateKey(rand.Reader)
	l := &Revocations{Format: 1}
	r := Revocation{Vendor: "Acme", Product: "Acme Virt", Version: "2.0", Reason: "forged", Date: "2026-12-20"}
	if err := l.Add(r); err != nil {
		t.Fatal(err)
	}
	if err := l.Add(r); err == nil {
		t.Error("a version revoked twice")
	}
	if err := l.Add(Revocation{Vendor: "Acme", Product: "Acme Virt", Version: "3.0", Reason: "x", Date: "20.12.2026"}); err == nil {
		t.Error("a revocation without a date")
	}
	data, sig, err := l.Signed(priv)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadRevocations(data, sig, pub)
	if err != nil {
		t.Fatal(err)
	}
	if got.Find(&Product{Vendor: "ACME", Product: "Acme Virt", Version: "2.0"}) == nil || got.Find(&Product{Vendor: "Acme", Product: "Acme Virt", Version: "2.1"}) != nil {
		t.Error("Find")
	}
	if _, err := ReadRevocations(data, sig, other); !errors.Is(err, ErrRevocations) {
		t.Errorf("another key: %v", err)
	}
	data[10] ^= 1
	if _, err := ReadRevocations(data, sig, pub); !errors.Is(err, ErrRevocations) {
		t.Errorf("an edited list: %v", err)
	}
	var none *Revocations
	if none.Find(&Product{Vendor: "Acme"}) != nil {
		t.Error("no list revokes something")
	}
}
