// FW-001's observations: the loader is one the domain capabilities offer,
// the NVRAM is the domain's own copy of the template, and the QEMU process
// runs that loader with that NVRAM.

package firmware

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"libvirt.org/go/libvirtxml"
)

// qemuStateDir is where libvirt's system QEMU driver keeps a running
// domain's pidfile (<name>.pid).
const qemuStateDir = "/run/libvirt/qemu"

// loaderOffered: the live XML's loader is among the loaders the domain
// capabilities (<os><loader><value>) offer for the domain's emulator,
// architecture, machine and type.
func loaderOffered(loader string, dc *libvirtxml.DomainCaps) error {
	var offered []string
	if dc.OS != nil && dc.OS.Loader != nil {
		offered = dc.OS.Loader.Values
	}
	if !slices.Contains(offered, loader) {
		return fmt.Errorf("the loader %s is not one the domain capabilities offer for machine %s: %v", loader, dc.Machine, offered)
	}
	return nil
}

// ownNVRAM: the NVRAM is a file of its own, not the template (neither its
// path nor the same file under another name), and as large as the template
// it was copied from when both have one format (libvirt 10 and later may
// convert a template into another format, whose size differs).
func ownNVRAM(nvram, template string, sameFormat bool) error {
	if filepath.Clean(nvram) == filepath.Clean(template) {
		return fmt.Errorf("the NVRAM is the template itself: %s", nvram)
	}
	n, err := os.Stat(nvram)
	if err != nil {
		return fmt.Errorf("the NVRAM: %w", err)
	}
	t, err := os.Stat(template)
	if err != nil {
		return fmt.Errorf("the NVRAM's template: %w", err)
	}
	switch {
	case os.SameFile(n, t):
		return fmt.Errorf("the NVRAM %s is the template %s under another name", nvram, template)
	case !n.Mode().IsRegular():
		return fmt.Errorf("the NVRAM %s is no regular file (%s)", nvram, n.Mode())
	case sameFormat && n.Size() != t.Size():
		return fmt.Errorf("the NVRAM %s holds %d bytes, its template %s %d", nvram, n.Size(), template, t.Size())
	}
	return nil
}

// firmwareInCmdline: the QEMU process of domain name (its arguments) runs
// the loader and the NVRAM, whether QEMU gets them as -drive or -blockdev
// (JSON, where a slash may be written \/).
func firmwareInCmdline(args []string, name, loader, nvram string) error {
	names := func(p string) bool {
		return slices.ContainsFunc(args, func(a string) bool {
			return strings.Contains(a, p) || strings.Contains(a, strings.ReplaceAll(p, "/", `\/`))
		})
	}
	switch {
	case !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "guest="+name+",") || a == "guest="+name }):
		return fmt.Errorf("the process is not domain %s's QEMU: %q", name, strings.Join(args, " "))
	case !names(loader):
		return fmt.Errorf("the QEMU process of %s does not run the loader %s: %q", name, loader, strings.Join(args, " "))
	case !names(nvram):
		return fmt.Errorf("the QEMU process of %s does not use the NVRAM %s: %q", name, nvram, strings.Join(args, " "))
	}
	return nil
}

// qemuArgs reads the command line of a running domain's QEMU process, its
// pid from libvirt's pidfile.
func qemuArgs(name string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(qemuStateDir, name+".pid"))
	if err != nil {
		return nil, fmt.Errorf("the pidfile of domain %s: %w", name, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("the pidfile of domain %s holds %q: %w", name, b, err)
	}
	raw, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil {
		return nil, fmt.Errorf("the QEMU process %d of domain %s: %w", pid, name, err)
	}
	if len(raw) == 0 {
		return nil, errors.New("the QEMU process of domain " + name + " has no command line (exited?)")
	}
	return strings.Split(string(bytes.TrimRight(raw, "\x00")), "\x00"), nil
}
