package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/pyvet/pyvet/internal/safeio"
)

// ---- poetry.lock ----

type poetryFile struct {
	File string `toml:"file"`
	Hash string `toml:"hash"`
}

type poetryLock struct {
	Package []struct {
		Name         string         `toml:"name"`
		Version      string         `toml:"version"`
		Category     string         `toml:"category"`
		Optional     bool           `toml:"optional"`
		Groups       []string       `toml:"groups"`
		Markers      any            `toml:"markers"`
		Files        []poetryFile   `toml:"files"`
		Dependencies map[string]any `toml:"dependencies"`
		Develop      bool           `toml:"develop"`
		Source       *struct {
			Type              string `toml:"type"`
			URL               string `toml:"url"`
			Reference         string `toml:"reference"`
			ResolvedReference string `toml:"resolved_reference"`
		} `toml:"source"`
	} `toml:"package"`
	Metadata struct {
		LockVersion string                  `toml:"lock-version"`
		Files       map[string][]poetryFile `toml:"files"`
		Hashes      map[string][]string     `toml:"hashes"`
	} `toml:"metadata"`
}

// ParsePoetryLock reads a poetry.lock (lock-version 1.x and 2.x). A poetry.lock
// does not record which packages the project declares: packages no other
// locked package requires are marked direct (Load corrects this from
// pyproject.toml when it is present).
func ParsePoetryLock(file string, data []byte, opts Options) (*Inventory, error) {
	var lock poetryLock
	if err := decodeTOML(file, data, &lock); err != nil {
		return nil, err
	}
	if err := checkLockVersion(file, "poetry.lock", "[metadata] lock-version", lock.Metadata.LockVersion, len(lock.Package), "1.", "2."); err != nil {
		return nil, err
	}
	lines := tableLines(data, "package", len(lock.Package), func(i int) string { return lock.Package[i].Name })
	metaFiles := map[string][]poetryFile{}
	for k, v := range lock.Metadata.Files {
		metaFiles[newPackage(k).Name] = v
	}
	metaHashes := map[string][]string{}
	for k, v := range lock.Metadata.Hashes {
		metaHashes[newPackage(k).Name] = v
	}
	inv := &Inventory{Sources: []SourceFile{{Path: file, Format: "poetry.lock"}}}
	for i, lp := range lock.Package {
		if lp.Name == "" {
			return nil, errf(file, lines[i], "package without a name")
		}
		p := newPackage(lp.Name)
		p.Version = lp.Version
		p.Locations = []Location{{File: file, Line: lines[i]}}
		p.Groups = append(p.Groups, lp.Groups...)
		if lp.Category != "" {
			p.Groups = append(p.Groups, lp.Category)
		}
		if m, ok := lp.Markers.(string); ok {
			p.Marker = m
		}
		files := lp.Files
		if len(files) == 0 {
			files = metaFiles[p.Name]
		}
		for _, f := range files {
			pf := File{Name: f.File}
			if f.Hash != "" {
				pf.Hashes = []string{hashString(f.Hash)}
				p.Hashes = append(p.Hashes, pf.Hashes...)
			}
			p.Files = append(p.Files, pf)
		}
		for _, h := range metaHashes[p.Name] {
			p.Hashes = append(p.Hashes, "sha256:"+h)
		}
		if s := lp.Source; s != nil {
			switch s.Type {
			case "git", "hg", "svn", "bzr":
				p.Source = Source{Kind: SourceVCS, VCS: s.Type, URL: s.URL, Ref: s.Reference, Commit: s.ResolvedReference}
			case "legacy":
				p.Source = Source{Kind: SourceIndex, URL: s.URL}
				p.Index = s.URL
			case "directory", "file":
				p.Source = Source{Kind: SourcePath, Path: s.URL, Editable: lp.Develop}
			case "url":
				p.Source = Source{Kind: SourceURL, URL: s.URL}
			}
		}
		for dep := range lp.Dependencies {
			p.Requires = append(p.Requires, newPackage(dep).Name)
		}
		inv.Packages = append(inv.Packages, p)
	}
	markRoots(inv.Packages)
	markProjectPaths(file, inv.Packages, true)
	return finish(inv, opts), nil
}

// checkLockVersion rejects lockfiles of a version this reader does not know,
// and files that are neither versioned nor hold any package.
func checkLockVersion(file, kind, key, version string, packages int, prefixes ...string) error {
	if version == "" {
		if packages == 0 {
			return errf(file, 0, "not a %s: no %s and no packages", kind, key)
		}
		return nil
	}
	for _, p := range prefixes {
		if strings.HasPrefix(version, p) {
			return nil
		}
	}
	return errf(file, 0, "unsupported %s %s %s", kind, key, safeio.Excerpt(version))
}

// addFileHashes adds the hashes of a package's files to its Hashes
// (finish removes duplicates).
func addFileHashes(p *Package) {
	for _, f := range p.Files {
		p.Hashes = append(p.Hashes, f.Hashes...)
	}
}

// ---- pdm.lock ----

type pdmLock struct {
	Metadata struct {
		Groups      []string `toml:"groups"`
		LockVersion string   `toml:"lock_version"`
	} `toml:"metadata"`
	Package []struct {
		Name         string   `toml:"name"`
		Version      string   `toml:"version"`
		Groups       []string `toml:"groups"`
		Marker       string   `toml:"marker"`
		Dependencies []string `toml:"dependencies"`
		Files        []struct {
			URL  string `toml:"url"`
			File string `toml:"file"`
			Hash string `toml:"hash"`
		} `toml:"files"`
		Git      string `toml:"git"`
		Ref      string `toml:"ref"`
		Revision string `toml:"revision"`
		URL      string `toml:"url"`
		Path     string `toml:"path"`
		Editable bool   `toml:"editable"`
	} `toml:"package"`
}

// ParsePDMLock reads a pdm.lock. Like poetry.lock it has no root: packages no
// other locked package requires are marked direct.
func ParsePDMLock(file string, data []byte, opts Options) (*Inventory, error) {
	var lock pdmLock
	if err := decodeTOML(file, data, &lock); err != nil {
		return nil, err
	}
	if err := checkLockVersion(file, "pdm.lock", "[metadata] lock_version", lock.Metadata.LockVersion, len(lock.Package), "3.", "4."); err != nil {
		return nil, err
	}
	lines := tableLines(data, "package", len(lock.Package), func(i int) string { return lock.Package[i].Name })
	inv := &Inventory{Sources: []SourceFile{{Path: file, Format: "pdm.lock"}}}
	for i, lp := range lock.Package {
		if lp.Name == "" {
			return nil, errf(file, lines[i], "package without a name")
		}
		p := newPackage(lp.Name)
		p.Version = lp.Version
		p.Locations = []Location{{File: file, Line: lines[i]}}
		p.Marker = lp.Marker
		p.Groups = append(p.Groups, lp.Groups...)
		switch {
		case lp.Git != "":
			p.Source = Source{Kind: SourceVCS, VCS: "git", URL: lp.Git, Ref: lp.Ref, Commit: lp.Revision}
		case lp.URL != "":
			p.Source = Source{Kind: SourceURL, URL: lp.URL}
		case lp.Path != "":
			p.Source = Source{Kind: SourcePath, Path: lp.Path, Editable: lp.Editable}
		}
		for _, f := range lp.Files {
			pf := File{URL: f.URL, Name: f.File}
			if pf.Name == "" {
				pf.Name = f.URL[strings.LastIndexByte(f.URL, '/')+1:]
			}
			if f.Hash != "" {
				pf.Hashes = []string{hashString(f.Hash)}
				p.Hashes = append(p.Hashes, pf.Hashes...)
			}
			p.Files = append(p.Files, pf)
		}
		for _, d := range lp.Dependencies {
			if n := leadingName(d); n != "" {
				p.Requires = append(p.Requires, newPackage(n).Name)
			}
		}
		inv.Packages = append(inv.Packages, p)
	}
	markRoots(inv.Packages)
	markProjectPaths(file, inv.Packages, true)
	return finish(inv, opts), nil
}

// ---- pylock.toml (PEP 751) ----

type pylockFile struct {
	Name   string            `toml:"name"`
	URL    string            `toml:"url"`
	Path   string            `toml:"path"`
	Size   int64             `toml:"size"`
	Hashes map[string]string `toml:"hashes"`
}

func (f pylockFile) file() File {
	out := File{Name: f.Name, URL: f.URL, Size: f.Size}
	if out.Name == "" {
		ref := f.URL + f.Path
		out.Name = ref[strings.LastIndexAny(ref, `/\`)+1:]
	}
	for _, algo := range sortedKeys(f.Hashes) {
		out.Hashes = append(out.Hashes, strings.ToLower(algo)+":"+f.Hashes[algo])
	}
	return out
}

type pylock struct {
	LockVersion string `toml:"lock-version"`
	CreatedBy   string `toml:"created-by"`
	Packages    []struct {
		Name         string           `toml:"name"`
		Version      string           `toml:"version"`
		Marker       string           `toml:"marker"`
		Index        string           `toml:"index"`
		Dependencies []map[string]any `toml:"dependencies"`
		VCS          *struct {
			Type              string `toml:"type"`
			URL               string `toml:"url"`
			Path              string `toml:"path"`
			RequestedRevision string `toml:"requested-revision"`
			CommitID          string `toml:"commit-id"`
		} `toml:"vcs"`
		Directory *struct {
			Path     string `toml:"path"`
			Editable bool   `toml:"editable"`
		} `toml:"directory"`
		Archive *pylockFile  `toml:"archive"`
		Sdist   *pylockFile  `toml:"sdist"`
		Wheels  []pylockFile `toml:"wheels"`
	} `toml:"packages"`
}

// ParsePylock reads a PEP 751 pylock.toml (lock-version 1.x). Local
// directories are kept with Project set when they are the lock's own project
// (path ".").
func ParsePylock(file string, data []byte, opts Options) (*Inventory, error) {
	var lock pylock
	if err := decodeTOML(file, data, &lock); err != nil {
		return nil, err
	}
	if lock.LockVersion == "" {
		return nil, errf(file, 0, "not a pylock.toml: no lock-version")
	}
	if !strings.HasPrefix(lock.LockVersion, "1.") && lock.LockVersion != "1" {
		return nil, errf(file, 0, "unsupported pylock lock-version %s", safeio.Excerpt(lock.LockVersion))
	}
	lines := tableLines(data, "packages", len(lock.Packages), func(i int) string { return lock.Packages[i].Name })
	inv := &Inventory{Sources: []SourceFile{{Path: file, Format: "pylock.toml"}}}
	for i, lp := range lock.Packages {
		if lp.Name == "" {
			return nil, errf(file, lines[i], "package %d has no name", i+1)
		}
		p := newPackage(lp.Name)
		p.Version = lp.Version
		p.Marker = lp.Marker
		p.Index = lp.Index
		p.Locations = []Location{{File: file, Line: lines[i]}}
		switch {
		case lp.VCS != nil:
			p.Source = Source{Kind: SourceVCS, VCS: lp.VCS.Type, URL: lp.VCS.URL, Path: lp.VCS.Path, Ref: lp.VCS.RequestedRevision, Commit: lp.VCS.CommitID}
		case lp.Directory != nil:
			p.Source = Source{Kind: SourcePath, Path: lp.Directory.Path, Editable: lp.Directory.Editable}
			p.Project = lp.Directory.Path == "."
		case lp.Archive != nil:
			if lp.Archive.URL != "" {
				p.Source = Source{Kind: SourceURL, URL: lp.Archive.URL}
			} else {
				p.Source = Source{Kind: SourcePath, Path: lp.Archive.Path}
			}
			p.Files = append(p.Files, lp.Archive.file())
		default:
			p.Source = Source{Kind: SourceIndex, URL: lp.Index}
		}
		if lp.Sdist != nil {
			p.Files = append(p.Files, lp.Sdist.file())
		}
		for _, w := range lp.Wheels {
			p.Files = append(p.Files, w.file())
		}
		addFileHashes(p)
		for _, d := range lp.Dependencies {
			if n, ok := d["name"].(string); ok {
				p.Requires = append(p.Requires, newPackage(n).Name)
			}
		}
		inv.Packages = append(inv.Packages, p)
	}
	markRoots(inv.Packages)
	markProjectPaths(file, inv.Packages, true)
	for _, p := range inv.Packages {
		if p.Project {
			p.Direct = false
		}
	}
	return finish(inv, opts), nil
}

// ---- Pipfile.lock ----

type pipfileLockEntry struct {
	Version  string   `json:"version"`
	Hashes   []string `json:"hashes"`
	Markers  string   `json:"markers"`
	Index    string   `json:"index"`
	Extras   []string `json:"extras"`
	Git      string   `json:"git"`
	Ref      string   `json:"ref"`
	Editable bool     `json:"editable"`
	Path     string   `json:"path"`
	File     string   `json:"file"`
}

// ParsePipfileLock reads a Pipfile.lock (JSON). Pipfile.lock has no graph:
// every entry is marked direct unless Load finds the Pipfile next to it.
// "develop" entries get the group "dev". The document is read in one pass
// that also gives each entry its line.
func ParsePipfileLock(file string, data []byte, opts Options) (*Inventory, error) {
	pl := &pipfileLockReader{file: file, data: data, li: newLineIndex(data), dec: json.NewDecoder(bytes.NewReader(data))}
	lock, err := pl.read()
	if err != nil {
		return nil, err
	}
	inv := &Inventory{Sources: []SourceFile{{Path: file, Format: "Pipfile.lock"}}}
	indexes := map[string]string{}
	var extra []string
	for i, s := range lock.sources {
		u := RedactURL(s.URL)
		if _, ok := indexes[s.Name]; !ok {
			indexes[s.Name] = u
		}
		if i == 0 {
			inv.Index.IndexURL = u
		} else {
			extra = append(extra, u)
		}
		inv.Index.Locations = append(inv.Index.Locations, Location{File: file, Line: s.line})
	}
	inv.Index.ExtraIndexURLs = extra
	for _, section := range []string{"default", "develop"} {
		for _, ent := range lock.sections[section] {
			e := ent.entry
			p := newPackage(ent.name)
			p.Locations = []Location{{File: file, Line: ent.line}}
			if v, ok := strings.CutPrefix(e.Version, "==="); ok {
				p.Version = v
			} else if v, ok := strings.CutPrefix(e.Version, "=="); ok && !strings.ContainsAny(v, "*,") {
				p.Version = v
			} else if e.Version != "*" {
				p.Specifier = e.Version
			}
			hashes := make([]string, len(e.Hashes))
			for i, h := range e.Hashes {
				hashes[i] = hashString(h)
			}
			p.Hashes = hashes
			p.Marker = e.Markers
			p.Extras = e.Extras
			p.Index = indexes[e.Index]
			switch {
			case e.Git != "":
				p.Source = Source{Kind: SourceVCS, VCS: "git", URL: e.Git, Ref: e.Ref, Editable: e.Editable}
				if isCommit(e.Ref) {
					p.Source.Commit = e.Ref
				}
			case e.Path != "":
				p.Source = Source{Kind: SourcePath, Path: e.Path, Editable: e.Editable}
			case e.File != "":
				p.Source = SourceFromURL(e.File)
			default:
				p.Source.URL = p.Index
			}
			p.Direct = true
			if section == "develop" {
				p.Groups = []string{"dev"}
			}
			inv.Packages = append(inv.Packages, p)
		}
	}
	markProjectPaths(file, inv.Packages, true)
	return finish(inv, opts), nil
}

// pipfileLockReader reads a Pipfile.lock token by token, so that every
// entry's line comes from the decoder's offset instead of a search.
type pipfileLockReader struct {
	file string
	data []byte
	li   lineIndex
	dec  *json.Decoder
}

type pipfileLockSource struct {
	Name string `json:"name"`
	URL  string `json:"url"`
	line int
}

type pipfileLockNamed struct {
	name  string
	entry pipfileLockEntry
	line  int
}

type pipfileLockDoc struct {
	sources  []pipfileLockSource
	sections map[string][]pipfileLockNamed
}

// line is the line of the next token: the decoder's offset after the
// separators that precede it.
func (pl *pipfileLockReader) line() int {
	off := int(pl.dec.InputOffset())
	for off < len(pl.data) && strings.IndexByte(" \t\r\n,:", pl.data[off]) >= 0 {
		off++
	}
	return pl.li.line(off)
}

func (pl *pipfileLockReader) fail(err error) error {
	return jsonError(pl.file, pl.data, err)
}

// open reads the start of an object or array (delim '{' or '['); ok is
// false for null.
func (pl *pipfileLockReader) open(what string, delim json.Delim) (ok bool, err error) {
	line := pl.line()
	tok, err := pl.dec.Token()
	if err != nil {
		return false, pl.fail(err)
	}
	if tok == nil {
		return false, nil
	}
	if d, isDelim := tok.(json.Delim); !isDelim || d != delim {
		kind := "an object"
		if delim == '[' {
			kind = "an array"
		}
		return false, errf(pl.file, line, "%s: expected %s", what, kind)
	}
	return true, nil
}

// close reads the end of the object or array open started.
func (pl *pipfileLockReader) close() error {
	if _, err := pl.dec.Token(); err != nil {
		return pl.fail(err)
	}
	return nil
}

// key reads an object key.
func (pl *pipfileLockReader) key() (string, int, error) {
	line := pl.line()
	tok, err := pl.dec.Token()
	if err != nil {
		return "", 0, pl.fail(err)
	}
	k, _ := tok.(string)
	return k, line, nil
}

// value decodes the next value into v (nil: skip it).
func (pl *pipfileLockReader) value(what string, v any) error {
	if v == nil {
		var raw json.RawMessage
		v = &raw
	}
	if err := pl.dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return errf(pl.file, lineOf(pl.data, int(te.Offset)), "%s: %s", what, boundedError(err))
		}
		return pl.fail(err)
	}
	return nil
}

func (pl *pipfileLockReader) read() (*pipfileLockDoc, error) {
	doc := &pipfileLockDoc{sections: map[string][]pipfileLockNamed{}}
	if ok, err := pl.open("Pipfile.lock", '{'); err != nil || !ok {
		if err == nil {
			err = errf(pl.file, 0, "not a Pipfile.lock: no _meta and no default section")
		}
		return nil, err
	}
	seen := map[string]bool{}
	for pl.dec.More() {
		k, _, err := pl.key()
		if err != nil {
			return nil, err
		}
		seen[k] = true
		switch k {
		case "_meta":
			if doc.sources, err = pl.meta(); err != nil {
				return nil, err
			}
		case "default", "develop":
			if doc.sections[k], err = pl.section(k); err != nil {
				return nil, err
			}
		default:
			if err := pl.value(k, nil); err != nil {
				return nil, err
			}
		}
	}
	if err := pl.close(); err != nil {
		return nil, err
	}
	if _, err := pl.dec.Token(); err != io.EOF {
		return nil, errf(pl.file, pl.line(), "data after the JSON document")
	}
	if !seen["_meta"] && !seen["default"] {
		return nil, errf(pl.file, 0, "not a Pipfile.lock: no _meta and no default section")
	}
	return doc, nil
}

func (pl *pipfileLockReader) meta() ([]pipfileLockSource, error) {
	if ok, err := pl.open("_meta", '{'); err != nil || !ok {
		return nil, err
	}
	var sources []pipfileLockSource
	for pl.dec.More() {
		k, _, err := pl.key()
		if err != nil {
			return nil, err
		}
		if k != "sources" {
			if err := pl.value("_meta "+clipName(k), nil); err != nil {
				return nil, err
			}
			continue
		}
		ok, err := pl.open("_meta sources", '[')
		if err != nil {
			return nil, err
		}
		sources = nil // a repeated key replaces the earlier value
		for ok && pl.dec.More() {
			s := pipfileLockSource{line: pl.line()}
			if err := pl.value("_meta sources", &s); err != nil {
				return nil, err
			}
			sources = append(sources, s)
		}
		if ok {
			if err := pl.close(); err != nil {
				return nil, err
			}
		}
	}
	return sources, pl.close()
}

func (pl *pipfileLockReader) section(name string) ([]pipfileLockNamed, error) {
	if ok, err := pl.open("section "+name, '{'); err != nil || !ok {
		return nil, err
	}
	var out []pipfileLockNamed
	at := map[string]int{}
	for pl.dec.More() {
		k, line, err := pl.key()
		if err != nil {
			return nil, err
		}
		ent := pipfileLockNamed{name: k, line: line}
		if err := pl.value("section "+name, &ent.entry); err != nil {
			return nil, err
		}
		if i, ok := at[k]; ok {
			out[i] = ent // a repeated key replaces the earlier entry, as in a JSON object
			continue
		}
		at[k] = len(out)
		out = append(out, ent)
	}
	return out, pl.close()
}

// jsonError gives a JSON syntax error its line.
func jsonError(file string, data []byte, err error) *ParseError {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return errf(file, lineOf(data, int(se.Offset)), "invalid JSON: %s", boundedError(err))
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return errf(file, 0, "empty file")
	}
	return errf(file, 0, "%s", boundedError(err))
}
