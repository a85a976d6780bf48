package pep440

import (
	"strings"
	"unicode/utf8"
)

// Python's regular expressions match case-insensitively with Unicode
// folding, so besides ASCII case a few non-ASCII letters match the ASCII
// letters packaging's version pattern spells out: U+017F (long s) matches
// "s", U+0131 (dotless i) and U+0130 (dotted capital I) match "i", and
// U+212A (Kelvin sign) matches "k". packaging then lower-cases with
// str.lower(), which keeps long s and dotless i, turns the Kelvin sign into
// "k" and the dotted capital I into "i" followed by U+0307. These helpers
// reproduce that, so such strings parse, normalize and compare exactly as in
// packaging.

// foldRune reports whether the rune at s[0:] matches the lower-case ASCII
// letter or digit c under Python's case-insensitive matching, and its size.
func foldRune(s string, c byte) (size int, ok bool) {
	if s == "" {
		return 0, false
	}
	if s[0] < utf8.RuneSelf {
		b := s[0]
		if b >= 'A' && b <= 'Z' {
			b += 'a' - 'A'
		}
		return 1, b == c
	}
	r, size := utf8.DecodeRuneInString(s)
	switch {
	case c == 's' && r == '\u017f', c == 'i' && (r == '\u0131' || r == '\u0130'), c == 'k' && r == '\u212a':
		return size, true
	}
	return size, false
}

// matchWord matches the lower-case ASCII word w at the start of s and
// returns the number of bytes matched (0 when it does not match) and
// whether a non-ASCII letter took part.
func matchWord(s, w string) (n int, unusual bool) {
	for i := 0; i < len(w); i++ {
		size, ok := foldRune(s[n:], w[i])
		if !ok {
			return 0, false
		}
		unusual = unusual || size > 1
		n += size
	}
	return n, unusual
}

// localRune returns the size of the local-label letter or digit at s[0:]
// (ASCII letters and digits or a non-ASCII letter that folds to one), or 0.
func localRune(s string) int {
	if s == "" {
		return 0
	}
	if s[0] < utf8.RuneSelf {
		if isAlnum(s[0]) {
			return 1
		}
		return 0
	}
	r, size := utf8.DecodeRuneInString(s)
	switch r {
	case '\u017f', '\u0131', '\u0130', '\u212a':
		return size
	}
	return 0
}

// appendPyLower appends s lower-cased as Python's str.lower() does for the
// characters a version can contain.
func appendPyLower(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			b = append(b, c)
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch r {
		case '\u212a':
			b = append(b, 'k')
		case '\u0130':
			b = append(b, "i\u0307"...)
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size - 1
	}
	return b
}

// pyLower is Python's str.lower() for the strings "===" compares: Go's
// strings.ToLower plus the one unconditional multi-rune mapping (U+0130).
// (Python's context-dependent final sigma is not reproduced.)
func pyLower(s string) string {
	if strings.ContainsRune(s, '\u0130') {
		s = strings.ReplaceAll(s, "\u0130", "i\u0307")
	}
	return strings.ToLower(s)
}
