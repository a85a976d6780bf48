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

	"github.com/pyvet/pyvet/internal/safeio"
)

// Caps on what an advisory database may hold, so that a hostile export (a
// decompression bomb, a zip of millions of entries, a YAML billion laughs)
// fails with an error instead of exhausting memory. The PyPA snapshot holds
// 7,080 advisories, 28 MB in all, the largest 41 KiB, in a 9.6 MB zip.
const (
	// maxAdvisorySize caps one advisory document (100 times the largest).
	maxAdvisorySize int64 = 4 << 20
	// maxTotalSize caps the advisory documents of one database together.
	maxTotalSize int64 = 512 << 20
	// maxEntries caps the entries of a zip and the advisory files of a
	// directory.
	maxEntries = 200_000
	// maxZipRatio caps the decompressed size of a zip's advisories per byte
	// of the archive (OSV JSON compresses about 3:1), above minZipBudget.
	maxZipRatio  = 16
	minZipBudget = 16 << 20
	// maxArchive caps an advisory zip or index file (the default download
	// limit).
	maxArchive int64 = 1 << 30
)

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
	b := yamlBudget{nodes: countNodes(&n, 0) + maxYAMLAliasNodes, bytes: maxAdvisorySize}
	v, err := b.value(&n, 0)
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

// maxYAMLAliasNodes is how many nodes the aliases of one YAML document may
// add when expanded. PyPA advisories use no aliases; a document whose
// aliases expand beyond this (a "billion laughs") is refused.
const maxYAMLAliasNodes = 10_000

// countNodes counts the nodes of a YAML tree, aliases not followed.
func countNodes(n *yaml.Node, depth int) int {
	if n == nil || depth > 100 {
		return 0
	}
	c := 1
	for _, k := range n.Content {
		c += countNodes(k, depth+1)
	}
	return c
}

// yamlBudget bounds what converting a YAML tree may produce: aliases are
// expanded, so a small document can name a huge tree.
type yamlBudget struct {
	nodes int   // nodes still allowed
	bytes int64 // scalar bytes still allowed
}

var errYAMLExpansion = errors.New("YAML aliases expand beyond the size of an advisory")

// value converts a YAML node to JSON-compatible values, keeping the text
// of timestamps and of numbers.
func (b *yamlBudget) value(n *yaml.Node, depth int) (any, error) {
	if depth > 100 {
		return nil, fmt.Errorf("line %d: nesting too deep", n.Line)
	}
	if b.nodes--; b.nodes < 0 {
		return nil, fmt.Errorf("line %d: %w", n.Line, errYAMLExpansion)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return b.value(n.Content[0], depth+1)
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, nil
		}
		return b.value(n.Alias, depth+1)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: mapping key is not a scalar", k.Line)
			}
			if b.bytes -= int64(len(k.Value)); b.bytes < 0 {
				return nil, fmt.Errorf("line %d: %w", k.Line, errYAMLExpansion)
			}
			v, err := b.value(n.Content[i+1], depth+1)
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := b.value(c, depth+1)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	case yaml.ScalarNode:
		if b.bytes -= int64(len(n.Value)); b.bytes < 0 {
			return nil, fmt.Errorf("line %d: %w", n.Line, errYAMLExpansion)
		}
		switch n.ShortTag() {
		case "!!null":
			return nil, nil
		case "!!bool":
			v, err := strconv.ParseBool(strings.ToLower(n.Value))
			if err != nil {
				return n.Value, nil
			}
			return v, nil
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
func parseDocument(file string, data []byte) (document, error) {
	name := entryName(file)
	switch strings.ToLower(filepath.Ext(file)) {
	case ".yaml", ".yml":
		e, raw, err := ParseYAML(name, data)
		return document{entry: e, raw: raw, name: name}, err
	default:
		e, err := ParseJSON(name, data)
		if err != nil {
			return document{}, err
		}
		return document{entry: e, raw: compactInPlace(data), name: name}, nil
	}
}

// compactJSON removes insignificant white space, so the stored advisory is
// smaller and faster to decode. data was already validated (it parsed), so
// white space outside strings is all there is to drop; the result is what
// json.Compact gives.
func compactJSON(data []byte) []byte { return compactInPlace(bytes.Clone(data)) }

// compactInPlace is compactJSON writing over data, which the caller owns.
func compactInPlace(data []byte) []byte {
	out := data[:0]
	in, esc := false, false
	for _, c := range data {
		switch {
		case in:
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				in = false
			}
		case c == '"':
			in = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			continue
		}
		out = append(out, c)
	}
	return out
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
	read  func(name string) ([]byte, error) // reads one file; errors name it
	close func() error
}

// entryName is a zip entry or file name as error messages show it: quoted
// and shortened when it is long or holds unusual characters.
func entryName(name string) string {
	if len(name) <= 80 && strings.IndexFunc(name, func(r rune) bool { return r < ' ' || r > '~' || r == '"' }) < 0 {
		return name
	}
	return safeio.Excerpt(name)
}

// openSource lists the advisory files of a zip or a directory. Anything else
// (a FIFO, a device) is refused before it is read.
func openSource(path string) (*source, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return openDirSource(path)
	}
	f, err := openArchive(path)
	if err != nil {
		return nil, err
	}
	src, err := openZipSource(path, f.OS(), f.Stat().Size())
	if err != nil {
		f.Close()
		return nil, err
	}
	src.close = f.Close
	return src, nil
}

// openArchive opens a zip or index file: a regular file (never a FIFO or
// device, which could block or never end) of at most maxArchive bytes.
func openArchive(path string) (*safeio.File, error) {
	f, err := safeio.Open(path, maxArchive)
	if err != nil {
		return nil, err
	}
	if f.Stat().Size() > maxArchive {
		f.Close()
		return nil, &safeio.TooLargeError{Path: path, Limit: maxArchive}
	}
	return f, nil
}

// openZipSource lists the advisories of a zip of size bytes, enforcing the
// entry count, the size of each advisory and their total size before
// anything is decompressed.
func openZipSource(path string, r io.ReaderAt, size int64) (*source, error) {
	if err := checkZipRecords(path, r, size); err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("%s: not a zip archive: %w", path, err)
	}
	if len(zr.File) > maxEntries {
		return nil, fmt.Errorf("%s: more than %d entries", path, maxEntries)
	}
	budget := min(maxTotalSize, max(minZipBudget, maxZipRatio*size))
	files := map[string]*zip.File{}
	src := &source{path: path}
	var total uint64
	for _, zf := range zr.File {
		if zf.FileInfo().IsDir() || !isAdvisoryFile(zf.Name) {
			continue
		}
		if zf.UncompressedSize64 > uint64(maxAdvisorySize) {
			return nil, fmt.Errorf("%s: %s: advisory of %d bytes, larger than the %s limit",
				path, entryName(zf.Name), zf.UncompressedSize64, safeio.HumanBytes(maxAdvisorySize))
		}
		if total += zf.UncompressedSize64; total > uint64(budget) {
			return nil, fmt.Errorf("%s: %s: the advisories decompress to more than %s (%d bytes of archive)",
				path, entryName(zf.Name), safeio.HumanBytes(budget), size)
		}
		files[zf.Name] = zf
		src.names = append(src.names, zf.Name)
	}
	sort.Strings(src.names)
	src.read = func(name string) ([]byte, error) {
		zf := files[name]
		where := path + ": " + entryName(name)
		rc, err := zf.Open()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		defer rc.Close()
		// The zip reader fails when an entry inflates beyond the size its
		// header declares, which was checked above; the cap holds anyway.
		// bytes.MinRead spare bytes, so reading to EOF does not grow it.
		buf := bytes.NewBuffer(make([]byte, 0, zf.UncompressedSize64+bytes.MinRead))
		if _, err := buf.ReadFrom(safeio.LimitReader(rc, maxAdvisorySize, where)); err != nil {
			var tl *safeio.TooLargeError
			switch {
			case errors.As(err, &tl):
				return nil, err
			case errors.Is(err, zip.ErrFormat) || errors.Is(err, zip.ErrChecksum):
				return nil, fmt.Errorf("%s: damaged entry: it inflates beyond its declared size or fails its checksum (%w)", where, err)
			}
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		return buf.Bytes(), nil
	}
	return src, nil
}

// centralSig starts every central directory record of a zip.
var centralSig = []byte("PK\x01\x02")

// checkZipRecords refuses a zip with more than maxEntries central directory
// records before the zip reader allocates one entry per record (it reads
// records until one does not parse, whatever count the archive declares).
// It counts the record signature through the whole file, in constant
// memory: every record starts with it, so the count is an upper bound.
func checkZipRecords(path string, r io.ReaderAt, size int64) error {
	const chunk = 1 << 20
	buf := make([]byte, chunk+len(centralSig)-1)
	n, keep := 0, 0
	for off := int64(0); off < size; off += chunk {
		m, err := r.ReadAt(buf[keep:keep+int(min(chunk, size-off))], off)
		if err != nil && err != io.EOF {
			return fmt.Errorf("%s: %w", path, err)
		}
		b := buf[:keep+m]
		n += bytes.Count(b, centralSig)
		if n > maxEntries {
			return fmt.Errorf("%s: more than %d entries", path, maxEntries)
		}
		// Keep the last bytes, so a signature across chunks is seen, but
		// not a whole one, so none is counted twice.
		keep = min(len(centralSig)-1, len(b))
		copy(buf, b[len(b)-keep:])
	}
	return nil
}

// openDirSource lists the advisory files of a directory tree (hidden files
// and directories left out). Advisory files must be regular files, each at
// most maxAdvisorySize, at most maxEntries of them and maxTotalSize in all.
func openDirSource(root string) (*source, error) {
	src := &source{path: root, close: func() error { return nil }}
	// Walk the directory a symlinked root points to.
	walkRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, err
	}
	var total int64
	err = filepath.WalkDir(walkRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != walkRoot && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !isAdvisoryFile(p) || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		info, err := d.Info()
		if err == nil && d.Type()&fs.ModeSymlink != 0 {
			info, err = os.Stat(p) // a link to a regular file is read as that file
		}
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return &safeio.NotRegularError{Path: entryName(p), Mode: info.Mode()}
		}
		if info.Size() > maxAdvisorySize {
			return fmt.Errorf("%s: advisory of %d bytes, larger than the %s limit", entryName(p), info.Size(), safeio.HumanBytes(maxAdvisorySize))
		}
		if total += info.Size(); total > maxTotalSize {
			return fmt.Errorf("%s: the advisories of %s are larger than %s in all", entryName(p), root, safeio.HumanBytes(maxTotalSize))
		}
		if len(src.names) == maxEntries {
			return fmt.Errorf("%s: more than %d advisory files", root, maxEntries)
		}
		rel, err := filepath.Rel(walkRoot, p)
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
		return safeio.ReadFile(filepath.Join(root, filepath.FromSlash(name)), maxAdvisorySize)
	}
	return src, nil
}
