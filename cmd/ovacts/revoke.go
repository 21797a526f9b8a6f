package main

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"

	"github.com/ovacts/ovacts/internal/safeio"
	"github.com/ovacts/ovacts/reports"
	"github.com/spf13/cobra"
)

// sigSuffix names a revocation list's signature file: FILE.sig.
const sigSuffix = ".sig"

// loadRevocations reads a revocation list (--revocations FILE, signed in
// FILE.sig) and checks it with the project's public key; "" is no list.
func loadRevocations(path, keyPath string) (*reports.Revocations, error) {
	if path == "" {
		return nil, nil
	}
	if keyPath == "" {
		return nil, usage("--revocations needs --project-key: the project's public key the list is signed with")
	}
	key, err := reports.ReadPublicKey(keyPath)
	if err != nil {
		return nil, usage("--project-key: %s", oneLine(err.Error()))
	}
	data, err := safeio.ReadRegular(path, reports.MaxInputBytes)
	if err != nil {
		return nil, usage("--revocations %s", oneLine(err.Error()))
	}
	sig, err := safeio.ReadRegular(path+sigSuffix, 4096)
	if err != nil {
		return nil, usage("--revocations: %s: unsigned (%s)", path, oneLine(err.Error()))
	}
	l, err := reports.ReadRevocations(data, sig, key)
	if err != nil {
		return nil, usage("--revocations %s: %s", path, oneLine(err.Error()))
	}
	return l, nil
}

// revokeCmd are ovacts revoke's flags.
type revokeCmd struct {
	list, signKey string
	entry         reports.Revocation
}

func newRevokeCmd(stdout io.Writer) *cobra.Command {
	o := &revokeCmd{}
	cmd := &cobra.Command{
		Use:   "revoke --list FILE --sign-key KEY --vendor V --product P --version X --reason TEXT",
		Short: "Revoke a published product version: add it to the program's revocation list and sign the list with the project's key",
		Long: `Add a product version to the revocation list FILE (made when missing) and
sign the list with the project's private key (FILE.sig). An existing list
must check out with that key first. verify --revocations FILE fails a
revoked product version; publish --revocations FILE shows it revoked, with
its reason and date, and its badge says so. Exit 2 on bad input.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return o.run(stdout) },
	}
	f := cmd.Flags()
	f.StringVar(&o.list, "list", "", "the revocation list (JSON; its signature is FILE.sig)")
	f.StringVar(&o.signKey, "sign-key", "", "the project's private key (ovacts keygen)")
	f.StringVar(&o.entry.Vendor, "vendor", "", "the vendor, as its bundles' product.yaml names it")
	f.StringVar(&o.entry.Product, "product", "", "the product, as product.yaml names it")
	f.StringVar(&o.entry.Version, "version", "", "the product version revoked")
	f.StringVar(&o.entry.Reason, "reason", "", "why, one sentence (shown on the site)")
	f.StringVar(&o.entry.Link, "link", "", "where the decision is recorded")
	f.StringVar(&o.entry.Date, "date", time.Now().UTC().Format(time.DateOnly), "the revocation's date (YYYY-MM-DD)")
	return cmd
}

func (o *revokeCmd) run(stdout io.Writer) error {
	if o.list == "" || o.signKey == "" {
		return usage("give the list with --list FILE and the project's private key with --sign-key")
	}
	key, err := reports.ReadPrivateKey(o.signKey)
	if err != nil {
		return usage("--sign-key: %s", oneLine(err.Error()))
	}
	l := &reports.Revocations{Format: 1}
	data, err := safeio.ReadRegular(o.list, reports.MaxInputBytes)
	switch {
	case err == nil:
		sig, serr := safeio.ReadRegular(o.list+sigSuffix, 4096)
		if serr != nil {
			return usage("--list %s exists but is unsigned (%s): not adding to a list nobody vouches for", o.list, oneLine(serr.Error()))
		}
		if l, err = reports.ReadRevocations(data, sig, key.Public().(ed25519.PublicKey)); err != nil {
			return usage("--list %s: %s", o.list, oneLine(err.Error()))
		}
	case !errors.Is(err, fs.ErrNotExist):
		return usage("--list %s", oneLine(err.Error()))
	}
	if err := l.Add(o.entry); err != nil {
		return usage("%s", oneLine(err.Error()))
	}
	data, sig, err := l.Signed(key)
	if err != nil {
		return err
	}
	for path, content := range map[string][]byte{o.list: data, o.list + sigSuffix: sig} {
		if err := safeio.WriteAtomic(path, 0o644, func(w io.Writer) error { _, err := w.Write(content); return err }); err != nil {
			return &exitError{code: 1, msg: oneLine(err.Error())}
		}
	}
	fmt.Fprintf(stdout, "%s: %s %s %s %s; %d revoked, signed by %s\n", o.list, o.entry.Vendor, o.entry.Product, o.entry.Version, o.entry.String(), len(l.Revoked), reports.KeyFingerprint(key.Public().(ed25519.PublicKey)))
	return nil
}
