package harness

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"libvirt.org/go/libvirt"
)

// ErrConnectionLost is the cause of every failure after the stack went away.
var ErrConnectionLost = errors.New("connection to the stack lost")

// lossWatch notices the run's connection closing under it: a killed daemon
// shows as EOF at once, a frozen one through keepalive (5 s x 3).
type lossWatch struct {
	mu     sync.Mutex
	reason string
	ctx    context.Context
	cancel context.CancelCauseFunc
	conn   *libvirt.Connect
	hooked bool
}

var closeReasons = map[libvirt.ConnectCloseReason]string{
	libvirt.CONNECT_CLOSE_REASON_ERROR:     "an I/O error on the connection",
	libvirt.CONNECT_CLOSE_REASON_EOF:       "the daemon closed the connection (EOF)",
	libvirt.CONNECT_CLOSE_REASON_KEEPALIVE: "the daemon stopped answering keepalive probes",
}

func watchLoss(conn *libvirt.Connect) *lossWatch {
	l := &lossWatch{conn: conn}
	l.ctx, l.cancel = context.WithCancelCause(context.Background())
	// Drivers without a remote connection (the test driver) have no close events.
	l.hooked = conn.RegisterCloseCallback(func(_ *libvirt.Connect, reason libvirt.ConnectCloseReason) {
		if text, ok := closeReasons[reason]; ok {
			l.lose(text)
		}
	}) == nil
	return l
}

func (l *lossWatch) lose(reason string) {
	l.mu.Lock()
	if l.reason == "" {
		l.reason = reason
	}
	l.mu.Unlock()
	l.cancel(fmt.Errorf("%w: %s", ErrConnectionLost, reason))
}

// Reason is why the connection was lost, or "".
func (l *lossWatch) Reason() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reason
}

func (l *lossWatch) stop() {
	if l.hooked && l.Reason() == "" {
		l.conn.UnregisterCloseCallback()
	}
	l.cancel(nil)
}
