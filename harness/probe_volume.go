package harness

import (
	"fmt"
	"strings"

	"github.com/ovacts/ovacts/catalogue"
	"libvirt.org/go/libvirt"
)

// The volume calls are asked on a raw volume of the probe's own, in a
// directory pool of its own (both recorded and removed like a scenario's),
// with a flag no libvirt call defines: libvirt's front end answers
// VIR_ERR_NO_SUPPORT for a call the driver lacks before any driver code
// runs; a driver having the call refuses the flag ("unsupported flags"), as
// virCheckFlags does first thing, so the call does nothing.

// ProbeFlag is a flag bit no libvirt call defines.
const ProbeFlag = 1 << 30

// FlagProbeAnswer judges the answer to a call given ProbeFlag: nil when the
// driver has the call (it refused the flag), Absent with the evidence when
// libvirt says the driver lacks it, Broken with the answer otherwise (a call
// that takes an undefined flag, or fails another way).
func FlagProbeAnswer(api string, err error) (NeedState, string) {
	lv, typed := AsLibvirt(err)
	switch {
	case err == nil:
		return Broken, fmt.Sprintf("%s accepted a flag (0x%x) that no libvirt call defines", api, ProbeFlag)
	case typed && lv.Code == libvirt.ERR_NO_SUPPORT:
		return Absent, fmt.Sprintf("%s (asked with flag 0x%x) answers %s", api, ProbeFlag, DescribeError(err))
	case typed && lv.Code == libvirt.ERR_INVALID_ARG && strings.HasPrefix(lv.Message, fmt.Sprintf("unsupported flags (0x%x)", ProbeFlag)):
		return "", ""
	default:
		return Broken, fmt.Sprintf("%s (asked with flag 0x%x) failed: %s", api, ProbeFlag, DescribeError(err))
	}
}

// judgeFlagCall records what a call given ProbeFlag found of need.
func (c *Capabilities) judgeFlagCall(need, api string, err error) {
	switch state, why := FlagProbeAnswer(api, err); state {
	case Absent:
		c.Lack(need, why, Absent)
	case Broken:
		c.Break(need, catalogue.KnownNeeds[need].StatedBy, why)
	}
}

// probeVolumeCalls decides volume-upload and volume-resize. When the probe
// cannot make its pool or volume, it decides nothing: the scenarios make
// theirs the same way and fail there, naming the answer.
func (c *Capabilities) probeVolumeCalls(conn *libvirt.Connect, tracker *Tracker, prefix string) {
	name := prefix + "probe-pool"
	dir := ImageDir + "/" + name
	p, err := tracker.CreateDirPool(name, dir)
	if err != nil {
		return
	}
	defer p.Free()
	vol := prefix + "probe-vol"
	x := fmt.Sprintf(`<volume><name>%s</name><capacity unit='MiB'>1</capacity><target><format type='raw'/></target></volume>`, XMLEscape(vol))
	v, err := tracker.CreateVolume(p, name, dir, vol, x)
	if err != nil {
		return
	}
	defer v.Free()
	if st, err := conn.NewStream(0); err == nil {
		err := v.Upload(st, 0, 0, ProbeFlag)
		if err == nil {
			st.Abort()
		}
		st.Free()
		c.judgeFlagCall("volume-upload", "virStorageVolUpload", err)
	}
	c.judgeFlagCall("volume-resize", "virStorageVolResize", v.Resize(1, ProbeFlag))
}
