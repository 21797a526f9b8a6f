package reports

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
)

// VendorKeyName is the file name of a vendor's public key in a --keys
// directory, and the vendor's identity on the published site: its name in
// lower case, runs of other characters as one dash, ".pub" ("Beta Systems"
// is beta-systems.pub). A name with letters or digits beyond ASCII, which
// that would lose or merge ("Ωmega" and "Δelta" are both "mega"/"elta", and
// "東芝" and "日立" are both ""), gets a suffix from the sha256 of its lower-case
// form, so distinct names have distinct files.
func VendorKeyName(vendor string) string {
	return vendorID(vendor) + ".pub"
}

// vendorID is VendorKeyName without ".pub".
func vendorID(vendor string) string {
	s := slug(vendor)
	lossy := s == ""
	for _, r := range vendor {
		if r > unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			lossy = true
		}
	}
	if !lossy {
		return s
	}
	sum := sha256.Sum256([]byte(strings.ToLower(vendor)))
	return strings.Trim(s+"-u"+hex.EncodeToString(sum[:6]), "-")
}
