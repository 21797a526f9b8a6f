//go:build realstack

// Foreign objects and look-alikes the real-stack runs must leave byte-identical,
// and a dead run whose ledger the sweep must honour.

package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/ovacts/ovacts/harness"
	"libvirt.org/go/libvirt"
)

// foreign is what a production host holds besides ovacts: objects of every
// kind, a running domain, and objects that look like the suite's (issue 20):
// names with the prefix, a domain whose owner record names this host and a
// live pid, a run-like pool on a shared image directory holding a vendor's and
// a customer's images, a run-like volume in a foreign pool. A run and a
// cleanup must leave all of it byte-identical.
type foreign struct {
	conn     *libvirt.Connect
	domains  []string // persistent, shut off
	runner   string   // transient, running
	net      string
	pool     string
	vol      string // a volume in the foreign pool
	lookVol  string // a run-like volume in the foreign pool
	shared   string // a run-like pool on a shared image directory
	images   []string
	filter   string
	secret   string // UUID
	dir      string // the foreign pool's directory
	sharedIn string // the shared image directory
}

// snapshot reads every foreign object's XML, state and content; any error
// reading one fails the test, so "identical" never compares "" with "".
func (f *foreign) snapshot(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	must := func(what string, s string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("foreign %s: %v", what, err)
		}
		out[what] = s
	}
	for _, n := range append(append([]string{}, f.domains...), f.runner) {
		d, err := f.conn.LookupDomainByName(n)
		if err != nil {
			t.Fatalf("foreign domain %s: %v", n, err)
		}
		for _, fl := range []libvirt.DomainXMLFlags{0, libvirt.DOMAIN_XML_INACTIVE} {
			x, err := d.GetXMLDesc(fl)
			must(fmt.Sprintf("domain %s %d", n, fl), x, err)
		}
		st, _, err := d.GetState()
		must("state "+n, fmt.Sprint(st), err)
		d.Free()
	}
	n, err := f.conn.LookupNetworkByName(f.net)
	if err != nil {
		t.Fatalf("foreign network: %v", err)
	}
	x, err := n.GetXMLDesc(0)
	must("network", x, err)
	n.Free()
	for _, pool := range []string{f.pool, f.shared} {
		p, err := f.conn.LookupStoragePoolByName(pool)
		if err != nil {
			t.Fatalf("foreign pool %s: %v", pool, err)
		}
		x, err := p.GetXMLDesc(0)
		must("pool "+pool, x, err)
		vols, err := p.ListAllStorageVolumes(0)
		if err != nil {
			t.Fatalf("volumes of %s: %v", pool, err)
		}
		for i := range vols {
			name, err := vols[i].GetName()
			if err != nil {
				t.Fatal(err)
			}
			x, err := vols[i].GetXMLDesc(0)
			must("volume "+pool+"/"+name, x, err)
			vols[i].Free()
		}
		p.Free()
	}
	for _, img := range f.images {
		b, err := os.ReadFile(img)
		sum := sha256.Sum256(b)
		must("image "+img, hex.EncodeToString(sum[:]), err)
	}
	nf, err := f.conn.LookupNWFilterByName(f.filter)
	if err != nil {
		t.Fatalf("foreign filter: %v", err)
	}
	x, err = nf.GetXMLDesc(0)
	must("nwfilter", x, err)
	nf.Free()
	sec, err := f.conn.LookupSecretByUUIDString(f.secret)
	if err != nil {
		t.Fatalf("foreign secret: %v", err)
	}
	x, err = sec.GetXMLDesc(0)
	must("secret", x, err)
	val, err := sec.GetValue(0)
	must("secret value", hex.EncodeToString(val), err)
	sec.Free()
	return out
}

func domainXML(typ, name string) string {
	return fmt.Sprintf(`<domain type='%s'><name>%s</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os><devices/></domain>`, typ, name)
}

func setUpForeign(t *testing.T, conn *libvirt.Connect) *foreign {
	t.Helper()
	tag := harness.NewRunID()[:6]
	f := &foreign{conn: conn, domains: []string{"foreign-" + tag, "ovacts-webfront-" + tag, "ovacts-database-01" + tag, "ovacts-abcdefgh-s1-" + tag},
		runner: "foreign-run-" + tag, net: "foreign-" + tag, pool: "foreign-" + tag, vol: "foreign-" + tag + ".img",
		lookVol: "ovacts-abcdefgh-" + tag + ".img", shared: "ovacts-abcdefgh-shared" + tag, filter: "foreign-" + tag}
	t.Cleanup(func() {
		// The test's own objects, removed by the test as their owner (not through the suite's checks).
		for _, n := range append(append([]string{}, f.domains...), f.runner) {
			if d, err := conn.LookupDomainByName(n); err == nil {
				d.Destroy()
				d.Undefine()
				d.Free()
			}
			os.Remove(filepath.Join(harness.QEMULogDir, n+".log")) // the test's own domain's log (qemu:///system is local)
		}
		if n, err := conn.LookupNetworkByName(f.net); err == nil {
			n.Destroy()
			n.Undefine()
			n.Free()
		}
		for _, pool := range []string{f.pool, f.shared} {
			if p, err := conn.LookupStoragePoolByName(pool); err == nil {
				p.Destroy()
				p.Undefine()
				p.Free()
			}
		}
		if nf, err := conn.LookupNWFilterByName(f.filter); err == nil {
			nf.Undefine()
			nf.Free()
		}
		if s, err := conn.LookupSecretByUUIDString(f.secret); err == nil {
			s.Undefine()
			s.Free()
		}
		os.RemoveAll(f.dir)
		for _, img := range f.images {
			os.Remove(img)
		}
	})
	// Not t.TempDir: its cleanup would run before the pool's removal above.
	var err error
	if f.dir, err = os.MkdirTemp("", "foreign-pool"); err != nil {
		t.Fatal(err)
	}
	for _, n := range f.domains {
		d, err := conn.DomainDefineXML(domainXML("qemu", n))
		if err != nil {
			t.Fatal(err)
		}
		d.Free()
	}
	// The run-like domain carries an owner record naming this host and pid 1.
	d, err := conn.LookupDomainByName(f.domains[3])
	if err != nil {
		t.Fatal(err)
	}
	forged := harness.Owner{Run: "abcdefgh", PID: 1, Host: harness.ThisHost(), Started: "2026-01-01T00:00:00Z"}
	if err := harness.OwnDomain(d, forged); err != nil {
		t.Fatal(err)
	}
	d.Free()
	d, err = conn.DomainCreateXML(domainXML("qemu", f.runner), 0)
	if err != nil {
		t.Fatal(err)
	}
	d.Free()
	n, err := conn.NetworkDefineXML(fmt.Sprintf(`<network><name>%s</name><bridge name='ovtf%s'/></network>`, f.net, tag))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Create(); err != nil {
		t.Fatal(err)
	}
	n.Free()
	// The shared image directory: the host's image directory, where a
	// vendor's golden image and a customer's disk live next to the suite's pools.
	f.sharedIn = harness.ImageDir
	for _, img := range []string{"vendor-golden-" + tag + ".qcow2", "customer-db-" + tag + ".img"} {
		p := filepath.Join(f.sharedIn, img)
		if err := os.WriteFile(p, []byte("the customer's data "+img+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		f.images = append(f.images, p)
	}
	for _, pc := range []struct{ name, dir string }{{f.pool, f.dir}, {f.shared, f.sharedIn}} {
		p, err := conn.StoragePoolDefineXML(fmt.Sprintf(`<pool type='dir'><name>%s</name><target><path>%s</path></target></pool>`, pc.name, pc.dir), 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Create(0); err != nil {
			t.Fatal(err)
		}
		p.Free()
	}
	p, err := conn.LookupStoragePoolByName(f.pool)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{f.vol, f.lookVol} {
		v, err := p.StorageVolCreateXML(fmt.Sprintf(`<volume><name>%s</name><capacity unit='MiB'>1</capacity></volume>`, name), 0)
		if err != nil {
			t.Fatal(err)
		}
		v.Free()
	}
	p.Free()
	nf, err := conn.NWFilterDefineXML(fmt.Sprintf(`<filter name='%s' chain='root'><rule action='drop' direction='in' priority='400'><all/></rule></filter>`, f.filter))
	if err != nil {
		t.Fatal(err)
	}
	nf.Free()
	sec, err := conn.SecretDefineXML(fmt.Sprintf(`<secret ephemeral='no' private='no'><description>not ovacts</description><usage type='ceph'><name>ovacts-abcdefgh-%s</name></usage></secret>`, tag), 0)
	if err != nil {
		t.Fatal(err)
	}
	if f.secret, err = sec.GetUUIDString(); err != nil {
		t.Fatal(err)
	}
	if err := sec.SetValue([]byte("foreign value"), 0); err != nil {
		t.Fatal(err)
	}
	sec.Free()
	return f
}

// deadRun leaves in stateDir what a run killed with SIGKILL leaves: its
// ledger listing the objects, and no live process; the objects are created
// here through a tracker of that ledger. It returns the run id.
func deadRun(t *testing.T, stateDir string, conn *libvirt.Connect, create func(tr *harness.Tracker, prefix string)) string {
	t.Helper()
	reg := harness.RunRegistry{Dir: stateDir}
	run := harness.NewRunID()
	l, err := reg.OpenLedger(run)
	if err != nil {
		t.Fatal(err)
	}
	stack, err := harness.StackKey(conn)
	if err != nil {
		t.Fatal(err)
	}
	create(harness.NewTracker(conn, l, stack), harness.RunPrefix(run))
	if l.Remaining() == 0 {
		t.Fatal("the dead run recorded nothing")
	}
	l.Close() // the objects stay: the ledger with them
	return run
}
