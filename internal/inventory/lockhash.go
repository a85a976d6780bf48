package inventory

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// What the lockfile formats share to tell whether a lockfile is fresh: the
// hash a lock tool records of its project file is recomputed the way the
// tool computes it (Python's json.dumps of some of its tables).

// projectHashes compares the hash a lockfile records (at line) with the
// variants of its project file's hash; nil when either is missing.
func projectHashes(project, recorded string, line int, cands []string) *LockState {
	if recorded == "" || len(cands) == 0 {
		return nil
	}
	st := &LockState{Project: project, Recorded: recorded, Line: line, Computed: cands[0]}
	for _, h := range cands {
		if strings.EqualFold(h, recorded) {
			st.Fresh = true
			st.Computed = h
		}
	}
	return st
}

// readProjectTOML reads the project file named name next to the lockfile
// path: ok is false when it cannot be read (nothing to compare with).
func readProjectTOML(path, name string, read func(string) ([]byte, error)) (project string, doc map[string]any, ok bool, err error) {
	project = filepath.Join(filepath.Dir(path), name)
	data, rerr := read(project)
	if rerr != nil {
		return project, nil, false, nil
	}
	if err := decodeTOML(project, data, &doc); err != nil {
		return project, nil, false, err
	}
	return project, doc, true, nil
}

func lineContaining(data []byte, needle string) int {
	for i, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, needle) {
			return i + 1
		}
	}
	return 0
}

func table(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		next, ok := m[k].(map[string]any)
		if !ok {
			return map[string]any{}
		}
		m = next
	}
	return m
}

func sha256Hex(v any, compact bool) string {
	sum := sha256.Sum256([]byte(pyJSON(v, compact)))
	return hex.EncodeToString(sum[:])
}

// pyJSON encodes v as Python's json.dumps(v, sort_keys=True) does (with
// separators (",", ":") when compact), ensure_ascii included, so the bytes and
// their hash match what Python tools compute.
func pyJSON(v any, compact bool) string {
	var b strings.Builder
	writePyJSON(&b, v, compact)
	return b.String()
}

func writePyJSON(b *strings.Builder, v any, compact bool) {
	itemSep, keySep := ", ", ": "
	if compact {
		itemSep, keySep = ",", ":"
	}
	switch t := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if t {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case string:
		writePyString(b, t)
	case int64:
		b.WriteString(strconv.FormatInt(t, 10))
	case int:
		b.WriteString(strconv.Itoa(t))
	case float64:
		b.WriteString(pyFloat(t))
	case []any:
		b.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				b.WriteString(itemSep)
			}
			writePyJSON(b, e, compact)
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys) // UTF-8 byte order is code point order, as Python sorts
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(itemSep)
			}
			writePyString(b, k)
			b.WriteString(keySep)
			writePyJSON(b, t[k], compact)
		}
		b.WriteByte('}')
	case time.Time:
		writePyString(b, t.Format(time.RFC3339Nano))
	default:
		writePyString(b, fmt.Sprint(t))
	}
}

func writePyString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r < 0x20 || (r >= 0x7f && r < 0x10000):
				fmt.Fprintf(b, `\u%04x`, r)
			case r >= 0x10000:
				r -= 0x10000
				fmt.Fprintf(b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}

// pyFloat formats a float as Python's repr does.
func pyFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case math.IsNaN(f):
		return "NaN"
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	exp := 0
	if f != 0 {
		exp = int(math.Floor(math.Log10(math.Abs(f))))
	}
	if exp < -4 || exp >= 16 {
		s = strconv.FormatFloat(f, 'e', -1, 64)
		mant, e, _ := strings.Cut(s, "e")
		n, _ := strconv.Atoi(e)
		sign := "+"
		if n < 0 {
			sign, n = "-", -n
		}
		return fmt.Sprintf("%se%s%02d", mant, sign, n)
	}
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}
