package harness

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ovacts/ovacts/internal/safeio"
)

// A run's ledger is the only proof that an object is the suite's. Before every
// create call the run appends what it is about to create (kind, name, and the
// UUID or path it chose) to <state>/ledger/<runid>.jsonl and syncs it, so a
// crash between the record and the create leaves a record, never an orphan.
// A sweep removes only objects listed in the ledger of a dead run whose name
// and UUID (or path) still match; a name pattern never makes an object ours.
//
// The run holds an exclusive flock on its ledger while it lives: a sweep that
// cannot take the lock leaves the ledger alone, whatever the registry says.

// Entry is one line of a ledger: an object, or (Gone) the end of one.
type Entry struct {
	Seq   int    `json:"seq"`
	Stack string `json:"stack,omitempty"` // the stack's key (StackKey), or LocalStack() for files of this host
	Resource
	Gone bool      `json:"gone,omitempty"`
	Time time.Time `json:"time,omitzero"`
}

// LocalStack is the stack key of files and directories on this host:
// "local:" and the host's machine id (else its host name), so that an entry
// names one host and never matches every stack. Earlier versions wrote the
// bare "local", which no stack matches any more (legacyLocalStack).
func LocalStack() string {
	if b, err := safeio.ReadRegular("/etc/machine-id", 4096); err == nil {
		if id := strings.TrimSpace(string(b)); id != "" {
			return "local:" + id
		}
	}
	return "local:host:" + ThisHost()
}

// legacyLocalStack is the stack key earlier versions wrote for this host's
// files: it names no stack, so its entries are never acted on.
const legacyLocalStack = "local"

// isLocalKey says whether a stack key names some host's files.
func isLocalKey(stack string) bool {
	return stack == legacyLocalStack || strings.HasPrefix(stack, "local:")
}

// ErrLedgerRefused: a ledger file that someone other than root or this user
// owns, or that group or others may write, is never read nor acted on.
var ErrLedgerRefused = errors.New("ledger refused")

// checkLedgerFile accepts an open ledger only when root or the running user
// owns it and no one else may write it: anyone who can write a ledger can
// name what a sweep removes.
func checkLedgerFile(f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("%w: its owner cannot be read", ErrLedgerRefused)
	}
	if me := uint32(os.Geteuid()); sys.Uid != 0 && sys.Uid != me {
		return fmt.Errorf("%w: owned by uid %d, neither root nor this user (uid %d)", ErrLedgerRefused, sys.Uid, me)
	}
	if st.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("%w: writable by group or others (%s)", ErrLedgerRefused, st.Mode().Perm())
	}
	return nil
}

// maxLedger bounds a ledger read back: a full run writes a few hundred lines.
const maxLedger = 16 << 20

// Ledger appends a run's entries. Safe for concurrent use; a nil *Ledger
// records nothing (the suite's self-tests).
type Ledger struct {
	run  string
	path string
	mu   sync.Mutex
	f    *os.File
	seq  int
	open int // entries not yet gone
	// domains are the names of the domains the run recorded: their QEMU logs
	// are the run's to remove at its end.
	domains []string
	// onStack counts the domains recorded per stack key.
	onStack map[string]int
}

func (r RunRegistry) ledgerDir() string { return filepath.Join(r.Dir, "ledger") }

func (r RunRegistry) ledgerPath(runID string) string {
	return filepath.Join(r.ledgerDir(), runID+".jsonl")
}

// OpenLedger creates the run's ledger and takes its lock for the run's life.
func (r RunRegistry) OpenLedger(runID string) (*Ledger, error) {
	if !runIDPattern.MatchString(runID) {
		return nil, fmt.Errorf("invalid run id %q", runID)
	}
	if err := r.Check(); err != nil {
		return nil, err
	}
	p := r.ledgerPath(runID)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("ledger %s: locking: %w", p, err)
	}
	return &Ledger{run: runID, path: p, f: f}, nil
}

// Run is the ledger's run id ("" for a nil ledger).
func (l *Ledger) Run() string {
	if l == nil {
		return ""
	}
	return l.run
}

// Path is the ledger's file.
func (l *Ledger) Path() string {
	if l == nil {
		return ""
	}
	return l.path
}

func (l *Ledger) write(e Entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if _, err := l.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("ledger %s: %w", l.path, err)
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("ledger %s: %w", l.path, err)
	}
	return nil
}

// Record appends an object the run is about to create and returns its number.
func (l *Ledger) Record(stack string, res Resource) (int, error) {
	if l == nil {
		return 0, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	if err := l.write(Entry{Seq: l.seq, Stack: stack, Resource: res, Time: time.Now().UTC()}); err != nil {
		return 0, err
	}
	l.open++
	if res.Kind == KindDomain {
		l.domains = append(l.domains, res.Name)
		if l.onStack == nil {
			l.onStack = map[string]int{}
		}
		l.onStack[stack]++
	}
	return l.seq, nil
}

// NoteDomainLog adds a domain the stack made for the run (libguestfs's
// appliance, named by libguestfs) to those whose QEMU log the run removes
// at its end. The domain itself is transient and goes with its handle.
func (l *Ledger) NoteDomainLog(name string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.domains = append(l.domains, name)
}

// DomainsOn counts the domains the run recorded on the stack with key stack.
func (l *Ledger) DomainsOn(stack string) int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.onStack[stack]
}

// DomainNames lists the domains the run recorded.
func (l *Ledger) DomainNames() []string {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.domains...)
}

// Confirm completes an entry with what the stack chose (the UUID of an
// object defined without one).
func (l *Ledger) Confirm(seq int, stack string, res Resource) error {
	if l == nil || seq == 0 {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.write(Entry{Seq: seq, Stack: stack, Resource: res, Time: time.Now().UTC()})
}

// Resolve records that an entry's object is gone.
func (l *Ledger) Resolve(seq int) error {
	if l == nil || seq == 0 {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.write(Entry{Seq: seq, Gone: true}); err != nil {
		return err
	}
	l.open--
	return nil
}

// Close releases the ledger; when every entry is gone the file goes too.
// Otherwise it stays for the next sweep (or ovacts cleanup).
func (l *Ledger) Close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	var err error
	if l.open <= 0 {
		err = os.Remove(l.path)
	}
	err = errors.Join(err, l.f.Close())
	l.f = nil
	return err
}

// Remaining is the number of entries whose object was not removed (yet).
func (l *Ledger) Remaining() int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open
}

// readLedger folds a ledger's lines by entry number: a later line completes
// or ends an earlier one. Entries come back in creation order.
func readLedger(r io.Reader) ([]Entry, error) {
	byseq := map[int]*Entry{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var e Entry
		if err := json.Unmarshal(b, &e); err != nil {
			// A line cut short by a crash can only be the last one.
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if e.Seq <= 0 {
			return nil, fmt.Errorf("line %d: no entry number", line)
		}
		if e.Gone {
			if prev := byseq[e.Seq]; prev != nil {
				prev.Gone = true
			}
			continue
		}
		byseq[e.Seq] = &e
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(byseq))
	for _, e := range byseq {
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out, nil
}

// deadLedger is a dead run's ledger, locked for one sweep.
type deadLedger struct {
	run     string
	path    string
	f       *os.File
	entries []Entry
}

// lockDeadLedgers opens every ledger but self's whose run is not alive and
// whose lock is free. A ledger that cannot be read is reported, never swept.
func (r RunRegistry) lockDeadLedgers(self string) ([]*deadLedger, []error) {
	names, err := os.ReadDir(r.ledgerDir())
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, []error{fmt.Errorf("ledgers: %w", err)}
	}
	var out []*deadLedger
	var errs []error
	for _, n := range names {
		run, ok := strings.CutSuffix(n.Name(), ".jsonl")
		if !ok || !runIDPattern.MatchString(run) || run == self || r.Alive(run) {
			continue
		}
		p := r.ledgerPath(run)
		f, _, err := safeio.OpenRegular(p, maxLedger)
		if err != nil {
			errs = append(errs, fmt.Errorf("ledger of run %s: %w", run, err))
			continue
		}
		if err := checkLedgerFile(f); err != nil {
			f.Close()
			errs = append(errs, fmt.Errorf("ledger of run %s (%s): %w; nothing of it is acted on", run, p, err))
			continue
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close() // held: the run (or another sweep) is still at work
			continue
		}
		entries, err := readLedger(f)
		if err != nil {
			f.Close()
			errs = append(errs, fmt.Errorf("ledger of run %s (%s): %w; nothing of it is removed", run, p, err))
			continue
		}
		out = append(out, &deadLedger{run: run, path: p, f: f, entries: entries})
	}
	return out, errs
}

// save rewrites the ledger with the entries still open, or removes it when
// none is, and releases the lock.
func (d *deadLedger) save() error {
	defer d.f.Close()
	var keep []Entry
	for _, e := range d.entries {
		if !e.Gone {
			keep = append(keep, e)
		}
	}
	if len(keep) == 0 {
		return os.Remove(d.path)
	}
	return safeio.WriteAtomic(d.path, 0o600, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		for _, e := range keep {
			if err := enc.Encode(e); err != nil {
				return err
			}
		}
		return nil
	})
}
