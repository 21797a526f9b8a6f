// The libguestfs inspection steps (features/libguestfs/inspection.feature).

package libguestfs

import (
	"compress/gzip"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cucumber/godog"
	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/internal/xmllint"
	"github.com/ovacts/ovacts/steps/stepkit"
)

// phonyDebian writes the files libguestfs's inspection reads of a Debian
// guest into dir: no kernel, no init, only what identifies it.
func phonyDebian(dir, version, hostname string) error {
	major := strings.SplitN(version, ".", 2)[0]
	files := map[string]string{
		"etc/os-release": fmt.Sprintf("PRETTY_NAME=\"Debian GNU/Linux %s\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"%s\"\nVERSION=\"%s\"\nID=debian\n",
			major, major, major),
		"etc/debian_version": version + "\n",
		"etc/hostname":       hostname + "\n",
		"etc/fstab":          "LABEL=root / ext4 defaults 0 1\n",
		"var/lib/dpkg/status": "Package: base-files\nStatus: install ok installed\nArchitecture: amd64\nVersion: " + version + "\n\n" +
			"Package: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2.15-2+b2\n\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return err
		}
	}
	// The architecture comes from a binary of the guest: the host's own ls.
	ls, err := os.ReadFile("/bin/ls")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "bin/ls"), ls, 0o755)
}

// hostArch is the architecture libguestfs names for the host's binaries.
func hostArch() (string, error) {
	out, err := exec.Command("uname", "-m").Output()
	return strings.TrimSpace(string(out)), err
}

func phonyDebianGuestDiskWithHostname(ctx context.Context, version, logical, hostname string) error {
	return W(ctx).hostImage(ctx, logical, func(dir string) error { return phonyDebian(dir, version, hostname) })
}

func libguestfsInspectsTheDisks(ctx context.Context) error {
	w := W(ctx)
	st := w.gfs()
	return w.withHandle(func(h gfsHandle) error {
		roots, err := h.InspectOS()
		if err != nil {
			return fmt.Errorf("inspect_os: %w", err)
		}
		st.roots, st.inspected = roots, map[string]gfsInspection{}
		for _, root := range roots {
			in, err := h.Inspect(root)
			if err != nil {
				return fmt.Errorf("inspecting %s: %w", root, err)
			}
			st.inspected[root] = in
		}
		return nil
	})
}

func inspectionFindsOneOperatingSystem(ctx context.Context, table *godog.Table) error {
	st := W(ctx).gfs()
	if len(st.roots) != 1 {
		return fmt.Errorf("inspect_os finds %d roots (%v), want 1", len(st.roots), st.roots)
	}
	in := st.inspected[st.roots[0]]
	got := map[string]string{
		"type": in.Type, "distro": in.Distro, "major version": strconv.Itoa(in.Major), "minor version": strconv.Itoa(in.Minor),
		"hostname": in.Hostname, "arch": in.Arch, "package format": in.PackageFormat, "package management": in.PackageManagement,
	}
	var bad []string
	for _, row := range table.Rows {
		if len(row.Cells) != 2 {
			return fmt.Errorf("table rows need 2 cells, got %d", len(row.Cells))
		}
		k, want := row.Cells[0].Value, row.Cells[1].Value
		v, known := got[k]
		if !known {
			return fmt.Errorf("unknown inspection field %q", k)
		}
		if v != want {
			bad = append(bad, fmt.Sprintf("%s is %q, want %q", k, v, want))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("inspection of %s: %s", st.roots[0], strings.Join(bad, "; "))
	}
	return nil
}

func inspectionReportsTheArchitectureOfTheHost(ctx context.Context) error {
	st := W(ctx).gfs()
	if len(st.roots) != 1 {
		return fmt.Errorf("inspect_os finds %d roots, want 1", len(st.roots))
	}
	want, err := hostArch()
	if err != nil {
		return err
	}
	if got := st.inspected[st.roots[0]].Arch; got != want {
		return fmt.Errorf("inspection gives arch %q, the host is %q", got, want)
	}
	return nil
}

func virtInspectorDescribesDisk(ctx context.Context, logical string) error {
	w := W(ctx)
	p, err := w.gfsDisk(logical)
	if err != nil {
		return err
	}
	out, stderr, err := w.runTool(ctx, "virt-inspector", "--format="+harness.DiskFormat(p), "-a", p)
	if err != nil {
		return fmt.Errorf("virt-inspector: %w: %s", err, lastLines(stderr, 3))
	}
	w.gfs().xml = []byte(out)
	return nil
}

func virtInspectorXmlValidatesAgainstTheRelax(ctx context.Context) error {
	w := W(ctx)
	st := w.gfs()
	if len(st.xml) == 0 {
		return errors.New("virt-inspector wrote nothing")
	}
	dir, err := w.ScratchDir("rng")
	if err != nil {
		return err
	}
	schema, err := gunzipFile(harness.InspectorSchema)
	if err != nil {
		return err
	}
	rng := filepath.Join(dir, "virt-inspector.rng")
	if err := os.WriteFile(rng, schema, 0o644); err != nil {
		return err
	}
	if err := xmllint.Check(ctx, st.xml, rng); err != nil {
		return fmt.Errorf("virt-inspector's XML %w", err)
	}
	return nil
}

func virtInspectorXmlNamesDistroVersionAnd(ctx context.Context, distro, major, minor, hostname string) error {
	st := W(ctx).gfs()
	var doc struct {
		OS []struct {
			Distro   string `xml:"distro"`
			Major    string `xml:"major_version"`
			Minor    string `xml:"minor_version"`
			Hostname string `xml:"hostname"`
		} `xml:"operatingsystem"`
	}
	if err := xml.Unmarshal(st.xml, &doc); err != nil {
		return fmt.Errorf("virt-inspector XML: %w", err)
	}
	if len(doc.OS) != 1 {
		return fmt.Errorf("virt-inspector describes %d operating systems, want 1", len(doc.OS))
	}
	o := doc.OS[0]
	if o.Distro != distro || o.Major != major || o.Minor != minor || o.Hostname != hostname {
		return fmt.Errorf("virt-inspector says %s %s.%s, hostname %q; want %s %s.%s, %q", o.Distro, o.Major, o.Minor, o.Hostname, distro, major, minor, hostname)
	}
	return nil
}

func gunzipFile(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return io.ReadAll(io.LimitReader(zr, 16<<20))
}

func registerInspection(r *stepkit.Registry) {
	r.Step(`^a phony Debian (\d+\.\d+) guest disk "([^"]*)" with hostname "([^"]*)"$`, phonyDebianGuestDiskWithHostname)
	r.Step(`^libguestfs inspects the disks$`, libguestfsInspectsTheDisks)
	r.Step(`^the inspection finds one operating system:$`, inspectionFindsOneOperatingSystem)
	r.Step(`^the inspection reports the architecture of the host's /bin/ls$`, inspectionReportsTheArchitectureOfTheHost)
	r.Step(`^virt-inspector describes disk "([^"]*)"$`, virtInspectorDescribesDisk)
	r.Step(`^the virt-inspector XML validates against the RELAX NG schema of guestfs-tools$`, virtInspectorXmlValidatesAgainstTheRelax)
	r.Step(`^the virt-inspector XML names distro "([^"]*)", version (\d+)\.(\d+) and hostname "([^"]*)"$`, virtInspectorXmlNamesDistroVersionAnd)
}
