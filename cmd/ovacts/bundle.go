package main

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ovacts/ovacts/features"
	"github.com/ovacts/ovacts/harness"
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
		f, err := os.Open(productFile)
		if err != nil {
			return nil, err
		}
		p, err := reports.ReadProduct(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", productFile, err)
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
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("--bundle %s: the directory is not empty", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("--bundle: %w", err)
	}
	if cfg.JUnitPath != "" || cfg.CucumberPath != "" {
		return nil, errors.New("--bundle writes junit.xml and cucumber.json itself: drop --junit and --cucumber")
	}
	cfg.JUnitPath = filepath.Join(dir, reports.BundleJUnit)
	cfg.CucumberPath = filepath.Join(dir, reports.BundleCucumber)
	log, err := os.Create(filepath.Join(dir, reports.BundleLog))
	if err != nil {
		return nil, err
	}
	b.log = log
	return b, nil
}

// finish writes product.yaml and stack.json, then seals (and signs) the bundle.
func (b *bundleRun) finish(rep *reports.Report) error {
	if err := b.log.Close(); err != nil {
		return err
	}
	pf, err := os.Create(filepath.Join(b.dir, reports.BundleProduct))
	if err != nil {
		return err
	}
	if err := reports.WriteProduct(pf, &b.product); err != nil {
		pf.Close()
		return err
	}
	if err := pf.Close(); err != nil {
		return err
	}
	sf, err := os.Create(filepath.Join(b.dir, reports.BundleStack))
	if err != nil {
		return err
	}
	if err := errors.Join(reports.WriteStack(sf, rep), sf.Close()); err != nil {
		return err
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
				if _, err := os.Stat(p); err == nil {
					return usage("%s exists: not overwriting a key", p)
				}
			}
			if err := reports.GenerateKeys(priv, pub); err != nil {
				return usage("%s", oneLine(err.Error()))
			}
			fmt.Fprintf(stdout, "private key: %s (keep it)\npublic key:  %s (give it to verifiers)\n", priv, pub)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "ovacts", "path prefix of the key files")
	return cmd
}

func newVerifyCmd(stdout io.Writer) *cobra.Command {
	var pubPath string
	cmd := &cobra.Command{
		Use:   "verify DIR",
		Short: "Check a certification bundle: hashes, signature, completeness of the profile, no failures, consistency",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if st, err := os.Stat(args[0]); err != nil || !st.IsDir() {
				return usage("%s is not a bundle directory", args[0])
			}
			in := reports.VerifyInput{Dir: args[0], KnownVersions: []string{version}, Required: requiredByProfile}
			if pubPath != "" {
				k, err := reports.ReadPublicKey(pubPath)
				if err != nil {
					return usage("--pubkey: %s", oneLine(err.Error()))
				}
				in.PublicKey = k
			}
			failed := 0
			for _, f := range reports.VerifyBundle(in) {
				mark := "ok  "
				if !f.OK {
					mark = "FAIL"
					failed++
				}
				fmt.Fprintf(stdout, "%s %-13s %s\n", mark, f.Check, f.Msg)
			}
			if failed > 0 {
				return &exitError{code: 1, msg: fmt.Sprintf("%s: %d check(s) failed", args[0], failed)}
			}
			fmt.Fprintf(stdout, "%s: verified\n", args[0])
			return nil
		},
	}
	cmd.Flags().StringVar(&pubPath, "pubkey", "", "the signer's ed25519 public key (ovacts keygen)")
	return cmd
}

// requiredByProfile lists the requirement IDs of a profile in this binary's
// catalogue (the only suite version it knows).
func requiredByProfile(suiteVersion, profile string) ([]string, error) {
	if suiteVersion != version {
		return nil, fmt.Errorf("no catalogue of suite version %s here", suiteVersion)
	}
	suite, err := harness.LoadSuite(features.FS, nil)
	if err != nil {
		return nil, err
	}
	sel, err := harness.Selection(profile, "")
	if err != nil {
		return nil, err
	}
	reqs, _ := suite.Select(sel)
	var ids []string
	for _, r := range reqs {
		ids = append(ids, r.ID)
	}
	return ids, nil
}

func newMatrixCmd(stdout io.Writer) *cobra.Command {
	var out string
	var profiles []string
	cmd := &cobra.Command{
		Use:   "matrix BUNDLE... -o DIR",
		Short: "Publish a compatibility matrix (matrix.html, matrix.md, matrix.json) from bundles or JUnit reports",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if out == "" {
				return usage("give the output directory with -o DIR")
			}
			for _, p := range profiles {
				if _, err := harness.Selection(p, ""); err != nil {
					return usage("--profiles: %s", err)
				}
			}
			var cols []*reports.MatrixColumn
			for _, a := range args {
				c, err := reports.ReadColumn(a)
				if err != nil {
					return usage("%s", oneLine(err.Error()))
				}
				cols = append(cols, c)
			}
			m := reports.BuildMatrix(cols, profiles, func(p string) []string {
				ids, _ := requiredByProfile(version, p)
				return ids
			})
			if err := os.MkdirAll(out, 0o755); err != nil {
				return usage("-o: %s", err)
			}
			for name, write := range map[string]func(io.Writer, *reports.Matrix) error{
				"matrix.html": reports.WriteMatrixHTML, "matrix.md": reports.WriteMatrixMarkdown, "matrix.json": reports.WriteMatrixJSON,
			} {
				f, err := os.Create(filepath.Join(out, name))
				if err != nil {
					return usage("%s", err)
				}
				werr := write(f, m)
				if err := errors.Join(werr, f.Close()); err != nil {
					return &exitError{code: 1, msg: oneLine(err.Error())}
				}
			}
			fmt.Fprintf(stdout, "matrix of %d requirements x %d columns: %s/matrix.html, matrix.md, matrix.json\n", len(m.Rows), len(m.Columns), out)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "output directory")
	cmd.Flags().StringSliceVar(&profiles, "profiles", []string{"core", "full"}, "profiles to give each column a verdict for")
	return cmd
}
