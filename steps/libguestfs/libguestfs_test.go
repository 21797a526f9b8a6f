package libguestfs

import (
	"archive/tar"
	"bufio"
	"crypto/sha1"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/steps/stepkit"
)

// The real output of virt-v2v 2.2 --print-source for the synthetic OVA.
func TestPrintSourceFields(t *testing.T) {
	b, err := os.ReadFile("testdata/v2v-print-source.txt")
	if err != nil {
		t.Fatal(err)
	}
	f := printSourceFields(string(b))
	for k, want := range map[string]string{"source name": "ovacts-test-vm", "nr vCPUs": "2", "memory": "536870912 (bytes)", "firmware": "bios"} {
		if f[k] != want {
			t.Errorf("%s: %q, want %q", k, f[k], want)
		}
	}
	if n := countDisks(string(b)); n != 1 {
		t.Errorf("disks: %d", n)
	}
	two := strings.Replace(string(b), "\t0 [scsi]\n", "\t0 [scsi]\n\t1 [ide]\n", 1)
	if n := countDisks(two); n != 2 {
		t.Errorf("two disks counted as %d", n)
	}
	if n := countDisks("source name: x\n"); n != 0 {
		t.Errorf("no disks section counted as %d", n)
	}
}

func TestVersionAtLeast(t *testing.T) {
	for _, c := range []struct {
		v    string
		want bool
	}{{"1.48.6", true}, {"1.40.0", true}, {"1.39.99", false}, {"2.0.0", true}, {"1.40.0fedora", true}, {"0.9.9", false}} {
		if got := versionAtLeast(c.v, "1", "40", "0"); got != c.want {
			t.Errorf("%s >= 1.40.0: %v", c.v, got)
		}
	}
}

// checkManifest checks a manifest against the files it names.
func checkManifest(t *testing.T, mf []byte, files map[string][]byte) (bad int) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(string(mf)))
	lines := 0
	for sc.Scan() {
		var algo, name, sum string
		line := sc.Text()
		open, close := strings.Index(line, "("), strings.Index(line, ")= ")
		if open < 0 || close < 0 {
			t.Fatalf("manifest line %q", line)
		}
		algo, name, sum = line[:open], line[open+1:close], line[close+3:]
		var h hash.Hash
		switch algo {
		case "SHA1":
			h = sha1.New()
		case "SHA256":
			h = sha256.New()
		default:
			t.Fatalf("algorithm %q", algo)
		}
		content, ok := files[name]
		if !ok {
			t.Fatalf("the manifest names %q, not in the OVA", name)
		}
		h.Write(content)
		if fmt.Sprintf("%x", h.Sum(nil)) != sum {
			bad++
		}
		lines++
	}
	if lines != 2 {
		t.Errorf("manifest has %d lines, want 2 (OVF and disk)", lines)
	}
	return bad
}

func readTar(t *testing.T, p string) (names []string, files map[string][]byte) {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	files = map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names, files
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		names = append(names, h.Name)
		files[h.Name] = b
	}
}

// The synthetic OVA: OVF first in the tar, a manifest that matches in both
// forms and digests, and one digest wrong after corrupt.
func TestSyntheticOVA(t *testing.T) {
	if _, err := exec.LookPath("qemu-img"); err != nil {
		t.Skip("qemu-img not installed")
	}
	for _, c := range []struct {
		dir    bool
		digest string
	}{{false, "SHA1"}, {false, "SHA256"}, {true, "SHA1"}, {true, "SHA256"}} {
		t.Run(fmt.Sprintf("dir=%v/%s", c.dir, c.digest), func(t *testing.T) {
			ctx, sw := stepkit.StepWorld(catalogue.MUST)
			w := &world{sw}
			defer w.Tracker.Cleanup()
			if err := w.makeOVA(ctx, "vm", c.dir, c.digest); err != nil {
				t.Fatal(err)
			}
			o := w.gfs().ovas["vm"]
			name := w.Name("vm")
			read := func() map[string][]byte {
				if !c.dir {
					names, files := readTar(t, o.path)
					if len(names) != 3 || names[0] != name+".ovf" {
						t.Fatalf("tar members %v: the OVF must come first", names)
					}
					return files
				}
				files := map[string][]byte{}
				entries, _ := os.ReadDir(o.path)
				for _, e := range entries {
					b, _ := os.ReadFile(filepath.Join(o.path, e.Name()))
					files[e.Name()] = b
				}
				return files
			}
			files := read()
			if !strings.Contains(string(files[name+".ovf"]), "<Name>"+name+"</Name>") {
				t.Errorf("OVF lacks the name:\n%s", files[name+".ovf"])
			}
			if bad := checkManifest(t, files[name+".mf"], files); bad != 0 {
				t.Errorf("%d digests do not match", bad)
			}
			if err := o.corrupt(); err != nil {
				t.Fatal(err)
			}
			files = read()
			if bad := checkManifest(t, files[name+".mf"], files); bad != 1 {
				t.Errorf("after corrupt: %d digests do not match, want 1", bad)
			}
			dir := filepath.Dir(o.manifest)
			if c.dir {
				dir = filepath.Dir(o.path)
			}
			if err := w.Tracker.Cleanup(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("cleanup left %s: %v", dir, err)
			}
		})
	}
}

func TestPhonyDebian(t *testing.T) {
	dir := t.TempDir()
	if err := phonyDebian(dir, "12.4", "h"); err != nil {
		t.Fatal(err)
	}
	for f, want := range map[string]string{"etc/debian_version": "12.4\n", "etc/hostname": "h\n", "etc/fstab": "LABEL=root / ext4 defaults 0 1\n"} {
		if b, _ := os.ReadFile(filepath.Join(dir, f)); string(b) != want {
			t.Errorf("%s: %q", f, b)
		}
	}
	osr, _ := os.ReadFile(filepath.Join(dir, "etc/os-release"))
	if !strings.Contains(string(osr), "ID=debian\n") || !strings.Contains(string(osr), `VERSION_ID="12"`) {
		t.Errorf("os-release: %s", osr)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "bin/ls")); len(b) < 4 || string(b[:4]) != "\x7fELF" {
		t.Error("bin/ls is not the host's ELF binary")
	}
}

// A scenario only gets a handle when the probe found libguestfs working.
func TestOpenGuestfsWithoutProbe(t *testing.T) {
	_, sw := stepkit.StepWorld(catalogue.MUST)
	w := &world{sw}
	if err := w.openGuestfs("direct"); err == nil || !strings.Contains(err.Error(), "not probed") {
		t.Errorf("got %v", err)
	}
	if w.gfs().h != nil {
		t.Error("a handle was made anyway")
	}
}

// GFS-009's check on the shared two-disk appliance: no root on the blank
// disk's device, and exactly one on the phony guest's (a broken inspection
// that finds nothing anywhere fails it too).
func TestNoOperatingSystemOnBlankDisk(t *testing.T) {
	for _, c := range []struct {
		name  string
		roots []string
		want  string // "" passes
	}{
		{"root on the guest's disk only", []string{"/dev/sda"}, ""},
		{"root on a partition of the guest's disk", []string{"/dev/sda1"}, ""},
		{"a root on the blank disk", []string{"/dev/sda", "/dev/sdb"}, "on blank disk"},
		{"a root on a partition of the blank disk", []string{"/dev/sda", "/dev/sdb1"}, "on blank disk"},
		{"no root anywhere", nil, "proves nothing"},
		{"a device whose name only starts alike", []string{"/dev/sda", "/dev/sdba"}, ""},
	} {
		ctx, sw := stepkit.StepWorld(catalogue.MUST)
		st := (&world{sw}).gfs()
		st.devices = map[string]string{"phony.img": "/dev/sda", "blank.img": "/dev/sdb"}
		st.roots, st.inspected = c.roots, map[string]gfsInspection{}
		err := inspectionFindsNoOperatingSystemOnDiskButOne(ctx, "blank.img", "phony.img")
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
	ctx, _ := stepkit.StepWorld(catalogue.MUST)
	if err := inspectionFindsNoOperatingSystemOnDiskButOne(ctx, "blank.img", "phony.img"); err == nil {
		t.Error("passes without an inspection")
	}
}
