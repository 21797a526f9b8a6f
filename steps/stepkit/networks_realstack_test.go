//go:build realstack

package stepkit

import (
	"fmt"
	"testing"
	"time"

	"github.com/ovacts/ovacts/catalogue"
	"github.com/ovacts/ovacts/harness"
)

// A network whose first subnet is taken (here by a foreign network; in life by
// a concurrent run or the host) moves to another subnet and starts.
func TestNetworkMovesOffATakenSubnet(t *testing.T) {
	conn, err := harness.Open("qemu:///system")
	if err != nil {
		t.Fatalf("the real stack is not reachable (run make setup): %v", err)
	}
	defer harness.CloseChecked(conn)
	runID := harness.NewRunID()
	s := harness.NewSelfTestScenario(conn, "qemu:///system", &harness.Capabilities{}, &catalogue.Requirement{Level: catalogue.MUST}, runID, 30*time.Second)
	w := &World{Scenario: s}
	defer func() {
		if err := w.Tracker.Cleanup(); err != nil {
			t.Error(err)
		}
	}()
	first := w.Subnet("n")
	squatter := "squatter-" + runID
	n, err := conn.NetworkCreateXML(fmt.Sprintf(`<network><name>%s</name><ip address='%s.1' netmask='255.255.255.0'/></network>`, squatter, first))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { n.Destroy(); n.Free() }()

	if err := w.AddNetwork("n", "isolated", false); err != nil {
		t.Fatal(err)
	}
	if err := w.StartNetwork("n"); err != nil {
		t.Fatalf("the network did not move off the taken subnet %s: %v", first, err)
	}
	if w.NetworkSt().subnetTries["n"] == 0 || w.Subnet("n") == first {
		t.Fatalf("still on %s after %d tries", w.Subnet("n"), w.NetworkSt().subnetTries["n"])
	}
	t.Logf("moved from %s.0/24 to %s.0/24 after %d refusal(s)", first, w.Subnet("n"), w.NetworkSt().subnetTries["n"])
}
