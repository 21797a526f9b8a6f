package harness

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"libvirt.org/go/libvirt"
)

// libvirt's default event loop is process-wide by libvirt's design: it must be
// registered before the first connection opens, once, and pumped forever.
var eventLoop struct {
	once sync.Once
	err  error
}

func ensureEventLoop() error {
	eventLoop.once.Do(func() {
		if err := libvirt.EventRegisterDefaultImpl(); err != nil {
			eventLoop.err = fmt.Errorf("registering libvirt's event loop: %w", err)
			return
		}
		go func() {
			// Its own thread, so that the calls made in event callbacks are
			// known to be the harness's (apicov.go).
			runtime.LockOSThread()
			eventLoopTID.Store(int64(syscall.Gettid()))
			for {
				if err := libvirt.EventRunDefaultImpl(); err != nil {
					return
				}
			}
		}()
	})
	return eventLoop.err
}

// ConnectError is a failure to reach the stack under test.
type ConnectError struct {
	URI string
	Err error
}

func (e *ConnectError) Error() string {
	// libvirt's own message often repeats the URI it was given, raw.
	return fmt.Sprintf("cannot connect to %s: %s", RedactURI(e.URI), RedactText(DescribeError(e.Err), e.URI))
}

func (e *ConnectError) Unwrap() error { return e.Err }

// ConnectTimeout bounds opening a connection: libvirt's open has no timeout
// of its own, and keepalive only starts once the connection is open, so a
// frozen daemon would otherwise hang the suite at its first call.
const ConnectTimeout = 30 * time.Second

// Open opens the run's one connection, with the event loop registered first and
// keepalive on where the driver has it, so a dead daemon is noticed.
func Open(uri string) (*libvirt.Connect, error) {
	return OpenWithin(uri, ConnectTimeout)
}

// OpenWithin is Open with a given bound on the connect.
func OpenWithin(uri string, timeout time.Duration) (*libvirt.Connect, error) {
	if strings.TrimSpace(uri) == "" {
		return nil, &ConnectError{URI: uri, Err: errors.New("empty URI")}
	}
	if err := checkTestDriverFile(uri); err != nil {
		return nil, &ConnectError{URI: uri, Err: err}
	}
	if err := ensureEventLoop(); err != nil {
		return nil, err
	}
	type result struct {
		conn *libvirt.Connect
		err  error
	}
	done := make(chan result, 1)
	go func() {
		c, err := libvirt.NewConnect(uri)
		done <- result{c, err}
	}()
	var res result
	select {
	case res = <-done:
	case <-time.After(timeout):
		// The open goes on in the background; if it ever returns, close it.
		go func() {
			if r := <-done; r.conn != nil {
				r.conn.Close()
			}
		}()
		return nil, &ConnectError{URI: uri, Err: fmt.Errorf("no answer within %s (is the daemon frozen?)", timeout)}
	}
	conn, err := res.conn, res.err
	if err != nil {
		return nil, &ConnectError{URI: uri, Err: err}
	}
	// Local and test drivers have no keepalive; that is fine.
	if err := conn.SetKeepAlive(5, 3); err != nil && !errors.Is(err, libvirt.ERR_NO_SUPPORT) &&
		!errors.Is(err, libvirt.ERR_ARGUMENT_UNSUPPORTED) && !errors.Is(err, libvirt.ERR_INVALID_ARG) {
		conn.Close()
		return nil, &ConnectError{URI: uri, Err: fmt.Errorf("enabling keepalive: %w", err)}
	}
	return conn, nil
}

// checkTestDriverFile reads, for a local test driver URI naming a file
// (test:///path.xml), that the file can be opened, before libvirt tries: on a
// file it cannot load, libxml2 prints an "I/O warning" line to stderr through
// its own per-thread handler, out of reach of a process that only loads
// libvirt, and libvirt's error adds nothing to "no such file".
func checkTestDriverFile(uri string) error {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "test" || u.Host != "" || u.Path == "" || u.Path == "/default" {
		return nil
	}
	f, err := os.Open(u.Path)
	if err == nil {
		var fi os.FileInfo
		if fi, err = f.Stat(); err == nil && !fi.Mode().IsRegular() {
			err = errors.New("not a regular file")
		}
		f.Close()
	}
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("the test driver's file %s cannot be read: %w (test:///default is its built-in stack)", u.Path, err)
	}
	return nil
}

// DrainEvents waits until libvirt's event loop has gone round twice. A callback
// deregistered while an event is being dispatched is only released (with its
// reference on the connection) when that dispatch ends, on the loop's thread;
// after two rounds of a zero-interval timer, any such dispatch has ended.
func DrainEvents(timeout time.Duration) error {
	if ensureEventLoop() != nil {
		return nil // no loop, nothing in flight
	}
	fired := make(chan struct{}, 4)
	id, err := libvirt.EventAddTimeout(0, func(int) {
		select {
		case fired <- struct{}{}:
		default:
		}
	})
	if err != nil {
		return fmt.Errorf("adding a timer to libvirt's event loop: %w", err)
	}
	defer libvirt.EventRemoveTimeout(id)
	deadline := time.After(timeout)
	for i := 0; i < 2; i++ {
		select {
		case <-fired:
		case <-deadline:
			return fmt.Errorf("libvirt's event loop did not go round within %s", timeout)
		}
	}
	return nil
}

// CloseChecked closes the connection and fails when libvirt objects were left
// unfreed (Close returns the remaining reference count).
func CloseChecked(conn *libvirt.Connect) error {
	n, err := conn.Close()
	if err != nil {
		return fmt.Errorf("closing the connection: %w", err)
	}
	if n != 0 {
		return fmt.Errorf("connection still has %d references after Close: a libvirt object was not freed", n)
	}
	return nil
}

var secretParams = []string{"pass", "secret", "token", "cred", "auth"}

// RedactURI hides a password in the user info and the values of query
// parameters that look like credentials. The result is safe to print and report.
func RedactURI(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		// Not parseable: keep the scheme only, it is all we can vouch for.
		if i := strings.Index(raw, "://"); i > 0 {
			return raw[:i] + "://[unparseable]"
		}
		return "[unparseable URI]"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			lk := strings.ToLower(k)
			for _, s := range secretParams {
				if strings.Contains(lk, s) {
					q.Set(k, "xxxxx")
				}
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// RedactText removes from a text (an error message of libvirt's, which may
// quote the URI it was given) every secret of uri: the raw URI and its
// decoded form, its password wherever it appears (4 characters and up; a
// shorter one inside its user:password@ form), and the values of query
// parameters that look like credentials.
func RedactText(text, uri string) string {
	if uri == "" {
		return text
	}
	safe := RedactURI(uri)
	var secrets []string
	add := func(s string) {
		if s != "" && s != "xxxxx" {
			secrets = append(secrets, s)
		}
	}
	text = strings.ReplaceAll(text, uri, safe)
	if dec, err := url.PathUnescape(uri); err == nil && dec != uri {
		text = strings.ReplaceAll(text, dec, safe)
	}
	u, err := url.Parse(uri)
	if err != nil {
		return text
	}
	if u.User != nil {
		if p, ok := u.User.Password(); ok {
			userinfo := u.User.String() // user:escaped-password
			text = strings.ReplaceAll(text, userinfo+"@", u.User.Username()+":xxxxx@")
			text = strings.ReplaceAll(text, u.User.Username()+":"+p+"@", u.User.Username()+":xxxxx@")
			if len(p) >= 4 {
				add(p)
				add(url.QueryEscape(p))
				add(url.PathEscape(p))
			}
		}
	}
	for k, vs := range u.Query() {
		lk := strings.ToLower(k)
		for _, s := range secretParams {
			if strings.Contains(lk, s) {
				for _, v := range vs {
					if len(v) >= 4 {
						add(v)
						add(url.QueryEscape(v))
					}
				}
			}
		}
	}
	for _, s := range secrets {
		text = strings.ReplaceAll(text, s, "xxxxx")
	}
	return text
}
