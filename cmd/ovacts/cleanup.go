package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/ovacts/ovacts/harness"
	"github.com/spf13/cobra"
)

func newCleanupCmd(stdout io.Writer) *cobra.Command {
	var uri string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "cleanup",
		Short: "Remove the objects that this host's ledgers list for ovacts runs that are no longer alive",
		Long: `Remove what dead ovacts runs left on the stack at --uri, and nothing else.

Every run records each object in its ledger (under the state directory) before
it creates it. cleanup removes an object only when a dead run's ledger lists it
and its name and UUID (or path) still match; a directory of this host only while
its owner and inode are the recorded ones; an owner record naming another run,
another host or a live process protects it. Objects no ledger lists, whatever
their names, are never touched, nor are ledgers that another user owns or that
group or others may write. --dry-run lists what would go and why.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if err := needLibvirt(); err != nil {
				return err
			}
			reg := harness.DefaultRunRegistry()
			if err := reg.Check(); err != nil {
				return usage("%s", oneLine(err.Error()))
			}
			conn, err := harness.Open(uri)
			if err != nil {
				return usage("%s", oneLine(err.Error()))
			}
			stack, err := harness.StackKey(conn)
			if err != nil {
				conn.Close()
				return usage("%s", oneLine(harness.DescribeError(err)))
			}
			res := harness.SweepStack(conn, uri, stack, reg, harness.SweepOptions{DryRun: dryRun})
			if !dryRun {
				reg.Prune()
			}
			closeErr := harness.CloseChecked(conn)
			verb := "removed"
			if dryRun {
				verb = "would remove"
			}
			for _, r := range res.Removed {
				fmt.Fprintf(stdout, "%s %s: %s\n", verb, r.Res, r.Why)
			}
			for _, r := range res.Kept {
				fmt.Fprintf(stdout, "left %s: %s\n", r.Res, r.Why)
			}
			if note := res.ElsewhereNote(stack); note != "" {
				fmt.Fprintf(stdout, "note: %s\n", note)
			}
			if res.Logs > 0 {
				fmt.Fprintf(stdout, "removed %d QEMU log(s) of those domains from %s\n", res.Logs, harness.QEMULogDir)
			}
			fmt.Fprintf(stdout, "%d %s, %d left, %d errors\n", len(res.Removed), verb, len(res.Kept), len(res.Errors))
			if err := errors.Join(append(res.Errors, closeErr)...); err != nil {
				return &exitError{code: 1, msg: oneLine(harness.DescribeError(err))}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&uri, "uri", envOr("OVACTS_URI", "test:///default"), "libvirt URI (env OVACTS_URI)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "list what would be removed and why, remove nothing")
	return cmd
}
