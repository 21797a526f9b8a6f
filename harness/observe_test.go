package harness

import (
	"os"
	"path/filepath"
	"testing"

	"libvirt.org/go/libvirtxml"
)

// Observe reads the stack, and the same stack twice reads the same; a test
// driver with another node file has other capabilities; an unreachable
// stack is an error.
func TestObserve(t *testing.T) {
	a, err := Observe("test:///default")
	if err != nil {
		t.Fatal(err)
	}
	p := a.Properties
	if p["driver"] != "Test" && p["driver"] != "TEST" || p["domain.types"] != "test" || p["host.arch"] == "" || len(p["capabilities.sha256"]) != 64 || p["libvirt.daemon"] == "" {
		t.Fatalf("observed %v", p)
	}
	if a.HostWhy == "" || p["host.facts"] != "not measured: "+a.HostWhy {
		t.Fatalf("the test driver's host measured: %q %q", a.HostWhy, p["host.facts"])
	}
	b, err := Observe("test:///default")
	if err != nil {
		t.Fatal(err)
	}
	if b.Properties["capabilities.sha256"] != p["capabilities.sha256"] {
		t.Fatal("the same stack read twice has two capabilities digests")
	}
	node := filepath.Join(t.TempDir(), "node.xml")
	x := "<node><cpu><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads><active>2</active><mhz>2400</mhz><model>x86_64</model></cpu><memory>2097152</memory></node>"
	if err := os.WriteFile(node, []byte(x), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Observe("test://" + node)
	if err != nil {
		t.Fatal(err)
	}
	if c.Properties["capabilities.sha256"] == p["capabilities.sha256"] {
		t.Fatal("another node's capabilities have the same digest")
	}
	if _, err := Observe("nosuch:///nowhere"); err == nil {
		t.Fatal("an unreachable stack observed")
	}
}

// Offers reads the machine types of the arch and domain type asked, aliases'
// canonical names included, and nothing when the capabilities did not parse.
func TestObservationOffers(t *testing.T) {
	var caps libvirtxml.Caps
	x := `<capabilities><host><cpu><arch>x86_64</arch></cpu></host><guest><os_type>hvm</os_type><arch name='x86_64'>
<machine canonical='pc-i440fx-7.2'>pc</machine><machine>pc-q35-7.2</machine>
<domain type='qemu'/><domain type='kvm'><machine>pc-kvm-only</machine></domain></arch></guest></capabilities>`
	if err := caps.Unmarshal(x); err != nil {
		t.Fatal(err)
	}
	o := &Observation{caps: &caps}
	for _, c := range []struct {
		arch, typ, m string
		want         bool
	}{
		{"x86_64", "kvm", "pc-i440fx-7.2", true},
		{"x86_64", "qemu", "pc", true},
		{"x86_64", "kvm", "pc-kvm-only", true},
		{"x86_64", "qemu", "pc-kvm-only", false},
		{"aarch64", "kvm", "pc-q35-7.2", false},
		{"x86_64", "kvm", "pc-q35-8.0", false},
	} {
		if got := o.Offers(c.arch, c.typ, c.m); got != c.want {
			t.Errorf("Offers(%s, %s, %s) = %v", c.arch, c.typ, c.m, got)
		}
	}
	if (&Observation{}).Offers("x86_64", "kvm", "pc") {
		t.Error("offers a machine without capabilities")
	}
}
