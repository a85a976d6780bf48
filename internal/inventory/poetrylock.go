package inventory

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
)

// poetryLockFormat is Poetry's poetry.lock.
var poetryLockFormat = FileFormat{
	Name: FormatPoetryLock,
	Kind: KindLock,
	Match: func(p string) bool {
		return baseIs(p, "poetry.lock") || strings.HasSuffix(filepath.Base(p), ".poetry.lock")
	},
	Sniff: func(t []byte) bool {
		return !jsonHead(t) && (bytes.Contains(t, []byte("[[package]]")) || bytes.Contains(t, []byte("content-hash")))
	},
	SniffStrength: 45,
	Examples:      []string{"poetry.lock"},
	ProjectFiles:  func(dir string) []string { return existing(dir, "poetry.lock") },
	MarksProject:  []string{"poetry.lock"},
	Parse:         ParsePoetryLock,
	Python:        poetryLockPython,
	Lock: &LockFormat{
		GuessesRoots: true,
		Upgrade: func(name, to string, direct bool) string {
			if direct {
				return fmt.Sprintf("poetry add %s@^%s", name, to)
			}
			return "poetry update " + name
		},
		Fresh: poetryLockFresh,
	},
}

// poetryLockFresh compares a poetry.lock's content-hash with its
// pyproject.toml.
func poetryLockFresh(path string, data []byte, read func(string) ([]byte, error)) (*LockState, error) {
	if filepath.Base(path) != "poetry.lock" {
		return nil, nil // a renamed copy: no project file of its own
	}
	project, proj, ok, err := readProjectTOML(path, "pyproject.toml", read)
	if !ok {
		return nil, err
	}
	var lock struct {
		Metadata map[string]any `toml:"metadata"`
	}
	if err := decodeTOML(path, data, &lock); err != nil {
		return nil, err
	}
	recorded, _ := lock.Metadata["content-hash"].(string)
	return projectHashes(project, recorded, lineContaining(data, "content-hash"), poetryHashes(proj)), nil
}

// poetryLockPython reads [metadata] python-versions.
func poetryLockPython(data []byte) []PythonBound {
	var doc struct {
		Metadata struct {
			PythonVersions string `toml:"python-versions"`
		} `toml:"metadata"`
	}
	if decodeTOML("", data, &doc) == nil && doc.Metadata.PythonVersions != "" {
		if spec, err := PoetryConstraint(doc.Metadata.PythonVersions); err == nil && spec != "" {
			return []PythonBound{{What: "python-versions " + doc.Metadata.PythonVersions, Specs: []string{spec}}}
		}
	}
	return nil
}

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
		metaFiles[canonicalName(k)] = v
	}
	metaHashes := map[string][]string{}
	for k, v := range lock.Metadata.Hashes {
		metaHashes[canonicalName(k)] = v
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
			p.Requires = append(p.Requires, canonicalName(dep))
		}
		inv.Packages = append(inv.Packages, p)
	}
	markRoots(inv.Packages)
	markProjectPaths(file, inv.Packages, true)
	return finish(inv, opts), nil
}

// poetryHashes computes poetry's content-hash (Locker._get_content_hash) of a
// pyproject. Poetry 1.1 to 2.x share it for [tool.poetry]-only projects; 2.x
// adds the [project] table.
func poetryHashes(proj map[string]any) []string {
	project := table(proj, "project")
	poetry := table(proj, "tool", "poetry")
	relProject := map[string]any{}
	for _, k := range []string{"requires-python", "dependencies", "optional-dependencies"} {
		if v, ok := project[k]; ok {
			relProject[k] = v
		}
	}
	legacy := map[string]bool{"dependencies": true, "source": true, "extras": true, "dev-dependencies": true}
	relPoetry := map[string]any{}
	for _, k := range []string{"dependencies", "source", "extras", "dev-dependencies", "group"} {
		v, ok := poetry[k]
		if !ok && (!legacy[k] || len(relProject) > 0) {
			continue
		}
		if ok {
			relPoetry[k] = v
		} else {
			relPoetry[k] = nil
		}
	}
	var content any = relPoetry
	if len(relProject) > 0 {
		content = map[string]any{"project": relProject, "tool": map[string]any{"poetry": relPoetry}}
	}
	out := []string{sha256Hex(content, false)}
	if len(relProject) > 0 {
		if groups, ok := proj["dependency-groups"]; ok { // newer poetry hashes PEP 735 groups too
			m := content.(map[string]any)
			m["dependency-groups"] = groups
			out = append(out, sha256Hex(m, false))
		}
	}
	return out
}
