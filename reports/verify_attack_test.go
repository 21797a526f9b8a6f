package reports

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ovacts/ovacts/catalogue"
)

// attackSets is the one requirement set the test bundles name.
var attackSets = []catalogue.SetInfo{{Name: "2026.11", Status: "released", Released: "2026-11-02", Digest: "sha256:11"}}

// sealedBundle writes a complete bundle of sample()'s run, every file
// agreeing, after edit (which may change any file's text), signed by a new
// key; it returns the directory and the key.
func sealedBundle(t *testing.T, edit func(files map[string]string)) (string, ed25519.PublicKey) {
	t.Helper()
	r := sample()
	r.Properties = append(r.Properties, Property{"suite.version", "v1"}, Property{"libvirt.daemon", "9.0.0"}, Property{"hypervisor.version", "7.2.0"},
		Property{PropSet, "2026.11"}, Property{PropSetDigest, "sha256:11"}, Property{"started", "2026-11-24T12:00:00Z"})
	junit := junitOf(t, r)
	res, err := ReadJUnit(bytes.NewReader(junit))
	if err != nil {
		t.Fatal(err)
	}
	var stack, product bytes.Buffer
	WriteStack(&stack, r)
	WriteProduct(&product, &Product{Vendor: "Acme", Product: "Acme Virt", Version: "1.0"})
	files := map[string]string{
		BundleJUnit: string(junit), BundleStack: stack.String(), BundleProduct: product.String(), BundleCucumber: "[]\n",
		BundleLog: "ovacts v1 run abcd1234 against qemu+tcp://host/system, started 2026-11-24T12:00:00Z\n" +
			"stack: QEMU, libvirt 9.0.0 (client 9.0.0), hypervisor 7.2.0, x86_64 host, domains of type kvm (offered: kvm,qemu)\n" +
			fmt.Sprintf("\n%d scenarios: %s in 1.5s\n", res.Cases.Total, res.Cases),
	}
	if edit != nil {
		edit(files)
	}
	dir := filepath.Join(t.TempDir(), "bundle")
	os.Mkdir(dir, 0o755)
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	if err := SealBundle(dir, priv); err != nil {
		t.Fatal(err)
	}
	return dir, pub
}

var attackNow = time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)

func failed(b Bundle) string {
	var out []string
	for _, f := range b.Findings {
		if !f.OK {
			out = append(out, f.Check+": "+f.Msg)
		}
	}
	return strings.Join(out, "\n")
}

// The bundle the attacks start from checks out: each attack below is
// refused for what it changed, not for a fault of the sample.
func TestSealedSampleBundleChecksOut(t *testing.T) {
	dir, pub := sealedBundle(t, nil)
	if b := CheckBundle(VerifyInput{Dir: dir, PublicKey: pub, Sets: attackSets, Now: attackNow}); !b.Intact {
		t.Fatalf("the sample bundle does not check out:\n%s", failed(b))
	}
}

// A file swapped between two reads of verify cannot give ok hashes with
// forged content: every file is read once, hashed and parsed from the same
// bytes. The reads go through a hook that serves the forged product.yaml
// (and every other file's forgery) from the second read of it on.
func TestVerifyReadsEachFileOnce(t *testing.T) {
	dir, pub := sealedBundle(t, nil)
	reads := map[string]int{}
	forged := func(name string, data []byte) []byte {
		if name == BundleProduct {
			return bytes.Replace(data, []byte(`"1.0"`), []byte(`"9.9"`), 1)
		}
		return append(bytes.Clone(data), ' ')
	}
	in := VerifyInput{Dir: dir, PublicKey: pub, Sets: attackSets, Now: attackNow, readFile: func(path string, max int64) ([]byte, error) {
		name := filepath.Base(path)
		data, err := os.ReadFile(path)
		if reads[name]++; reads[name] > 1 && err == nil {
			data = forged(name, data)
		}
		return data, err
	}}
	b := CheckBundle(in)
	if !b.Intact || b.Product == nil || b.Product.Version != "1.0" {
		t.Fatalf("a file swapped between reads: intact %v, product %+v\n%s", b.Intact, b.Product, failed(b))
	}
	for name, n := range reads {
		if n != 1 {
			t.Errorf("%s was read %d times", name, n)
		}
	}
	if len(reads) != 7 {
		t.Errorf("read %v, want the 7 bundle files", reads)
	}
}

// What only the signer asserts must agree with the rest: the run's date in
// stack.json, junit.xml and run.log (within DateTolerance), not after the
// time it is judged at, and the driver in stack.json, junit.xml and the log's
// connect lines. Each edit is sealed and signed again, as a signer would.
func TestVerifyDatesAndDriverAgree(t *testing.T) {
	swap := func(name, from, to string) func(map[string]string) {
		return func(f map[string]string) {
			if !strings.Contains(f[name], from) {
				t.Fatalf("%s has no %q", name, from)
			}
			f[name] = strings.ReplaceAll(f[name], from, to)
		}
	}
	for _, c := range []struct {
		name string
		edit func(map[string]string)
		now  time.Time
		want string
	}{
		{"stack.json dated 2031", swap(BundleStack, "2026-11-24T12:00:00Z", "2031-11-24T12:00:00Z"), attackNow, "junit.xml says the run started 2026-11-24T12:00:00Z, stack.json 2031-11-24T12:00:00Z"},
		{"run.log dated two minutes later", swap(BundleLog, "started 2026-11-24T12:00:00Z", "started 2026-11-24T12:02:00Z"), attackNow, "run.log says the run started 2026-11-24T12:02:00Z"},
		{"run.log without a date", swap(BundleLog, ", started 2026-11-24T12:00:00Z", ""), attackNow, "run.log has no start line"},
		{"every date in 2031", func(f map[string]string) {
			for _, n := range []string{BundleStack, BundleJUnit, BundleLog} {
				f[n] = strings.ReplaceAll(f[n], "2026-11-24T12:00:00Z", "2031-11-24T12:00:00Z")
			}
		}, attackNow, "the run is dated 2031-11-24T12:00:00Z, after 2026-11-29T00:00:00Z"},
		{"a run judged before it happened", nil, time.Date(2026, 11, 24, 11, 0, 0, 0, time.UTC), "after 2026-11-24T11:00:00Z"},
		{"driver TEST in the log", swap(BundleLog, "stack: QEMU", "stack: TEST"), attackNow, `run.log connected to driver "TEST", stack.json says "QEMU"`},
		{"a test:// URI in the log", swap(BundleLog, "qemu+tcp://host/system", "test:///default"), attackNow, `run.log ran against a test:// URI, stack.json says driver "QEMU"`},
		{"driver QEMU in stack.json only", func(f map[string]string) {
			f[BundleLog] = strings.ReplaceAll(strings.ReplaceAll(f[BundleLog], "stack: QEMU", "stack: TEST"), "qemu+tcp://host/system", "test:///default")
			f[BundleJUnit] = strings.ReplaceAll(f[BundleJUnit], `value="QEMU"`, `value="TEST"`)
		}, attackNow, `driver is "TEST" in junit.xml, "QEMU" in stack.json`},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir, pub := sealedBundle(t, c.edit)
			b := CheckBundle(VerifyInput{Dir: dir, PublicKey: pub, Sets: attackSets, Now: c.now})
			if b.Intact || !strings.Contains(failed(b), c.want) {
				t.Errorf("intact %v, want a finding with %q:\n%s", b.Intact, c.want, failed(b))
			}
		})
	}
}
