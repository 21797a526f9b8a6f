// The admin helper: libvirt 9.0's admin library and its main library cannot
// live in one process (both register the same GLib types: the second
// initialisation crashes), so the suite's admin calls run in a child process,
// `ovacts admin-helper`, which never touches the main library and answers in
// JSON.

package harness

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"libvirt.org/go/libvirt"
)

// AdminState is what the admin interface answers of a daemon, each object
// also looked up again by its name or ID.
type AdminState struct {
	URI           string        `json:"uri"`
	Alive         bool          `json:"alive"`
	LibVersion    uint64        `json:"libVersion"`
	ClientVersion uint64        `json:"clientVersion"`
	Servers       []AdminServer `json:"servers"`
	Filters       string        `json:"filters"`
	Outputs       string        `json:"outputs"`
	RefsAtClose   int           `json:"refsAtClose"`
}

// AdminServer is one of the daemon's servers.
type AdminServer struct {
	Name         string            `json:"name"`
	LookedUpName string            `json:"lookedUpName"` // the name of the server found by Name
	Pool         map[string]uint   `json:"pool"`         // minWorkers, maxWorkers, nWorkers, freeWorkers...
	Limits       map[string]uint   `json:"limits"`       // nclients_max, nclients...
	Clients      []AdminClient     `json:"clients"`
	Errors       map[string]string `json:"errors,omitempty"` // what of the server could not be read, by what
	// Gone counts the listed clients that could not be read: clients come and
	// go (the admin helpers of concurrent scenarios among them).
	Gone int `json:"gone,omitempty"`
}

// AdminClient is a client connected to a server.
type AdminClient struct {
	ID         uint64 `json:"id"`
	LookedUpID uint64 `json:"lookedUpID"` // the ID of the client found by ID
	Transport  string `json:"transport"`
	Timestamp  int64  `json:"timestamp"`
	PID        int    `json:"pid"` // 0 when the daemon does not know it
	ReadOnly   bool   `json:"readOnly"`
}

type adminError struct {
	Code    int    `json:"code"`
	Domain  int    `json:"domain"`
	Message string `json:"message"`
}

// AdminHelperMain is `ovacts admin-helper URI OP [ARGS]`: OP is state,
// set-workers SERVER N, set-clients SERVER N, set-filters FILTERS or
// close-client SERVER ID. It prints the state (for state) or nothing, or
// {"code","domain","message"} of libvirt's error with exit status 1.
func AdminHelperMain(args []string, out io.Writer) int {
	res, err := adminHelper(args)
	if err != nil {
		var lv libvirt.Error
		ae := adminError{Code: -1, Message: err.Error()}
		if errors.As(err, &lv) {
			ae = adminError{Code: int(lv.Code), Domain: int(lv.Domain), Message: lv.Message}
		}
		json.NewEncoder(out).Encode(ae)
		return 1
	}
	if res != nil {
		json.NewEncoder(out).Encode(res)
	}
	return 0
}

func adminHelper(args []string) (*AdminState, error) {
	if len(args) < 2 {
		return nil, errors.New("usage: admin-helper URI OP [ARGS]")
	}
	conn, err := libvirt.NewAdmConnect(args[0], 0)
	if err != nil {
		return nil, err
	}
	op, rest := args[1], args[2:]
	if op == "state" {
		return adminState(conn)
	}
	defer conn.Close()
	want := map[string]int{"set-workers": 2, "set-clients": 2, "set-filters": 1, "close-client": 2}[op]
	if want == 0 || len(rest) != want {
		return nil, fmt.Errorf("admin-helper: unknown operation %q or %d arguments", op, len(rest))
	}
	if op == "set-filters" {
		return nil, conn.SetLoggingFilters(rest[0], 0)
	}
	n, err := strconv.ParseUint(rest[1], 10, 64)
	if err != nil {
		return nil, err
	}
	srv, err := conn.LookupServer(rest[0], 0)
	if err != nil {
		return nil, err
	}
	defer srv.Free()
	switch op {
	case "set-workers":
		return nil, srv.SetThreadPoolParameters(&libvirt.ThreadPoolParameters{MaxWorkersSet: true, MaxWorkers: uint(n)}, 0)
	case "set-clients":
		return nil, srv.SetClientLimits(&libvirt.ClientLimitsParameters{MaxClientsSet: true, MaxClients: uint(n)}, 0)
	}
	cl, err := srv.LookupClient(n, 0)
	if err != nil {
		return nil, err
	}
	defer cl.Free()
	return nil, cl.Close(0)
}

func adminState(conn *libvirt.AdmConnect) (*AdminState, error) {
	st := &AdminState{}
	var err error
	if st.URI, err = conn.GetURI(); err != nil {
		return nil, err
	}
	if st.Alive, err = conn.IsAlive(); err != nil {
		return nil, err
	}
	if st.LibVersion, err = conn.GetLibVersion(); err != nil {
		return nil, err
	}
	if st.ClientVersion, err = libvirt.AdmGetVersion(); err != nil {
		return nil, err
	}
	if st.Filters, err = conn.GetLoggingFilters(0); err != nil {
		return nil, err
	}
	if st.Outputs, err = conn.GetLoggingOutputs(0); err != nil {
		return nil, err
	}
	servers, err := conn.ListServers(0)
	if err != nil {
		return nil, err
	}
	for i := range servers {
		name, e := servers[i].GetName()
		servers[i].Free()
		if e != nil {
			return nil, e
		}
		s, e := adminServer(conn, name)
		if e != nil {
			return nil, e
		}
		st.Servers = append(st.Servers, *s)
	}
	st.RefsAtClose, err = conn.Close()
	return st, err
}

func adminServer(conn *libvirt.AdmConnect, name string) (*AdminServer, error) {
	srv, err := conn.LookupServer(name, 0)
	if err != nil {
		return nil, err
	}
	defer srv.Free()
	s := &AdminServer{Name: name, Errors: map[string]string{}}
	if s.LookedUpName, err = srv.GetName(); err != nil {
		return nil, err
	}
	if tp, err := srv.GetThreadPoolParameters(0); err == nil {
		s.Pool = map[string]uint{"minWorkers": tp.MinWorkers, "maxWorkers": tp.MaxWorkers, "nWorkers": tp.CurrentWorkers,
			"freeWorkers": tp.FreeWorkers, "prioWorkers": tp.PrioWorkers}
	} else {
		s.Errors["pool"] = err.Error()
	}
	if cl, err := srv.GetClientLimits(0); err == nil {
		s.Limits = map[string]uint{"nclients_max": cl.MaxClients, "nclients": cl.CurrentClients}
	} else {
		s.Errors["limits"] = err.Error()
	}
	clients, err := srv.ListClients(0)
	if err != nil {
		return nil, err
	}
	for i := range clients {
		c, e := adminClient(srv, &clients[i])
		clients[i].Free()
		if e != nil {
			s.Gone++
			continue
		}
		s.Clients = append(s.Clients, *c)
	}
	return s, nil
}

func adminClient(srv *libvirt.AdmServer, cl *libvirt.AdmClient) (*AdminClient, error) {
	c := &AdminClient{}
	var err error
	if c.ID, err = cl.GetID(); err != nil {
		return nil, err
	}
	again, err := srv.LookupClient(c.ID, 0)
	if err != nil {
		return nil, err
	}
	defer again.Free()
	if c.LookedUpID, err = again.GetID(); err != nil {
		return nil, err
	}
	if c.Timestamp, err = cl.GetTimestamp(); err != nil {
		return nil, err
	}
	t, err := cl.GetTransport()
	if err != nil {
		return nil, err
	}
	c.Transport = map[libvirt.ClientTransport]string{libvirt.CLIENT_TRANS_UNIX: "unix", libvirt.CLIENT_TRANS_TCP: "tcp", libvirt.CLIENT_TRANS_TLS: "tls"}[t]
	info, err := cl.GetInfo(0)
	if err != nil {
		return nil, err
	}
	if info.UnixProcessIdSet {
		c.PID = info.UnixProcessId
	}
	c.ReadOnly = info.Readonly
	return c, nil
}
