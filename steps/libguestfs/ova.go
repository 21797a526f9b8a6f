// OVA input through virt-v2v (features/libguestfs/ova.feature).

package libguestfs

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ovacts/ovacts/fixtures"
	"github.com/ovacts/ovacts/steps/stepkit"
)

type ova struct {
	path     string   // the .ova file, or the directory
	manifest string   // the .mf file (in the directory, or among the tar's members)
	dir      bool     // directory form
	src      string   // tar form: the directory its members are packed from
	members  []string // tar form: in order
}

func syntheticOvaInFormWithAManifest(ctx context.Context, logical, form, digest string) error {
	return W(ctx).makeOVA(ctx, logical, form == "directory", digest)
}

func corruptTheManifestOfOva(ctx context.Context, logical string) error {
	w := W(ctx)
	o, ok := w.gfs().ovas[logical]
	if !ok {
		return fmt.Errorf("no OVA %q", logical)
	}
	return o.corrupt()
}

func virtV2vReadsOvaWithPrintSource(ctx context.Context, logical string) error {
	w := W(ctx)
	st := w.gfs()
	o, ok := st.ovas[logical]
	if !ok {
		return fmt.Errorf("no OVA %q", logical)
	}
	out, stderr, err := w.runTool(ctx, "virt-v2v", "-i", "ova", o.path, "--print-source")
	st.v2vOut, st.v2vErr = out+stderr, err
	return nil
}

func virtV2vReportsSourceNameVCPUsMemoryAndDisks(ctx context.Context, name, vcpus, mem, disks string) error {
	w := W(ctx)
	st := w.gfs()
	if st.v2vErr != nil {
		return fmt.Errorf("virt-v2v: %w: %s", st.v2vErr, lastLines(st.v2vOut, 4))
	}
	memBytes, _ := strconv.ParseInt(mem, 10, 64)
	want := map[string]string{"source name": w.Name(name), "nr vCPUs": vcpus, "memory": fmt.Sprintf("%d (bytes)", memBytes*stepkit.MiB)}
	fields := printSourceFields(st.v2vOut)
	for k, v := range want {
		if fields[k] != v {
			return fmt.Errorf("virt-v2v --print-source: %s is %q, want %q", k, fields[k], v)
		}
	}
	if got := countDisks(st.v2vOut); strconv.Itoa(got) != disks {
		return fmt.Errorf("virt-v2v --print-source lists %d disks, want %s:\n%s", got, disks, st.v2vOut)
	}
	return nil
}

func virtV2vRefusesItAsACorruptOVA(ctx context.Context) error {
	st := W(ctx).gfs()
	var ee *exec.ExitError
	if !errors.As(st.v2vErr, &ee) || ee.ExitCode() != 1 {
		return fmt.Errorf("virt-v2v exited with %v, want exit status 1: %s", st.v2vErr, lastLines(st.v2vOut, 4))
	}
	if !strings.Contains(st.v2vOut, "corrupt OVA") {
		return fmt.Errorf("virt-v2v failed, but not as a corrupt OVA: %s", lastLines(st.v2vOut, 4))
	}
	return nil
}

var printSourceLine = regexp.MustCompile(`^\s*([A-Za-z][A-Za-z ]*[A-Za-z]):\s*(.*?)\s*$`)

// printSourceFields reads the "name: value" lines of virt-v2v --print-source.
func printSourceFields(out string) map[string]string {
	fields := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if m := printSourceLine.FindStringSubmatch(line); m != nil {
			if _, dup := fields[m[1]]; !dup {
				fields[m[1]] = m[2]
			}
		}
	}
	return fields
}

var diskLine = regexp.MustCompile(`^\t\d+ \[`)

// countDisks counts the entries of the "disks:" list of --print-source.
func countDisks(out string) int {
	n, in := 0, false
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.TrimSpace(line) == "disks:":
			in = true
		case in && diskLine.MatchString(line):
			n++
		case in:
			return n
		}
	}
	return n
}

// makeOVA writes an OVF (2 vCPUs, 512 MiB, one SCSI disk), a small qcow2 disk
// and a manifest of their digests, as a directory or packed in a tar file, in
// a scratch directory of the scenario.
func (w *world) makeOVA(ctx context.Context, logical string, asDir bool, digest string) error {
	st := w.gfs()
	dir, err := w.ScratchDir("ova-" + logical)
	if err != nil {
		return err
	}
	name := w.Name(logical)
	src := filepath.Join(dir, name)
	if err := os.Mkdir(src, 0o755); err != nil {
		return err
	}
	disk := name + "-disk1.qcow2"
	if out, err := exec.CommandContext(ctx, "qemu-img", "create", "-q", "-f", "qcow2", filepath.Join(src, disk), "64M").CombinedOutput(); err != nil {
		return fmt.Errorf("qemu-img create: %w: %s", err, out)
	}
	ovf, err := fixtures.OVF(name, disk)
	if err != nil {
		return err
	}
	ovfName := name + ".ovf"
	if err := os.WriteFile(filepath.Join(src, ovfName), ovf, 0o644); err != nil {
		return err
	}
	var mf strings.Builder
	for _, f := range []string{ovfName, disk} {
		var h hash.Hash = sha256.New()
		if digest == "SHA1" {
			h = sha1.New()
		}
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			return err
		}
		h.Write(b)
		fmt.Fprintf(&mf, "%s(%s)= %x\n", digest, f, h.Sum(nil))
	}
	mfName := name + ".mf"
	if err := os.WriteFile(filepath.Join(src, mfName), []byte(mf.String()), 0o644); err != nil {
		return err
	}
	o := &ova{path: src, manifest: filepath.Join(src, mfName), dir: asDir}
	if !asDir {
		o.path = filepath.Join(dir, name+".ova")
		if err := o.pack(src, []string{ovfName, mfName, disk}); err != nil {
			return err
		}
	}
	if st.ovas == nil {
		st.ovas = map[string]*ova{}
	}
	st.ovas[logical] = o
	return nil
}

// pack writes the tar form: the OVF first, then the manifest and the disk.
func (o *ova) pack(src string, members []string) error {
	f, err := os.Create(o.path)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	for _, m := range members {
		b, err := os.ReadFile(filepath.Join(src, m))
		if err != nil {
			f.Close()
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: m, Mode: 0o644, Size: int64(len(b)), ModTime: time.Now(), Format: tar.FormatUSTAR}); err != nil {
			f.Close()
			return err
		}
		if _, err := tw.Write(b); err != nil {
			f.Close()
			return err
		}
	}
	if err := tw.Close(); err != nil {
		f.Close()
		return err
	}
	o.members = members
	o.src = src
	return f.Close()
}

// corrupt changes the first digest of the manifest (and packs the tar again).
func (o *ova) corrupt() error {
	b, err := os.ReadFile(o.manifest)
	if err != nil {
		return err
	}
	i := bytes.Index(b, []byte("= "))
	if i < 0 || i+2 >= len(b) {
		return fmt.Errorf("the manifest %s has no digest", o.manifest)
	}
	if b[i+2] == '0' {
		b[i+2] = '1'
	} else {
		b[i+2] = '0'
	}
	if err := os.WriteFile(o.manifest, b, 0o644); err != nil {
		return err
	}
	if o.dir {
		return nil
	}
	return o.pack(o.src, o.members)
}

func registerOVA(r *stepkit.Registry) {
	r.Step(`^a synthetic OVA "([^"]*)" in (tar|directory) form with a (SHA1|SHA256) manifest$`, syntheticOvaInFormWithAManifest)
	r.Step(`^I corrupt the manifest of OVA "([^"]*)"$`, corruptTheManifestOfOva)
	r.Step(`^virt-v2v reads OVA "([^"]*)" with --print-source$`, virtV2vReadsOvaWithPrintSource)
	r.Step(`^virt-v2v reports source name "([^"]*)", (\d+) vCPUs, (\d+) MiB of memory and (\d+) disks?$`, virtV2vReportsSourceNameVCPUsMemoryAndDisks)
	r.Step(`^virt-v2v refuses it as a corrupt OVA$`, virtV2vRefusesItAsACorruptOVA)
}
