package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// make catalogue writes docs/requirements.md through setgen, without cgo:
// what it writes is the committed file, which cmd/ovacts's tests hold to
// ovacts list --format markdown.
func TestWriteRequirementsIsTheCommittedCatalogue(t *testing.T) {
	p := filepath.Join(t.TempDir(), "requirements.md")
	if err := writeRequirements(p); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("..", "..", "docs", "requirements.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("setgen -requirements writes %d bytes that differ from docs/requirements.md (%d bytes)", len(got), len(want))
	}
}
