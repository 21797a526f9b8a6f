// The Tracker records in the ledger before it creates, and adopts nothing
// that was there before.

package harness

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// The ledger has the entry before the create call runs, so a crash inside the
// call leaves a record.
func TestTrackerRecordsBeforeCreating(t *testing.T) {
	reg := RunRegistry{Dir: t.TempDir()}
	l, err := reg.OpenLedger(NewRunID())
	if err != nil {
		t.Fatal(err)
	}
	tr := NewTracker(nil, l, "host:x")
	r := Resource{Kind: KindDomain, Name: "ovacts-abcdefgh-s1-vm", UUID: NewUUID()}
	err = tr.Create(r, func() (string, error) {
		f, err := os.Open(l.path)
		if err != nil {
			return "", err
		}
		defer f.Close()
		entries, err := readLedger(f)
		if err != nil || len(entries) != 1 || entries[0].Resource != r || entries[0].Stack != "host:x" {
			return "", fmt.Errorf("ledger at create time: %+v, %v", entries, err)
		}
		return "", nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A create that fails because something is already at the path does not
// make that thing the run's.
func TestTrackerDoesNotAdoptWhatWasThere(t *testing.T) {
	tr := NewTracker(nil, nil, "")
	dir := filepath.Join(t.TempDir(), "ovacts-abcdefgh-s1-scratch")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := tr.Create(Resource{Kind: KindDir, Path: dir}, func() (string, error) { return "", os.Mkdir(dir, 0o700) }); err == nil {
		t.Fatal("mkdir over an existing directory succeeded")
	}
	if err := tr.Cleanup(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatal("cleanup removed a directory the run did not make")
	}
}
