package harness

import (
	"strings"
	"testing"
	"time"

	"github.com/ovacts/ovacts/internal/apicov"
)

// A call counts for the scenarios only inside their window and off the
// harness's threads; only public functions count.
func TestAPICoverageAttribution(t *testing.T) {
	log := strings.Join([]string{
		"2026-11-29 04:10:55.460+0000: 719: info : libvirt version: 9.0.0",
		"2026-11-29 04:10:55.460+0000: 719: debug : virConnectOpen:1180 : name=test:///default", // the probe, before the scenarios
		"2026-11-29 04:10:55.470+0000: 720: debug : virDomainCreate:123 : dom=0x1",              // a scenario
		"2026-11-29 04:10:55.471+0000: 721: debug : virDomainDestroy:456 : dom=0x1",             // cleanup, on a harness thread
		"2026-11-29 04:10:55.472+0000: 720: debug : virRegisterConnectDriver:516 : driver=Test", // not public
		"2026-11-29 04:10:55.490+0000: 720: debug : virNetworkCreate:12 : net=0x2",              // after the scenarios
		"2026-11-29 04:10:55.475+0000: 722: debug : virDomainGetState:99 : dom=0x1",             // the event loop
	}, "\n")
	start := time.Date(2026, 11, 29, 4, 10, 55, 465e6, time.UTC)
	end := time.Date(2026, 11, 29, 4, 10, 55, 480e6, time.UTC)
	public := map[string]bool{"virConnectOpen": true, "virDomainCreate": true, "virDomainDestroy": true, "virNetworkCreate": true, "virDomainGetState": true}
	sc, h, err := countEntries(strings.NewReader(log), public, start, end, map[int]string{721: "cleanup", 722: "event loop"})
	if err != nil {
		t.Fatal(err)
	}
	if len(sc) != 1 || sc["virDomainCreate"] != 1 {
		t.Errorf("scenarios: %v", sc)
	}
	if len(h) != 4 || h["virConnectOpen"] != 1 || h["virDomainDestroy"] != 1 || h["virNetworkCreate"] != 1 || h["virDomainGetState"] != 1 {
		t.Errorf("harness: %v", h)
	}
	api := []apicov.APIFunction{{Name: "virConnectOpen", Group: "host", API: "libvirt"}, {Name: "virDomainCreate", Group: "domain", API: "libvirt"}, {Name: "virDomainDestroy", Group: "domain", API: "libvirt"},
		{Name: "virNetworkCreate", Group: "network", API: "libvirt"}, {Name: "virDomainGetState", Group: "domain", API: "libvirt"}, {Name: "virNetworkDestroy", Group: "network", API: "libvirt"},
		{Name: "virAdmConnectOpen", Group: "admin", API: "admin"}}
	rep := apicov.CoverageOf(api, sc, h)
	if rep.Functions != 6 || rep.Scenarios != 1 || rep.Percent != 16.7 || rep.Calls != 1 {
		t.Errorf("report: %d of %d (%v%%), %d calls", rep.Scenarios, rep.Functions, rep.Percent, rep.Calls)
	}
	if g := rep.Groups[0]; g.Group != "domain" || g.Scenarios != 1 || strings.Join(g.HarnessOnly, ",") != "virDomainDestroy,virDomainGetState" {
		t.Errorf("domain group: %+v", g)
	}
	if last := rep.Groups[len(rep.Groups)-1]; last.Group != "admin" || strings.Join(last.NotEntered, ",") != "virAdmConnectOpen" {
		t.Errorf("admin group last, not entered: %+v", last)
	}
}

// The API list is libvirt's own (libvirt-dev): 516 functions in libvirt 9.0's main API.
func TestLoadAPI(t *testing.T) {
	api, err := apicov.LoadAPI(apicov.APIDir)
	if err != nil {
		t.Fatalf("libvirt-dev (which builds ovacts) installs it: %v", err)
	}
	n := 0
	for _, f := range api {
		if f.API == "libvirt" {
			n++
		}
	}
	if n < 500 {
		t.Errorf("%d functions in libvirt-api.xml", n)
	}
}
