package nwfilter

import (
	"testing"

	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
)

// FLT-003: a binding to another filter, or one of the run's still there
// after the domain's destruction, fails.
func TestFilterBindings(t *testing.T) {
	if err := bindingUses("vnet0", "ovacts-ab-f", "ovacts-ab-f"); err != nil {
		t.Fatal(err)
	}
	stepkit.WantErr(t, "another filter", bindingUses("vnet0", "clean-traffic", "ovacts-ab-f"), `uses filter "clean-traffic"`)
	gone := libvirt.Error{Code: libvirt.ERR_NO_NWFILTER_BINDING, Message: "Network filter binding not found"}
	if err := bindingGone("vnet0", gone, "", "ovacts-ab-"); err != nil {
		t.Fatal(err)
	}
	if err := bindingGone("vnet0", nil, "someone-elses", "ovacts-ab-"); err != nil {
		t.Fatalf("a reused device name: %v", err)
	}
	stepkit.WantErr(t, "a binding left behind", bindingGone("vnet0", nil, "ovacts-ab-f", "ovacts-ab-"), "still there")
	stepkit.WantErr(t, "a failed lookup", bindingGone("vnet0", libvirt.Error{Code: libvirt.ERR_INTERNAL_ERROR, Message: "boom"}, "", "ovacts-ab-"), "want VIR_ERR_NO_NWFILTER_BINDING")
}
