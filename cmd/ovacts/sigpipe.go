package main

import (
	"os"
	"os/signal"
	"syscall"
)

// survivePipes keeps a run going when its output goes to a pipe that closes
// (ovacts run | head -1): without it, Go kills the process on its first write
// to a closed stdout, before it removes what it made and writes its report.
// With SIGPIPE taken here, such writes fail with EPIPE and are dropped. The
// handler is reset in the programs a run starts. stop releases it.
func survivePipes() (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGPIPE)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-ch:
			case <-done:
				return
			}
		}
	}()
	return func() { signal.Stop(ch); close(done) }
}
