package report

import (
	"encoding/json"
	"io"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
)

// jsonOut writes a JSON document piece by piece, byte for byte as
// json.Encoder with SetIndent("", "  ") writes the whole value: the hot
// objects (findings, dependencies, vulnerabilities) are appended by hand,
// small values are marshalled one at a time. It holds at most one chunk of
// output; the first write error is kept and ends the writing.
type jsonOut struct {
	w    io.Writer
	b    []byte
	err  error
	keys []string // scratch: the sorted keys of a map
}

// chunk is how much output jsonOut holds before it writes it.
const chunk = 64 << 10

func newJSONOut(w io.Writer) *jsonOut { return &jsonOut{w: w, b: make([]byte, 0, chunk+4096)} }

// flushIfFull writes the held output once it reaches a chunk.
func (o *jsonOut) flushIfFull() {
	if len(o.b) >= chunk {
		o.flush()
	}
}

// flush writes the held output; it returns the first error.
func (o *jsonOut) flush() error {
	if o.err == nil && len(o.b) > 0 {
		_, o.err = o.w.Write(o.b)
	}
	o.b = o.b[:0]
	return o.err
}

// nl starts a line at depth.
func (o *jsonOut) nl(depth int) {
	o.b = append(o.b, '\n')
	for range depth {
		o.b = append(o.b, ' ', ' ')
	}
}

// key writes the key of an object member at depth: a comma unless first.
func (o *jsonOut) key(depth int, first bool, k string) {
	if !first {
		o.b = append(o.b, ',')
	}
	o.nl(depth)
	o.b = appendJSONString(o.b, k)
	o.b = append(o.b, ':', ' ')
}

// str writes a string value.
func (o *jsonOut) str(s string) { o.b = appendJSONString(o.b, s) }

// boolean writes true or false.
func (o *jsonOut) boolean(v bool) { o.b = strconv.AppendBool(o.b, v) }

// strings writes an array of strings whose brackets sit at depth.
func (o *jsonOut) strings(depth int, list []string) {
	if len(list) == 0 {
		o.b = append(o.b, '[', ']')
		return
	}
	o.b = append(o.b, '[')
	for i, s := range list {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.nl(depth + 1)
		o.str(s)
	}
	o.nl(depth)
	o.b = append(o.b, ']')
}

// stringMap writes a map of strings, keys sorted, braces at depth.
func (o *jsonOut) stringMap(depth int, m map[string]string) {
	if len(m) == 0 {
		o.b = append(o.b, '{', '}')
		return
	}
	o.keys = o.keys[:0]
	for k := range m {
		o.keys = append(o.keys, k)
	}
	slices.Sort(o.keys)
	o.b = append(o.b, '{')
	for i, k := range o.keys {
		o.key(depth+1, i == 0, k)
		o.str(m[k])
	}
	o.nl(depth)
	o.b = append(o.b, '}')
}

// value writes v, marshalled and indented as at depth (a small value).
func (o *jsonOut) value(depth int, v any) {
	if o.err != nil {
		return
	}
	data, err := json.Marshal(v)
	if err != nil {
		o.err = err
		return
	}
	o.b = appendIndented(o.b, data, depth)
}

// appendIndented appends the compact JSON data re-indented as at depth
// (what json.Indent does with prefix depth*"  " and indent "  ").
func appendIndented(b, data []byte, depth int) []byte {
	needIndent := false
	level := depth
	inString, escaped := false, false
	for _, c := range data {
		if inString {
			b = append(b, c)
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		if needIndent && c != ']' && c != '}' {
			needIndent = false
			level++
			b = appendNewline(b, level)
		}
		switch c {
		case '"':
			inString = true
			b = append(b, c)
		case '{', '[':
			needIndent = true
			b = append(b, c)
		case ',':
			b = append(b, c)
			b = appendNewline(b, level)
		case ':':
			b = append(b, c, ' ')
		case '}', ']':
			if needIndent {
				needIndent = false // empty: {} or []
			} else {
				level--
				b = appendNewline(b, level)
			}
			b = append(b, c)
		default:
			b = append(b, c)
		}
	}
	return b
}

func appendNewline(b []byte, depth int) []byte {
	b = append(b, '\n')
	for range depth {
		b = append(b, ' ', ' ')
	}
	return b
}

// appendJSONFloat appends f as encoding/json writes a float64.
func appendJSONFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// jsonSafe marks the ASCII bytes encoding/json writes as they are with
// HTML escaping on (json.Marshal, json.Encoder's default).
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendJSONString appends s quoted as encoding/json quotes it: HTML
// characters, U+2028 and U+2029 escaped, invalid UTF-8 as U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// location writes a location object whose braces sit at depth.
func (o *jsonOut) location(depth int, l *inventory.Location) {
	o.b = append(o.b, '{')
	o.key(depth+1, true, "file")
	o.str(l.File)
	if l.Line != 0 {
		o.key(depth+1, false, "line")
		o.b = strconv.AppendInt(o.b, int64(l.Line), 10)
	}
	o.nl(depth)
	o.b = append(o.b, '}')
}

// finding writes f as a JSONFinding (the finding and its OWASP number)
// whose braces sit at depth; f is bounded and its location relative.
func (o *jsonOut) finding(depth int, f *finding.Finding) {
	d := depth + 1
	o.b = append(o.b, '{')
	o.key(d, true, "risk")
	o.str(string(f.Risk))
	o.key(d, false, "rule")
	o.str(f.Rule)
	if f.ID != "" {
		o.key(d, false, "id")
		o.str(f.ID)
	}
	if len(f.Aliases) > 0 {
		o.key(d, false, "aliases")
		o.strings(d, f.Aliases)
	}
	if f.Package != "" {
		o.key(d, false, "package")
		o.str(f.Package)
	}
	if f.Version != "" {
		o.key(d, false, "version")
		o.str(f.Version)
	}
	o.key(d, false, "severity")
	o.str(f.Severity.String())
	if f.CVSS != 0 {
		o.key(d, false, "cvss_score")
		o.b = appendJSONFloat(o.b, f.CVSS)
	}
	if f.Vector != "" {
		o.key(d, false, "cvss_vector")
		o.str(f.Vector)
	}
	o.key(d, false, "title")
	o.str(f.Title)
	if f.Detail != "" {
		o.key(d, false, "detail")
		o.str(f.Detail)
	}
	if f.Action != "" {
		o.key(d, false, "action")
		o.str(f.Action)
	}
	if len(f.Fix) > 0 {
		o.key(d, false, "fix_versions")
		o.strings(d, f.Fix)
	}
	o.key(d, false, "exact")
	o.boolean(f.Exact)
	if f.Location != nil {
		o.key(d, false, "location")
		o.location(d, f.Location)
	}
	if len(f.Path) > 0 {
		o.key(d, false, "path")
		o.strings(d, f.Path)
	}
	o.key(d, false, "direct")
	o.boolean(f.Direct)
	if len(f.Evidence) > 0 {
		o.key(d, false, "evidence")
		o.stringMap(d, f.Evidence)
	}
	if f.Ignored {
		o.key(d, false, "ignored")
		o.boolean(true)
	}
	if f.IgnoreReason != "" {
		o.key(d, false, "ignore_reason")
		o.str(f.IgnoreReason)
	}
	if f.Project != "" {
		o.key(d, false, "project")
		o.str(f.Project)
	}
	o.key(d, false, "owasp")
	o.b = strconv.AppendInt(o.b, int64(f.Risk.OWASPNumber()), 10)
	o.nl(depth)
	o.b = append(o.b, '}')
}

// vuln writes the pip-audit entry of the vulnerability finding f (bounded)
// under its dependency, braces at depth.
func (o *jsonOut) vuln(depth int, f *finding.Finding) {
	d := depth + 1
	o.b = append(o.b, '{')
	o.key(d, true, "id")
	o.str(f.ID)
	o.key(d, false, "fix_versions")
	o.strings(d, f.Fix)
	o.key(d, false, "aliases")
	o.strings(d, f.Aliases)
	o.key(d, false, "description")
	if f.Detail != "" {
		o.str(f.Detail)
	} else {
		o.str(f.Title)
	}
	o.key(d, false, "severity")
	o.str(f.Severity.String())
	if f.CVSS != 0 {
		o.key(d, false, "cvss_score")
		o.b = appendJSONFloat(o.b, f.CVSS)
	}
	o.key(d, false, "exact")
	o.boolean(f.Exact)
	o.nl(depth)
	o.b = append(o.b, '}')
}

// dependency writes a JSONDependency whose braces sit at depth; vulns
// writes its vulnerabilities (nil: the key is left out).
func (o *jsonOut) dependency(depth int, dep *JSONDependency, vulns func(depth int)) {
	d := depth + 1
	o.b = append(o.b, '{')
	o.key(d, true, "name")
	o.str(dep.Name)
	if dep.Version != "" {
		o.key(d, false, "version")
		o.str(dep.Version)
	}
	if vulns != nil {
		o.key(d, false, "vulns")
		vulns(d)
	}
	if dep.SkipReason != "" {
		o.key(d, false, "skip_reason")
		o.str(dep.SkipReason)
	}
	if dep.Specifier != "" {
		o.key(d, false, "specifier")
		o.str(dep.Specifier)
	}
	o.key(d, false, "direct")
	o.boolean(dep.Direct)
	if dep.Source != "" {
		o.key(d, false, "source")
		o.str(dep.Source)
	}
	if len(dep.Locations) > 0 {
		o.key(d, false, "locations")
		o.b = append(o.b, '[')
		for i := range dep.Locations {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			o.nl(d + 1)
			o.location(d+1, &dep.Locations[i])
		}
		o.nl(d)
		o.b = append(o.b, ']')
	}
	if len(dep.Requires) > 0 {
		o.key(d, false, "requires")
		o.strings(d, dep.Requires)
	}
	if len(dep.Parents) > 0 {
		o.key(d, false, "parents")
		o.strings(d, dep.Parents)
	}
	if dep.Resolved {
		o.key(d, false, "resolved")
		o.boolean(true)
	}
	o.nl(depth)
	o.b = append(o.b, '}')
}
