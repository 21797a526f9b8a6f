package main

import (
	"fmt"
	"io"

	"github.com/ovacts/ovacts/reports"
	"github.com/spf13/cobra"
)

func newFingerprintCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "fingerprint KEY.pub",
		Short: "Print a public key's fingerprint, as the site shows its signer (ed25519:<hex>)",
		Long: `Print the fingerprint of an ed25519 public key (ovacts keygen's PREFIX.pub):
"ed25519:" and the first 8 bytes of the sha256 of the key's 32 raw bytes, in
hex. The site names each bundle's signer so, and verify prints it; compare the
two to know whose key signed. Without ovacts:

  echo "ed25519:$(openssl pkey -pubin -in KEY.pub -outform DER | tail -c 32 | sha256sum | cut -c1-16)"`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			k, err := reports.ReadPublicKey(args[0])
			if err != nil {
				return usage("%s", oneLine(err.Error()))
			}
			fmt.Fprintf(stdout, "%s  %s\n", reports.KeyFingerprint(k), args[0])
			return nil
		},
	}
}
