package harness

import (
	"crypto/rand"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// NamePrefix starts the name of every object the suite creates.
const NamePrefix = "ovacts-"

var runIDPattern = regexp.MustCompile(`^[a-z0-9]{8}$`)
var ownedName = regexp.MustCompile(`^ovacts-([a-z0-9]{8})-`)

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

// OwnerRun returns the run id an object name belongs to, if it is one of ours.
func OwnerRun(name string) (string, bool) {
	m := ownedName.FindStringSubmatch(name)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// RunRegistry records live runs on this host, so a sweep can tell a dead run's
// leftovers from a concurrent run's objects. A run is alive while its entry
// names a live process that started when the entry says (a reused pid is not
// the run).
type RunRegistry struct{ Dir string }

// DefaultRunRegistry is /run/ovacts, or a directory under the temp dir when /run is not writable.
func DefaultRunRegistry() RunRegistry {
	if d := os.Getenv("OVACTS_STATE_DIR"); d != "" {
		return RunRegistry{Dir: d}
	}
	for _, d := range []string{"/run/ovacts", filepath.Join(os.TempDir(), "ovacts-runs")} {
		if err := os.MkdirAll(d, 0o755); err == nil {
			if f, err := os.CreateTemp(d, ".probe"); err == nil {
				f.Close()
				os.Remove(f.Name())
				return RunRegistry{Dir: d}
			}
		}
	}
	return RunRegistry{Dir: filepath.Join(os.TempDir(), "ovacts-runs")}
}

func (r RunRegistry) file(runID string) string { return filepath.Join(r.Dir, runID+".pid") }

// procStart returns a process's start time in clock ticks since boot (field 22
// of /proc/PID/stat), which with the pid identifies one process for good.
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

// Register marks runID as alive and owned by this process.
func (r RunRegistry) Register(runID string) error {
	if !runIDPattern.MatchString(runID) {
		return fmt.Errorf("invalid run id %q", runID)
	}
	if err := os.MkdirAll(r.Dir, 0o755); err != nil {
		return err
	}
	start, err := procStart(os.Getpid())
	if err != nil {
		return err
	}
	return os.WriteFile(r.file(runID), []byte(fmt.Sprintf("%d %s\n", os.Getpid(), start)), 0o644)
}

// Unregister removes the run's entry.
func (r RunRegistry) Unregister(runID string) { os.Remove(r.file(runID)) }

// Alive reports whether a run is registered here with its process still alive.
func (r RunRegistry) Alive(runID string) bool {
	b, err := os.ReadFile(r.file(runID))
	if err != nil {
		return false
	}
	var pid int
	var start string
	if n, _ := fmt.Sscan(string(b), &pid, &start); n != 2 || pid <= 0 {
		return false
	}
	now, err := procStart(pid)
	return err == nil && now == start
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
// one: the metadata of a domain, the description of a secret.
type Owner struct {
	Run     string `xml:"run,attr"`
	PID     int    `xml:"pid,attr"`
	Host    string `xml:"host,attr"`
	Started string `xml:"started,attr"`
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
	return Owner{Run: runID, PID: os.Getpid(), Host: ThisHost(), Started: started.UTC().Format(time.RFC3339)}
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
	return fmt.Sprintf("ovacts run %s pid %d host %s started %s", o.Run, o.PID, o.Host, o.Started)
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
	if i := strings.Index(s, "ovacts run "); i >= 0 {
		if n, _ := fmt.Sscanf(s[i:], "ovacts run %s pid %d host %s started %s", &o.Run, &o.PID, &o.Host, &o.Started); n == 4 {
			return o, true
		}
	}
	return Owner{}, false
}
