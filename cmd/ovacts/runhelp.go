package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// runFlagGroups are run's flags by what they are about, in the order help
// shows them; a test holds every flag to one group.
var runFlagGroups = []struct {
	title string
	names []string
}{
	{"Stack", []string{"uri", "peer-uri", "concurrency", "step-timeout", "scenario-timeout", "keep",
		"ovirt-url", "ovirt-user", "ovirt-password-file", "ovirt-ca-file", "ovirt-insecure", "ovirt-allow-changes", "ovirt-template"}},
	{"Selection", []string{"profile", "tags", "name", "features", "rerun-failed", "fail-fast"}},
	{"Guest", []string{"guest-dir", "guest-kernel", "guest-initrd", "guest-cmdline", "guest-disk", "guest-accel",
		"guest-boot-timeout", "guest-accel-timeout", "guestfs-accel", "guestfs-accel-timeout"}},
	{"Certification", []string{"bundle", "product", "vendor", "product-name", "product-version", "product-url", "contact",
		"sign-key", "waivers", "fail-on"}},
	{"Output", []string{"output-dir", "junit", "junit-format", "cucumber", "api-coverage", "durations", "quiet", "verbose", "help"}},
}

const runExamples = `  # every requirement of the core profile on the local system stack, with a JUnit report
  ovacts run --uri qemu:///system --profile core --junit out/junit.xml

  # the storage scenarios of every profile, stopping at the first failure, the 5 slowest listed
  ovacts run --uri qemu:///system --tags @storage --fail-fast --durations 5`

// runUsage prints run's help flags grouped (stack, selection, guest,
// certification, output).
func runUsage(cmd *cobra.Command) error {
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "Usage:\n  %s\n\nExamples:\n%s\n", cmd.UseLine(), cmd.Example)
	all := cmd.Flags()
	for _, g := range runFlagGroups {
		fs := pflag.NewFlagSet(g.title, pflag.ContinueOnError)
		fs.SortFlags = false
		for _, n := range g.names {
			if f := all.Lookup(n); f != nil {
				fs.AddFlag(f)
			}
		}
		fmt.Fprintf(w, "\n%s flags:\n%s", g.title, fs.FlagUsages())
	}
	var rest []string
	all.VisitAll(func(f *pflag.Flag) {
		if !slices.ContainsFunc(runFlagGroups, func(g struct {
			title string
			names []string
		}) bool {
			return slices.Contains(g.names, f.Name)
		}) {
			rest = append(rest, "--"+f.Name)
		}
	})
	if len(rest) > 0 {
		fmt.Fprintf(w, "\nOther flags: %s\n", strings.Join(rest, ", "))
	}
	return nil
}
