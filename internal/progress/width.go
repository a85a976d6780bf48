package progress

import (
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/term"
)

// DefaultWidth is the width a table is fitted to when the output is not a
// terminal and COLUMNS is not set.
const DefaultWidth = 100

// MinWidth is the narrowest width Width returns: below it no table is
// readable, so narrower terminals get lines that wrap.
const MinWidth = 40

// Width returns the width in columns that text written to w should fit:
// TermWidth when it knows one, else DefaultWidth. It is never below
// MinWidth.
func Width(w io.Writer) int {
	if n, ok := TermWidth(w); ok {
		return n
	}
	return DefaultWidth
}

// TermWidth returns COLUMNS when it is set to a positive number (the
// shell's convention, so `COLUMNS=120 pyvet audit > out.txt` works), else
// the width of the terminal w is; ok is false when w is no terminal and
// COLUMNS is not set. The width is never below MinWidth.
func TermWidth(w io.Writer) (n int, ok bool) {
	if s, set := os.LookupEnv("COLUMNS"); set {
		if v, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && v > 0 {
			return max(v, MinWidth), true
		}
	}
	if f, isFile := w.(*os.File); isFile && term.IsTerminal(int(f.Fd())) {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
			return max(cols, MinWidth), true
		}
	}
	return 0, false
}
