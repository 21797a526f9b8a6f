// The daemon's admin interface as the scenarios reach it: through the admin
// helper (admin_helper.go), a child process of the ovacts binary.

package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os/exec"
	"strings"
	"time"

	"libvirt.org/go/libvirt"
)

// Admin reaches a daemon's admin interface at URI through the admin helper
// of the ovacts binary Helper.
type Admin struct{ Helper, URI string }

func (a *Admin) run(ctx context.Context, op string, args ...string) ([]byte, error) {
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, a.Helper, append([]string{"admin-helper", a.URI, op}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ae adminError
	if _, isExit := err.(*exec.ExitError); isExit && json.Unmarshal(out.Bytes(), &ae) == nil && ae.Message != "" {
		if ae.Code < 0 {
			return nil, fmt.Errorf("admin helper: %s", ae.Message)
		}
		return nil, libvirt.Error{Code: libvirt.ErrorNumber(ae.Code), Domain: libvirt.ErrorDomain(ae.Domain), Message: ae.Message, Level: libvirt.ERR_ERROR}
	}
	if err != nil {
		return nil, fmt.Errorf("admin helper %s %s: %v: %s", op, strings.Join(args, " "), err, strings.TrimSpace(errOut.String()))
	}
	return out.Bytes(), nil
}

// State is what the admin interface answers now.
func (a *Admin) State(ctx context.Context) (*AdminState, error) {
	b, err := a.run(ctx, "state")
	if err != nil {
		return nil, err
	}
	var st AdminState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("admin helper: %w", err)
	}
	return &st, nil
}

// Do makes a change: set-workers SERVER N, set-clients SERVER N,
// set-filters FILTERS, close-client SERVER ID.
func (a *Admin) Do(ctx context.Context, op string, args ...string) error {
	_, err := a.run(ctx, op, args...)
	return err
}

// probeAdmin decides "admin": the admin interface of the stack's own daemon,
// which libvirt offers only on a UNIX socket of its host. The monolithic
// daemon's URI is tried first, then the driver's modular daemon; the one
// that answers must run the daemon's libvirt.
func (c *Capabilities) probeAdmin(ctx context.Context, helper, uri string) {
	switch why, _ := notLocal(uri); {
	case c.Driver == "TEST":
		c.Lack("admin", "the test driver runs in-process: there is no daemon to administer", Absent)
		return
	case why != "":
		c.Lack("admin", "libvirt's admin interface answers only on its host's UNIX socket: "+why, NotProvided)
		return
	case helper == "":
		c.Lack("admin", "this run has no ovacts binary to run the admin helper in (libvirt's admin and main libraries cannot share a process)", NotProvided)
		return
	}
	path := "/system"
	if u, err := url.Parse(uri); err == nil && u.Path == "/session" {
		path = "/session"
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var tried []string
	for _, daemon := range []string{"libvirtd", "virt" + strings.ToLower(c.Driver) + "d"} {
		a := &Admin{Helper: helper, URI: daemon + "://" + path}
		st, err := a.State(ctx)
		switch {
		case err != nil:
			tried = append(tried, fmt.Sprintf("%s: %s", a.URI, DescribeError(err)))
		case VersionString(uint32(st.LibVersion)) != c.LibvirtDaemon:
			tried = append(tried, fmt.Sprintf("%s: libvirt %s, not the daemon's %s", a.URI, VersionString(uint32(st.LibVersion)), c.LibvirtDaemon))
		default:
			c.AdminURI = a.URI
			return
		}
	}
	c.Lack("admin", "no admin interface of the stack's daemon answers: "+strings.Join(tried, "; "), Absent)
}
