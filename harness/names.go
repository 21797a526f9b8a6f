package harness

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
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
// leftovers from a concurrent run's objects. A run is alive while its pid file
// names a live process.
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

// Register marks runID as alive and owned by this process.
func (r RunRegistry) Register(runID string) error {
	if !runIDPattern.MatchString(runID) {
		return fmt.Errorf("invalid run id %q", runID)
	}
	if err := os.MkdirAll(r.Dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(r.file(runID), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
}

// Unregister removes the run's entry.
func (r RunRegistry) Unregister(runID string) { os.Remove(r.file(runID)) }

// Alive reports whether a run is registered here with a live process.
func (r RunRegistry) Alive(runID string) bool {
	b, err := os.ReadFile(r.file(runID))
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && err != syscall.EPERM {
		return false
	}
	return true
}
