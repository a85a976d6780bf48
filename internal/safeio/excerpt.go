package safeio

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ExcerptLen is the longest excerpt Excerpt returns, in characters.
const ExcerptLen = 80

// Excerpt returns s quoted and escaped as a Go string literal, at most
// ExcerptLen characters long; a cut excerpt ends in `…"` followed by the full
// length in bytes. It is how input text reaches an error message or a
// report: a hostile line is never echoed whole.
func Excerpt(s string) string { return ExcerptN(s, ExcerptLen) }

// ExcerptN is Excerpt with a cap of n characters (at least 24).
func ExcerptN(s string, n int) string {
	if n < 24 {
		n = 24
	}
	if out, ok := quoteWithin(s, n-2); ok {
		return `"` + out + `"`
	}
	suffix := fmt.Sprintf(` (%d bytes)`, len(s))
	out, _ := quoteWithin(s, n-3-utf8.RuneCountInString(suffix))
	return `"` + out + `…"` + suffix
}

// quoteWithin escapes the longest prefix of s whose escaped form has at most
// budget characters; ok reports whether that is all of s.
func quoteWithin(s string, budget int) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		var esc string
		switch {
		case r == utf8.RuneError && size == 1:
			esc = fmt.Sprintf(`\x%02x`, s[i])
		case r == '\'':
			esc = "'"
		default:
			q := strconv.QuoteRune(r)
			esc = q[1 : len(q)-1]
			if r == '"' {
				esc = `\"`
			}
		}
		w := utf8.RuneCountInString(esc)
		if w > budget {
			return b.String(), false
		}
		b.WriteString(esc)
		budget -= w
		i += size
	}
	return b.String(), true
}
