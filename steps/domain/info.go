// What a running domain answers about itself (features/domain): OS type,
// memory and vCPU maximums, UUID, control state, security labels; changing
// its lifecycle actions live; dumping its memory; undefining with the
// metadata it owns; and a graceful destroy.

package domain

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
)

func domainAnswersItsBasics(ctx context.Context, dom string, mib, vcpus int) error {
	return W(ctx).WithDomain(dom, func(d *libvirt.Domain) error {
		if os, err := d.GetOSType(); err != nil || os != "hvm" {
			return fmt.Errorf("the OS type of %q is %q (%v), want hvm", dom, os, err)
		}
		if kib, err := d.GetMaxMemory(); err != nil || kib != uint64(mib)<<10 {
			return fmt.Errorf("the maximum memory of %q is %d KiB (%v), want %d MiB", dom, kib, err, mib)
		}
		if n, err := d.GetMaxVcpus(); err != nil || n < uint(vcpus) {
			return fmt.Errorf("the maximum vCPUs of %q are %d (%v), want at least %d", dom, n, err, vcpus)
		}
		raw, err := d.GetUUID()
		if err != nil {
			return err
		}
		s, err := d.GetUUIDString()
		if err != nil {
			return err
		}
		if !stepkit.SameUUIDBytes(raw[:], s) {
			return fmt.Errorf("the UUID bytes %x of %q are not its UUID string %s", raw, dom, s)
		}
		return nil
	})
}

func controlInterfaceIsReady(ctx context.Context, dom string) error {
	return W(ctx).WithDomain(dom, func(d *libvirt.Domain) error {
		ci, err := d.GetControlInfo(0)
		if err != nil {
			return err
		}
		if ci.State != libvirt.DOMAIN_CONTROL_OK {
			return fmt.Errorf("the control interface of %q is in state %d (details %d, for %d ms), want ok", dom, ci.State, ci.Details, ci.StateTime)
		}
		return nil
	})
}

func securityLabelsAreTheLiveXMLs(ctx context.Context, dom string) error {
	w := W(ctx)
	doc, _, err := w.DomainXML(dom, 0)
	if err != nil {
		return err
	}
	var want []string
	for _, l := range doc.SecLabel {
		if l.Label != "" {
			want = append(want, l.Model+" "+l.Label)
		}
	}
	if len(want) == 0 {
		return harness.NotApplicable("the live XML of %q names no security label: the stack confines domains with no security model", dom)
	}
	return w.WithDomain(dom, func(d *libvirt.Domain) error {
		labels, err := d.GetSecurityLabelList()
		if err != nil {
			return err
		}
		var got []string
		for _, l := range labels {
			got = append(got, l.Label)
		}
		first, err := d.GetSecurityLabel()
		if err != nil {
			return err
		}
		for _, ml := range want {
			label := ml[strings.Index(ml, " ")+1:]
			if !slices.Contains(got, label) {
				return fmt.Errorf("the security labels of %q are %q; its live XML names %q", dom, got, want)
			}
		}
		if len(labels) == 0 || first.Label != labels[0].Label {
			return fmt.Errorf("the security label of %q is %q, not the first of its list %q", dom, first.Label, got)
		}
		return nil
	})
}

var lifecycleActions = map[string]libvirt.DomainLifecycleAction{
	"destroy": libvirt.DOMAIN_LIFECYCLE_ACTION_DESTROY, "restart": libvirt.DOMAIN_LIFECYCLE_ACTION_RESTART,
	"preserve": libvirt.DOMAIN_LIFECYCLE_ACTION_PRESERVE,
}

func setLifecycleActionLive(ctx context.Context, event, dom, action string) error {
	which := map[string]libvirt.DomainLifecycle{"reboot": libvirt.DOMAIN_LIFECYCLE_REBOOT, "crash": libvirt.DOMAIN_LIFECYCLE_CRASH}[event]
	return W(ctx).WithDomain(dom, func(d *libvirt.Domain) error {
		return d.SetLifecycleAction(which, lifecycleActions[action], uint32(libvirt.DOMAIN_AFFECT_LIVE))
	})
}

func liveXMLHasLifecycleAction(ctx context.Context, dom, event, action string) error {
	doc, _, err := W(ctx).DomainXML(dom, 0)
	if err != nil {
		return err
	}
	got := doc.OnReboot
	if event == "crashes" {
		got = doc.OnCrash
	}
	if got != action {
		return fmt.Errorf("the live XML of %q %s to %q, want %q", dom, event, got, action)
	}
	return nil
}

func dumpMemoryOfDomain(ctx context.Context, dom, call string) error {
	w := W(ctx)
	dir, err := w.ScratchDir("dump")
	if err != nil {
		return err
	}
	f := filepath.Join(dir, "memory.elf")
	w.Remember(&w.SaveSt().Dumps, dom, f)
	return w.WithDomain(dom, func(d *libvirt.Domain) error {
		if call == "virDomainCoreDump" {
			return d.CoreDump(f, libvirt.DUMP_MEMORY_ONLY)
		}
		return d.CoreDumpWithFormat(f, libvirt.DOMAIN_CORE_DUMP_FORMAT_RAW, libvirt.DUMP_MEMORY_ONLY)
	})
}

func dumpIsAnELFFile(ctx context.Context, dom string, mib int) error {
	f, ok := W(ctx).SaveSt().Dumps[dom]
	if !ok {
		return fmt.Errorf("domain %q was not dumped in this scenario", dom)
	}
	fh, err := os.Open(f)
	if err != nil {
		return err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return err
	}
	head := make([]byte, 4)
	if _, err := fh.ReadAt(head, 0); err != nil || !bytes.Equal(head, []byte("\x7fELF")) || st.Size() < int64(mib)<<20 {
		return fmt.Errorf("the dump of %q is %d bytes starting %q, want an ELF file of at least %d MiB", dom, st.Size(), head, mib)
	}
	return W(ctx).WithDomain(dom, func(d *libvirt.Domain) error {
		kib, err := d.GetMaxMemory()
		if err != nil {
			return err
		}
		if err := dumpHoldsMemory(fh, st.Size(), kib); err != nil {
			return fmt.Errorf("the dump of %q: %w", dom, err)
		}
		return nil
	})
}

func tryToUndefinePlain(ctx context.Context, dom string) error {
	w := W(ctx)
	return w.Try(w.WithDomain(dom, func(d *libvirt.Domain) error { return d.Undefine() }))
}

func undefineWithMetadata(ctx context.Context, dom string) error {
	return W(ctx).WithDomain(dom, func(d *libvirt.Domain) error {
		return d.UndefineFlags(libvirt.DOMAIN_UNDEFINE_SNAPSHOTS_METADATA | libvirt.DOMAIN_UNDEFINE_CHECKPOINTS_METADATA |
			libvirt.DOMAIN_UNDEFINE_MANAGED_SAVE)
	})
}

func destroyGracefully(ctx context.Context, dom string) error {
	return W(ctx).WithDomain(dom, func(d *libvirt.Domain) error { return d.DestroyFlags(libvirt.DOMAIN_DESTROY_GRACEFUL) })
}

func registerInfo(r *stepkit.Registry) {
	r.Step(`^domain "([^"]*)" answers the OS type "hvm", (\d+) MiB of maximum memory, at least (\d+) vCPUs? and its UUID as bytes$`, domainAnswersItsBasics)
	r.Step(`^the control interface of domain "([^"]*)" is ready$`, controlInterfaceIsReady)
	r.Step(`^the security labels of domain "([^"]*)" are the ones its live XML names$`, securityLabelsAreTheLiveXMLs)
	r.Step(`^I set the action on (reboot|crash) of domain "([^"]*)" to (destroy|restart|preserve) live$`, setLifecycleActionLive)
	r.Step(`^the live XML of domain "([^"]*)" (reboots|crashes) to (destroy|restart|preserve)$`, liveXMLHasLifecycleAction)
	r.Step(`^I dump the memory of domain "([^"]*)" to a file with (virDomainCoreDump|virDomainCoreDumpWithFormat)$`, dumpMemoryOfDomain)
	r.Step(`^the dump of domain "([^"]*)" is an ELF file of at least (\d+) MiB$`, dumpIsAnELFFile)
	r.Step(`^I try to undefine domain "([^"]*)" without removing its metadata$`, tryToUndefinePlain)
	r.Step(`^I undefine domain "([^"]*)" with its snapshots', checkpoints' and managed save's metadata$`, undefineWithMetadata)
	r.Step(`^I destroy domain "([^"]*)" gracefully$`, destroyGracefully)
}
