package harness

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"libvirt.org/go/libvirt"
	"libvirt.org/go/libvirtxml"
)

// StackKey names a stack in the ledgers: its host UUID, which two URIs of the
// same daemon share (qemu:///system, qemu+ssh://host/system), else its URI.
func StackKey(conn *libvirt.Connect) (string, error) {
	x, err := conn.GetCapabilities()
	if err != nil {
		return "", fmt.Errorf("reading the capabilities: %w", err)
	}
	var caps libvirtxml.Caps
	if err := caps.Unmarshal(x); err == nil && caps.Host.UUID != "" {
		return "host:" + strings.ToLower(caps.Host.UUID), nil
	}
	uri, err := conn.GetURI()
	if err != nil {
		return "", err
	}
	return "uri:" + RedactURI(uri), nil
}

// SweepOptions say what a sweep looks at.
type SweepOptions struct {
	Stack  string // the connected stack's key (StackKey)
	Self   string // the current run, never swept
	DryRun bool   // judge and report, remove nothing
	// LogDir, when the stack is a local QEMU one, is where libvirt keeps a log
	// per domain name: the logs of the removed domains go too.
	LogDir string
}

// Judged is one object a sweep looked at, and why it did what it did.
type Judged struct {
	Res Resource
	Run string
	Why string
}

func (j Judged) String() string { return fmt.Sprintf("%s: %s", j.Res, j.Why) }

// SweepResult says what a sweep did (or, with DryRun, would do).
type SweepResult struct {
	Removed []Judged // dead runs' objects, each with why it is provably theirs
	Kept    []Judged // recorded objects left alone, with why
	Logs    int      // QEMU logs of removed domains
	// Elsewhere counts the open entries of dead runs recorded on other
	// stacks, by stack key: a sweep of this stack leaves them.
	Elsewhere map[string]int
	Errors    []error
}

// ElsewhereNote says, when dead runs' ledgers list objects on other stacks,
// which and how many; "" when none.
func (r SweepResult) ElsewhereNote(stack string) string {
	if len(r.Elsewhere) == 0 {
		return ""
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(r.Elsewhere)) {
		parts = append(parts, fmt.Sprintf("%d on %s", r.Elsewhere[k], k))
	}
	return fmt.Sprintf("dead runs' ledgers list objects on other stacks (%s), not this one (%s): a cleanup against that stack removes them; "+
		"if it is this same libvirtd, its host UUID changed (without SMBIOS libvirtd invents one at each start: set host_uuid_source = \"machine-id\" in libvirtd.conf)",
		strings.Join(parts, ", "), stack)
}

// Sweep removes what the ledgers of dead runs list, and nothing else: an
// object goes only if its name and its UUID (or path) are the recorded ones,
// and no owner record speaks against it (a record naming another run or
// host, or a process that is still alive). A pool goes only with its own
// directory and only when nothing unrecorded is in it. Objects of live runs,
// and every object no ledger lists, are never touched.
func Sweep(conn *libvirt.Connect, reg RunRegistry, opt SweepOptions) SweepResult {
	var res SweepResult
	ledgers, errs := reg.lockDeadLedgers(opt.Self)
	res.Errors = append(res.Errors, errs...)
	for _, l := range ledgers {
		sweepLedger(conn, l, opt, &res)
		if opt.DryRun {
			l.f.Close()
			continue
		}
		if err := l.save(); err != nil {
			res.Errors = append(res.Errors, fmt.Errorf("ledger of run %s: %w", l.run, err))
		}
	}
	return res
}

func sweepLedger(conn *libvirt.Connect, l *deadLedger, opt SweepOptions, res *SweepResult) {
	local := LocalStack()
	held := heldPools(l, opt.Stack)
	var dirs []string
	for _, e := range l.entries {
		if e.Kind == KindPool && e.Stack == opt.Stack && !e.Gone && e.Path != "" && held[e.Name] == "" {
			dirs = append(dirs, e.Path)
		}
	}
	if len(dirs) > 0 && conn != nil {
		sweepAppliances(conn, l.run, dirs, opt, res)
	}
	for i := len(l.entries) - 1; i >= 0; i-- {
		e := &l.entries[i]
		if e.Gone && e.Stack == opt.Stack {
			// The run removed it, or an earlier sweep did, and died before
			// removing the log libvirt keeps per domain name.
			res.Logs += removeLogsOf(e, opt, res)
		}
		if e.Gone || !onThisStack(e, l.run, conn, opt, local, res) {
			continue
		}
		var protect string
		decide := func(f found) bool {
			protect = ownerObjection(f.owner, l.run)
			return protect == "" && !opt.DryRun
		}
		if why := held[e.Name]; e.Kind == KindPool && why != "" {
			res.Kept = append(res.Kept, Judged{e.Resource, l.run, "the pool's directory " + e.Path + ": " + why})
			e.Gone = true
			continue
		}
		if (e.Kind == KindVolume || e.Kind == KindFile) && held[e.Parent] != "" {
			res.Kept = append(res.Kept, Judged{e.Resource, l.run, "its pool " + e.Parent + " is left: its directory is not the one the run built"})
			e.Gone = true
			continue
		}
		var f found
		var err error
		if e.Kind == KindPool {
			f, err = handlePool(conn, e.Resource, decide, l.recordedIn(e.Name))
		} else {
			f, err = handle(conn, e.Resource, decide)
		}
		switch {
		case err != nil:
			res.Errors = append(res.Errors, fmt.Errorf("%s of dead run %s: %w", e.Resource, l.run, err))
		case !f.present:
			e.Gone = true
			res.Logs += removeLogsOf(e, opt, res)
		case !f.ours:
			// The recorded object is gone; what answers to its name is not it.
			res.Kept = append(res.Kept, Judged{e.Resource, l.run, "not the object run " + l.run + " made: " + f.why})
			e.Gone = true
		case protect != "":
			res.Kept = append(res.Kept, Judged{e.Resource, l.run, protect})
		default:
			res.Removed = append(res.Removed, Judged{e.Resource, l.run, whyOurs(e.Resource, l.run)})
			if opt.DryRun {
				continue
			}
			e.Gone = true
			res.Logs += removeLogsOf(e, opt, res)
		}
	}
}

// heldPools are the dead run's pools on the stack whose directory on this
// host is not the one recorded when it was built, with why: they, and what
// the run recorded in them, are left.
func heldPools(l *deadLedger, stack string) map[string]string {
	held := map[string]string{}
	for _, e := range l.entries {
		if e.Kind == KindPool && e.Stack == stack && !e.Gone {
			if why := builtDirObjection(e.Resource); why != "" {
				held[e.Name] = why
			}
		}
	}
	return held
}

// onThisStack says whether an open entry is to be judged by this sweep: a
// directory recorded under this host's key, an object of the stack recorded
// under the stack's exact key. Entries of other stacks are counted; those
// under the bare "local" of earlier versions, which names no stack, are left
// and said so once (the entry is dropped).
func onThisStack(e *Entry, run string, conn *libvirt.Connect, opt SweepOptions, local string, res *SweepResult) bool {
	switch {
	case e.Stack == legacyLocalStack:
		res.Kept = append(res.Kept, Judged{e.Resource, run, `its ledger entry names the stack "local", which is no stack's identity: nothing is done to it`})
		e.Gone = true
		return false
	case e.Kind == KindDir:
		return e.Stack == local
	case isLocalKey(e.Stack):
		return false // not a libvirt object, whatever it says
	case e.Stack == opt.Stack && opt.Stack != "":
		return conn != nil
	}
	// libvirt's test driver lives in the process that opened it: a dead
	// run's objects there died with it, and are no news elsewhere.
	if opt.Stack != "" && !strings.HasPrefix(e.Stack, "uri:test://") {
		if res.Elsewhere == nil {
			res.Elsewhere = map[string]int{}
		}
		res.Elsewhere[e.Stack]++
	}
	return false
}

// removeLogs removes the QEMU logs of a domain of the dead run that is gone
// from the stack (never of one that something else now answers to).
func removeLogsOf(e *Entry, opt SweepOptions, res *SweepResult) int {
	if e.Kind != KindDomain || opt.LogDir == "" || opt.DryRun {
		return 0
	}
	return removeDomainLogs(opt.LogDir, e.Name, &res.Errors)
}

// recordedIn lists the paths the ledger records in a pool.
func (l *deadLedger) recordedIn(pool string) map[string]bool {
	out := map[string]bool{}
	for _, e := range l.entries {
		if (e.Kind == KindVolume || e.Kind == KindFile) && e.Parent == pool && e.Path != "" {
			out[filepath.Clean(e.Path)] = true
		}
	}
	return out
}

// ownerObjection is why an object's own record forbids removing it as run's.
func ownerObjection(o *Owner, run string) string {
	switch {
	case o == nil:
		return ""
	case o.Run != run:
		return fmt.Sprintf("its owner record names run %s, not %s", o.Run, run)
	case o.Host != ThisHost():
		return fmt.Sprintf("its owner record names host %s: that run may still be alive there", o.Host)
	case o.Alive():
		return fmt.Sprintf("its owner record names process %d, which is still alive", o.PID)
	}
	return ""
}

func whyOurs(r Resource, run string) string {
	what := "name and UUID match"
	switch r.Kind {
	case KindPool:
		what = "name, UUID and directory match"
	case KindVolume, KindFile:
		what = "name and path match"
	case KindSecret:
		what = "UUID and usage match"
	case KindDir:
		what = "a directory of this host whose path, owner and inode match"
	case KindBinding:
		what = "port device and filter match"
	case KindDomain:
		if r.UUID == "" {
			what = "name and owner record match"
		}
	}
	return fmt.Sprintf("in the ledger of dead run %s; %s", run, what)
}

// sweepAppliances removes libguestfs appliances (transient guestfs-* domains,
// named by libguestfs) whose disks lie in a pool directory of the dead run.
func sweepAppliances(conn *libvirt.Connect, run string, dirs []string, opt SweepOptions, res *SweepResult) {
	doms, err := conn.ListAllDomains(libvirt.CONNECT_LIST_DOMAINS_TRANSIENT)
	if err != nil {
		if !errors.Is(err, libvirt.ERR_NO_SUPPORT) {
			res.Errors = append(res.Errors, fmt.Errorf("listing transient domains: %w", err))
		}
		return
	}
	var names []string
	for i := range doms {
		if n, err := doms[i].GetName(); err == nil && strings.HasPrefix(n, "guestfs-") {
			names = append(names, n)
		}
		doms[i].Free()
	}
	for _, n := range names {
		for _, dir := range dirs {
			r := Resource{Kind: KindAppliance, Name: n, Path: dir}
			f, err := handle(conn, r, func(found) bool { return !opt.DryRun })
			if err != nil {
				res.Errors = append(res.Errors, fmt.Errorf("%s: %w", r, err))
				break
			}
			if f.present && f.ours {
				res.Removed = append(res.Removed, Judged{r, run, fmt.Sprintf("a transient libguestfs appliance whose disk is in %s, a pool directory of dead run %s", dir, run)})
				if !opt.DryRun && opt.LogDir != "" {
					removeDomainLogs(opt.LogDir, n, &res.Errors)
				}
				break
			}
		}
	}
}

// applianceName is how libguestfs's libvirt backend names its appliance.
var applianceName = regexp.MustCompile(`^guestfs-[a-z0-9]+$`)

// removeDomainLogs deletes the QEMU logs of one domain of the suite
// (<name>.log and its rotations) and, beside libvirt's own log directory, its
// TPM emulator's (swtpm's <name>-swtpm.log), and only those. It returns how
// many went.
func removeDomainLogs(dir, name string, errs *[]error) int {
	// Names come from a ledger, or from an appliance proven the run's by its
	// disk: either way one of the two forms, never a path or a pattern.
	if !(strings.HasPrefix(name, NamePrefix) || applianceName.MatchString(name)) || strings.ContainsAny(name, "/*?[\\") {
		return 0
	}
	logs := [][2]string{{dir, name + ".log"}}
	if dir == QEMULogDir {
		logs = append(logs, [2]string{SwtpmLogDir, name + "-swtpm.log"})
	}
	n := 0
	for _, l := range logs {
		files, _ := filepath.Glob(filepath.Join(l[0], l[1]+"*"))
		for _, f := range files {
			if rest := strings.TrimPrefix(filepath.Base(f), l[1]); rest != "" && !strings.HasPrefix(rest, ".") {
				continue
			}
			if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
				*errs = append(*errs, err)
				continue
			}
			n++
		}
	}
	return n
}

// RemoveDomainLogs deletes the QEMU logs of the given domains of the suite.
func RemoveDomainLogs(dir string, names []string) (int, error) {
	var errs []error
	n := 0
	for _, name := range names {
		n += removeDomainLogs(dir, name, &errs)
	}
	return n, errors.Join(errs...)
}

// PrefixedObjects lists every object on the stack whose name (a secret's
// usage id) starts with the suite's prefix. It is a leak check for tests and
// diagnostics only: a name never makes an object the suite's, and nothing is
// ever removed because of it.
func PrefixedObjects(conn *libvirt.Connect) ([]Resource, error) {
	var out []Resource
	unsupported := func(err error) bool { return errors.Is(err, libvirt.ERR_NO_SUPPORT) }
	doms, err := conn.ListAllDomains(0)
	if err != nil {
		return nil, fmt.Errorf("listing domains: %w", err)
	}
	for i := range doms {
		if n, err := doms[i].GetName(); err == nil && strings.HasPrefix(n, NamePrefix) {
			out = append(out, Resource{Kind: KindDomain, Name: n})
		}
		doms[i].Free()
	}
	if ps, err := conn.ListAllStoragePools(0); err == nil {
		for i := range ps {
			if pn, err := ps[i].GetName(); err == nil {
				if vols, err := ps[i].ListAllStorageVolumes(0); err == nil {
					for j := range vols {
						if vn, err := vols[j].GetName(); err == nil && strings.HasPrefix(vn, NamePrefix) {
							out = append(out, Resource{Kind: KindVolume, Name: vn, Parent: pn})
						}
						vols[j].Free()
					}
				}
				if strings.HasPrefix(pn, NamePrefix) {
					out = append(out, Resource{Kind: KindPool, Name: pn})
				}
			}
			ps[i].Free()
		}
	} else if !unsupported(err) {
		return nil, fmt.Errorf("listing storage pools: %w", err)
	}
	if ns, err := conn.ListAllNetworks(0); err == nil {
		for i := range ns {
			if n, err := ns[i].GetName(); err == nil && strings.HasPrefix(n, NamePrefix) {
				out = append(out, Resource{Kind: KindNetwork, Name: n})
			}
			ns[i].Free()
		}
	} else if !unsupported(err) {
		return nil, fmt.Errorf("listing networks: %w", err)
	}
	if fs, err := conn.ListAllNWFilters(0); err == nil {
		for i := range fs {
			if n, err := fs[i].GetName(); err == nil && strings.HasPrefix(n, NamePrefix) {
				out = append(out, Resource{Kind: KindNWFilter, Name: n})
			}
			fs[i].Free()
		}
	} else if !unsupported(err) {
		return nil, fmt.Errorf("listing nwfilters: %w", err)
	}
	if ss, err := conn.ListAllSecrets(0); err == nil {
		for i := range ss {
			if u, err := ss[i].GetUsageID(); err == nil && strings.HasPrefix(u, NamePrefix) {
				id, _ := ss[i].GetUUIDString()
				out = append(out, Resource{Kind: KindSecret, Name: u, UUID: id})
			}
			ss[i].Free()
		}
	} else if !unsupported(err) {
		return nil, fmt.Errorf("listing secrets: %w", err)
	}
	if bs, err := conn.ListAllNWFilterBindings(0); err == nil {
		for i := range bs {
			if dev, filter, err := BindingInfo(&bs[i]); err == nil && strings.HasPrefix(dev, NamePrefix) {
				out = append(out, Resource{Kind: KindBinding, Name: dev, Parent: filter})
			}
			bs[i].Free()
		}
	} else if !unsupported(err) {
		return nil, fmt.Errorf("listing nwfilter bindings: %w", err)
	}
	return out, nil
}

// SweepStack is the sweep of run and cleanup alike: the stack at uri, keyed
// stack, swept for the dead runs of this host's ledgers; on a local QEMU stack
// the logs of the removed domains go too.
func SweepStack(conn *libvirt.Connect, uri, stack string, reg RunRegistry, opt SweepOptions) SweepResult {
	opt.Stack = stack
	if driver, err := conn.GetType(); err == nil && driver == "QEMU" && LocalURI(uri) {
		opt.LogDir = QEMULogDir
	}
	return Sweep(conn, reg, opt)
}
