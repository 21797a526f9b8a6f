package harness

import (
	"crypto/rand"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ovacts/ovacts/internal/safeio"
)

// NamePrefix starts the name of every object the suite creates. A name alone
// never makes an object the suite's: only a run's ledger does (ledger.go).
const NamePrefix = "ovacts-"

var runIDPattern = regexp.MustCompile(`^[a-z0-9]{8}$`)

// NewRunID returns 8 random lowercase base-36 characters.
func NewRunID() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// RunPrefix is "ovacts-<runid>-".
func RunPrefix(runID string) string { return NamePrefix + runID + "-" }

// logicalName is what a feature may call an object: it becomes part of object
// names and file names, so it is one plain name, never a path.
var logicalName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// CheckLogicalName refuses a name from a feature file that is not one plain
// name ("../x", "/etc", "a/b", "" ...).
func CheckLogicalName(name string) error {
	if !logicalName.MatchString(name) || strings.Contains(name, "..") {
		return fmt.Errorf("%q is not a plain name (letters, digits, '.', '_' and '-'; no '/' or '..'): a step argument must not become a path", name)
	}
	return nil
}

// RunRegistry is the suite's state directory on this host: one file per live
// run (<runid>.pid: pid, process start time and boot id, so a reused pid or a
// reboot does not pass for the run) and the runs' ledgers (ledger/). The
// directory is private: 0700 and owned by the user that runs the suite.
type RunRegistry struct{ Dir string }

// DefaultRunRegistry is OVACTS_STATE_DIR, else /var/lib/ovacts for root (it
// outlives a reboot, as persistent objects on the stack do), else the user's
// $XDG_STATE_HOME/ovacts or ~/.local/state/ovacts.
func DefaultRunRegistry() RunRegistry {
	if d := os.Getenv("OVACTS_STATE_DIR"); d != "" {
		return RunRegistry{Dir: d}
	}
	if os.Geteuid() == 0 {
		return RunRegistry{Dir: "/var/lib/ovacts"}
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return RunRegistry{Dir: filepath.Join(d, "ovacts")}
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = os.TempDir()
	}
	return RunRegistry{Dir: filepath.Join(home, ".local", "state", "ovacts")}
}

// Check makes the state directory if missing and refuses one that others
// could forge entries in.
func (r RunRegistry) Check() error {
	if err := safeio.PrivateDir(r.Dir); err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	return safeio.PrivateDir(r.ledgerDir())
}

func (r RunRegistry) file(runID string) string { return filepath.Join(r.Dir, runID+".pid") }

// procStart returns a process's start time in clock ticks since boot (field 22
// of /proc/PID/stat), which with the pid and the boot identifies one process.
func procStart(pid int) (string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", err
	}
	// The command name (field 2) may hold spaces; count fields after its ')'.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 20 {
		return "", fmt.Errorf("short /proc/%d/stat", pid)
	}
	return fields[19], nil
}

// bootID names this boot of the host ("" where the kernel does not say).
func bootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// processAlive says whether pid is the process that started at start during
// this boot.
func processAlive(pid int, start, boot string) bool {
	if pid <= 0 || start == "" || (boot != "" && boot != bootID()) {
		return false
	}
	now, err := procStart(pid)
	return err == nil && now == start
}

// Register marks runID as alive and owned by this process. The entry is
// written whole (a temporary file renamed into place), so a concurrent reader
// never sees it empty.
func (r RunRegistry) Register(runID string) error {
	if !runIDPattern.MatchString(runID) {
		return fmt.Errorf("invalid run id %q", runID)
	}
	if err := r.Check(); err != nil {
		return err
	}
	start, err := procStart(os.Getpid())
	if err != nil {
		return err
	}
	line := fmt.Sprintf("%d %s %s\n", os.Getpid(), start, orDefault(bootID(), "-"))
	return safeio.WriteFileAtomic(r.file(runID), []byte(line), 0o600)
}

// Unregister removes the run's entry.
func (r RunRegistry) Unregister(runID string) { os.Remove(r.file(runID)) }

// Alive reports whether a run may still be alive: registered here with its
// process running. An entry that cannot be read or parsed counts as alive,
// so that nothing of a run is removed on a doubt.
func (r RunRegistry) Alive(runID string) bool {
	b, err := safeio.ReadRegular(r.file(runID), 4096)
	if err != nil {
		return !errors.Is(err, fs.ErrNotExist)
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return true
	}
	pid, err := strconv.Atoi(f[0])
	if err != nil {
		return true
	}
	boot := ""
	if len(f) > 2 && f[2] != "-" {
		boot = f[2]
	}
	return processAlive(pid, f[1], boot)
}

// Prune removes the entries of runs that are no longer alive (killed runs
// cannot unregister themselves).
func (r RunRegistry) Prune() {
	entries, err := os.ReadDir(r.Dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if id, ok := strings.CutSuffix(e.Name(), ".pid"); ok && runIDPattern.MatchString(id) && !r.Alive(id) {
			os.Remove(r.file(id))
		}
	}
}

// Owner is the ownership record an object carries where its type has room for
// one: the metadata of a domain, the description of a secret. It never makes
// an object the suite's by itself; it protects objects whose record does not
// match the ledger, or names a process that is still alive.
type Owner struct {
	Run     string `xml:"run,attr"`
	PID     int    `xml:"pid,attr"`
	Host    string `xml:"host,attr"`
	Started string `xml:"started,attr"`
	// Proc and Boot identify the process for good: its start time in clock
	// ticks since boot, and the boot's id.
	Proc string `xml:"proc,attr,omitempty"`
	Boot string `xml:"boot,attr,omitempty"`
}

// OwnerNamespace is the XML namespace of ovacts' domain metadata.
const OwnerNamespace = "https://ovacts.dev/ns/owner/1"

// ThisHost is the name recorded as an owner's host.
func ThisHost() string {
	h, err := os.Hostname()
	if err != nil {
		return "unknown"
	}
	return h
}

// NewOwner describes this process running runID.
func NewOwner(runID string, started time.Time) Owner {
	o := Owner{Run: runID, PID: os.Getpid(), Host: ThisHost(), Started: started.UTC().Format(time.RFC3339), Boot: bootID()}
	o.Proc, _ = procStart(o.PID)
	return o
}

// Alive says whether the record names a process of this host that is still
// running (the same pid, start time and boot).
func (o Owner) Alive() bool {
	return o.Host == ThisHost() && o.Proc != "" && processAlive(o.PID, o.Proc, o.Boot)
}

// XML renders the owner as the element kept in a domain's metadata.
func (o Owner) XML() string {
	b, _ := xml.Marshal(struct {
		XMLName xml.Name `xml:"owner"`
		Owner
	}{Owner: o})
	return string(b)
}

// Text renders the owner for a description.
func (o Owner) Text() string {
	s := fmt.Sprintf("ovacts run %s pid %d host %s started %s", o.Run, o.PID, o.Host, o.Started)
	if o.Proc != "" {
		s += fmt.Sprintf(" proc %s boot %s", o.Proc, orDefault(o.Boot, "-"))
	}
	return s
}

// ParseOwner reads an owner from XML metadata or from a description.
func ParseOwner(s string) (Owner, bool) {
	var o Owner
	if strings.HasPrefix(strings.TrimSpace(s), "<") {
		if xml.Unmarshal([]byte(s), &o) == nil && o.Run != "" {
			return o, true
		}
		return Owner{}, false
	}
	i := strings.Index(s, "ovacts run ")
	if i < 0 {
		return Owner{}, false
	}
	if n, _ := fmt.Sscanf(s[i:], "ovacts run %s pid %d host %s started %s", &o.Run, &o.PID, &o.Host, &o.Started); n != 4 {
		return Owner{}, false
	}
	var boot string
	if n, _ := fmt.Sscanf(s[i:], "ovacts run %s pid %d host %s started %s proc %s boot %s", new(string), new(int), new(string), new(string), &o.Proc, &boot); n == 6 && boot != "-" {
		o.Boot = boot
	}
	return o, true
}
