// Command ovacts runs the ovacts conformance suite against a KVM/libvirt stack.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/internal/safeio"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// version is the suite version, stamped into every report: set by
// -ldflags "-X main.version=..." (a release build), or else read from the
// build (stampedVersion). Never written here: a binary says what it was built
// from. What a verdict depends on is the requirement set, not this.
var version string

func init() {
	if version == "" {
		version = stampedVersion()
	}
}

// stampedVersion is the main module's version as go build stamped it: a
// module version (go install ...@vX.Y.Z), the pseudo-version Go derives from
// the VCS commit ("+dirty" with uncommitted changes), or, when built without
// VCS information, "devel" and the commit if known.
func stampedVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel"
	}
	v := "devel+" + rev[:min(12, len(rev))]
	if dirty {
		v += ".dirty"
	}
	return v
}

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func usage(format string, args ...any) error {
	return &exitError{code: 2, msg: fmt.Sprintf(format, args...)}
}

func main() {
	os.Exit(execute(os.Args[1:], os.Stdout, os.Stderr))
}

// execute runs the CLI and returns the exit code: 0 conformant, 1 failures,
// 2 usage or setup error, 130/143 interrupted.
func execute(args []string, stdout, stderr io.Writer) int {
	// The admin helper (harness/admin_helper.go): a child of a run, never
	// a command of its own for users; it must not start libvirt's main library.
	if len(args) > 0 && args[0] == "admin-helper" {
		return harness.AdminHelperMain(args[1:], stdout)
	}
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			// Texts from outside (a report's, a bundle's, libvirt's) are in
			// it: no control character reaches the terminal.
			fmt.Fprintf(stderr, "ovacts: %s\n", safeio.PrintableText(ee.msg))
		}
		return ee.code
	}
	// Anything cobra itself rejects (unknown flag or command, bad value) is usage.
	fmt.Fprintf(stderr, "ovacts: %s\n", oneLine(err.Error()))
	return 2
}

// oneLine is an error's text on one line, with no control character left.
func oneLine(s string) string { return safeio.Printable(strings.Join(strings.Fields(s), " ")) }

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "ovacts",
		Short: "Conformance test suite for KVM/libvirt virtualization stacks",
		Long: `Conformance test suite for KVM/libvirt virtualization stacks.

ovacts run checks a stack against the requirement catalogue and reports each
requirement as one of five outcomes: passed, failed, blocked, not applicable
or not run. Its bundles are signed with ovacts keygen, checked with ovacts
verify and published as a site with ovacts publish.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(flagError)
	root.AddCommand(newRunCmd(stdout, stderr), newListCmd(stdout), newVersionCmd(stdout), newCleanupCmd(stdout), newDiffCmd(stdout), newKeygenCmd(stdout), newFingerprintCmd(stdout), newVerifyCmd(stdout), newPublishCmd(stdout))
	root.AddCommand(newDriftCmd(stdout), newTriageCmd(stdout), newRevokeCmd(stdout), newGenDocsCmd(stdout))
	for _, c := range root.Commands() {
		completeValues(c)
	}
	return root
}

// flagError is a flag cobra rejects, as usage; a misspelt flag gets the
// nearest of the command's own.
func flagError(cmd *cobra.Command, err error) error {
	name, ok := strings.CutPrefix(err.Error(), "unknown flag: --")
	if !ok {
		return usage("%s", err)
	}
	var names []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
	if c := catalogue.Closest(name, names); c != "" {
		return usage("%s (did you mean --%s?)", err, c)
	}
	return usage("%s", err)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func newVersionCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the suite version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintf(stdout, "ovacts %s\n", version)
			return nil
		},
	}
}
