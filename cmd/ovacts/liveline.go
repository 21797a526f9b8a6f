package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"sync"
	"time"
)

// liveLine is the progress on a terminal: the run's lines as they come, and
// under them one line redrawn in place with what is done, what runs, what is
// left and an estimate of the time left (runProgress's, else the pace so far). Only on a terminal: to a
// file or a pipe the output stays plain lines.
type liveLine struct {
	mu          sync.Mutex
	w           io.Writer
	now         func() time.Time
	started     time.Time
	done, total int
	shown       bool
	// watch, when set, gives what runs and the estimate of the time left;
	// without it the estimate is the pace so far.
	watch *runProgress
}

var (
	progressCount = regexp.MustCompile(`(?m)^\[ *([0-9]+)/([0-9]+)\] `)
	selectedLine  = regexp.MustCompile(`(?m)^selected [0-9]+ scenarios`)
)

// isTerminal: w is a character device (a terminal), not a file or a pipe.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func (l *liveLine) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.shown {
		io.WriteString(l.w, "\r\x1b[K")
		l.shown = false
	}
	n, err := l.w.Write(p)
	if selectedLine.Match(p) {
		l.started = l.now()
	}
	for _, m := range progressCount.FindAllSubmatch(p, -1) {
		l.done, _ = strconv.Atoi(string(m[1]))
		l.total, _ = strconv.Atoi(string(m[2]))
	}
	if l.total > 0 && l.done < l.total && bytes.HasSuffix(p, []byte("\n")) {
		io.WriteString(l.w, l.status())
		l.shown = true
	}
	return n, err
}

// refresh redraws the status line, for the time that passed.
func (l *liveLine) refresh() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.shown {
		io.WriteString(l.w, "\r\x1b[K"+l.status())
	}
}

// status is the redrawn line: done, running, left, and the time left.
func (l *liveLine) status() string {
	s := fmt.Sprintf("[%d/%d done, %d left", l.done, l.total, l.total-l.done)
	if l.watch != nil {
		n, left, ok := l.watch.status(l.now())
		s = fmt.Sprintf("[%d/%d done, %d running, %d left", l.done, l.total, n, l.total-l.done-n)
		if ok {
			return s + fmt.Sprintf(", about %s to go]", left.Round(time.Second))
		}
	}
	if l.done > 0 && !l.started.IsZero() {
		left := l.now().Sub(l.started) / time.Duration(l.done) * time.Duration(l.total-l.done)
		s += fmt.Sprintf(", about %s to go", left.Round(time.Second))
	}
	return s + "]"
}
