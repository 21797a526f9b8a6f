package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"libvirt.org/go/libvirt"
)

// Console reads a domain's serial console through a libvirt stream, driven by
// the event loop (no blocking reads on a goroutine).
type Console struct {
	st      *libvirt.Stream
	mu      sync.Mutex
	buf     bytes.Buffer
	err     error
	changed chan struct{}
	closed  bool
}

// OpenConsole attaches to the domain's first console (taking it over from any
// other client of the suite's own domain).
func OpenConsole(conn *libvirt.Connect, d *libvirt.Domain) (*Console, error) {
	st, err := conn.NewStream(libvirt.STREAM_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("new stream: %w", err)
	}
	if err := d.OpenConsole("", st, libvirt.DOMAIN_CONSOLE_FORCE); err != nil {
		st.Free()
		return nil, fmt.Errorf("opening the console: %w", err)
	}
	c := &Console{st: st, changed: make(chan struct{}, 1)}
	err = st.EventAddCallback(libvirt.STREAM_EVENT_READABLE|libvirt.STREAM_EVENT_ERROR|libvirt.STREAM_EVENT_HANGUP,
		func(s *libvirt.Stream, ev libvirt.StreamEventType) { c.readable(ev) })
	if err != nil {
		st.Abort()
		st.Free()
		return nil, fmt.Errorf("watching the console stream: %w", err)
	}
	return c, nil
}

func (c *Console) readable(ev libvirt.StreamEventType) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	p := make([]byte, 4096)
	for {
		n, err := c.st.Recv(p)
		if err != nil {
			if c.err == nil {
				c.err = err
			}
			break
		}
		if n < 0 { // -2: nothing more now
			break
		}
		c.buf.Write(p[:n])
	}
	if ev&(libvirt.STREAM_EVENT_ERROR|libvirt.STREAM_EVENT_HANGUP) != 0 && c.err == nil {
		c.err = errors.New("the console stream hung up")
	}
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

// Output is everything read so far.
func (c *Console) Output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

// WaitFor waits until the output holds substr.
func (c *Console) WaitFor(ctx context.Context, substr string, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		c.mu.Lock()
		found, err := strings.Contains(c.buf.String(), substr), c.err
		c.mu.Unlock()
		if found {
			return nil
		}
		if err != nil {
			return fmt.Errorf("console: %w", err)
		}
		select {
		case <-c.changed:
		case <-ctx.Done():
			return fmt.Errorf("the console did not show %q within %s (read %d bytes)", substr, limit, len(c.Output()))
		}
	}
}

// Close detaches from the console.
func (c *Console) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	errs := []error{c.st.EventRemoveCallback()}
	if err := c.st.Abort(); err != nil && !errors.Is(err, libvirt.ERR_RPC) {
		errs = append(errs, err)
	}
	errs = append(errs, c.st.Free())
	return errors.Join(errs...)
}
