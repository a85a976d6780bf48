// Package progress draws a one-line progress bar on a terminal and stays silent
// when the output is not a terminal.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// Bar is a progress bar. The zero value and a nil *Bar are silent.
type Bar struct {
	mu      sync.Mutex
	w       io.Writer
	label   string
	total   int64
	done    int64
	last    time.Time
	enabled bool
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// New returns a bar writing to w (usually os.Stderr). It draws only when enabled
// is true and w is a terminal; total may be 0 when unknown.
func New(w io.Writer, label string, total int64, enabled bool) *Bar {
	return &Bar{w: w, label: label, total: total, enabled: enabled && IsTerminal(w)}
}

// SetTotal changes the expected total.
func (b *Bar) SetTotal(n int64) {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.total = n
	b.mu.Unlock()
}

// Add advances the bar by n.
func (b *Bar) Add(n int64) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done += n
	if !b.enabled || time.Since(b.last) < 80*time.Millisecond {
		return
	}
	b.last = time.Now()
	b.draw()
}

// Write lets a Bar count bytes passing through an io.TeeReader or io.MultiWriter.
func (b *Bar) Write(p []byte) (int, error) {
	b.Add(int64(len(p)))
	return len(p), nil
}

func (b *Bar) draw() {
	const width = 30
	if b.total > 0 {
		frac := float64(b.done) / float64(b.total)
		if frac > 1 {
			frac = 1
		}
		n := int(frac * width)
		fmt.Fprintf(b.w, "\r%s [%s%s] %3.0f%% (%d/%d)", b.label, strings.Repeat("=", n), strings.Repeat(" ", width-n), frac*100, b.done, b.total)
		return
	}
	fmt.Fprintf(b.w, "\r%s %d", b.label, b.done)
}

// Done finishes the bar and clears its line.
func (b *Bar) Done() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.enabled {
		fmt.Fprintf(b.w, "\r\033[K")
	}
}
