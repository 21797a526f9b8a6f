// UEFI firmware and emulated TPMs (features/firmware): a domain that asks for
// UEFI gets the stack's firmware and an NVRAM of its own and runs it; a
// domain with an emulated TPM 2.0 gets its emulator and a state that goes
// with its definition.

package firmware

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/ovacts/ovacts/fixtures"
	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// swtpmStateDir is where libvirt keeps the state of a domain's emulated TPM
// (one directory per domain UUID).
const swtpmStateDir = "/var/lib/libvirt/swtpm"

// offered reads the domain capabilities for what the scenario asks: a stack
// that does not offer it is not applicable, with the evidence.
func (w *world) offered(what string) error {
	dc, err := w.DomainCaps("")
	if err != nil {
		return err
	}
	enum := func(es []libvirtxml.DomainCapsEnum, name string) []string {
		for _, e := range es {
			if e.Name == name {
				return e.Values
			}
		}
		return nil
	}
	if what == "UEFI firmware without secure boot" {
		if dc.OS == nil || dc.OS.Supported != "yes" || !slices.Contains(enum(dc.OS.Enums, "firmware"), "efi") {
			return harness.NotApplicable("the domain capabilities offer no efi firmware for %s domains", w.Caps.DomainType)
		}
		return nil
	}
	tpm := dc.Devices.TPM
	if dc.Devices == nil || tpm == nil || tpm.Supported != "yes" || !slices.Contains(enum(tpm.Enums, "backendModel"), "emulator") ||
		!slices.Contains(enum(tpm.Enums, "backendVersion"), "2.0") {
		return harness.NotApplicable("the domain capabilities offer no emulated TPM 2.0 for %s domains", w.Caps.DomainType)
	}
	return nil
}

func runningDomainWithFirmware(ctx context.Context, name, what string) error {
	w := W(ctx)
	if err := w.offered(what); err != nil {
		return err
	}
	fixture := map[string]string{"UEFI firmware without secure boot": "uefi", "an emulated TPM 2.0": "tpm"}[what]
	return w.DomainFromFixture(name, fixture, "running", func(v *fixtures.DomainVars) error {
		if fixture == "uefi" {
			v.MemoryMiB = 128 // OVMF's own needs
		}
		return nil
	})
}

func liveXMLNamesLoaderAndNVRAM(ctx context.Context, dom string) error {
	w := W(ctx)
	doc, _, err := w.DomainXML(dom, 0)
	if err != nil {
		return err
	}
	os_ := doc.OS
	switch {
	case os_ == nil || os_.Loader == nil || os_.Loader.Path == "":
		return fmt.Errorf("the live XML of %q names no firmware loader", dom)
	case os_.NVRam == nil || os_.NVRam.NVRam == "" || os_.NVRam.Template == "":
		return fmt.Errorf("the live XML of %q names no NVRAM made from a template: %+v", dom, os_.NVRam)
	}
	var emulator string
	if os_.Type == nil {
		return fmt.Errorf("the live XML of %q names no OS type", dom)
	}
	if doc.Devices != nil {
		emulator = doc.Devices.Emulator
	}
	x, err := w.Conn.GetDomainCapabilities(emulator, os_.Type.Arch, os_.Type.Machine, doc.Type, 0)
	if err != nil {
		return fmt.Errorf("the domain capabilities of %q's emulator, architecture, machine and type: %w", dom, err)
	}
	var dc libvirtxml.DomainCaps
	if err := dc.Unmarshal(x); err != nil {
		return err
	}
	if err := loaderOffered(os_.Loader.Path, &dc); err != nil {
		return fmt.Errorf("domain %q: %w", dom, err)
	}
	if w.Caps.Has("host") {
		if err := ownNVRAM(os_.NVRam.NVRam, os_.NVRam.Template, os_.NVRam.Format == os_.NVRam.TemplateFormat); err != nil {
			return fmt.Errorf("domain %q: %w", dom, err)
		}
	}
	return nil
}

// domainKeepsRunning watches the domain for a while: a firmware the
// hypervisor cannot run stops it (paused, crashed or shut off).
func domainKeepsRunning(ctx context.Context, dom string, secs int) error {
	w := W(ctx)
	deadline := time.Now().Add(time.Duration(secs) * time.Second)
	return w.WithDomain(dom, func(d *libvirt.Domain) error {
		for {
			st, reason, err := d.GetState()
			if err != nil {
				return err
			}
			if st != libvirt.DOMAIN_RUNNING {
				return fmt.Errorf("domain %q stopped running: %s", dom, stepkit.DescribeState(st, reason))
			}
			if time.Now().After(deadline) {
				return w.runsItsFirmware(dom)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(250 * time.Millisecond):
			}
		}
	})
}

// runsItsFirmware: on a stack of this host, a domain whose live XML names a
// loader and an NVRAM runs them in its QEMU process.
func (w *world) runsItsFirmware(dom string) error {
	if !w.Caps.Has("host") {
		return nil
	}
	doc, _, err := w.DomainXML(dom, 0)
	if err != nil {
		return err
	}
	if doc.OS == nil || doc.OS.Loader == nil || doc.OS.NVRam == nil || doc.OS.NVRam.NVRam == "" {
		return nil
	}
	args, err := qemuArgs(doc.Name)
	if err != nil {
		return err
	}
	return firmwareInCmdline(args, doc.Name, doc.OS.Loader.Path, doc.OS.NVRam.NVRam)
}

func liveXMLHasTPM(ctx context.Context, dom string) error {
	doc, _, err := W(ctx).DomainXML(dom, 0)
	if err != nil {
		return err
	}
	if doc.Devices != nil {
		for _, t := range doc.Devices.TPMs {
			if t.Backend != nil && t.Backend.Emulator != nil && t.Backend.Emulator.Version == "2.0" && t.Alias != nil {
				return nil
			}
		}
	}
	return fmt.Errorf("the live XML of %q has no running emulated TPM 2.0", dom)
}

func tpmStateOnTheHost(ctx context.Context, dom, want string) error {
	w := W(ctx)
	uuid := stepkit.UUIDOf(w.DomainSt().SentXML[dom])
	if uuid == "" {
		return fmt.Errorf("no UUID of domain %q in this scenario", dom)
	}
	_, err := os.Stat(filepath.Join(swtpmStateDir, uuid))
	switch {
	case want == "is kept on" && err != nil:
		return fmt.Errorf("the TPM state of %q: %w", dom, err)
	case want == "is kept on":
		// The state itself, not only the directory libvirt made for it: the
		// emulator's permanent state file, written there by swtpm.
		return tpmStateFile(filepath.Join(swtpmStateDir, uuid, "tpm2", "tpm2-00.permall"))
	case want == "is gone from" && err == nil:
		return fmt.Errorf("the TPM state of %q is still in %s", dom, filepath.Join(swtpmStateDir, uuid))
	case want == "is gone from" && !errors.Is(err, os.ErrNotExist):
		return err
	}
	return nil
}

// tpmStateFile checks that an emulated TPM 2.0's permanent state is a
// non-empty regular file at path.
func tpmStateFile(path string) error {
	st, err := os.Lstat(path)
	switch {
	case err != nil:
		return fmt.Errorf("the TPM's permanent state is not on the host: %w", err)
	case !st.Mode().IsRegular():
		return fmt.Errorf("the TPM's permanent state %s is not a regular file (%s)", path, st.Mode().Type())
	case st.Size() == 0:
		return fmt.Errorf("the TPM's permanent state %s is empty", path)
	}
	return nil
}

func registerFirmware(r *stepkit.Registry) {
	r.Step(`^a running domain "([^"]*)" with (UEFI firmware without secure boot|an emulated TPM 2.0), as the domain capabilities offer$`, runningDomainWithFirmware)
	r.Step(`^the live XML of domain "([^"]*)" names the firmware's loader and an NVRAM made from its template$`, liveXMLNamesLoaderAndNVRAM)
	r.Step(`^domain "([^"]*)" keeps running for (\d+) seconds$`, domainKeepsRunning)
	r.Step(`^the live XML of domain "([^"]*)" has an emulated TPM 2.0$`, liveXMLHasTPM)
	r.Step(`^the TPM state of domain "([^"]*)" (is kept on|is gone from) the host$`, tpmStateOnTheHost)
}
