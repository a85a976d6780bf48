package finding

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"unicode/utf8"
)

// clipTextReference is ClipText one character at a time, without the
// copying of plain runs: the fast path must give the same text.
func clipTextReference(s string, n int) string {
	if !hasControl(s) && (len(s) <= n || utf8.RuneCountInString(s) <= n) {
		return s
	}
	width := 0
	for i := 0; i < len(s) && width <= n; {
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
	width = 0
	for i := 0; i < len(s); {
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

func TestClipTextPlainRunsAsReference(t *testing.T) {
	alphabet := []string{"a", "Z", " ", "\n", "\t", "\r", "\x00", "\x1b", "\x7f", "é", "語", "\u202e", "\u2028", "\xff", "\\", "\"", "\u0085"}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 20000; i++ {
		var b strings.Builder
		for k := rng.Intn(120); k > 0; k-- {
			if rng.Intn(3) == 0 {
				b.WriteString(alphabet[rng.Intn(len(alphabet))])
			} else {
				b.WriteString(strings.Repeat("x", rng.Intn(8)))
			}
		}
		s, n := b.String(), 20+rng.Intn(60)
		if got, want := ClipText(s, n), clipTextReference(s, n); got != want {
			t.Fatalf("ClipText(%q, %d) = %q, want %q", s, n, got, want)
		}
		if got := ClipText(s, n); ClipText(got, n) != got {
			t.Fatalf("ClipText(%q, %d) is not idempotent: %q", s, n, got)
		}
	}
	if got := ClipText("evil \u202e rtl", 80); got != `evil \u202e rtl` {
		t.Errorf("ClipText shows a bidirectional control: %q", got)
	}
}
