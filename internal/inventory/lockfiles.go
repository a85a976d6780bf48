package inventory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pelletier/go-toml/v2"
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
	if err := toml.Unmarshal(data, &lock); err != nil {
		return nil, tomlError(file, err)
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
			p.Groups = appendUniq(p.Groups, lp.Category)
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
				p.Hashes = appendUniq(p.Hashes, pf.Hashes...)
			}
			p.Files = append(p.Files, pf)
		}
		for _, h := range metaHashes[p.Name] {
			p.Hashes = appendUniq(p.Hashes, "sha256:"+h)
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
	return errf(file, 0, "unsupported %s %s %q", kind, key, version)
}

// addFileHashes adds the hashes of a package's files to its Hashes.
func addFileHashes(p *Package) {
	for _, f := range p.Files {
		p.Hashes = appendUniq(p.Hashes, f.Hashes...)
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
	if err := toml.Unmarshal(data, &lock); err != nil {
		return nil, tomlError(file, err)
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
				p.Hashes = appendUniq(p.Hashes, pf.Hashes...)
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
	if err := toml.Unmarshal(data, &lock); err != nil {
		return nil, tomlError(file, err)
	}
	if lock.LockVersion == "" {
		return nil, errf(file, 0, "not a pylock.toml: no lock-version")
	}
	if !strings.HasPrefix(lock.LockVersion, "1.") && lock.LockVersion != "1" {
		return nil, errf(file, 0, "unsupported pylock lock-version %q", lock.LockVersion)
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
// "develop" entries get the group "dev".
func ParsePipfileLock(file string, data []byte, opts Options) (*Inventory, error) {
	var doc struct {
		Meta struct {
			Sources []struct {
				Name string `json:"name"`
				URL  string `json:"url"`
			} `json:"sources"`
		} `json:"_meta"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, jsonError(file, data, err)
	}
	// Sections keep file order so line lookups move forward.
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, jsonError(file, data, err)
	}
	if _, ok := raw["_meta"]; !ok {
		if _, ok := raw["default"]; !ok {
			return nil, errf(file, 0, "not a Pipfile.lock: no _meta and no default section")
		}
	}
	inv := &Inventory{Sources: []SourceFile{{Path: file, Format: "Pipfile.lock"}}}
	indexes := map[string]string{}
	for i, s := range doc.Meta.Sources {
		indexes[s.Name] = RedactURL(s.URL)
		if i == 0 {
			inv.Index.IndexURL = RedactURL(s.URL)
		} else {
			inv.Index.ExtraIndexURLs = appendUniq(inv.Index.ExtraIndexURLs, RedactURL(s.URL))
		}
		if j := bytes.Index(data, []byte(s.URL)); j >= 0 {
			inv.Index.Locations = append(inv.Index.Locations, Location{File: file, Line: lineOf(data, j)})
		}
	}
	var li lineIndex
	for _, section := range []string{"default", "develop"} {
		body, ok := raw[section]
		if !ok || string(body) == "null" {
			continue
		}
		var entries map[string]pipfileLockEntry
		if err := json.Unmarshal(body, &entries); err != nil {
			return nil, errf(file, lineOf(data, bytes.Index(data, []byte(`"`+section+`"`))), "section %s: %v", section, err)
		}
		secOff := bytes.Index(data, []byte(`"`+section+`"`))
		if li == nil {
			li = newLineIndex(data)
		}
		for _, name := range sortedKeys(entries) {
			e := entries[name]
			p := newPackage(name)
			line := 0
			if secOff >= 0 {
				j := bytes.Index(data[secOff:], []byte(`"`+name+`": {`))
				if j < 0 {
					j = bytes.Index(data[secOff:], []byte(`"`+name+`"`))
				}
				if j >= 0 {
					line = li.line(secOff + j)
				}
			}
			p.Locations = []Location{{File: file, Line: line}}
			if v, ok := strings.CutPrefix(e.Version, "==="); ok {
				p.Version = v
			} else if v, ok := strings.CutPrefix(e.Version, "=="); ok && !strings.ContainsAny(v, "*,") {
				p.Version = v
			} else if e.Version != "*" {
				p.Specifier = e.Version
			}
			for _, h := range e.Hashes {
				p.Hashes = appendUniq(p.Hashes, hashString(h))
			}
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
	return finish(inv, opts), nil
}

// jsonError gives a JSON syntax error its line.
func jsonError(file string, data []byte, err error) *ParseError {
	if se, ok := err.(*json.SyntaxError); ok {
		return errf(file, lineOf(data, int(se.Offset)), "invalid JSON: %v", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return errf(file, 0, "empty file")
	}
	return errf(file, 0, "%s", fmt.Sprint(err))
}
