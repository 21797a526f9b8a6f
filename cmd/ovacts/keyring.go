package main

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/ovacts/ovacts/reports"
)

// keyring gives each vendor its own key, and only its own: the one named
// reports.VendorKeyName(vendor) in the --keys directory, or a --pubkey file
// of that name. A bundle never verifies with another vendor's key, so a
// vendor's page and badge are never another signer's.
type keyring struct {
	dir    string                       // --keys, or ""
	byName map[string]ed25519.PublicKey // --pubkey files, by base name
}

// errNoVendorKey: no key is known for the vendor a bundle names.
var errNoVendorKey = errors.New("no key for this vendor")

func newKeyring(dir string, pubkeys []string) (*keyring, error) {
	k := &keyring{dir: dir, byName: map[string]ed25519.PublicKey{}}
	for _, p := range pubkeys {
		name := filepath.Base(p)
		if !strings.HasSuffix(name, ".pub") {
			return nil, fmt.Errorf("--pubkey %s: name the file after the vendor whose key it is (<vendor>.pub, as in --keys)", p)
		}
		key, err := reports.ReadPublicKey(p)
		if err != nil {
			return nil, fmt.Errorf("--pubkey: %w", err)
		}
		if other, dup := k.byName[name]; dup && !other.Equal(key) {
			return nil, fmt.Errorf("--pubkey gives two different keys named %s", name)
		}
		k.byName[name] = key
	}
	return k, nil
}

// keyFor is the key of a vendor (reports.VerifyInput.KeyFor).
func (k *keyring) keyFor(vendor string) (ed25519.PublicKey, error) {
	name := reports.VendorKeyName(vendor)
	flagKey, fromFlag := k.byName[name]
	if k.dir != "" {
		dirKey, err := reports.ReadPublicKey(filepath.Join(k.dir, name))
		switch {
		case err == nil && fromFlag && !dirKey.Equal(flagKey):
			return nil, fmt.Errorf("--keys %s and --pubkey give two different keys for vendor %q (%s)", k.dir, vendor, name)
		case err == nil:
			return dirKey, nil
		case !errors.Is(err, fs.ErrNotExist):
			return nil, err
		}
	}
	if fromFlag {
		return flagKey, nil
	}
	if k.dir != "" {
		return nil, fmt.Errorf("%w %q: its key is expected as %s, which is missing", errNoVendorKey, vendor, filepath.Join(k.dir, name))
	}
	return nil, fmt.Errorf("%w %q: give its key as %s (in --keys DIR, or --pubkey .../%s)", errNoVendorKey, vendor, name, name)
}
