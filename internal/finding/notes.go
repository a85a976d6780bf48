package finding

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// MaxNote is the longest note, in characters, a report carries: a note is our
// own sentence plus at most a short excerpt of input, never a whole line of a
// file or a response.
const MaxNote = 300

// maxCause is the longest cause of a failure group, in characters.
const maxCause = 120

// namesShown is how many subjects a failure line names before "and N more".
const namesShown = 3

// Clip makes s fit on one line of at most n characters: control characters
// (newlines included) and bidirectional controls are escaped, invalid UTF-8 is shown as \xNN, and a cut
// text ends in "… (N bytes)". Reports and error messages pass every text that
// may carry input through it.
func Clip(s string, n int) string {
	if n < 24 {
		n = 24
	}
	if fits(s, n) {
		return s // the common case: nothing to escape or cut, no copy
	}
	return clip(s, n)
}

// clip is Clip without its fast path.
func clip(s string, n int) string {
	// First the width of the whole text, escaped, up to n+1.
	width := 0
	for i := 0; i < len(s) && width <= n; {
		piece, size := clipPiece(s, i)
		width += utf8.RuneCountInString(piece)
		i += size
	}
	budget, suffix := n, ""
	if width > n {
		suffix = fmt.Sprintf("… (%d bytes)", len(s))
		budget = n - utf8.RuneCountInString(suffix)
	}
	var b strings.Builder
	b.Grow(min(len(s), 4*n) + len(suffix))
	width = 0
	for i := 0; i < len(s); {
		piece, size := clipPiece(s, i)
		w := utf8.RuneCountInString(piece)
		if width+w > budget {
			break
		}
		b.WriteString(piece)
		width += w
		i += size
	}
	b.WriteString(suffix)
	return b.String()
}

// clipPiece is the text Clip shows for the character at s[i:] and its size.
func clipPiece(s string, i int) (string, int) {
	r, size := utf8.DecodeRuneInString(s[i:])
	switch {
	case r == utf8.RuneError && size == 1:
		return `\x` + string(hexDigit[s[i]>>4]) + string(hexDigit[s[i]&0xf]), size
	case r == '\t':
		return " ", size
	case escaped(r):
		q := strconv.QuoteRune(r)
		return q[1 : len(q)-1], size
	}
	return s[i : i+size], size
}

const hexDigit = "0123456789abcdef"

// escaped reports whether Clip shows r as its escape (\u202e): a control
// character, the line and paragraph separators (U+2028, U+2029) and the
// bidirectional controls (U+061C, U+200E, U+200F, U+202A-U+202E,
// U+2066-U+2069), which reorder the text shown around them.
func escaped(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r)
}

// Failures is an error naming the subjects (package names, files) a check
// could not handle, grouped by cause, so that a thousand packages failing
// for one reason make one short line, not a thousand copies of a Go error.
// The zero value is not usable; make one with NewFailures. Its methods are
// safe for concurrent use.
type Failures struct {
	what string // format with one %d for the number of subjects

	mu      sync.Mutex
	byCause map[string][]string
	order   []string
	seen    map[string]bool
}

// NewFailures returns an empty Failures; what is the sentence its lines start
// with, holding one %d for the number of subjects, e.g.
// "health: %d package(s) not checked".
func NewFailures(what string) *Failures {
	return &Failures{what: what, byCause: map[string][]string{}, seen: map[string]bool{}}
}

// Add records that subject failed with err (see Cause).
func (f *Failures) Add(subject string, err error) {
	f.AddCause(subject, Cause(err, subject))
}

// AddCause records that subject failed for the reason cause.
func (f *Failures) AddCause(subject, cause string) {
	cause = Clip(strings.TrimSpace(cause), maxCause)
	if cause == "" {
		cause = "unknown error"
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	key := cause + "\x00" + subject
	if f.seen[key] {
		return
	}
	f.seen[key] = true
	if _, ok := f.byCause[cause]; !ok {
		f.order = append(f.order, cause)
	}
	f.byCause[cause] = append(f.byCause[cause], subject)
}

// Len returns the number of failures recorded.
func (f *Failures) Len() int {
	if f == nil {
		return 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, s := range f.byCause {
		n += len(s)
	}
	return n
}

// Err returns f, or nil when nothing failed.
func (f *Failures) Err() error {
	if f.Len() == 0 {
		return nil
	}
	return f
}

// Lines returns one line per cause, the most frequent first: "health: 940
// package(s) not checked: lookup pypi.org: no such host (aiohttp, attrs,
// babel and 937 more)".
func (f *Failures) Lines() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	causes := append([]string(nil), f.order...)
	sort.SliceStable(causes, func(i, j int) bool { return len(f.byCause[causes[i]]) > len(f.byCause[causes[j]]) })
	out := make([]string, 0, len(causes))
	for _, c := range causes {
		subjects := f.byCause[c]
		out = append(out, fmt.Sprintf(f.what, len(subjects))+": "+c+" ("+listSome(subjects)+")")
	}
	return out
}

// Error joins the lines with "; " (one line).
func (f *Failures) Error() string { return strings.Join(f.Lines(), "; ") }

// listSome names the first few subjects, sorted, and how many more there are.
func listSome(subjects []string) string {
	s := append([]string(nil), subjects...)
	sort.Strings(s)
	shown := s
	if len(shown) > namesShown {
		shown = shown[:namesShown]
	}
	for i := range shown {
		shown[i] = Clip(shown[i], 60)
	}
	out := strings.Join(shown, ", ")
	if len(s) > namesShown {
		out += fmt.Sprintf(" and %d more", len(s)-namesShown)
	}
	return out
}

// Cause returns what went wrong in err, without what is particular to one
// subject, so that failures of many subjects for one reason compare equal: a
// URL error becomes "host: reason" (the request URL names the package), and
// the subject's name, where the message repeats it, becomes "<name>".
func Cause(err error, subject string) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		msg = ue.Err.Error()
		if u, perr := url.Parse(ue.URL); perr == nil && u.Host != "" && !strings.Contains(msg, u.Host) {
			msg = u.Host + ": " + msg
		}
	}
	if subject != "" && len(subject) >= 2 {
		msg = strings.TrimPrefix(msg, subject+": ")
		msg = strings.ReplaceAll(msg, subject, "<name>")
	}
	return msg
}

// Notes gathers the messages of one run for the user in one place: every
// distinct message once (a repeated one with its count), and the failures of
// a check grouped by cause, one line each. Its methods are safe for
// concurrent use; the zero value is ready to use.
type Notes struct {
	mu     sync.Mutex
	lines  []string
	counts map[string]int
}

// Add records a message (clipped to MaxNote characters).
func (n *Notes) Add(msg string) {
	msg = Clip(strings.TrimSpace(msg), MaxNote)
	if msg == "" {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.counts == nil {
		n.counts = map[string]int{}
	}
	if n.counts[msg] == 0 {
		n.lines = append(n.lines, msg)
	}
	n.counts[msg]++
}

// Addf records a formatted message.
func (n *Notes) Addf(format string, args ...any) { n.Add(fmt.Sprintf(format, args...)) }

// AddError records an error: the lines of every Failures it wraps (one per
// cause), else its message. A nil err is ignored.
func (n *Notes) AddError(err error) {
	if err == nil {
		return
	}
	var fs *Failures
	if errors.As(err, &fs) {
		for _, l := range fs.Lines() {
			n.Add(l)
		}
		// Errors joined with the Failures keep their own lines.
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				if !errors.As(e, &fs) {
					n.AddError(e)
				}
			}
		}
		return
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			n.AddError(e)
		}
		return
	}
	n.Add(err.Error())
}

// AddAll records several messages.
func (n *Notes) AddAll(msgs []string) {
	for _, m := range msgs {
		n.Add(m)
	}
}

// Lines returns the messages in the order first recorded; a message recorded
// k > 1 times ends in "(k times)".
func (n *Notes) Lines() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]string, 0, len(n.lines))
	for _, l := range n.lines {
		if c := n.counts[l]; c > 1 {
			l += fmt.Sprintf(" (%d times)", c)
		}
		out = append(out, l)
	}
	return out
}

// ClipText is Clip for multi-line text (descriptions): line breaks are kept, other
// control characters escaped, and a text longer than n characters cut so that it
// and its "… (N bytes)" mark fit in n: a text ClipText returns is returned as it
// is by a second ClipText (a recorded report replays to the same bytes).
func ClipText(s string, n int) string {
	if !hasControl(s) && (len(s) <= n || utf8.RuneCountInString(s) <= n) {
		return s
	}
	width := 0
	for i := 0; i < len(s) && width <= n; {
		if plainByte(s[i]) {
			width++
			i++
			continue
		}
		piece, size := textPiece(s, i)
		width += utf8.RuneCountInString(piece)
		i += size
	}
	budget, suffix := n, ""
	if width > n {
		suffix = fmt.Sprintf("… (%d bytes)", len(s))
		budget = n - utf8.RuneCountInString(suffix)
	}
	var b strings.Builder
	b.Grow(min(len(s), 4*n) + len(suffix))
	width = 0
	for i := 0; i < len(s); {
		// A run of characters shown as they are is copied at once.
		j := i
		for j < len(s) && plainByte(s[j]) && width+(j-i) < budget {
			j++
		}
		if j > i {
			b.WriteString(s[i:j])
			width += j - i
			i = j
			continue
		}
		piece, size := textPiece(s, i)
		w := utf8.RuneCountInString(piece)
		if width+w > budget {
			break
		}
		b.WriteString(piece)
		width += w
		i += size
	}
	b.WriteString(suffix)
	return b.String()
}

// textPiece is the text ClipText shows for the character at s[i:] and its size.
func textPiece(s string, i int) (string, int) {
	r, size := utf8.DecodeRuneInString(s[i:])
	switch {
	case r == utf8.RuneError && size == 1:
		return `\x` + string(hexDigit[s[i]>>4]) + string(hexDigit[s[i]&0xf]), size
	case r == '\n' || r == '\t':
	case r == '\r':
		return "", size
	case escaped(r):
		q := strconv.QuoteRune(r)
		return q[1 : len(q)-1], size
	}
	return s[i : i+size], size
}

// plainByte reports whether c is a character ClipText shows as it is by
// itself: printable ASCII, a newline or a tab.
func plainByte(c byte) bool {
	return c >= 0x20 && c < 0x7f || c == '\n' || c == '\t'
}

// fits reports whether Clip(s, n) is s: valid UTF-8 of at most n
// characters without a character Clip escapes (see escaped) or a tab.
func fits(s string, n int) bool {
	if len(s) > 4*n {
		return false
	}
	count := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return false
			}
			i++
		} else {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 || escaped(r) {
				return false
			}
			i += size
		}
		if count++; count > n {
			return false
		}
	}
	return true
}

func hasControl(s string) bool {
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if !plainByte(c) {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || escaped(r) {
			return true
		}
		i += size
	}
	return false
}
