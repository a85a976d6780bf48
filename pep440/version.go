package pep440

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode"
)

// Version is a parsed PEP 440 version. The zero value is not a valid version;
// obtain one from Parse or MustParse. Versions are small, immutable values
// that are safe to copy and to share between goroutines.
type Version struct {
	// buf holds the normalized string followed by the comparison key, in one
	// allocation: buf[:slen] is String(), buf[slen:] the key.
	buf string
	// slen is the length of the normalized string inside buf.
	slen uint32
	// baseLen is the length of the key prefix encoding epoch and release.
	baseLen uint32
	// coreLen is the length of the key prefix encoding everything but the
	// local segment.
	coreLen uint32
	flags   uint8
}

const (
	flagPre uint8 = 1 << iota
	flagPost
	flagDev
	flagLocal
	flagEpoch
	// flagOddPost: the post label was spelled with U+017F ("poſt"), which
	// packaging prints as "post" but orders after it.
	flagOddPost
)

// ErrInvalidVersion is wrapped by every error Parse returns.
var ErrInvalidVersion = errors.New("invalid version")

// key is the byte-comparable sort key.
func (v Version) key() string { return v.buf[v.slen:] }

// Parse parses a version in any spelling packaging's Version accepts:
// surrounding whitespace, a leading "v", upper or lower case, "-", "_" and
// "." separators (or none) around pre, post and dev segments, the alternate
// spellings alpha, beta, c, pre, preview, rev and r, implicit post releases
// ("1.0-1"), implicit pre, post and dev numbers, epochs ("1!2.0") and local
// versions ("+ubuntu-1"). Numbers may have leading zeros and any size.
func Parse(s string) (Version, error) {
	var c components
	if !c.parse(s) {
		return Version{}, fmt.Errorf("%w: %q", ErrInvalidVersion, s)
	}
	return c.build(), nil
}

// MustParse is like Parse but panics when s is not a valid version. It is
// meant for constants in code and tests.
func MustParse(s string) Version {
	v, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return v
}

// IsValid reports whether v was produced by Parse (the zero Version is not valid).
func (v Version) IsValid() bool { return v.slen > 0 }

// String returns the normalized form of the version, exactly as packaging's
// str(Version(s)).
func (v Version) String() string { return v.buf[:v.slen] }

// Compare returns -1, 0 or +1 when v sorts before, equal to or after w in
// PEP 440 order. It does not allocate.
func (v Version) Compare(w Version) int {
	return strings.Compare(v.key(), w.key())
}

// Equal reports whether v and w are the same version in PEP 440 terms
// (for example 1.0 and 1.0.0 are equal).
func (v Version) Equal(w Version) bool { return v.key() == w.key() }

// Less reports whether v sorts before w.
func (v Version) Less(w Version) bool { return v.key() < w.key() }

// comparePublic compares v without its local segment to w, which must have
// no local segment.
func (v Version) comparePublic(w Version) int {
	return strings.Compare(v.key()[:v.coreLen], w.key()[:w.coreLen])
}

// sameBase reports whether v and w have equal epoch and release segments.
func (v Version) sameBase(w Version) bool {
	return v.key()[:v.baseLen] == w.key()[:w.baseLen]
}

// IsPrerelease reports whether v is a pre-release or a development release.
func (v Version) IsPrerelease() bool { return v.flags&(flagPre|flagDev) != 0 }

// IsPostrelease reports whether v has a post-release segment.
func (v Version) IsPostrelease() bool { return v.flags&flagPost != 0 }

// IsDevrelease reports whether v has a development-release segment.
func (v Version) IsDevrelease() bool { return v.flags&flagDev != 0 }

// Local returns the normalized local version label (after "+"), or "" when
// there is none.
func (v Version) Local() string {
	if v.flags&flagLocal == 0 {
		return ""
	}
	s := v.String()
	return s[strings.IndexByte(s, '+')+1:]
}

// Public returns v without its local version label.
func (v Version) Public() Version {
	if v.flags&flagLocal == 0 {
		return v
	}
	// The public version is v's string up to "+" and v's key with "no
	// local segment"; it is built from them rather than parsed again,
	// because a label packaging lower-cases to U+0307 does not re-parse.
	s := v.String()
	plus := strings.IndexByte(s, '+')
	key := v.key()
	buf := make([]byte, 0, plus+int(v.coreLen)+1)
	buf = append(append(append(buf, s[:plus]...), key[:v.coreLen]...), 0x01)
	return Version{buf: string(buf), slen: uint32(plus), baseLen: v.baseLen, coreLen: v.coreLen, flags: v.flags &^ flagLocal}
}

// BaseVersion returns the epoch and release segments of v, as packaging's
// Version.base_version.
func (v Version) BaseVersion() Version {
	s := v.String()
	end := releaseEnd(s)
	if end == len(s) {
		return v
	}
	return MustParse(s[:end])
}

// Epoch returns the epoch of v as a decimal string ("0" when none is given).
func (v Version) Epoch() string {
	if v.flags&flagEpoch == 0 {
		return "0"
	}
	s := v.String()
	return s[:strings.IndexByte(s, '!')]
}

// Release returns the release segment of v ("1.2.3" gives [1 2 3]), as
// written, including trailing zeros. Numbers too large for an int are
// reported as math.MaxInt, so two different versions can give the same
// slice; ReleaseStrings is exact for numbers of any size.
func (v Version) Release() []int {
	if !v.IsValid() {
		return nil
	}
	s := v.String()
	start := 0
	if v.flags&flagEpoch != 0 {
		start = strings.IndexByte(s, '!') + 1
	}
	rel := s[start:releaseEnd(s)]
	out := make([]int, 0, strings.Count(rel, ".")+1)
	for rest, more := rel, true; more; {
		var part string
		part, rest, more = strings.Cut(rest, ".")
		out = append(out, atoiClamp(part))
	}
	return out
}

// releaseEnd returns the end of the epoch and release segments in a
// normalized version string.
func releaseEnd(s string) int {
	i := strings.IndexByte(s, '!') + 1
	for i < len(s) && (isDigit(s[i]) || s[i] == '.' && i+1 < len(s) && isDigit(s[i+1])) {
		i++
	}
	return i
}

func atoiClamp(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		d := int(s[i] - '0')
		if n > (math.MaxInt-d)/10 {
			return math.MaxInt
		}
		n = n*10 + d
	}
	return n
}

// components holds the pieces of a version while it is parsed. Number fields
// are digit strings with leading zeros removed ("" for zero is never used:
// zero is "0").
type components struct {
	epoch    string
	release  string // the release segment as written, e.g. "1.02.0"
	relN     int    // number of release components
	preL     string // "a", "b" or "rc" ("" when no pre-release); see fold.go for others
	preN     string
	hasPost  bool
	oddPost  bool // the post label folded to "post" from a non-ASCII spelling
	postN    string
	hasDev   bool
	devN     string
	local    string // raw local label as written, "" when none
	wildcard bool   // the match ended with ".*" (specifier scanning only)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isSep(c byte) bool { return c == '-' || c == '_' || c == '.' }

func isAlnum(c byte) bool {
	return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'z')
}

// isPySpace reports whether r is whitespace for Python's str.isspace and the
// \s class of Python regular expressions on str.
func isPySpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// trimPySpace removes leading and trailing whitespace as Python's str.strip().
func trimPySpace(s string) string {
	return strings.TrimFunc(s, isPySpace)
}

// stripZeros removes leading zeros from a digit string, keeping one digit.
func stripZeros(d string) string {
	i := 0
	for i < len(d)-1 && d[i] == '0' {
		i++
	}
	return d[i:]
}

// digits returns the length of the run of ASCII digits at the start of s.
func digits(s string) int {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

var preWords = [...]struct{ word, norm string }{
	{"preview", "rc"}, {"alpha", "a"}, {"beta", "b"}, {"pre", "rc"},
	{"rc", "rc"}, {"a", "a"}, {"b", "b"}, {"c", "rc"},
}

var postWords = [...]string{"post", "rev", "r"}

// parse fills c from s and reports whether s is a valid version.
func (c *components) parse(s string) bool {
	s = trimPySpace(s)
	end := c.scan(s, true, false)
	return end > 0 && end == len(s)
}

// scan matches packaging's VERSION_PATTERN at the start of s (no leading
// whitespace) and returns the length of the match, 0 when there is none.
// The choices made here are the ones the (greedy) regular expression settles
// on. With wildcard, a ".*" directly after the release segment ends the
// match (the "==" specifier form) and sets c.wildcard. Without local, a
// local label is not part of the match.
func (c *components) scan(s string, local, wildcard bool) int {
	i := 0
	n := len(s)
	if i < n && s[i]|0x20 == 'v' {
		i++
	}
	d := digits(s[i:])
	if d == 0 {
		return 0
	}
	first := s[i : i+d]
	i += d
	c.epoch = "0"
	if i < n && s[i] == '!' {
		d = digits(s[i+1:])
		if d > 0 {
			c.epoch = stripZeros(first)
			first = s[i+1 : i+1+d]
			i += 1 + d
		}
	}
	relStart := i - len(first)
	c.relN = 1
	for i+1 < n && s[i] == '.' && isDigit(s[i+1]) {
		i += 1 + digits(s[i+1:])
		c.relN++
	}
	c.release = s[relStart:i]
	if wildcard && strings.HasPrefix(s[i:], ".*") {
		c.wildcard = true
		return i + 2
	}
	// Pre-release.
	j := i
	if j < n && isSep(s[j]) {
		j++
	}
	for _, w := range preWords {
		if j >= n || s[j]|0x20 != w.word[0] {
			continue
		}
		if m, unusual := matchWord(s[j:], w.word); m > 0 {
			c.preL = w.norm
			if unusual {
				c.preL = string(appendPyLower(nil, s[j:j+m]))
			}
			c.preN, i = optNumber(s, j+m)
			break
		}
	}
	// Post-release.
	if i+1 < n && s[i] == '-' && isDigit(s[i+1]) {
		d = digits(s[i+1:])
		c.hasPost = true
		c.postN = stripZeros(s[i+1 : i+1+d])
		i += 1 + d
	} else {
		j = i
		if j < n && isSep(s[j]) {
			j++
		}
		for _, w := range postWords {
			if j >= n || s[j]|0x20 != w[0] {
				continue
			}
			if m, unusual := matchWord(s[j:], w); m > 0 {
				c.hasPost = true
				c.oddPost = unusual
				c.postN, i = optNumber(s, j+m)
				break
			}
		}
	}
	// Development release.
	j = i
	if j < n && isSep(s[j]) {
		j++
	}
	if j < n && s[j]|0x20 == 'd' {
		if m, _ := matchWord(s[j:], "dev"); m > 0 {
			c.hasDev = true
			c.devN, i = optNumber(s, j+m)
		}
	}
	// Local version label.
	if local && i+1 < n && s[i] == '+' && localRune(s[i+1:]) > 0 {
		i++
		start := i
		for k := localRune(s[i:]); k > 0; k = localRune(s[i:]) {
			i += k
		}
		for i+1 < n && isSep(s[i]) && localRune(s[i+1:]) > 0 {
			i++
			for k := localRune(s[i:]); k > 0; k = localRune(s[i:]) {
				i += k
			}
		}
		c.local = s[start:i]
	}
	return i
}

// optNumber parses `[-_.]?[0-9]*` at s[i:], returning the number (zero when
// absent) and the new position. A separator not followed by digits is still
// consumed, as the regular expression does.
func optNumber(s string, i int) (string, int) {
	if i < len(s) && isSep(s[i]) {
		i++
	}
	d := digits(s[i:])
	if d == 0 {
		return "0", i
	}
	return stripZeros(s[i : i+d]), i + d
}

// Key encoding. Every component is encoded so that comparing keys as byte
// strings gives packaging's ordering:
//
//	number:   length byte (or 0xF0 + 4-byte length when >= 0xF0) then digits
//	epoch:    number
//	release:  0x02 number ... 0x01, trailing zeros removed
//	pre:      0x01 (dev-only, sorts first) | 0x02 label 0x00 number | 0x03 (none)
//	post:     0x01 (none) | 0x02 number | 0x03 number (label "poſt")
//	dev:      0x02 number | 0x03 (none)
//	local:    0x01 (none) | 0x02 parts... 0x01, where a part is
//	          0x02 lower-case-bytes 0x00 (string) or 0x03 number (integer)
func appendNum(b []byte, d string) []byte {
	if d == "0" {
		d = ""
	}
	if len(d) < 0xF0 {
		b = append(b, byte(len(d)))
	} else {
		l := uint32(len(d))
		b = append(b, 0xF0, byte(l>>24), byte(l>>16), byte(l>>8), byte(l))
	}
	return append(b, d...)
}

// build formats the normalized string and the key into one Version.
func (c *components) build() Version {
	var stack [64]byte
	b := stack[:0]
	var flags uint8
	if c.epoch != "0" {
		flags |= flagEpoch
		b = append(b, c.epoch...)
		b = append(b, '!')
	}
	for rest, first := c.release, true; rest != ""; first = false {
		var r string
		r, rest = nextPart(rest)
		if !first {
			b = append(b, '.')
		}
		b = append(b, stripZeros(r)...)
	}
	if c.preL != "" {
		flags |= flagPre
		b = append(b, c.preL...)
		b = append(b, c.preN...)
	}
	if c.hasPost {
		flags |= flagPost
		if c.oddPost {
			flags |= flagOddPost
		}
		b = append(b, ".post"...)
		b = append(b, c.postN...)
	}
	if c.hasDev {
		flags |= flagDev
		b = append(b, ".dev"...)
		b = append(b, c.devN...)
	}
	if c.local != "" {
		flags |= flagLocal
		b = append(b, '+')
		for rest, first := c.local, true; rest != ""; first = false {
			var p string
			p, rest = nextPart(rest)
			if !first {
				b = append(b, '.')
			}
			if isDigits(p) {
				b = append(b, stripZeros(p)...)
			} else {
				b = appendPyLower(b, p)
			}
		}
	}
	slen := len(b)
	b = appendNum(b, c.epoch)
	// Trailing zero components are left out of the key (1.0 == 1.0.0).
	rel := c.release
	for rel != "" {
		k := strings.LastIndexByte(rel, '.')
		if strings.TrimLeft(rel[k+1:], "0") != "" {
			break
		}
		rel = rel[:max(k, 0)]
	}
	for rel != "" {
		var r string
		r, rel = nextPart(rel)
		b = append(b, 0x02)
		b = appendNum(b, stripZeros(r))
	}
	b = append(b, 0x01)
	baseLen := len(b) - slen
	switch {
	case c.preL == "" && !c.hasPost && c.hasDev:
		b = append(b, 0x01)
	case c.preL == "":
		b = append(b, 0x03)
	default:
		b = append(b, 0x02)
		b = append(b, c.preL...)
		b = append(b, 0x00)
		b = appendNum(b, c.preN)
	}
	if c.hasPost {
		// packaging compares the post label too; only the long-s
		// spelling differs from "post", and it sorts after it.
		b = append(b, 0x02+boolByte(c.oddPost))
		b = appendNum(b, c.postN)
	} else {
		b = append(b, 0x01)
	}
	if c.hasDev {
		b = append(b, 0x02)
		b = appendNum(b, c.devN)
	} else {
		b = append(b, 0x03)
	}
	coreLen := len(b) - slen
	if c.local == "" {
		b = append(b, 0x01)
	} else {
		b = append(b, 0x02)
		for rest := c.local; rest != ""; {
			var p string
			p, rest = nextPart(rest)
			if isDigits(p) {
				b = append(b, 0x03)
				b = appendNum(b, stripZeros(p))
				continue
			}
			b = append(b, 0x02)
			b = appendPyLower(b, p)
			b = append(b, 0x00)
		}
		b = append(b, 0x01)
	}
	return Version{buf: string(b), slen: uint32(slen), baseLen: uint32(baseLen), coreLen: uint32(coreLen), flags: flags}
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// nextPart splits the first part off a release segment or local label
// (parts are separated by ".", "-" or "_").
func nextPart(s string) (part, rest string) {
	for i := 0; i < len(s); i++ {
		if isSep(s[i]) {
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}
