package site

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ovacts/ovacts/internal/safeio"
)

// ErrLinkedDir: a directory of the site is a symbolic link (or not a
// directory), which publish never writes through.
var ErrLinkedDir = errors.New("not a real directory: publish never writes through a link")

// siteDirs makes the site's directories and checks that each is a real
// directory, not a link to somewhere else on the host.
func siteDirs(dir string) error {
	for _, sub := range []string{"products", "badges", "schemas"} {
		p := filepath.Join(dir, sub)
		if err := os.Mkdir(p, 0o755); err != nil && !os.IsExist(err) {
			return err
		}
		st, err := os.Lstat(p)
		if err != nil {
			return err
		}
		if !st.IsDir() {
			return fmt.Errorf("%s: %w", p, ErrLinkedDir)
		}
	}
	return nil
}

// withdrawnSVG is the badge left at the address of a product version a
// publication no longer has: a link to it says so, never its old verdict.
const withdrawnSVG = `<svg xmlns="http://www.w3.org/2000/svg" width="142" height="20" role="img" aria-label="ovacts: withdrawn">` +
	`<title>ovacts: withdrawn</title><rect width="54" height="20" fill="#555"/><rect x="54" width="88" height="20" fill="#57606a"/>` +
	`<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">` +
	`<text x="6" y="14">ovacts</text><text x="60" y="14">withdrawn</text></g></svg>` + "\n"

// withdraw takes away what earlier publications wrote and this one does not
// publish: a product page is removed; a badge is replaced by one saying
// "withdrawn" (vendors link to badges). It returns the badges withdrawn.
func withdraw(dir string, written map[string]bool) ([]string, error) {
	var badges []string
	for _, sub := range []string{"products", "badges"} {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			name := sub + "/" + e.Name()
			if written[name] || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			p := filepath.Join(dir, sub, e.Name())
			switch {
			case sub == "products" && strings.HasSuffix(name, ".html"):
				err = os.Remove(p)
			case sub == "badges" && strings.HasSuffix(name, ".svg"):
				if old, rerr := safeio.ReadRegular(p, 64<<10); rerr == nil && string(old) == withdrawnSVG {
					continue
				}
				badges = append(badges, name)
				err = safeio.WriteFileAtomic(p, []byte(withdrawnSVG), 0o644)
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	return badges, nil
}
