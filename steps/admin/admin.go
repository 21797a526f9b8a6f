// The daemon's admin interface (features/admin): version and URI, servers and
// their worker pools, the clients connected (the suite's own among them),
// reversible changes of limits and logging, and closing a client. The calls
// run in the admin helper (harness.Admin).

package admin

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ovacts/ovacts/harness"
	"github.com/ovacts/ovacts/steps/stepkit"
	"libvirt.org/go/libvirt"
)

// adminState is what a scenario keeps of the admin interface: settings as
// they were before it changed them, and as it gave them.
type adminState struct {
	before, given map[string]string
}

func (w *world) adminSt() *adminState { return stepkit.State[adminState](w.World) }

// adminNow asks the admin interface for the daemon's state.
func (w *world) adminNow(ctx context.Context) (*harness.AdminState, error) {
	if w.Admin == nil {
		return nil, errors.New("the run found no admin interface")
	}
	return w.Admin.State(ctx)
}

func adminAnswersVersionAndURI(ctx context.Context) error {
	w := W(ctx)
	st, err := w.adminNow(ctx)
	if err != nil {
		return err
	}
	want, err := w.Conn.GetLibVersion()
	if err != nil {
		return err
	}
	switch {
	case st.LibVersion != uint64(want):
		return fmt.Errorf("the admin interface answers libvirt %d, the daemon %d", st.LibVersion, want)
	case st.URI != w.Admin.URI:
		return fmt.Errorf("the admin connection's URI is %q, want %q", st.URI, w.Admin.URI)
	case !st.Alive:
		return errors.New("the admin connection is not alive")
	case st.ClientVersion == 0:
		return errors.New("the admin library answers no version of its own")
	case st.RefsAtClose != 0:
		return fmt.Errorf("closing the admin connection left %d references", st.RefsAtClose)
	}
	return nil
}

func adminServersListed(ctx context.Context) error {
	st, err := W(ctx).adminNow(ctx)
	if err != nil {
		return err
	}
	if len(st.Servers) == 0 {
		return errors.New("the daemon lists no server")
	}
	for _, s := range st.Servers {
		p, l := s.Pool, s.Limits
		switch {
		case s.LookedUpName != s.Name:
			return fmt.Errorf("server %q, found by its name, is %q", s.Name, s.LookedUpName)
		case len(s.Errors) > 0:
			return fmt.Errorf("server %q: %v", s.Name, s.Errors)
		case p["minWorkers"] > p["nWorkers"] || p["nWorkers"] > p["maxWorkers"] || p["freeWorkers"] > p["nWorkers"] || p["maxWorkers"] == 0:
			return fmt.Errorf("server %q: its worker pool is out of order: %v", s.Name, p)
		case l["nclients"] > l["nclients_max"] || l["nclients_max"] == 0:
			return fmt.Errorf("server %q: its client counts are out of order: %v", s.Name, l)
		}
	}
	return nil
}

// mainServer is the daemon's server of libvirt connections (not "admin").
func mainServer(st *harness.AdminState) (*harness.AdminServer, error) {
	for i := range st.Servers {
		if st.Servers[i].Name != "admin" {
			return &st.Servers[i], nil
		}
	}
	return nil, errors.New("the daemon has no server but admin")
}

// ourClients are the main server's clients that are this process.
func ourClients(s *harness.AdminServer) map[uint64]harness.AdminClient {
	out := map[uint64]harness.AdminClient{}
	for _, c := range s.Clients {
		if c.PID == os.Getpid() {
			out[c.ID] = c
		}
	}
	return out
}

func adminListsOurClient(ctx context.Context) error {
	st, err := W(ctx).adminNow(ctx)
	if err != nil {
		return err
	}
	s, err := mainServer(st)
	if err != nil {
		return err
	}
	for id, c := range ourClients(s) {
		since := time.Since(time.Unix(c.Timestamp, 0))
		switch {
		case c.Transport != "unix":
			return fmt.Errorf("client %d of this process connected over %q, want unix", id, c.Transport)
		case c.LookedUpID != id:
			return fmt.Errorf("looking up client %d gives client %d", id, c.LookedUpID)
		case since < -time.Minute || since > 24*time.Hour:
			return fmt.Errorf("client %d connected %s ago", id, since)
		}
		return nil
	}
	return fmt.Errorf("no client of server %q is this process (pid %d): %+v", s.Name, os.Getpid(), s.Clients)
}

var adminLimits = map[string]struct{ op, name string }{
	"maximum workers": {"set-workers", "maxWorkers"}, "maximum clients": {"set-clients", "nclients_max"},
}

func (w *world) readLimit(ctx context.Context, what string) (string, uint, error) {
	st, err := w.adminNow(ctx)
	if err != nil {
		return "", 0, err
	}
	s, err := mainServer(st)
	if err != nil {
		return "", 0, err
	}
	m := s.Pool
	if what == "maximum clients" {
		m = s.Limits
	}
	v, ok := m[adminLimits[what].name]
	if !ok {
		return "", 0, fmt.Errorf("server %q answers no %s: %v %v", s.Name, what, s.Errors, m)
	}
	return s.Name, v, nil
}

func (w *world) setLimit(ctx context.Context, server, what string, v uint) error {
	return w.Admin.Do(ctx, adminLimits[what].op, server, strconv.FormatUint(uint64(v), 10))
}

// adminChangeLimit raises a limit by one; cleanup puts back the old value
// if the scenario has not.
func adminChangeLimit(ctx context.Context, what string) error {
	w := W(ctx)
	st := w.adminSt()
	server, v, err := w.readLimit(ctx, what)
	if err != nil {
		return err
	}
	w.Remember(&st.before, what, strconv.FormatUint(uint64(v), 10))
	w.Remember(&st.given, what, strconv.FormatUint(uint64(v+1), 10))
	w.Tracker.Defer("the daemon's "+what, func() error {
		if _, cur, err := w.readLimit(context.Background(), what); err != nil || cur == v {
			return err
		}
		return w.setLimit(context.Background(), server, what, v)
	})
	return w.setLimit(ctx, server, what, v+1)
}

func adminHasLimit(ctx context.Context, what string) error {
	w := W(ctx)
	_, v, err := w.readLimit(ctx, what)
	if err != nil {
		return err
	}
	if want := w.adminSt().given[what]; strconv.FormatUint(uint64(v), 10) != want {
		return fmt.Errorf("the %s of the daemon's server is %d, want %s", what, v, want)
	}
	return nil
}

func adminRestoreLimit(ctx context.Context, what string) error {
	w := W(ctx)
	st := w.adminSt()
	v, err := strconv.ParseUint(st.before[what], 10, 32)
	if err != nil {
		return fmt.Errorf("the scenario did not change the %s", what)
	}
	server, _, err := w.readLimit(ctx, what)
	if err != nil {
		return err
	}
	w.Remember(&st.given, what, st.before[what])
	return w.setLimit(ctx, server, what, uint(v))
}

// suiteFilter matches no source of libvirt's: adding it changes no log.
const suiteFilter = "1:ovacts_conformance"

// hasSuiteFilter finds suiteFilter in a daemon's filters, as given or as
// libvirt writes a match back (a glob: "1:*ovacts_conformance*").
func hasSuiteFilter(filters string) bool {
	level, match, _ := strings.Cut(suiteFilter, ":")
	for _, f := range strings.Fields(filters) {
		if l, m, ok := strings.Cut(f, ":"); ok && l == level && strings.Trim(m, "*") == match {
			return true
		}
	}
	return false
}

func adminAddLogFilter(ctx context.Context) error {
	w := W(ctx)
	st, err := w.adminNow(ctx)
	if err != nil {
		return err
	}
	old := st.Filters
	w.Remember(&w.adminSt().before, "filters", old)
	w.Tracker.Defer("the daemon's logging filters", func() error {
		cur, err := w.adminNow(context.Background())
		if err != nil || !hasSuiteFilter(cur.Filters) {
			return err
		}
		return w.Admin.Do(context.Background(), "set-filters", old)
	})
	return w.Admin.Do(ctx, "set-filters", strings.TrimSpace(old+" "+suiteFilter))
}

func adminLogFilters(ctx context.Context, verb string) error {
	st, err := W(ctx).adminNow(ctx)
	if err != nil {
		return err
	}
	if has := hasSuiteFilter(st.Filters); has != (verb == "include") {
		return fmt.Errorf("the daemon's logging filters are %q, want them to %s %s", st.Filters, verb, suiteFilter)
	}
	if strings.TrimSpace(st.Outputs) == "" {
		return errors.New("the daemon names no logging output")
	}
	return nil
}

func adminRestoreLogFilters(ctx context.Context) error {
	w := W(ctx)
	old, ok := w.adminSt().before["filters"]
	if !ok {
		return errors.New("the scenario did not change the logging filters")
	}
	return w.Admin.Do(ctx, "set-filters", old)
}

// adminClosesAClient opens a connection of its own and closes it through the
// admin interface: only a client of this process that appeared with it,
// alone, is taken for it (other scenarios of this process connect too).
func adminClosesAClient(ctx context.Context) error {
	w := W(ctx)
	clients := func() (string, map[uint64]harness.AdminClient, error) {
		st, err := w.adminNow(ctx)
		if err != nil {
			return "", nil, err
		}
		s, err := mainServer(st)
		if err != nil {
			return "", nil, err
		}
		return s.Name, ourClients(s), nil
	}
	for range 3 {
		_, before, err := clients()
		if err != nil {
			return err
		}
		second, err := harness.Open(w.URI())
		if err != nil {
			return err
		}
		server, after, err := clients()
		var fresh []uint64
		for id := range after {
			if _, old := before[id]; !old {
				fresh = append(fresh, id)
			}
		}
		if err != nil || len(fresh) != 1 {
			second.Close()
			continue
		}
		closed := make(chan libvirt.ConnectCloseReason, 1)
		if err := second.RegisterCloseCallback(func(_ *libvirt.Connect, why libvirt.ConnectCloseReason) {
			select {
			case closed <- why:
			default:
			}
		}); err != nil {
			second.Close()
			return err
		}
		if err := w.Admin.Do(ctx, "close-client", server, strconv.FormatUint(fresh[0], 10)); err != nil {
			second.UnregisterCloseCallback()
			second.Close()
			return err
		}
		err = w.Eventually(ctx, func() error {
			if alive, err := second.IsAlive(); err == nil && alive {
				return errors.New("the connection closed through the admin interface is still alive")
			}
			return nil
		})
		if err == nil {
			select {
			case <-closed:
			case <-time.After(10 * time.Second):
				err = errors.New("the close callback of the connection closed through the admin interface was not called within 10 s")
			}
		}
		second.UnregisterCloseCallback()
		second.Close()
		return err
	}
	return errors.New("no connection of its own could be told apart from this process's others, 3 times")
}

func registerAdmin(r *stepkit.Registry) {
	r.Step(`^the admin interface of the daemon answers the daemon's libvirt version and its own URI$`, adminAnswersVersionAndURI)
	r.Step(`^the daemon's servers are listed and found by name, each with a worker pool and client counts in order$`, adminServersListed)
	r.Step(`^the daemon lists this process's connection among its clients, over a UNIX socket$`, adminListsOurClient)
	r.Step(`^I change the (maximum workers|maximum clients) of the daemon's server to one more$`, adminChangeLimit)
	r.Step(`^the daemon's server has the (maximum workers|maximum clients) it was given$`, adminHasLimit)
	r.Step(`^I restore the (maximum workers|maximum clients) of the daemon's server$`, adminRestoreLimit)
	r.Step(`^I add a log filter of the suite to the daemon's logging filters$`, adminAddLogFilter)
	r.Step(`^the daemon's logging filters (include|exclude) the suite's filter, and its logging outputs are named$`, adminLogFilters)
	r.Step(`^I restore the daemon's logging filters$`, adminRestoreLogFilters)
	r.Step(`^a second connection of this process, closed through the admin interface, is no longer alive and its close callback is called$`, adminClosesAClient)
}
