package harness

import (
	"context"
	"os/exec"
	"strings"
	"testing"
)

// The schema check fails what libvirt's schema does not allow, naming where,
// and passes what it does.
func TestValidateXML(t *testing.T) {
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Skip("xmllint is not installed (libxml2-utils)")
	}
	ctx := context.Background()
	good := `<domain type='kvm'><name>a</name><memory>65536</memory><os><type>hvm</type></os></domain>`
	if err := ValidateXML(ctx, "domain", good); err != nil {
		t.Fatalf("a minimal domain: %v", err)
	}
	for name, bad := range map[string]string{
		"unknown element":   strings.Replace(good, "</domain>", "<bogus/></domain>", 1),
		"no name":           strings.Replace(good, "<name>a</name>", "", 1),
		"wrong domain type": strings.Replace(good, "'kvm'", "'nope'", 1),
		"not XML":           "<domain",
	} {
		err := ValidateXML(ctx, "domain", bad)
		if err == nil || !strings.Contains(err.Error(), "domain.rng") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := ValidateXML(ctx, "network", good); err == nil {
		t.Error("a domain validated as a network")
	}
}

func TestProbeSchemas(t *testing.T) {
	c := &Capabilities{}
	c.probeSchemas(9000000, 10000000)
	n, ok := c.Missing["schemas"]
	if !ok || n.State != NotProvided {
		t.Fatalf("schemas older than the daemon: %+v", c.Missing)
	}
	if !strings.Contains(n.Reason, "xmllint") && !strings.Contains(n.Reason, "older than the daemon's 10.0.0") {
		t.Errorf("reason: %s", n.Reason)
	}
	c = &Capabilities{}
	c.probeSchemas(10000000, 9000000)
	if _, err := exec.LookPath("xmllint"); err == nil && !c.Has("schemas") {
		t.Errorf("newer schemas than the daemon's: %+v", c.Missing)
	}
}
