package main

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/features"
	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/internal/safeio"
	"github.com/ovacts/ovacts/reports"
	"github.com/spf13/cobra"
)

// bundleRun collects one run's certification bundle.
type bundleRun struct {
	dir     string
	product reports.Product
	key     ed25519.PrivateKey
	log     *os.File
}

// startBundle checks everything a bundle needs before the run starts, so a
// mistake costs nothing: a new directory, a complete product, a readable key.
func startBundle(dir, productFile string, flags reports.Product, signKey string, cfg *harness.Config) (*bundleRun, error) {
	b := &bundleRun{dir: dir, product: flags}
	if productFile != "" {
		if flags != (reports.Product{}) {
			return nil, errors.New("give the product either as --product FILE or as flags, not both")
		}
		data, err := safeio.ReadRegular(productFile, reports.MaxInputBytes)
		if err != nil {
			return nil, fmt.Errorf("--product %w", err)
		}
		p, err := reports.ReadProduct(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("--product: %w", reports.InFile(productFile, err))
		}
		b.product = *p
	}
	if err := b.product.Check(); err != nil {
		return nil, fmt.Errorf("--bundle: %w (give --product FILE, or --vendor, --product-name and --product-version)", err)
	}
	if signKey != "" {
		k, err := reports.ReadPrivateKey(signKey)
		if err != nil {
			return nil, fmt.Errorf("--sign-key: %w", err)
		}
		b.key = k
	}
	if cfg.JUnitPath != "" || cfg.CucumberPath != "" {
		return nil, errors.New("--bundle writes junit.xml and cucumber.json itself: drop --junit and --cucumber")
	}
	// A bundle directory is the run's own: made now, never an existing one
	// (which someone else could have prepared, or could still write into).
	if err := os.MkdirAll(filepath.Dir(filepath.Clean(dir)), 0o755); err != nil {
		return nil, fmt.Errorf("--bundle %s: %w", dir, err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("--bundle %s exists: give a new directory, the run makes it", dir)
		}
		return nil, fmt.Errorf("--bundle %s: %s", dir, safeio.Reason(err))
	}
	cfg.JUnitPath = filepath.Join(dir, reports.BundleJUnit)
	cfg.CucumberPath = filepath.Join(dir, reports.BundleCucumber)
	log, err := safeio.CreateExclusive(filepath.Join(dir, reports.BundleLog), 0o644)
	if err != nil {
		os.Remove(dir)
		return nil, err
	}
	b.log = log
	return b, nil
}

// discard removes the bundle of a run that never started: the files this
// run wrote into the directory it made, then the directory (only if empty).
func (b *bundleRun) discard() {
	b.log.Close()
	for _, name := range []string{reports.BundleLog, reports.BundleJUnit, reports.BundleCucumber} {
		os.Remove(filepath.Join(b.dir, name))
	}
	os.Remove(b.dir)
}

// finish writes product.yaml and stack.json, then seals (and signs) the bundle.
func (b *bundleRun) finish(rep *reports.Report) error {
	if err := b.log.Close(); err != nil {
		return err
	}
	for name, write := range map[string]func(io.Writer) error{
		reports.BundleProduct: func(w io.Writer) error { return reports.WriteProduct(w, &b.product) },
		reports.BundleStack:   func(w io.Writer) error { return reports.WriteStack(w, rep) },
	} {
		f, err := safeio.CreateExclusive(filepath.Join(b.dir, name), 0o644)
		if err != nil {
			return err
		}
		if err := errors.Join(write(f), f.Close()); err != nil {
			return err
		}
	}
	return reports.SealBundle(b.dir, b.key)
}

func newKeygenCmd(stdout io.Writer) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "keygen",
		Short: "Make an ed25519 key pair for signing bundles (PREFIX.key, PREFIX.pub)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			priv, pub := out+".key", out+".pub"
			for _, p := range []string{priv, pub} {
				if _, err := os.Lstat(p); err == nil {
					return usage("%s exists: not overwriting a key", p)
				}
			}
			if err := reports.GenerateKeys(priv, pub); err != nil {
				return usage("keygen: %s", oneLine(err.Error()))
			}
			k, err := reports.ReadPublicKey(pub)
			if err != nil {
				return usage("keygen: %s", oneLine(err.Error()))
			}
			fmt.Fprintf(stdout, "private key: %s (keep it)\npublic key:  %s (give it to verifiers)\nfingerprint: %s (the site shows it as \"signed by\"; ovacts fingerprint %s prints it again)\n", priv, pub, reports.KeyFingerprint(k), pub)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "ovacts", "path prefix of the key files")
	return cmd
}

func newVerifyCmd(stdout io.Writer) *cobra.Command {
	var pubPath, keysDir, failOn, revocations, projectKey string
	cmd := &cobra.Command{
		Use:   "verify DIR",
		Short: "Check a certification bundle (hashes, signature, product, stack, consistency) and judge the profile it claims",
		Long: `Check a certification bundle and judge the profile it claims, as run judged it:
conformant when every requirement at --fail-on level or stricter passed, or is
not applicable for a capability the profile treats as optional. Exit 0 only
when every check holds and the profile is conformant; 1 when a check fails;
2 on bad input; 4 when every check holds but the bundle is a rehearsal (run
on libvirt's test driver) or was run against a draft requirement set: it
certifies nothing, so it never exits 0.`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if st, err := os.Lstat(args[0]); err != nil || !st.IsDir() {
				return usage("%s is not a bundle directory", args[0])
			}
			level, err := parseLevel(failOn)
			if err != nil {
				return err
			}
			in := reports.VerifyInput{Dir: args[0], Sets: setInfos(), Profile: profileOf, Level: string(level), Services: knownServices()}
			if in.Revocations, err = loadRevocations(revocations, projectKey); err != nil {
				return err
			}
			if keysDir != "" {
				if pubPath != "" {
					return usage("give the key either with --pubkey or with --keys, not both")
				}
				if st, err := os.Stat(keysDir); err != nil || !st.IsDir() {
					return usage("--keys %s is not a directory", keysDir)
				}
				in.KeyFor = (&keyring{dir: keysDir}).keyFor
			}
			if pubPath != "" {
				k, err := reports.ReadPublicKey(pubPath)
				if err != nil {
					return usage("--pubkey: %s", oneLine(err.Error()))
				}
				in.PublicKey = k
			}
			failed, rehearsal, draft := 0, false, false
			for _, f := range reports.VerifyBundle(in) {
				rehearsal = rehearsal || f.Check == "rehearsal"
				draft = draft || f.Check == "draft"
				mark := "ok  "
				if !f.OK {
					mark = "FAIL"
					failed++
				}
				// The message quotes the bundle (product.yaml's vendor, product
				// and version): its escape codes must not draw on the terminal.
				fmt.Fprintf(stdout, "%s %-13s %s\n", mark, f.Check, safeio.Printable(f.Msg))
			}
			if failed > 0 {
				return &exitError{code: 1, msg: fmt.Sprintf("%s: %d check(s) failed", args[0], failed)}
			}
			if rehearsal {
				fmt.Fprintf(stdout, "%s: verified, as a rehearsal on libvirt's test driver: it certifies no stack\n", args[0])
				return &exitError{code: reports.ExitRehearsal, msg: args[0] + ": a rehearsal on libvirt's test driver certifies no stack"}
			}
			if draft {
				fmt.Fprintf(stdout, "%s: verified, against a draft requirement set: it certifies nothing\n", args[0])
				return &exitError{code: reports.ExitRehearsal, msg: args[0] + ": a run against a draft requirement set certifies nothing"}
			}
			fmt.Fprintf(stdout, "%s: verified\n", args[0])
			return nil
		},
	}
	cmd.Flags().StringVar(&pubPath, "pubkey", "", "the signer's ed25519 public key (ovacts keygen)")
	cmd.Flags().StringVar(&keysDir, "keys", "", "directory of vendors' public keys, <vendor>.pub: the bundle is checked with the key of the vendor it names")
	cmd.Flags().StringVar(&revocations, "revocations", "", "the program's revocation list (ovacts revoke; signed in FILE.sig): a revoked product version fails")
	cmd.Flags().StringVar(&projectKey, "project-key", "", "the project's public key the revocation list is signed with")
	cmd.Flags().StringVar(&failOn, "fail-on", "must", "lowest requirement level the verdict counts: must, should or may (as in run)")
	return cmd
}

// parseLevel reads --fail-on.
func parseLevel(s string) (catalogue.Level, error) {
	lvl, ok := map[string]catalogue.Level{"must": catalogue.MUST, "should": catalogue.SHOULD, "may": catalogue.MAY}[strings.ToLower(s)]
	if !ok {
		return "", usage("--fail-on must be must, should or may, got %q", s)
	}
	return lvl, nil
}

// knownSets are the requirement sets built into this binary, oldest first.
func knownSets() []*catalogue.RequirementSet {
	sets, err := catalogue.LoadSets(features.FS)
	if err != nil {
		panic("the built-in requirement sets: " + err.Error()) // checked by make test
	}
	return sets
}

func setInfos() []catalogue.SetInfo {
	var out []catalogue.SetInfo
	for _, s := range knownSets() {
		out = append(out, s.Info())
	}
	return out
}

// profileOf is what a profile demands in a requirement set this binary knows.
func profileOf(set, profile string) (catalogue.Profile, error) {
	for _, s := range knownSets() {
		if s.Name == set {
			return catalogue.SetProfile(s, profile)
		}
	}
	return catalogue.Profile{}, fmt.Errorf("no requirement set %q here", set)
}
