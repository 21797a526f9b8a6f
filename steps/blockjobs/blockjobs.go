// Block jobs and disk changes on a running domain (features/blockjobs):
// resize, copy and pivot, cancel, active commit, pull and rebase, each seen in
// the job's info and in the live XML; and reading a disk through the stack.

package blockjobs

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

func blockInfoGivesCapacity(ctx context.Context, dom string, mib int) error {
	return W(ctx).WithDomain(dom, func(d *libvirt.Domain) error {
		bi, err := d.GetBlockInfo(stepkit.VdaDisk, 0)
		if err != nil {
			return err
		}
		if bi.Capacity != uint64(mib)<<20 {
			return fmt.Errorf("the block info of %s gives a capacity of %d bytes, want %d MiB", stepkit.VdaDisk, bi.Capacity, mib)
		}
		if bi.Physical == 0 {
			return fmt.Errorf("the block info of %s gives no physical size (allocation %d bytes)", stepkit.VdaDisk, bi.Allocation)
		}
		return nil
	})
}

func resizeDiskLive(ctx context.Context, dom string, mib int) error {
	return W(ctx).WithDomain(dom, func(d *libvirt.Domain) error {
		return d.BlockResize(stepkit.VdaDisk, uint64(mib)<<20, libvirt.DOMAIN_BLOCK_RESIZE_BYTES)
	})
}

func startCopyingDisk(ctx context.Context, dom, file string) error {
	w := W(ctx)
	dest, err := w.PoolFile("store", file)
	if err != nil {
		return err
	}
	x, err := (&libvirtxml.DomainDisk{Driver: &libvirtxml.DomainDiskDriver{Type: "qcow2"},
		Source: &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: dest}}}).Marshal()
	if err != nil {
		return err
	}
	// A persistent domain's copy is a job that does not outlive the domain's
	// process (libvirt refuses a persistent one: "domain is not transient").
	return w.WithDomain(dom, func(d *libvirt.Domain) error {
		return d.BlockCopy(stepkit.VdaDisk, x, &libvirt.DomainBlockCopyParameters{}, libvirt.DOMAIN_BLOCK_COPY_TRANSIENT_JOB)
	})
}

func commitActiveLayer(ctx context.Context, dom string) error {
	return W(ctx).WithDomain(dom, func(d *libvirt.Domain) error {
		return d.BlockCommit(stepkit.VdaDisk, "", "", 0, libvirt.DOMAIN_BLOCK_COMMIT_ACTIVE)
	})
}

// jobInfo is the disk's block job, with its bandwidth in bytes per second;
// a zero Type when it has none.
func jobInfo(d *libvirt.Domain) (*libvirt.DomainBlockJobInfo, error) {
	return d.GetBlockJobInfo(stepkit.VdaDisk, libvirt.DOMAIN_BLOCK_JOB_INFO_BANDWIDTH_BYTES)
}

var jobTypes = map[string]libvirt.DomainBlockJobType{
	"copy":          libvirt.DOMAIN_BLOCK_JOB_TYPE_COPY,
	"active commit": libvirt.DOMAIN_BLOCK_JOB_TYPE_ACTIVE_COMMIT,
}

// blockJobBecomesReady waits for a mirroring job to have copied everything
// (libvirt reports cur == end only once QEMU says the job is ready to pivot).
func blockJobBecomesReady(ctx context.Context, dom, kind string) error {
	w := W(ctx)
	return w.WithDomain(dom, func(d *libvirt.Domain) error {
		return w.Eventually(ctx, func() error {
			ji, err := jobInfo(d)
			switch {
			case err != nil:
				return err
			case ji.Type != jobTypes[kind]:
				return fmt.Errorf("the block job of %s is of type %d, want %s (%d)", stepkit.VdaDisk, ji.Type, kind, jobTypes[kind])
			case ji.End == 0 || ji.Cur != ji.End:
				return fmt.Errorf("the %s job of %s is not ready: %d of %d bytes", kind, stepkit.VdaDisk, ji.Cur, ji.End)
			}
			return nil
		})
	})
}

func setBlockJobSpeed(ctx context.Context, dom string, mib int) error {
	return W(ctx).WithDomain(dom, func(d *libvirt.Domain) error {
		return d.BlockJobSetSpeed(stepkit.VdaDisk, uint64(mib)<<20, libvirt.DOMAIN_BLOCK_JOB_SPEED_BANDWIDTH_BYTES)
	})
}

func blockJobRunsAt(ctx context.Context, dom string, mib int) error {
	return W(ctx).WithDomain(dom, func(d *libvirt.Domain) error {
		ji, err := jobInfo(d)
		if err != nil {
			return err
		}
		if ji.Type == 0 || ji.Bandwidth != uint64(mib)<<20 {
			return fmt.Errorf("the block job of %s (type %d) runs at %d bytes/s, want %d MiB/s", stepkit.VdaDisk, ji.Type, ji.Bandwidth, mib)
		}
		return nil
	})
}

func endBlockJob(ctx context.Context, how, dom string) error {
	flags := libvirt.DomainBlockJobAbortFlags(0)
	if how == "pivot" {
		flags = libvirt.DOMAIN_BLOCK_JOB_ABORT_PIVOT
	}
	w := W(ctx)
	return w.WithDomain(dom, func(d *libvirt.Domain) error {
		if how == "cancel" {
			return d.BlockJobAbort(stepkit.VdaDisk, flags)
		}
		// QEMU's ready event can trail the job info's cur == end by a moment:
		// libvirt answers VIR_ERR_BLOCK_COPY_ACTIVE ("not ready for pivot
		// yet") until it has seen it.
		return w.Eventually(ctx, func() error { return d.BlockJobAbort(stepkit.VdaDisk, flags) })
	})
}

func flattenBackingChain(ctx context.Context, how, dom string) error {
	return W(ctx).WithDomain(dom, func(d *libvirt.Domain) error {
		if how == "pull" {
			return d.BlockPull(stepkit.VdaDisk, 0, 0)
		}
		return d.BlockRebase(stepkit.VdaDisk, "", 0, 0)
	})
}

func diskHasNoBlockJob(ctx context.Context, dom string) error {
	w := W(ctx)
	return w.WithDomain(dom, func(d *libvirt.Domain) error {
		return w.Eventually(ctx, func() error {
			ji, err := jobInfo(d)
			if err == nil && ji.Type != 0 {
				return fmt.Errorf("disk %s still has a block job of type %d (%d of %d bytes)", stepkit.VdaDisk, ji.Type, ji.Cur, ji.End)
			}
			return err
		})
	})
}

func liveDiskIs(ctx context.Context, dom, which, noBacking string) error {
	w := W(ctx)
	var want string
	var err error
	switch {
	case which == "its own volume":
		want, err = w.VolumePath(dom+"-disk", "store")
	case len(which) > 9 && which[:9] == "the copy ":
		want = w.PoolDir("store") + "/" + w.Name(stepkit.Unquote(which[9:]))
	default:
		want = w.PoolDir("store") + "/" + w.Name(dom+"-"+stepkit.Unquote(which[len("the overlay of snapshot "):])+".qcow2")
	}
	if err != nil {
		return err
	}
	doc, _, err := w.DomainXML(dom, 0)
	if err != nil {
		return err
	}
	if doc.Devices == nil || len(doc.Devices.Disks) == 0 || doc.Devices.Disks[0].Source == nil || doc.Devices.Disks[0].Source.File == nil {
		return errors.New("the live XML has no file disk")
	}
	d := doc.Devices.Disks[0]
	if got := d.Source.File.File; got != want {
		return fmt.Errorf("the live disk %s is %s, want %s (%s)", stepkit.VdaDisk, got, want, which)
	}
	if noBacking != "" && d.BackingStore != nil && d.BackingStore.Source != nil && d.BackingStore.Source.File != nil {
		return fmt.Errorf("the live disk %s is still backed by %s in its XML", stepkit.VdaDisk, d.BackingStore.Source.File.File)
	}
	return nil
}

func peekingAtDiskGivesUploadedData(ctx context.Context, kib int, dom, vol, pool string) error {
	w := W(ctx)
	want, err := w.Uploaded(vol, pool, kib)
	if err != nil {
		return err
	}
	return w.WithDomain(dom, func(d *libvirt.Domain) error {
		const chunk = 16 * 1024 // far below any driver's largest peek
		var data []byte
		for off := 0; off < kib*1024; off += chunk {
			got, err := d.BlockPeek(stepkit.VdaDisk, uint64(off), chunk, 0)
			if err != nil {
				return err
			}
			data = append(data, got...)
		}
		if len(data) != kib*1024 || sha256.Sum256(data) != want {
			return fmt.Errorf("peeking at the first %d KiB of %s gives %d bytes, not the data uploaded to %q", kib, stepkit.VdaDisk, len(data), vol)
		}
		return nil
	})
}

func registerBlockJobs(r *stepkit.Registry) {
	r.Step(`^the block info of disk vda of domain "([^"]*)" gives a capacity of (\d+) MiB and a physical size$`, blockInfoGivesCapacity)
	r.Step(`^I resize disk vda of domain "([^"]*)" to (\d+) MiB live$`, resizeDiskLive)
	r.Step(`^I start copying disk vda of domain "([^"]*)" to a new qcow2 file "([^"]*)"$`, startCopyingDisk)
	r.Step(`^I commit the active layer of disk vda of domain "([^"]*)" into its backing file$`, commitActiveLayer)
	r.Step(`^the block job of disk vda of domain "([^"]*)" is an? (copy|active commit) that becomes ready$`, blockJobBecomesReady)
	r.Step(`^I set the block job speed of disk vda of domain "([^"]*)" to (\d+) MiB/s$`, setBlockJobSpeed)
	r.Step(`^the block job of disk vda of domain "([^"]*)" runs at (\d+) MiB/s$`, blockJobRunsAt)
	r.Step(`^I (pivot|cancel) the block job of disk vda of domain "([^"]*)"$`, endBlockJob)
	r.Step(`^I (pull|rebase onto no base) the backing chain of disk vda of domain "([^"]*)"$`, flattenBackingChain)
	r.Step(`^disk vda of domain "([^"]*)" has no block job$`, diskHasNoBlockJob)
	r.Step(`^the live disk vda of domain "([^"]*)" is (the copy "[^"]*"|its own volume|the overlay of snapshot "[^"]*")(, with no backing file)?$`, liveDiskIs)
	r.Step(`^peeking at the first (\d+) KiB of disk vda of domain "([^"]*)" gives the data uploaded to volume "([^"]*)" in pool "([^"]*)"$`, peekingAtDiskGivesUploadedData)
}
