package pypi

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// Metadata is a parsed core-metadata file (METADATA / PKG-INFO / FILE.metadata):
// header fields in order, multi-valued fields kept, and the body (description).
type Metadata struct {
	Fields map[string][]string // keys in canonical case, e.g. "Requires-Dist"
	Body   string
}

// Get returns the first value of field (case-insensitive), or "".
func (m *Metadata) Get(field string) string {
	if v := m.Fields[canonicalField(field)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// All returns every value of field (case-insensitive).
func (m *Metadata) All(field string) []string { return m.Fields[canonicalField(field)] }

func canonicalField(f string) string {
	parts := strings.Split(strings.ToLower(strings.TrimSpace(f)), "-")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "-")
}

// ParseMetadata parses core metadata in the email-header format of PEP 241/566.
// Continuation lines (starting with whitespace) extend the previous field; the
// first blank line ends the headers. name is used in error messages.
func ParseMetadata(data []byte, name string) (*Metadata, error) {
	m := &Metadata{Fields: map[string][]string{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	var last string
	line := 0
	for sc.Scan() {
		line++
		t := strings.TrimRight(sc.Text(), "\r")
		if t == "" {
			var body strings.Builder
			for sc.Scan() {
				body.WriteString(sc.Text())
				body.WriteByte('\n')
			}
			m.Body = body.String()
			break
		}
		if t[0] == ' ' || t[0] == '\t' {
			if last == "" {
				return nil, fmt.Errorf("%s:%d: continuation line before any field", name, line)
			}
			v := m.Fields[last]
			v[len(v)-1] += "\n" + strings.TrimSpace(t)
			continue
		}
		k, v, ok := strings.Cut(t, ":")
		if !ok || strings.TrimSpace(k) == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("%s:%d: not a metadata field: %q", name, line, truncate(t, 60))
		}
		last = canonicalField(k)
		m.Fields[last] = append(m.Fields[last], strings.TrimSpace(v))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(m.Fields) == 0 {
		return nil, fmt.Errorf("%s: empty metadata", name)
	}
	return m, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
