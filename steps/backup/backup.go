// Checkpoints and incremental backup (features/backup): the checkpoint tree
// and its bitmaps, deletion and redefinition; push and pull backups of a
// running domain's disk, their job, and the data they give.

package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"

	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

func (w *world) withCheckpoint(dom, cp string, fn func(c *libvirt.DomainCheckpoint) error) error {
	return w.WithDomain(dom, func(d *libvirt.Domain) error {
		c, err := d.CheckpointLookupByName(cp, 0)
		if err != nil {
			return fmt.Errorf("looking up checkpoint %q of %q: %w", cp, dom, err)
		}
		defer c.Free()
		return fn(c)
	})
}

// checkpointNames frees the list and gives its names, sorted.
func checkpointNames(list []libvirt.DomainCheckpoint) ([]string, error) {
	var names []string
	var err error
	for i := range list {
		n, e := list[i].GetName()
		err = errors.Join(err, e)
		names = append(names, n)
		list[i].Free()
	}
	slices.Sort(names)
	return names, err
}

func sameList(what string, got []string, want string) error {
	w := stepkit.SplitList(want)
	slices.Sort(w)
	if strings.Join(got, ",") != strings.Join(w, ",") {
		return fmt.Errorf("the %s are %q, want %q", what, got, w)
	}
	return nil
}

func domainListsTheCheckpoints(ctx context.Context, dom, want string) error {
	return W(ctx).WithDomain(dom, func(d *libvirt.Domain) error {
		list, err := d.ListAllCheckpoints(0)
		if err != nil {
			return err
		}
		got, err := checkpointNames(list)
		if err != nil {
			return err
		}
		return sameList("checkpoints of "+dom, got, want)
	})
}

func checkpointHasParent(ctx context.Context, cp, dom, want string) error {
	return W(ctx).withCheckpoint(dom, cp, func(c *libvirt.DomainCheckpoint) error {
		p, err := c.GetParent(0)
		if want == "no parent" {
			if err == nil {
				name, _ := p.GetName()
				p.Free()
				return fmt.Errorf("checkpoint %q has the parent %q, want none", cp, name)
			}
			if errors.Is(err, libvirt.ERR_NO_DOMAIN_CHECKPOINT) {
				return nil
			}
			return fmt.Errorf("asking for the parent of a root checkpoint: %w, want VIR_ERR_NO_DOMAIN_CHECKPOINT", err)
		}
		if err != nil {
			return err
		}
		defer p.Free()
		name, err := p.GetName()
		if err != nil {
			return err
		}
		if `the parent "`+name+`"` != want {
			return fmt.Errorf("checkpoint %q has the parent %q, want %s", cp, name, want)
		}
		return nil
	})
}

func childrenOfCheckpointAre(ctx context.Context, cp, dom, want string) error {
	return W(ctx).withCheckpoint(dom, cp, func(c *libvirt.DomainCheckpoint) error {
		list, err := c.ListAllChildren(0)
		if err != nil {
			return err
		}
		got, err := checkpointNames(list)
		if err != nil {
			return err
		}
		return sameList("children of checkpoint "+cp, got, want)
	})
}

func checkpointXMLNamesBitmap(ctx context.Context, cp, dom string) error {
	return W(ctx).withCheckpoint(dom, cp, func(c *libvirt.DomainCheckpoint) error {
		x, err := c.GetXMLDesc(0)
		if err != nil {
			return err
		}
		var doc libvirtxml.DomainCheckpoint
		if err := doc.Unmarshal(x); err != nil {
			return err
		}
		if doc.Name != cp {
			return fmt.Errorf("the XML of checkpoint %q names %q", cp, doc.Name)
		}
		if doc.Disks != nil {
			for _, d := range doc.Disks.Disks {
				if d.Name == stepkit.VdaDisk && d.Checkpoint == "bitmap" && d.Bitmap != "" {
					return nil
				}
			}
		}
		return fmt.Errorf("the XML of checkpoint %q names no bitmap of %s:\n%s", cp, stepkit.VdaDisk, x)
	})
}

// diskImageHoldsBitmaps reads the bitmaps of the domain's disk image with
// qemu-img, sharing the image with the running QEMU.
func diskImageHoldsBitmaps(ctx context.Context, dom, want string) error {
	w := W(ctx)
	path, err := w.VolumePath(dom+"-disk", "store")
	if err != nil {
		return err
	}
	out, err := exec.CommandContext(ctx, "qemu-img", "info", "-U", "--output=json", path).Output()
	if err != nil {
		return fmt.Errorf("qemu-img info %s: %w", path, err)
	}
	var info struct {
		Specific struct {
			Data struct {
				Bitmaps []struct{ Name string } `json:"bitmaps"`
			} `json:"data"`
		} `json:"format-specific"`
	}
	if err := json.Unmarshal(out, &info); err != nil {
		return fmt.Errorf("qemu-img info: %w", err)
	}
	var got []string
	for _, b := range info.Specific.Data.Bitmaps {
		got = append(got, b.Name)
	}
	slices.Sort(got)
	return sameList("bitmaps in "+path, got, want)
}

func deleteCheckpoint(ctx context.Context, cp, dom, keep string) error {
	w := W(ctx)
	return w.withCheckpoint(dom, cp, func(c *libvirt.DomainCheckpoint) error {
		if keep == "" {
			return c.Delete(0)
		}
		x, err := c.GetXMLDesc(0)
		if err != nil {
			return err
		}
		w.Remember(&w.BackupSt().CheckpointXML, dom+"/"+cp, x)
		return c.Delete(libvirt.DOMAIN_CHECKPOINT_DELETE_METADATA_ONLY)
	})
}

func redefineCheckpoint(ctx context.Context, cp, dom string) error {
	w := W(ctx)
	x, ok := w.BackupSt().CheckpointXML[dom+"/"+cp]
	if !ok {
		return fmt.Errorf("the scenario kept no XML of checkpoint %q", cp)
	}
	return w.WithDomain(dom, func(d *libvirt.Domain) error {
		c, err := d.CreateCheckpointXML(x, libvirt.DOMAIN_CHECKPOINT_CREATE_REDEFINE|libvirt.DOMAIN_CHECKPOINT_CREATE_REDEFINE_VALIDATE)
		if err != nil {
			return err
		}
		return c.Free()
	})
}

func pushBackup(ctx context.Context, dom, file string) error {
	w := W(ctx)
	target, err := w.PoolFile("store", file)
	if err != nil {
		return err
	}
	x := fmt.Sprintf(`<domainbackup mode='push'><disks><disk name='%s' backup='yes' type='file'><driver type='qcow2'/><target file='%s'/></disk></disks></domainbackup>`, stepkit.VdaDisk, target)
	return w.WithDomain(dom, func(d *libvirt.Domain) error { return d.BackupBegin(x, "", 0) })
}

func backupJobCompletes(ctx context.Context, dom string) error {
	w := W(ctx)
	return w.WithDomain(dom, func(d *libvirt.Domain) error {
		if err := w.Eventually(ctx, func() error { return noJob(d) }); err != nil {
			return err
		}
		st, err := d.GetJobStats(libvirt.DOMAIN_JOB_STATS_COMPLETED)
		if err != nil {
			return fmt.Errorf("the statistics of the completed job: %w", err)
		}
		if st.Type != libvirt.DOMAIN_JOB_COMPLETED || !st.OperationSet || st.Operation != libvirt.DOMAIN_JOB_OPERATION_BACKUP {
			return fmt.Errorf("the last completed job is of type %d, operation %d (set: %v), want a completed backup (%d, %d)",
				st.Type, st.Operation, st.OperationSet, libvirt.DOMAIN_JOB_COMPLETED, libvirt.DOMAIN_JOB_OPERATION_BACKUP)
		}
		return nil
	})
}

func noJob(d *libvirt.Domain) error {
	ji, err := d.GetJobInfo()
	if err == nil && ji.Type != libvirt.DOMAIN_JOB_NONE {
		return fmt.Errorf("the domain still has a job of type %d", ji.Type)
	}
	return err
}

func backupXMLDescribesPull(ctx context.Context, dom string) error {
	w := W(ctx)
	port := w.BackupSt().NbdPort[dom]
	return w.WithDomain(dom, func(d *libvirt.Domain) error {
		x, err := d.BackupGetXMLDesc(0)
		if err != nil {
			return err
		}
		var doc libvirtxml.DomainBackup
		if err := doc.Unmarshal(x); err != nil {
			return err
		}
		pull := doc.Pull
		if pull == nil || pull.Server == nil || pull.Server.TCP == nil || pull.Server.TCP.Port != uint(port) {
			return fmt.Errorf("the backup XML does not describe a pull backup served on port %d:\n%s", port, x)
		}
		if pull.Disks != nil {
			for _, dd := range pull.Disks.Disks {
				if dd.Name == stepkit.VdaDisk && dd.Backup == "yes" && (dd.ExportName == "" || dd.ExportName == stepkit.VdaDisk) {
					return nil
				}
			}
		}
		return fmt.Errorf("the backup XML does not back up %s:\n%s", stepkit.VdaDisk, x)
	})
}

// backupHoldsTheSameData compares, with qemu-img, what a backup gives with
// the raw volume under the domain's disk.
func backupHoldsTheSameData(ctx context.Context, what, vol, pool string) error {
	w := W(ctx)
	src, err := w.VolumePath(vol, pool)
	if err != nil {
		return err
	}
	var dst, format string
	if name, ok := strings.CutPrefix(what, "the qcow2 file "); ok {
		dst, format = w.PoolDir("store")+"/"+w.Name(stepkit.Unquote(name)), "qcow2"
	} else {
		dom := stepkit.Unquote(strings.TrimPrefix(what, "the NBD export of domain "))
		port, ok := w.BackupSt().NbdPort[dom]
		if !ok {
			return fmt.Errorf("domain %q has no pull backup in this scenario", dom)
		}
		dst, format = fmt.Sprintf("nbd://127.0.0.1:%d/%s", port, stepkit.VdaDisk), "raw"
	}
	out, err := exec.CommandContext(ctx, "qemu-img", "compare", "-U", "-f", "raw", "-F", format, src, dst).CombinedOutput()
	if err != nil {
		return fmt.Errorf("qemu-img compare %s %s: %v: %s", src, dst, err, strings.TrimSpace(string(out)))
	}
	return nil
}

func abortJobOfDomain(ctx context.Context, dom string) error {
	return W(ctx).WithDomain(dom, func(d *libvirt.Domain) error { return d.AbortJob() })
}

func domainHasNoJob(ctx context.Context, dom string) error {
	w := W(ctx)
	return w.WithDomain(dom, func(d *libvirt.Domain) error {
		return w.Eventually(ctx, func() error { return noJob(d) })
	})
}

func registerBackup(r *stepkit.Registry) {
	r.Step(`^domain "([^"]*)" lists the checkpoints "([^"]*)"$`, domainListsTheCheckpoints)
	r.Step(`^checkpoint "([^"]*)" of domain "([^"]*)" has (no parent|the parent "[^"]*")$`, checkpointHasParent)
	r.Step(`^the children of checkpoint "([^"]*)" of domain "([^"]*)" are "([^"]*)"$`, childrenOfCheckpointAre)
	r.Step(`^the XML of checkpoint "([^"]*)" of domain "([^"]*)" names a bitmap of disk vda$`, checkpointXMLNamesBitmap)
	r.Step(`^the disk image of domain "([^"]*)" holds the bitmaps "([^"]*)"$`, diskImageHoldsBitmaps)
	r.Step(`^I delete checkpoint "([^"]*)" of domain "([^"]*)"( but keep its bitmap)?$`, deleteCheckpoint)
	r.Step(`^I redefine checkpoint "([^"]*)" of domain "([^"]*)" from the XML it had, checked against its bitmap$`, redefineCheckpoint)
	r.Step(`^I back up disk vda of domain "([^"]*)" in push mode to a new qcow2 file "([^"]*)"$`, pushBackup)
	r.Step(`^the backup job of domain "([^"]*)" completes and is recorded as a completed backup$`, backupJobCompletes)
	r.Step(`^the backup XML of domain "([^"]*)" describes a pull backup of disk vda over NBD$`, backupXMLDescribesPull)
	r.Step(`^(the qcow2 file "[^"]*"|the NBD export of domain "[^"]*") holds the same data as volume "([^"]*)" in pool "([^"]*)"$`, backupHoldsTheSameData)
	r.Step(`^I abort the job of domain "([^"]*)"$`, abortJobOfDomain)
	r.Step(`^domain "([^"]*)" has no job$`, domainHasNoJob)
}
