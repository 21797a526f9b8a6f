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
	// Calls the probe asks for with harmless arguments (harness/probe_caps.go).
	"hotplug":             {"device hotplug on a running domain (virDomainAttachDeviceFlags, virDomainDetachDeviceFlags)", "HOT-001"},
	"migration":           {"migration and its tuning calls (virDomainMigrate*)", "JOB-001"},
	"dirty-rate":          {"dirty page rate calculation (virDomainStartDirtyRateCalc)", "JOB-004"},
	"job-info":            {"a domain's job information (virDomainGetJobInfo)", "STAT-007"},
	"block-resize":        {"resizing a running domain's disk (virDomainBlockResize)", "BLOCK-002"},
	"block-copy":          {"block copy jobs (virDomainBlockCopy)", "BLOCK-003"},
	"disk-only-snapshots": {"disk-only external snapshots (VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY)", "SNAP-003"},
	"checkpoint-validate": {"checkpoints redefined checked against their bitmap (VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE_VALIDATE)", "BACKUP-004"},
	"backup":              {"backup jobs (virDomainBackupBegin)", "BACKUP-005"},
	"save-params":         {"saving through typed parameters (virDomainSaveParams)", "SAVE-008"},
	"save-state-flags":    {"choosing the restored state at save (VIR_DOMAIN_SAVE_RUNNING, VIR_DOMAIN_SAVE_PAUSED)", "SAVE-007"},
	"managed-save-xml":    {"the domain XML of a managed save image (virDomainManagedSaveGetXMLDesc)", "SAVE-009"},
	"tuning-live":         {"tuning a running domain (vCPU pinning and scheduler parameters with VIR_DOMAIN_AFFECT_LIVE)", "TUNE-001"},
	"tuning-config":       {"tuning a domain's definition (vCPU pinning with VIR_DOMAIN_AFFECT_CONFIG)", "TUNE-003"},
	"stats-cpu":           {"the CPU time group of domain statistics (VIR_DOMAIN_STATS_CPU_TOTAL)", "STAT-002"},
	"stats-balloon":       {"the balloon group of domain statistics (VIR_DOMAIN_STATS_BALLOON)", "STAT-002"},
	"stats-vcpu":          {"the vCPU group of domain statistics (VIR_DOMAIN_STATS_VCPU)", "STAT-002"},
	"stats-interface":     {"the interface group of domain statistics (VIR_DOMAIN_STATS_INTERFACE)", "STAT-003"},
	"stats-block":         {"the block group of domain statistics (VIR_DOMAIN_STATS_BLOCK)", "STAT-002"},
	"node-memory-stats":   {"the host's memory statistics (virNodeGetMemoryStats)", "STAT-009"},
	"pool-caps":           {"storage pool capabilities (virConnectGetStoragePoolCapabilities)", "SCHEMA-007"},
	"pool-lookup-by-path": {"looking a storage pool up by its target path (virStoragePoolLookupByTargetPath)", "STOR-020"},
	"pool-build":          {"building a transient pool as it is created (VIR_STORAGE_POOL_CREATE_WITH_BUILD)", "STOR-002"},
	"network-ports":       {"network ports (virNetworkPort*)", "NET-012"},
	"volume-upload":       {"uploading to a volume through a stream (virStorageVolUpload)", "STOR-011"},
	"volume-resize":       {"resizing a volume (virStorageVolResize)", "STOR-007"},
}

func knownNeedNames() []string { return slices.Sorted(maps.Keys(KnownNeeds)) }
