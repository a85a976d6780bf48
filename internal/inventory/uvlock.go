package inventory

import (
	"bytes"
	"fmt"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/pyvet/pyvet/internal/safeio"
	"github.com/pyvet/pyvet/pep508"
)

// uvLockFormat is uv's uv.lock.
var uvLockFormat = FileFormat{
	Name: FormatUVLock,
	Kind: KindLock,
	Match: func(p string) bool {
		base := filepath.Base(p)
		return base == "uv.lock" || strings.HasSuffix(base, ".uv.lock") || strings.HasSuffix(base, ".py.lock")
	},
	Sniff: func(t []byte) bool {
		return !jsonHead(t) && (bytes.Contains(t, []byte("[[package]]")) && bytes.Contains(t, []byte("source = {")) || bytes.HasPrefix(t, []byte("version = 1")))
	},
	SniffStrength: 50,
	Examples:      []string{"uv.lock"},
	ProjectFiles:  func(dir string) []string { return existing(dir, "uv.lock") },
	MarksProject:  []string{"uv.lock"},
	Parse:         ParseUVLock,
	Python:        uvLockPython,
	Lock: &LockFormat{
		Upgrade: func(name, to string, direct bool) string {
			return fmt.Sprintf("uv lock --upgrade-package %s==%s", name, to)
		},
	},
}

// uvLockPython reads requires-python.
func uvLockPython(data []byte) []PythonBound {
	var doc struct {
		RequiresPython string `toml:"requires-python"`
	}
	if decodeTOML("", data, &doc) == nil && doc.RequiresPython != "" {
		return []PythonBound{{What: "requires-python " + doc.RequiresPython, Specs: []string{doc.RequiresPython}}}
	}
	return nil
}

type uvLock struct {
	Version  int `toml:"version"`
	Manifest struct {
		Members []string `toml:"members"`
	} `toml:"manifest"`
	Package []uvPackage `toml:"package"`
}

type uvPackage struct {
	Name                 string             `toml:"name"`
	Version              string             `toml:"version"`
	Source               map[string]any     `toml:"source"`
	Dependencies         []uvDep            `toml:"dependencies"`
	OptionalDependencies map[string][]uvDep `toml:"optional-dependencies"`
	DevDependencies      map[string][]uvDep `toml:"dev-dependencies"`
	Sdist                *uvFile            `toml:"sdist"`
	Wheels               []uvFile           `toml:"wheels"`
}

type uvDep struct {
	Name    string   `toml:"name"`
	Version string   `toml:"version"`
	Marker  string   `toml:"marker"`
	Extra   []string `toml:"extra"`
}

type uvFile struct {
	URL      string `toml:"url"`
	Path     string `toml:"path"`
	Filename string `toml:"filename"`
	Hash     string `toml:"hash"`
	Size     int64  `toml:"size"`
	// UploadTime is uv's upload-time, an RFC 3339 string (recent uv versions).
	UploadTime any `toml:"upload-time"`
}

// ParseUVLock reads a uv.lock (also PEP 723 script locks). The project and its
// workspace members are kept with Project set; direct dependencies are what
// they declare (dependencies, optional dependencies and dev groups). With
// opts.Env, only the packages installed in that environment are kept (a
// uv.lock is universal: it holds every platform's and Python's packages).
func ParseUVLock(file string, data []byte, opts Options) (*Inventory, error) {
	var lock uvLock
	if err := decodeTOML(file, data, &lock); err != nil {
		return nil, err
	}
	if lock.Version == 0 && len(lock.Package) == 0 {
		return nil, errf(file, 0, "not a uv.lock: no version and no [[package]]")
	}
	if lock.Version > 1 {
		return nil, errf(file, 0, "unsupported uv.lock version %d", lock.Version)
	}
	lines := tableLines(data, "package", len(lock.Package), func(i int) string { return lock.Package[i].Name })
	members := map[string]bool{}
	for _, m := range lock.Manifest.Members {
		members[canonicalName(m)] = true
	}
	inv := &Inventory{Sources: []SourceFile{{Path: file, Format: "uv.lock"}}}
	var uploads uploadTimes
	var projects []*uvPackage
	for i := range lock.Package {
		lp := &lock.Package[i]
		if lp.Name == "" {
			return nil, errf(file, lines[i], "package without a name")
		}
		p := newPackage(lp.Name)
		p.Version = lp.Version
		p.Source, p.Index = uvSource(lp.Source)
		p.Locations = []Location{{File: file, Line: lines[i]}}
		nreq := len(lp.Dependencies)
		for _, deps := range lp.OptionalDependencies {
			nreq += len(deps)
		}
		if nreq > 0 {
			p.Requires = make([]string, 0, nreq)
		}
		for _, d := range lp.Dependencies {
			p.Requires = append(p.Requires, canonicalName(d.Name))
		}
		for _, deps := range lp.OptionalDependencies {
			for _, d := range deps {
				p.Requires = append(p.Requires, canonicalName(d.Name))
			}
		}
		var hashes []string // backing of the files' one-hash lists
		if n := len(lp.Wheels); lp.Sdist != nil || n > 0 {
			if lp.Sdist != nil {
				n++
			}
			p.Files = make([]File, 0, n)
			hashes = make([]string, 0, n)
		}
		if lp.Sdist != nil {
			p.Files = append(p.Files, lp.Sdist.file(&uploads, lines[i], &hashes))
		}
		for _, w := range lp.Wheels {
			p.Files = append(p.Files, w.file(&uploads, lines[i], &hashes))
		}
		addFileHashes(p)
		local := p.Source.Kind == SourcePath && (p.Source.Path == "." || p.Source.Editable || lp.Source["virtual"] != nil)
		if members[p.Name] || (len(members) == 0 && local && (p.Source.Path == "." || p.Source.Path == "")) {
			p.Project = true
			projects = append(projects, lp)
			// Dev dependencies of a project are part of its graph too.
			for _, deps := range lp.DevDependencies {
				for _, d := range deps {
					p.Requires = append(p.Requires, canonicalName(d.Name))
				}
			}
		}
		inv.Packages = append(inv.Packages, p)
	}
	byName := map[string][]*Package{}
	for _, p := range inv.Packages {
		byName[p.Name] = append(byName[p.Name], p)
	}
	if len(projects) == 0 {
		markRoots(inv.Packages)
	}
	mark := func(d uvDep, group string) {
		for _, q := range byName[canonicalName(d.Name)] {
			if q.Project {
				continue
			}
			q.Direct = true
			q.Groups = append(q.Groups, group) // finish removes duplicates
		}
	}
	for _, lp := range projects {
		for _, d := range lp.Dependencies {
			mark(d, "")
		}
		for _, g := range sortedKeys(lp.OptionalDependencies) {
			for _, d := range lp.OptionalDependencies[g] {
				mark(d, g)
			}
		}
		for _, g := range sortedKeys(lp.DevDependencies) {
			for _, d := range lp.DevDependencies[g] {
				mark(d, g)
			}
		}
	}
	if opts.Env != nil && len(projects) > 0 {
		inv.Packages = uvReachable(lock.Package, inv.Packages, opts.Env)
	}
	uploads.warn(inv, file)
	return finish(inv, opts), nil
}

// uvReachable keeps the packages installed for env: those reached from the
// project packages along dependency edges whose marker holds (extras
// requested on an edge included). Edges whose marker cannot be evaluated, or
// that depend on extras, are followed.
func uvReachable(lps []uvPackage, pkgs []*Package, env pep508.Env) []*Package {
	byName := map[string][]int{}
	for i, lp := range lps {
		n := normalizeName(lp.Name)
		byName[n] = append(byName[n], i)
	}
	type node struct {
		i     int
		extra string
	}
	seen := map[node]bool{}
	var queue []node
	push := func(n node) {
		if !seen[n] {
			seen[n] = true
			queue = append(queue, n)
		}
	}
	follow := func(d uvDep) {
		if d.Marker != "" && !strings.Contains(d.Marker, "extra") {
			if m, err := pep508.ParseMarker(d.Marker); err == nil && !m.Evaluate(env) {
				return
			}
		}
		for _, j := range byName[normalizeName(d.Name)] {
			if d.Version != "" && lps[j].Version != d.Version {
				continue
			}
			push(node{j, ""})
			for _, e := range d.Extra {
				push(node{j, e})
			}
		}
	}
	for i, p := range pkgs {
		if p.Project {
			push(node{i, ""})
			for e := range lps[i].OptionalDependencies {
				push(node{i, e})
			}
			for _, deps := range lps[i].DevDependencies {
				for _, d := range deps {
					follow(d)
				}
			}
		}
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		deps := lps[n.i].Dependencies
		if n.extra != "" {
			deps = lps[n.i].OptionalDependencies[n.extra]
		}
		for _, d := range deps {
			follow(d)
		}
	}
	kept := make([]*Package, 0, len(pkgs))
	names := map[string]bool{}
	for i, p := range pkgs {
		if seen[node{i, ""}] {
			kept = append(kept, p)
			names[p.Name] = true
		}
	}
	for _, p := range kept {
		reqs := p.Requires[:0]
		for _, r := range p.Requires {
			if names[r] {
				reqs = append(reqs, r)
			}
		}
		p.Requires = reqs
	}
	return kept
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// file converts f; its hash is appended to *hashes, of which out.Hashes is
// a slice of capacity 1 (one allocation for the hashes of all the files of
// a package).
func (f uvFile) file(uploads *uploadTimes, line int, hashes *[]string) File {
	out := File{URL: f.URL, Size: f.Size, Name: f.Filename, Uploaded: uploads.read(f.UploadTime, line)}
	if out.Name == "" {
		ref := f.URL
		if ref == "" {
			ref = f.Path
		}
		if i := indexEither(ref, '?', '#'); i >= 0 {
			ref = ref[:i]
		}
		out.Name = ref[lastIndexEither(ref, '/', '\\')+1:]
	}
	if f.Hash != "" {
		*hashes = append(*hashes, hashString(f.Hash))
		k := len(*hashes)
		out.Hashes = (*hashes)[k-1 : k : k]
	}
	return out
}

// uvSource converts a uv source table; the second result is the index URL.
func uvSource(src map[string]any) (Source, string) {
	str := func(k string) string { s, _ := src[k].(string); return s }
	switch {
	case str("registry") != "":
		return Source{Kind: SourceIndex, URL: str("registry")}, str("registry")
	case str("git") != "":
		raw := str("git")
		s := Source{Kind: SourceVCS, VCS: "git"}
		if i := strings.IndexByte(raw, '#'); i >= 0 {
			s.Commit = raw[i+1:]
			raw = raw[:i]
		}
		if u, err := url.Parse(raw); err == nil {
			q := u.Query()
			for _, k := range []string{"rev", "tag", "branch"} {
				if v := q.Get(k); v != "" {
					s.Ref = v
				}
			}
			u.RawQuery = ""
			raw = u.String()
		}
		s.URL = raw
		if s.Ref == "" {
			s.Ref = s.Commit
		}
		return s, ""
	case str("url") != "":
		return Source{Kind: SourceURL, URL: str("url")}, ""
	case str("editable") != "":
		return Source{Kind: SourcePath, Path: str("editable"), Editable: true}, ""
	case str("virtual") != "":
		return Source{Kind: SourcePath, Path: str("virtual")}, ""
	case str("directory") != "":
		return Source{Kind: SourcePath, Path: str("directory")}, ""
	case str("path") != "":
		return Source{Kind: SourcePath, Path: str("path")}, ""
	}
	return Source{Kind: SourceIndex}, ""
}

// uploadTimes reads the upload-time values of a lockfile's files and counts
// those that are not date-times, which are left out with one warning for the
// file rather than failing it: the time only feeds the cooldown check.
type uploadTimes struct {
	bad   int
	line  int    // of the package holding the first bad value
	value string // the first bad value, quoted
}

// read returns v as RFC 3339 in UTC, or "" when v is absent or not a
// date-time (then counted). v is a TOML offset date-time (PEP 751), a local
// date-time (taken as UTC, which PEP 751 requires upload times to be in) or
// a string holding either (uv.lock writes "2024-10-28T19:06:27.857Z").
func (u *uploadTimes) read(v any, line int) string {
	var t time.Time
	switch x := v.(type) {
	case nil:
		return ""
	case time.Time:
		t = x
	case toml.LocalDateTime:
		t = x.AsTime(time.UTC)
	case string:
		t = parseUploadTime(x)
	}
	if t.IsZero() {
		if u.bad == 0 {
			u.line = line
			if s, ok := v.(string); ok {
				u.value = safeio.Excerpt(s)
			} else {
				u.value = fmt.Sprintf("%T", v)
			}
		}
		u.bad++
		return ""
	}
	var buf [64]byte
	out := t.UTC().AppendFormat(buf[:0], time.RFC3339Nano)
	if s, ok := v.(string); ok && s == string(out) {
		return s // written the way it is printed (uv.lock's form): no copy
	}
	return string(out)
}

// parseUploadTime parses an upload time written as a string: RFC 3339, with
// a T or a space between date and time.
func parseUploadTime(s string) time.Time {
	s = strings.TrimSpace(s)
	if len(s) > 10 && s[10] == ' ' {
		s = s[:10] + "T" + s[11:]
	}
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// warn adds the one warning for the bad values to inv.
func (u *uploadTimes) warn(inv *Inventory, file string) {
	if u.bad == 0 {
		return
	}
	inv.Warnings = append(inv.Warnings, fmt.Sprintf("%s:%d: %d upload-time value(s) are not date-times and were ignored (the first: %s)", file, u.line, u.bad, u.value))
}
