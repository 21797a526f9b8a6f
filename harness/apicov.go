package harness

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ovacts/ovacts/internal/apicov"
	"github.com/ovacts/ovacts/internal/safeio"
)

// API coverage: which of libvirt's public functions the scenarios enter.
// libvirt's client library logs every public API entry at debug level
// (LIBVIRT_LOG_FILTERS="1:libvirt"), with the time and the calling thread.
// A call is the harness's, not a scenario's, when it is made before the
// scenarios start or after they end (sweep, probes, shared fixtures'
// removal), or on a thread that only the harness uses while they run: the
// event loop's, and the threads that run scenarios' cleanup. The functions
// are libvirt's own list (libvirt-api.xml and its admin, QEMU and LXC
// siblings, from libvirt-dev); nothing is listed by hand.

// apiCoverage follows one run's libvirt calls: where libvirt logs them, the
// scenarios' window and the harness's threads.
type apiCoverage struct {
	log        string
	mu         sync.Mutex
	start, end time.Time
	tids       map[int]string // harness threads -> what they do
	jobs       chan func()
}

// eventLoopTID is the thread pumping libvirt's event loop (one per process).
var eventLoopTID atomic.Int64

func newAPICoverage(log string, workers int) *apiCoverage {
	c := &apiCoverage{log: log, tids: map[int]string{}, jobs: make(chan func())}
	if tid := eventLoopTID.Load(); tid != 0 {
		c.tids[int(tid)] = "event loop"
	}
	ready := make(chan struct{})
	for range max(workers, 1) {
		go func() {
			runtime.LockOSThread() // never unlocked: the thread is the harness's for good
			c.mu.Lock()
			c.tids[syscall.Gettid()] = "cleanup"
			c.mu.Unlock()
			ready <- struct{}{}
			for job := range c.jobs {
				job()
			}
		}()
	}
	for range max(workers, 1) {
		<-ready
	}
	return c
}

// onHarnessThread runs fn on one of the harness's own threads.
func (c *apiCoverage) onHarnessThread(fn func()) {
	done := make(chan struct{})
	c.jobs <- func() { fn(); close(done) }
	<-done
}

// mark records the start or the end of the scenarios, a few milliseconds
// apart from any call before or after it (libvirt logs milliseconds).
func (c *apiCoverage) mark(start bool) {
	time.Sleep(3 * time.Millisecond)
	now := time.Now()
	time.Sleep(3 * time.Millisecond)
	c.mu.Lock()
	defer c.mu.Unlock()
	if start {
		c.start = now
	} else {
		c.end = now
	}
}

// logLine is a public API entry in libvirt's debug log:
// "2026-11-29 04:10:55.460+0000: 719: debug : virDomainCreate:123 : dom=...".
var logLine = regexp.MustCompile(`^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}[+-]\d{4}): (\d+): debug : (vir[A-Za-z0-9]+):\d+ : `)

// Entries counts the public functions entered, by the scenarios and by the
// harness.
func (c *apiCoverage) Entries(public map[string]bool) (scenario, harness map[string]int, err error) {
	f, err := os.Open(c.log)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	return countEntries(f, public, c.start, c.end, c.tids)
}

func countEntries(r io.Reader, public map[string]bool, start, end time.Time, harnessTIDs map[int]string) (scenario, harness map[string]int, err error) {
	scenario, harness = map[string]int{}, map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		m := logLine.FindStringSubmatch(sc.Text())
		if m == nil || !public[m[3]] {
			continue
		}
		at, err := time.Parse("2006-01-02 15:04:05.000-0700", m[1])
		if err != nil {
			continue
		}
		tid, _ := strconv.Atoi(m[2])
		if _, ours := harnessTIDs[tid]; ours || at.Before(start) || !at.Before(end) {
			harness[m[3]]++
		} else {
			scenario[m[3]]++
		}
	}
	return scenario, harness, sc.Err()
}

// markScenarios marks the start and the end of the scenarios for
// --api-coverage, whose harness threads start with them.
func (r *runner) markScenarios(start bool) {
	if r.cfg.APILog == "" {
		return
	}
	if r.cov == nil {
		r.cov = newAPICoverage(r.cfg.APILog, r.cfg.Concurrency)
	}
	r.cov.mark(start)
}

// writeAPICoverage writes the run's API coverage (--api-coverage).
func (r *runner) writeAPICoverage() error {
	if r.cov == nil || r.cfg.APICoverage == "" {
		return nil
	}
	api, err := apicov.LoadAPI(apicov.APIDir)
	if err != nil {
		return err
	}
	public := map[string]bool{}
	for _, f := range api {
		public[f.Name] = true
	}
	scenario, harness, err := r.cov.Entries(public)
	if err != nil {
		return err
	}
	if len(scenario)+len(harness) == 0 {
		return fmt.Errorf("libvirt logged no API call to %s: it was initialised before its log was set", r.cov.log)
	}
	rep := apicov.CoverageOf(api, scenario, harness)
	rep.URI, rep.Profile, rep.Tags = RedactURI(r.cfg.URI), r.cfg.Profile, r.cfg.Tags
	if r.caps != nil {
		rep.Libvirt = r.caps.LibvirtDaemon
	}
	err = safeio.WriteAtomic(r.cfg.APICoverage, 0o644, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	})
	if err == nil {
		fmt.Fprintf(r.cfg.Progress, "api coverage: %d of %d public functions of libvirt entered by the scenarios (%.1f%%): %s\n",
			rep.Scenarios, rep.Functions, rep.Percent, r.cfg.APICoverage)
	}
	return err
}
