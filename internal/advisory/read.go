package advisory

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxAdvisorySize bounds one advisory document; real ones are a few kB.
const maxAdvisorySize = 16 << 20

// errNoID marks documents that are not advisories (no "id"); directory and zip
// readers skip them.
var errNoID = errors.New("not an OSV advisory (no id)")

// document is one advisory as read: its parsed form and its JSON text.
type document struct {
	entry *Entry
	raw   []byte // JSON
	name  string // file it came from
}

// ParseJSON parses one OSV advisory in JSON. name is used in error messages.
func ParseJSON(name string, data []byte) (*Entry, error) {
	var e Entry
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("%s: %w", name, jsonError(data, err))
	}
	if err := validate(&e); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &e, nil
}

// ParseYAML parses one OSV advisory in YAML (as the PyPA advisory database
// stores them) and returns it with its JSON form. Timestamps keep their text.
func ParseYAML(name string, data []byte) (*Entry, []byte, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	v, err := yamlValue(&n, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, nil, fmt.Errorf("%s:%d: %w", name, n.Line, errNoID)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	e, err := ParseJSON(name, raw)
	if err != nil {
		return nil, nil, err
	}
	return e, raw, nil
}

// validate checks what matching relies on.
func validate(e *Entry) error {
	if strings.TrimSpace(e.ID) == "" {
		return errNoID
	}
	for i, a := range e.Affected {
		for j, r := range a.Ranges {
			if r.Type == "" {
				return fmt.Errorf("affected[%d].ranges[%d]: missing type", i, j)
			}
		}
	}
	return nil
}

// jsonError adds the line and column to a JSON syntax or type error.
func jsonError(data []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return err
	}
	line := 1 + bytes.Count(data[:off], []byte{'\n'})
	return fmt.Errorf("line %d: %w", line, err)
}

// yamlValue converts a YAML node to JSON-compatible values, keeping the text
// of timestamps and of numbers.
func yamlValue(n *yaml.Node, depth int) (any, error) {
	if depth > 100 {
		return nil, fmt.Errorf("line %d: nesting too deep", n.Line)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return yamlValue(n.Content[0], depth+1)
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, nil
		}
		return yamlValue(n.Alias, depth+1)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: mapping key is not a scalar", k.Line)
			}
			v, err := yamlValue(n.Content[i+1], depth+1)
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := yamlValue(c, depth+1)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil, nil
		case "!!bool":
			b, err := strconv.ParseBool(strings.ToLower(n.Value))
			if err != nil {
				return n.Value, nil
			}
			return b, nil
		case "!!int", "!!float":
			if json.Valid([]byte(n.Value)) {
				return json.Number(n.Value), nil
			}
			return n.Value, nil
		}
		return n.Value, nil
	}
	return nil, fmt.Errorf("line %d: unsupported YAML node", n.Line)
}

// parseDocument parses one file by its extension.
func parseDocument(name string, data []byte) (document, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml":
		e, raw, err := ParseYAML(name, data)
		return document{entry: e, raw: raw, name: name}, err
	default:
		e, err := ParseJSON(name, data)
		if err != nil {
			return document{}, err
		}
		return document{entry: e, raw: compactJSON(data), name: name}, nil
	}
}

// compactJSON removes insignificant white space, so the stored advisory is
// smaller and faster to decode; data was already validated.
func compactJSON(data []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(data))
	if err := json.Compact(&b, data); err != nil {
		return data
	}
	return b.Bytes()
}

// isAdvisoryFile reports whether a file name looks like an OSV document.
func isAdvisoryFile(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json", ".yaml", ".yml":
		return true
	}
	return false
}

// source is a set of advisory files: a zip or a directory.
type source struct {
	path  string
	names []string                          // sorted
	read  func(name string) ([]byte, error) // reads one file
	close func() error
}

// openSource lists the advisory files of a zip or a directory.
func openSource(path string) (*source, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return openDirSource(path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(f, st.Size())
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: not a zip archive: %w", path, err)
	}
	files := map[string]*zip.File{}
	src := &source{path: path, close: f.Close}
	for _, zf := range zr.File {
		if zf.FileInfo().IsDir() || !isAdvisoryFile(zf.Name) {
			continue
		}
		if zf.UncompressedSize64 > maxAdvisorySize {
			f.Close()
			return nil, fmt.Errorf("%s: %s: advisory larger than %d bytes", path, zf.Name, maxAdvisorySize)
		}
		files[zf.Name] = zf
		src.names = append(src.names, zf.Name)
	}
	sort.Strings(src.names)
	src.read = func(name string) ([]byte, error) {
		zf := files[name]
		rc, err := zf.Open()
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		buf := bytes.NewBuffer(make([]byte, 0, zf.UncompressedSize64+1))
		_, err = buf.ReadFrom(io.LimitReader(rc, maxAdvisorySize+1))
		return buf.Bytes(), err
	}
	return src, nil
}

func openDirSource(root string) (*source, error) {
	src := &source{path: root, close: func() error { return nil }}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != root && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !isAdvisoryFile(p) || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		src.names = append(src.names, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(src.names)
	src.read = func(name string) ([]byte, error) {
		f, err := os.Open(filepath.Join(root, filepath.FromSlash(name)))
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return io.ReadAll(io.LimitReader(f, maxAdvisorySize+1))
	}
	return src, nil
}
