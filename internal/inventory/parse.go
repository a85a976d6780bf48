package inventory

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pyvet/pyvet/internal/safeio"
	"github.com/pyvet/pyvet/pep508"
)

// Options control how inputs are read.
type Options struct {
	// Env is the target environment markers are evaluated against. A declaration
	// whose marker evaluates to false is left out. Nil keeps every declaration.
	Env pep508.Env
	// NoIncludes stops requirements files from following -r / -c includes.
	NoIncludes bool
	// LookupEnv resolves ${VAR} in requirements files; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// ReadFile reads files (requirements includes, lockfiles); nil means
	// safeio.ReadFile with the safeio.MaxTextFile cap (regular files only).
	ReadFile func(string) ([]byte, error)
	// AllowOutsideIncludes lets requirements files include (-r, -c) files
	// outside their project: absolute paths, paths above the project root,
	// /proc, /dev and /sys. Without it such includes are errors.
	AllowOutsideIncludes bool
	// SkipEditable leaves out of the inventory Load returns the packages
	// installed from a local path or in editable mode (Package.Local), with
	// a warning saying how many (pip-audit's --skip-editable).
	SkipEditable bool
	// Requirements are paths among those Load is given that it reads as
	// requirements files whatever their name (pip's -r FILE), never
	// guessing their format.
	Requirements []string
	// EnvironmentOptions say how installed environments are read (the
	// active environment, --local, --path).
	EnvironmentOptions
}

func (o Options) readFile(path string) ([]byte, error) {
	if o.ReadFile != nil {
		return o.ReadFile(path)
	}
	return safeio.ReadFile(path, safeio.MaxTextFile)
}

func (o Options) lookupEnv(name string) (string, bool) {
	if o.LookupEnv != nil {
		return o.LookupEnv(name)
	}
	return os.LookupEnv(name)
}

// ParseError is a problem in an input file. Line is 0 when the format has no
// lines or the line is unknown.
type ParseError struct {
	File string
	Line int
	Msg  string
}

// Error returns "file:line: msg" (or "file: msg" without a line).
func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// maxMessage caps the message of a ParseError. Messages quote input only
// through safeio.Excerpt; the cap is the last guard against one that does
// not.
const maxMessage = 512

func errf(file string, line int, format string, args ...any) *ParseError {
	msg := fmt.Sprintf(format, args...)
	msg = strings.Join(strings.Fields(msg), " ") // one line, always
	if len(msg) > maxMessage {
		cut := maxMessage
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	return &ParseError{File: file, Line: line, Msg: msg}
}

// newPackage returns a package with its normalized and raw name.
func newPackage(raw string) *Package {
	raw = strings.TrimSpace(raw)
	return &Package{Name: normalizeName(raw), RawName: raw, Source: Source{Kind: SourceIndex}}
}

// canonicalName is the normalized name of raw, as newPackage(raw).Name.
func canonicalName(raw string) string {
	return normalizeName(strings.TrimSpace(raw))
}

// normalizeName is pep508.NormalizeName, returning name itself (no
// allocation) when it is already normalized: ASCII lower-case letters and
// digits with single hyphens, as most names of a lockfile are.
func normalizeName(name string) string {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' && (i == 0 || name[i-1] != '-') {
			continue
		}
		return pep508.NormalizeName(name)
	}
	return name
}

// lineOf returns the 1-based line number of byte offset off in data.
func lineOf(data []byte, off int) int {
	if off < 0 {
		return 0
	}
	if off > len(data) {
		off = len(data)
	}
	return bytes.Count(data[:off], []byte{'\n'}) + 1
}

// lineIndex maps byte offsets to line numbers in O(log n).
type lineIndex []int // offsets of '\n'

func newLineIndex(data []byte) lineIndex {
	idx := make(lineIndex, 0, bytes.Count(data, []byte{'\n'}))
	for off := 0; ; {
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			return idx
		}
		idx = append(idx, off+i)
		off += i + 1
	}
}

// line returns the 1-based line of byte offset off.
func (li lineIndex) line(off int) int {
	return sort.SearchInts(li, off) + 1
}

// tableLines returns the line of the name of each [[header]] table in data, in
// order (the line of `name = ...` inside the table, or the header line). When
// the file holds the tables in another shape (inline arrays), it finds the
// lines of the n names (name(i)) in order instead. The result has one entry
// per name (0 when not found).
func tableLines(data []byte, header string, n int, name func(int) string) []int {
	out := make([]int, n)
	li := newLineIndex(data)
	heads := make([]int, 0, n)
	want := []byte("[[" + header + "]]")
	// The lines that are the header alone, found by searching for the
	// header rather than by looking at every line.
	for off := 0; off < len(data); {
		k := bytes.Index(data[off:], want)
		if k < 0 {
			break
		}
		k += off
		start := bytes.LastIndexByte(data[:k], '\n') + 1
		end := bytes.IndexByte(data[k:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += k
		}
		if bytes.Equal(bytes.TrimSpace(data[start:end]), want) {
			heads = append(heads, start)
		}
		off = end + 1
	}
	if len(heads) == n {
		for i, h := range heads {
			out[i] = li.line(h)
			stop := len(data)
			if i+1 < len(heads) {
				stop = heads[i+1]
			}
			if j := indexLineStart(data[h:stop], "name = "); j >= 0 {
				out[i] = li.line(h + j)
			}
		}
		return out
	}
	// Another shape (inline arrays of tables): the `name = "..."` literals
	// of the names, in order.
	ix := newTomlIndex(data)
	pos := 0
	for i := range out {
		nm := name(i)
		q := strconv.Quote(nm)
		off := firstAtOrAfter(ix.names[nm], pos)
		if alt := firstAtOrAfter(ix.names[q[1:len(q)-1]], pos); alt >= 0 && (off < 0 || alt < off) {
			off = alt
		}
		if off >= 0 {
			out[i] = li.line(off)
			pos = off + 1
		}
	}
	return out
}

// indexLineStart finds pat at the start of a line (after indentation).
func indexLineStart(data []byte, pat string) int {
	p := []byte(pat)
	off := 0
	for off < len(data) {
		end := bytes.IndexByte(data[off:], '\n')
		if end < 0 {
			end = len(data) - off
		}
		line := data[off : off+end]
		trimmed := bytes.TrimLeft(line, " \t")
		if bytes.HasPrefix(trimmed, p) {
			return off + (len(line) - len(trimmed))
		}
		off += end + 1
	}
	return -1
}

// finish applies the target environment, removes duplicate hashes, extras,
// groups and index options (parsers append them; removing duplicates once
// here keeps parsing linear), links the graph and sorts packages.
func finish(inv *Inventory, opts Options) *Inventory {
	for _, p := range inv.Packages {
		p.Hashes = appendUniq(nil, p.Hashes...)
		p.Extras = appendUniq(nil, p.Extras...)
		p.Groups = appendUniq(nil, p.Groups...)
	}
	ix := &inv.Index
	ix.ExtraIndexURLs = appendUniq(nil, ix.ExtraIndexURLs...)
	ix.FindLinks = appendUniq(nil, ix.FindLinks...)
	ix.TrustedHosts = appendUniq(nil, ix.TrustedHosts...)
	if opts.Env != nil {
		kept := inv.Packages[:0]
		for _, p := range inv.Packages {
			if p.Marker != "" {
				if m, err := pep508.ParseMarker(p.Marker); err == nil && !m.Evaluate(opts.Env) {
					continue
				}
			}
			kept = append(kept, p)
		}
		inv.Packages = kept
	}
	linkParents(inv.Packages)
	sortPackages(inv.Packages)
	if inv.Sources == nil {
		inv.Sources = []SourceFile{}
	}
	if inv.Packages == nil {
		inv.Packages = []*Package{}
	}
	return inv
}

// linkParents fills Parents from Requires edges (and leaves them sorted).
func linkParents(pkgs []*Package) {
	byName := map[string][]*Package{}
	for _, p := range pkgs {
		byName[p.Name] = append(byName[p.Name], p)
	}
	for _, p := range pkgs {
		p.Requires = uniqSorted(p.Requires)
		for _, r := range p.Requires {
			for _, c := range byName[r] {
				if c != p {
					c.Parents = append(c.Parents, p.Name)
				}
			}
		}
	}
	for _, p := range pkgs {
		p.Parents = uniqSorted(p.Parents)
	}
}

// markRoots sets Direct on packages no other package requires: the best a
// lockfile without a recorded root can say.
func markRoots(pkgs []*Package) {
	linkParents(pkgs)
	for _, p := range pkgs {
		p.Direct = len(p.Parents) == 0
	}
}

func sortPackages(pkgs []*Package) {
	sort.SliceStable(pkgs, func(i, j int) bool {
		a, b := pkgs[i], pkgs[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.Version != b.Version {
			return a.Version < b.Version
		}
		return a.Specifier < b.Specifier
	})
}

func uniqSorted(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	sort.Strings(s)
	out := s[:1]
	for _, x := range s[1:] {
		if x != out[len(out)-1] {
			out = append(out, x)
		}
	}
	return out
}

// appendUniq appends to s the strings of xs that are neither empty nor in s
// already. One call is linear in len(s)+len(xs); a loop of calls that grows
// s is not, so parsers append and let finish call it once.
func appendUniq(s []string, xs ...string) []string {
	if len(s)+len(xs) > 16 {
		// A set keeps long lists (thousands of --hash options) linear.
		seen := make(map[string]bool, len(s)+len(xs))
		for _, y := range s {
			seen[y] = true
		}
		for _, x := range xs {
			if !seen[x] && x != "" {
				seen[x] = true
				s = append(s, x)
			}
		}
		return s
	}
	for _, x := range xs {
		found := false
		for _, y := range s {
			if y == x {
				found = true
				break
			}
		}
		if !found && x != "" {
			s = append(s, x)
		}
	}
	return s
}

// leadingName returns the project name at the start of a requirement string,
// for graph edges where a full parse is not needed.
func leadingName(s string) string {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' {
			i++
			continue
		}
		break
	}
	return strings.TrimRight(s[:i], "-_.")
}

// hashString returns "algo:hex" from the forms formats use ("algo:hex", "algo=hex").
func hashString(h string) string {
	h = strings.TrimSpace(h)
	if i := indexEither(h, ':', '='); i > 0 {
		if h[i] == ':' && isLowerASCII(h[:i]) {
			return h // already "algo:hex": no copy
		}
		return strings.ToLower(h[:i]) + ":" + h[i+1:]
	}
	return h
}

// indexEither is strings.IndexAny(s, string([]byte{a, b})) for two ASCII
// bytes, with the vectorised strings.IndexByte.
func indexEither(s string, a, b byte) int {
	i, j := strings.IndexByte(s, a), strings.IndexByte(s, b)
	if i < 0 || j >= 0 && j < i {
		return j
	}
	return i
}

// lastIndexEither is strings.LastIndexAny(s, string([]byte{a, b})) for two
// ASCII bytes.
func lastIndexEither(s string, a, b byte) int {
	// One pass from the end, which stops at the nearest (a URL's last
	// slash is a few bytes from its end).
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == a || s[i] == b {
			return i
		}
	}
	return -1
}

// isLowerASCII reports whether s holds no upper-case letter and no byte
// outside ASCII (strings.ToLower would return it unchanged).
func isLowerASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || 'A' <= c && c <= 'Z' {
			return false
		}
	}
	return true
}

// relDir joins p to the directory of file unless p is absolute or a URL.
func relDir(file, p string) string {
	if filepath.IsAbs(p) || strings.Contains(p, "://") {
		return p
	}
	return filepath.Join(filepath.Dir(file), p)
}

// isProjectDir reports whether dir (absolute or relative to the working
// directory) is the directory of file or its project root (see
// projectRoot): a package installed from there is the project itself.
func isProjectDir(file, dir string) bool {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	own, err := filepath.Abs(filepath.Dir(file))
	if err != nil {
		return false
	}
	return abs == own || abs == projectRoot(file)
}

// markProjectPaths marks as the project (Package.Project, not direct) the
// packages of file whose local path is file's directory or its project
// root. relToFile says the paths are as the file wrote them (relative to
// it), not yet joined to its directory.
func markProjectPaths(file string, pkgs []*Package, relToFile bool) {
	for _, p := range pkgs {
		if p.Source.Kind != SourcePath {
			continue
		}
		dir := p.Source.Path
		if dir == "" {
			dir = "."
		}
		if relToFile && !filepath.IsAbs(dir) {
			dir = filepath.Join(filepath.Dir(file), dir)
		}
		if isProjectDir(file, dir) {
			p.Project, p.Direct = true, false
		}
	}
}
