// The needs' definitions: the capabilities a scenario can declare with
// @needs:<name>, what each means and the requirement that states it. What the
// probe finds of them is harness's (Capabilities).

package catalogue

import (
	"maps"
	"slices"
)

// NeedDef describes a capability a scenario can declare with @needs:<name>,
// and the requirement that states it: when the probe finds the capability
// claimed but broken, that requirement fails with the cause and the scenarios
// that need it are blocked, naming it.
type NeedDef struct {
	About    string
	StatedBy string // "" for inputs of the run, which cannot be broken
}

// KnownNeeds are the capabilities a scenario can declare. The probe decides
// each one before the run: present, absent (the stack declares it lacks it),
// not provided (the run lacks an input) or broken (claimed but failing).
var KnownNeeds = map[string]NeedDef{
	"hvm":               {"hvm guests of the host's own architecture in the stack's capabilities", "CONN-019"},
	"domcaps":           {"domain capabilities (virConnectGetDomainCapabilities)", "CONN-013"},
	"persistent":        {"persistent domain definitions (virDomainDefineXML)", "DOM-001"},
	"kvm":               {"a usable KVM accelerator (a type='kvm' domain starts)", "CONN-018"},
	"host":              {"the stack runs on this host, so its host devices (bridges, files) can be inspected from here", ""},
	"nwfilter":          {"network filters (virNWFilter*)", "FLT-001"},
	"secrets":           {"secrets (virSecret*)", "SEC-001"},
	"peer":              {"a second stack to migrate to (--peer-uri), on another host (or another daemon with its own host UUID)", ""},
	"guest":             {"a guest OS that boots to a running guest agent (the guest fixture, --guest-kernel or --guest-disk)", "GUEST-001"},
	"guestfs":           {"libguestfs on the stack's host, and its Go binding built into ovacts", ""},
	"guestfs-appliance": {"libguestfs's appliance launches on the stack's host", "GFS-003"},
	"guestfs-libvirt":   {"libguestfs's libvirt backend on the stack: a local QEMU stack that can run the appliance as a domain", "GFS-011"},
	"guestfs-tools":     {"the libguestfs tools virt-inspector and virt-v2v, xmllint and virt-inspector's RELAX NG schema", ""},
	"ovirt-engine":      {"an oVirt engine to check (--ovirt-url, --ovirt-user, --ovirt-password-file, --ovirt-ca-file or --ovirt-insecure)", ""},
	"admin":             {"the daemon's admin interface (libvirt-admin): its UNIX socket on this host", ""},
	"schemas":           {"libvirt's RELAX NG schemas (of the daemon's version or newer) and xmllint on the host running ovacts", ""},
	"ovirt-changes":     {"leave to create, start, stop and remove VMs on that engine (--ovirt-allow-changes)", ""},
}

func knownNeedNames() []string { return slices.Sorted(maps.Keys(KnownNeeds)) }
