//go:build realstack

package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ovacts/ovacts/harness"
)

// A fault is one way this machine's stack can be broken on purpose, and what
// the suite must then say: the requirement that states the broken capability
// fails naming the cause, and the scenarios that need it are blocked by it.
type fault struct {
	name     string
	profile  string
	tags     string
	covering string   // the requirement that fails
	cause    string   // what its failure names
	blocked  []string // requirements blocked by it
	breakIt  func(t *testing.T)
	restore  func() error // idempotent: also run by t.Cleanup if the test fails
	// needs says why this host cannot have the fault ("" when it can), from
	// the host's measured facts: a fault of /dev/kvm needs a usable /dev/kvm.
	needs func(f harness.HostFacts) string
}

// moveAside renames path to path.ovacts-broken; restoring moves it back.
func moveAside(path string) (func(t *testing.T), func() error) {
	saved := path + ".ovacts-broken"
	return func(t *testing.T) {
			t.Helper()
			if err := os.Rename(path, saved); err != nil {
				t.Fatalf("breaking the stack: %v", err)
			}
		}, func() error {
			if _, err := os.Lstat(saved); err != nil {
				return nil // not broken, or already restored
			}
			return os.Rename(saved, path)
		}
}

// replaceDirByFile moves a directory aside and puts a file where it was, so
// that the daemon cannot write into it.
func replaceDirByFile(dir string) (func(t *testing.T), func() error) {
	aside, back := moveAside(dir)
	return func(t *testing.T) {
			t.Helper()
			aside(t)
			if err := os.WriteFile(dir, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}, func() error {
			if st, err := os.Lstat(dir); err == nil && !st.IsDir() {
				if err := os.Remove(dir); err != nil {
					return err
				}
			}
			return back()
		}
}

// liar puts a script where the program at path was: it does part of the
// program's job (or something else) and answers as the program would have,
// so the stack says "done". The real program moves to path.ovacts-real,
// which the script names REAL; restoring moves it back.
func liar(path, script string) (func(t *testing.T), func() error) {
	real := path + ".ovacts-real"
	return func(t *testing.T) {
			t.Helper()
			if err := os.Rename(path, real); err != nil {
				t.Fatalf("breaking the stack: %v", err)
			}
			if err := os.WriteFile(path, []byte(strings.ReplaceAll(script, "REAL", real)), 0o755); err != nil {
				t.Fatal(err)
			}
		}, func() error {
			if _, err := os.Lstat(real); err != nil {
				return nil // not broken, or already restored
			}
			if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
				return err
			}
			return os.Rename(real, path)
		}
}

// The lying components: each says it did its work and did not (or did
// something else). The requirement that claims the work must fail, naming
// what it observed outside libvirt.
const (
	// iptables that answers yes to the masquerade rules and leaves them out.
	iptablesWithoutMasquerade = `#!/bin/bash
for a in "$@"; do [ "$a" = MASQUERADE ] && exit 0; done
exec -a iptables REAL "$@"
`
	// dnsmasq that serves DNS and no DHCP: its configuration's dhcp lines left out.
	dnsmasqWithoutDHCP = `#!/bin/bash
args=()
for a in "$@"; do
  case "$a" in
    --conf-file=*)
      conf=$(mktemp /run/ovacts-liar-dnsmasq.XXXXXX)
      grep -v '^dhcp' "${a#--conf-file=}" > "$conf"; chmod 644 "$conf"
      args+=("--conf-file=$conf") ;;
    *) args+=("$a") ;;
  esac
done
exec REAL "${args[@]}"
`
	// qemu-img that creates a qcow2 image without the backing file it is given.
	qemuImgWithoutBacking = `#!/bin/bash
[ "$1" = create ] || exec REAL "$@"
args=(); skip=
for a in "$@"; do
  if [ -n "$skip" ]; then
    skip=
    if [ "$last" = -o ]; then
      a=$(printf '%s' "$a" | tr ',' '\n' | grep -v '^backing_' | paste -sd,)
      [ -n "$a" ] || { unset 'args[-1]'; continue; }
    else
      continue
    fi
  fi
  case "$a" in
    -b|-F) skip=1; last=$a; continue ;;
    -o) skip=1; last=$a ;;
  esac
  args+=("$a")
done
exec REAL "${args[@]}"
`
	// qemu-img that makes a raw file of the size asked for, whatever the format.
	qemuImgRawForQcow2 = `#!/bin/bash
[ "$1" = create ] || exec REAL "$@"
file=; size=; skip=
for a in "${@:2}"; do
  if [ -n "$skip" ]; then skip=; continue; fi
  case "$a" in
    -f|-o|-b|-F) skip=1 ;;
    -*) ;;
    *) if [ -z "$file" ]; then file=$a; else size=$a; fi ;;
  esac
done
exec REAL create -f raw "$file" "$size"
`
	// swtpm that keeps the TPM's state in a directory of its own, not
	// where it was told to (--tpmstate dir=... as libvirt starts it,
	// backend-uri=dir://... as swtpm_setup does). It runs as the swtpm user,
	// who may write in /tmp.
	swtpmStateElsewhere = `#!/bin/bash
args=(); next=
for a in "$@"; do
  if [ -n "$next" ]; then
    next=
    d=$(mktemp -d /tmp/ovacts-liar-swtpm.XXXXXX); chmod 777 "$d"
    a=$(printf '%s' "$a" | sed "s#^dir=[^,]*#dir=$d#; s#backend-uri=dir://[^,]*#backend-uri=dir://$d#")
  fi
  [ "$a" = --tpmstate ] && next=1
  args+=("$a")
done
exec REAL "${args[@]}"
`
	// QEMU that gives each NIC another MAC address than the one it is given.
	qemuOtherMAC = `#!/bin/bash
args=()
for a in "$@"; do
  args+=("$(printf '%s' "$a" | sed 's/"mac":"52:54:00:/"mac":"52:54:0e:/; s/mac=52:54:00:/mac=52:54:0e:/')")
done
exec -a "$0" REAL "${args[@]}"
`
)

var faults = []fault{
	{
		name: "/dev/kvm usable by root only", profile: "full",
		tags:     "@req:CONN-018 or @req:KVM-009 or @req:KVM-002",
		covering: "CONN-018", cause: "Could not access KVM kernel module: Permission denied", blocked: []string{"KVM-009"},
		needs: needsUsableKVMFact,
		breakIt: func(t *testing.T) {
			if err := os.Chmod("/dev/kvm", 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown("/dev/kvm", 0, 0); err != nil {
				t.Fatal(err)
			}
		},
		restore: func() error {
			return errors.Join(exec.Command("chgrp", "kvm", "/dev/kvm").Run(), os.Chmod("/dev/kvm", 0o660))
		},
	},
	{
		name: "no QEMU for the host's architecture", profile: "full",
		tags:     "@req:CONN-019 or @req:CONN-018 or @req:DOM-001 or @req:DOM-003",
		covering: "CONN-019", cause: `no hvm guest of the host's architecture "x86_64", only i686`, blocked: []string{"CONN-018", "DOM-001", "DOM-003"},
	},
	{
		name: "domain definitions cannot be stored", profile: "full",
		tags:     "@req:DOM-001 or @req:DOM-002 or @req:XML-002",
		covering: "DOM-001", cause: "cannot create config directory '/etc/libvirt/qemu'", blocked: []string{"DOM-002", "XML-002"},
	},
	{
		name: "secrets cannot be stored", profile: "full",
		tags:     "@req:SEC-001 or @req:SEC-002 or @req:ERR-004",
		covering: "SEC-001", cause: "Failed to create file '/etc/libvirt/secrets/", blocked: []string{"SEC-002", "ERR-004"},
	},
	{
		name: "no pseudo-terminals for guest consoles", profile: "full",
		tags:     "@req:GUEST-001 or @req:GUEST-003 or @req:GUEST-006",
		covering: "GUEST-001", cause: "Failed to create PTY: Permission denied", blocked: []string{"GUEST-003", "GUEST-006"},
		breakIt: func(t *testing.T) {
			if err := os.Rename("/dev/ptmx", "/dev/ptmx.ovacts-broken"); err != nil {
				t.Fatal(err)
			}
			// What a broken container setup leaves: /dev/ptmx pointing at a
			// devpts ptmx nobody may open.
			if err := os.Symlink("/dev/pts/ptmx", "/dev/ptmx"); err != nil {
				t.Fatal(err)
			}
		},
		restore: restorePtmx,
	},
	{
		// libvirt runs dnsmasq for every network with an address; without it
		// no such network starts.
		name: "no dnsmasq for networks", profile: "full",
		tags:     "@req:NET-001",
		covering: "NET-001", cause: "Unable to find 'dnsmasq' binary",
	},
	// The lying components.
	{
		name: "iptables leaves out the masquerade rules it says it added", profile: "full",
		tags: "@req:NET-003", covering: "NET-003", cause: "no masquerade rule for",
	},
	{
		name: "dnsmasq serves no DHCP", profile: "full",
		tags: "@req:GUEST-011", covering: "GUEST-011", cause: "no IPv4 lease",
	},
	{
		name: "qemu-img leaves out the backing file", profile: "full",
		tags: "@req:STOR-010", covering: "STOR-010", cause: "names no backing file",
	},
	{
		name: "qemu-img makes a raw file for a qcow2 volume", profile: "full",
		tags: "@req:STOR-006", covering: "STOR-006", cause: "not a qcow2 image",
	},
	{
		name: "swtpm keeps the TPM state elsewhere", profile: "full",
		tags: "@req:FW-002", covering: "FW-002", cause: "the TPM's permanent state is not on the host",
	},
	{
		name: "QEMU gives the NIC another MAC address", profile: "full",
		tags: "@req:NET-010", covering: "NET-010", cause: "no lease for the guest's MAC",
	},
	{
		name: "no supermin to build the libguestfs appliance", profile: "libguestfs",
		tags:     "@req:GFS-001 or @req:GFS-003 or @req:GFS-006 or @req:GFS-011",
		covering: "GFS-003", cause: "/usr/bin/supermin exited with error status 127", blocked: []string{"GFS-006", "GFS-011"},
	},
}

func init() {
	// The faults whose break and restore are a move aside.
	for i := range faults {
		switch faults[i].covering {
		case "CONN-019":
			faults[i].breakIt, faults[i].restore = moveAside("/usr/bin/qemu-system-x86_64")
		case "DOM-001":
			faults[i].breakIt, faults[i].restore = replaceDirByFile("/etc/libvirt/qemu")
		case "SEC-001":
			faults[i].breakIt, faults[i].restore = replaceDirByFile("/etc/libvirt/secrets")
		case "GFS-003":
			faults[i].breakIt, faults[i].restore = moveAside("/usr/bin/supermin")
		case "NET-001":
			faults[i].breakIt, faults[i].restore = moveAside("/usr/sbin/dnsmasq")
		case "NET-003":
			faults[i].breakIt, faults[i].restore = liar("/usr/sbin/iptables", iptablesWithoutMasquerade)
		case "GUEST-011":
			faults[i].breakIt, faults[i].restore = liar("/usr/sbin/dnsmasq", dnsmasqWithoutDHCP)
		case "STOR-010":
			faults[i].breakIt, faults[i].restore = liar("/usr/bin/qemu-img", qemuImgWithoutBacking)
		case "STOR-006":
			faults[i].breakIt, faults[i].restore = liar("/usr/bin/qemu-img", qemuImgRawForQcow2)
		case "FW-002":
			faults[i].breakIt, faults[i].restore = liar("/usr/bin/swtpm", swtpmStateElsewhere)
		case "NET-010":
			faults[i].breakIt, faults[i].restore = liar("/usr/bin/qemu-system-x86_64", qemuOtherMAC)
		}
	}
}

// restorePtmx makes /dev/ptmx the character device 5:2, mode 0666, again.
func restorePtmx() error {
	if st, err := os.Lstat("/dev/ptmx"); err == nil && st.Mode()&os.ModeCharDevice != 0 {
		os.Remove("/dev/ptmx.ovacts-broken")
		return nil
	}
	os.Remove("/dev/ptmx")
	if err := os.Rename("/dev/ptmx.ovacts-broken", "/dev/ptmx"); err == nil {
		return nil
	}
	return syscall.Mknod("/dev/ptmx", syscall.S_IFCHR|0o666, 5<<8|2)
}

// The suite catches a broken stack: this machine's stack is broken in every
// way its measured facts allow (at least six on any host of this kind), one
// at a time. Each time the run exits 1, the requirement that covers the
// broken part fails naming the cause, the scenarios that need it are blocked
// by it (not passed, not skipped), verify refuses the signed bundle, and
// nothing is left behind. The stack is restored after each, even when the
// test fails.
func TestRealStackCatchesBrokenStacks(t *testing.T) {
	start := time.Now()
	dir := t.TempDir()
	key := filepath.Join(dir, "k")
	if r := ovacts(t, "keygen", "--out", key); r.code != 0 {
		t.Fatal(r.stderr)
	}
	facts := harness.MeasureHost()
	ran := 0
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			if f.needs != nil {
				if why := f.needs(facts); why != "" {
					t.Skip(why)
				}
			}
			ran++
			t.Cleanup(func() {
				if err := f.restore(); err != nil {
					t.Errorf("restoring the stack: %v", err)
				}
			})
			f.breakIt(t)
			bundle := filepath.Join(t.TempDir(), "bundle")
			r := ovacts(t, "run", "--uri", realURI, "--profile", f.profile, "--tags", f.tags, "--fail-on", "should",
				"--bundle", bundle, "--sign-key", key+".key", "--vendor", "ovacts CI", "--product-name", "broken stack", "--product-version", "1")
			if err := f.restore(); err != nil {
				t.Fatalf("restoring the stack: %v", err)
			}
			left, _ := filepath.Glob("/run/ovacts-liar-*") // what a lying component made
			inTmp, _ := filepath.Glob("/tmp/ovacts-liar-*")
			left = append(left, inTmp...)
			for _, p := range left {
				os.RemoveAll(p)
			}
			t.Logf("%s:\n%s", f.name, r.stdout)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			res := junitCases(t, filepath.Join(bundle, "junit.xml"))
			checkReportReaders(t, r.stdout, filepath.Join(bundle, "junit.xml"), "junit", filepath.Join(bundle, "cucumber.json"))
			if got := res[f.covering]; got.status != "failed" || !strings.Contains(got.text, f.cause) {
				t.Errorf("%s: %s %q, want failed naming %q", f.covering, got.status, got.text, f.cause)
			}
			for _, id := range f.blocked {
				if got := res[id]; got.status != "blocked" || !strings.Contains(got.text, "("+f.covering+" failed)") {
					t.Errorf("%s: %s %q, want blocked by %s", id, got.status, got.text, f.covering)
				}
			}
			for id, got := range res {
				if got.status == "passed" && (id == f.covering || contains(f.blocked, id)) {
					t.Errorf("%s passed on a stack broken by %q", id, f.name)
				}
			}
			v := ovacts(t, "verify", bundle, "--pubkey", key+".pub", "--fail-on", "should")
			if v.code != 1 || !strings.Contains(v.stdout, "not conformant") || !strings.Contains(v.stdout, f.covering) {
				t.Errorf("verify of the broken stack's bundle: exit %d\n%s", v.code, v.stdout)
			}
			assertClean(t, "after "+f.name)
		})
	}
	if ran < 6 {
		t.Errorf("only %d faults ran on this host, want at least six", ran)
	}
	t.Logf("%d faults in %s", ran, time.Since(start).Round(time.Second))
	// The stack is whole again: a kvm domain starts, the x86_64 QEMU is offered.
	conn, err := harness.Open(realURI)
	if err != nil {
		t.Fatal(err)
	}
	defer harness.CloseChecked(conn)
	caps, err := conn.GetCapabilities()
	if err != nil || !strings.Contains(caps, "<arch name='x86_64'>") {
		t.Errorf("after the restores the capabilities offer no x86_64 guest: %v", err)
	}
	if st, err := os.Stat("/dev/ptmx"); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		t.Errorf("/dev/ptmx is not restored: %v", err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

type caseResult struct{ status, text string }

// junitCases reads a report's outcome per requirement: failed (the failure
// text), the category of a <skipped> (its text), or passed.
func junitCases(t *testing.T, path string) map[string]caseResult {
	t.Helper()
	out := map[string]caseResult{}
	for _, s := range readJUnit(t, path).Suites {
		for _, c := range s.Cases {
			id := strings.Fields(c.Name)[0]
			switch {
			case c.Failure != nil:
				out[id] = caseResult{"failed", c.Failure.Text}
			case c.Error != nil:
				out[id] = caseResult{"error", ""}
			case c.Skipped != nil:
				word, _, _ := strings.Cut(c.Skipped.Text, " ")
				out[id] = caseResult{strings.TrimSuffix(word, ":"), c.Skipped.Text}
			default:
				out[id] = caseResult{"passed", ""}
			}
		}
	}
	return out
}
