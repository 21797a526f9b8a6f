package main

import (
	"fmt"
	"io"

	"github.com/ovacts/ovacts/reports"
	"github.com/spf13/cobra"
)

func newDiffCmd(stdout io.Writer) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "Compare two runs requirement by requirement (JUnit files, or directories holding junit.xml); exit 1 on a regression",
		Args:  cobra.ExactArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return usage("--format must be text or json, got %q", format)
			}
			var rs [2]*reports.Results
			for i, p := range args {
				r, err := reports.ReadResults(p)
				if err != nil {
					return usage("%s", oneLine(err.Error()))
				}
				rs[i] = r
			}
			c := reports.Diff(rs[0], rs[1])
			var err error
			if format == "json" {
				err = reports.WriteChangesJSON(stdout, c)
			} else {
				err = reports.WriteChanges(stdout, c)
			}
			if err != nil {
				return err
			}
			if len(c.Regressions) > 0 {
				return &exitError{code: 1, msg: fmt.Sprintf("%d regression(s) from %s to %s", len(c.Regressions), args[0], args[1])}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "text or json")
	return cmd
}
