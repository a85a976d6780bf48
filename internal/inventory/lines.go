package inventory

import (
	"bytes"
	"sort"
	"strconv"
)

// Line numbers of declarations in TOML files. go-toml decodes values without
// positions, so the lines reports name are found in the text. Everything here
// reads the text once, into an index, and answers each lookup from the index
// (a map access and a binary search): a file of n declarations costs O(n log
// n) however many lookups are made, never a scan per declaration.

// tomlIndex records where headers, keys and single-line string literals
// appear in a TOML text.
type tomlIndex struct {
	headers map[string]int   // "[table]" / "[[array]]" -> offset of its first header line
	keys    map[string][]int // key at the start of a line (bare or quoted) -> offsets, ascending
	strs    map[string][]int // raw text of a one-line string literal -> offsets of its opening quote
	names   map[string][]int // like strs, for literals that are the value of a `name` key
}

// newTomlIndex scans data once. It follows TOML's lexical structure far
// enough for line finding (comments, basic and literal strings, multi-line
// strings, headers, keys) and never fails: text it does not understand is
// skipped.
func newTomlIndex(data []byte) *tomlIndex {
	ix := &tomlIndex{headers: map[string]int{}, keys: map[string][]int{}, strs: map[string][]int{}, names: map[string][]int{}}
	multi := "" // the closing delimiter of an open multi-line string
	for off := 0; off < len(data); {
		end := bytes.IndexByte(data[off:], '\n')
		if end < 0 {
			end = len(data) - off
		}
		ix.scanLine(off, data[off:off+end], &multi)
		off += end + 1
	}
	return ix
}

func isBareKeyChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// scanLine indexes one line starting at offset base.
func (ix *tomlIndex) scanLine(base int, line []byte, multi *string) {
	i := 0
	if *multi != "" {
		j := bytes.Index(line, []byte(*multi))
		if j < 0 {
			return
		}
		i, *multi = j+len(*multi), ""
	} else {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		switch {
		case i < len(line) && line[i] == '[':
			closer := []byte("]")
			if bytes.HasPrefix(line[i:], []byte("[[")) {
				closer = []byte("]]")
			}
			if j := bytes.Index(line[i:], closer); j > 0 {
				h := string(line[i : i+j+len(closer)])
				if _, ok := ix.headers[h]; !ok {
					ix.headers[h] = base + i
				}
				i += j + len(closer)
			}
		case i < len(line):
			if key, n := lineKey(line[i:]); n > 0 {
				rest := bytes.TrimLeft(line[i+n:], " \t")
				if len(rest) > 0 && (rest[0] == '=' || rest[0] == '.') {
					ix.keys[key] = append(ix.keys[key], base+i)
					i += n
				}
			}
		}
	}
	for i < len(line) {
		c := line[i]
		if c == '#' {
			return
		}
		if c != '"' && c != '\'' {
			i++
			continue
		}
		if i+2 < len(line) && line[i+1] == c && line[i+2] == c {
			delim := string([]byte{c, c, c})
			j := bytes.Index(line[i+3:], []byte(delim))
			if j < 0 {
				*multi = delim
				return
			}
			i += 3 + j + 3
			continue
		}
		j := i + 1
		for j < len(line) && line[j] != c {
			if c == '"' && line[j] == '\\' {
				j++
			}
			j++
		}
		if j >= len(line) {
			return // unterminated: not a string this index can place
		}
		s := string(line[i+1 : j])
		ix.strs[s] = append(ix.strs[s], base+i)
		if isNameValue(line[:i]) {
			ix.names[s] = append(ix.names[s], base+i)
		}
		i = j + 1
	}
}

// lineKey reads a bare or quoted key at the start of b; n is its length in
// bytes (0 when b does not start with a key).
func lineKey(b []byte) (key string, n int) {
	if len(b) > 0 && (b[0] == '"' || b[0] == '\'') {
		if j := bytes.IndexByte(b[1:], b[0]); j >= 0 {
			return string(b[1 : 1+j]), j + 2
		}
		return "", 0
	}
	for n < len(b) && isBareKeyChar(b[n]) {
		n++
	}
	return string(b[:n]), n
}

// isNameValue reports whether before (the text of a line before a string
// literal) ends in `name =`.
func isNameValue(before []byte) bool {
	t := bytes.TrimRight(before, " \t")
	if len(t) == 0 || t[len(t)-1] != '=' {
		return false
	}
	t = bytes.TrimRight(t[:len(t)-1], " \t")
	if !bytes.HasSuffix(t, []byte("name")) {
		return false
	}
	t = t[:len(t)-4]
	return len(t) == 0 || !isBareKeyChar(t[len(t)-1]) && t[len(t)-1] != '.'
}

// firstAtOrAfter returns the first offset in the ascending offs that is at
// least from, or -1.
func firstAtOrAfter(offs []int, from int) int {
	i := sort.SearchInts(offs, from)
	if i == len(offs) {
		return -1
	}
	return offs[i]
}

// lineFinder finds the lines of declarations in a TOML file: the first
// occurrence at or after the header of their section.
type lineFinder struct {
	li lineIndex
	ix *tomlIndex
}

func newLineFinder(data []byte) lineFinder {
	return lineFinder{li: newLineIndex(data), ix: newTomlIndex(data)}
}

// sectionStart is the offset of the header line of section ("" or a
// missing section: the start of the file).
func (lf lineFinder) sectionStart(section string) int {
	return lf.ix.headers[section]
}

// sectionLine is the line of section's header (0 when absent).
func (lf lineFinder) sectionLine(section string) int {
	if off, ok := lf.ix.headers[section]; ok {
		return lf.li.line(off)
	}
	return 0
}

// findKey returns the line of `key = ...` or `key.sub = ...` (bare or quoted
// key) at the start of a line after the section header; 0 when absent.
func (lf lineFinder) findKey(section, key string) int {
	if off := firstAtOrAfter(lf.ix.keys[key], lf.sectionStart(section)); off >= 0 {
		return lf.li.line(off)
	}
	return 0
}

// findString returns the line of the TOML string literal holding s (either
// quote style, escaped as strconv.Quote escapes it or not at all): its first
// occurrence after the section header, else its first occurrence anywhere;
// 0 when absent.
func (lf lineFinder) findString(section, s string) int {
	from := lf.sectionStart(section)
	q := strconv.Quote(s)
	best, anywhere := -1, -1
	for _, offs := range [][]int{lf.ix.strs[s], lf.ix.strs[q[1:len(q)-1]]} {
		if len(offs) == 0 {
			continue
		}
		if anywhere < 0 || offs[0] < anywhere {
			anywhere = offs[0]
		}
		if off := firstAtOrAfter(offs, from); off >= 0 && (best < 0 || off < best) {
			best = off
		}
	}
	if best < 0 {
		best = anywhere
	}
	if best < 0 {
		return 0
	}
	return lf.li.line(best)
}
