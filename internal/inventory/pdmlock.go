package inventory

import (
	"bytes"
	"path/filepath"
	"strings"
)

// pdmLockFormat is PDM's pdm.lock.
var pdmLockFormat = FileFormat{
	Name: FormatPDMLock,
	Kind: KindLock,
	Match: func(p string) bool {
		base := filepath.Base(p)
		return base == "pdm.lock" || strings.HasPrefix(base, "pdm.") && strings.HasSuffix(base, ".lock")
	},
	Sniff:         func(t []byte) bool { return !jsonHead(t) && bytes.Contains(t, []byte("lock_version")) },
	SniffStrength: 55,
	Examples:      []string{"pdm.lock"},
	ProjectFiles:  func(dir string) []string { return existing(dir, "pdm.lock") },
	Parse:         ParsePDMLock,
	Python:        pdmLockPython,
	Lock: &LockFormat{
		GuessesRoots: true,
		Upgrade:      func(name, to string, direct bool) string { return "pdm update " + name },
		Fresh:        pdmLockFresh,
	},
}

// pdmLockFresh compares a pdm.lock's content_hash with its pyproject.toml
// (sha256 hashes only).
func pdmLockFresh(path string, data []byte, read func(string) ([]byte, error)) (*LockState, error) {
	if filepath.Base(path) != "pdm.lock" {
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
	recorded, _ := lock.Metadata["content_hash"].(string)
	algo, hexHash, found := strings.Cut(recorded, ":")
	if !found || algo != "sha256" {
		return nil, nil // only sha256 is computed
	}
	return projectHashes(project, hexHash, lineContaining(data, "content_hash"), pdmHashes(proj)), nil
}

// pdmLockPython reads [metadata] requires_python and that of each target.
func pdmLockPython(data []byte) []PythonBound {
	var doc struct {
		Metadata struct {
			RequiresPython string `toml:"requires_python"`
			Targets        []struct {
				RequiresPython string `toml:"requires_python"`
			} `toml:"targets"`
		} `toml:"metadata"`
	}
	if decodeTOML("", data, &doc) != nil {
		return nil
	}
	var alts []string
	for _, t := range doc.Metadata.Targets {
		alts = append(alts, t.RequiresPython)
	}
	if doc.Metadata.RequiresPython != "" {
		alts = append(alts, doc.Metadata.RequiresPython)
	}
	if len(alts) == 0 {
		return nil
	}
	return []PythonBound{{What: "requires_python " + strings.Join(alts, " | "), Specs: alts}}
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
				p.Requires = append(p.Requires, canonicalName(n))
			}
		}
		inv.Packages = append(inv.Packages, p)
	}
	markRoots(inv.Packages)
	markProjectPaths(file, inv.Packages, true)
	return finish(inv, opts), nil
}

// pdmHashes computes pdm's content_hash (PyProject.content_hash) in the
// variants pdm releases have used.
func pdmHashes(proj map[string]any) []string {
	project := table(proj, "project")
	settings := table(proj, "tool", "pdm")
	get := func(m map[string]any, k string, def any) any {
		if v, ok := m[k]; ok {
			return v
		}
		return def
	}
	base := func() map[string]any {
		return map[string]any{
			"sources":               get(settings, "source", []any{}),
			"dependencies":          get(project, "dependencies", []any{}),
			"dev-dependencies":      get(settings, "dev-dependencies", map[string]any{}),
			"optional-dependencies": get(project, "optional-dependencies", map[string]any{}),
			"requires-python":       get(project, "requires-python", ""),
		}
	}
	var out []string
	// pdm 2.12 and later: the whole [tool.pdm.resolution] table.
	d0 := base()
	d0["resolution"] = table(settings, "resolution")
	out = append(out, sha256Hex(d0, false))
	// Earlier pdm 2.x: overrides under [tool.pdm.resolution] (or the older [tool.pdm.overrides]).
	overrides := get(table(settings, "resolution"), "overrides", nil)
	if overrides == nil {
		overrides = get(settings, "overrides", map[string]any{})
	}
	d := base()
	d["overrides"] = overrides
	out = append(out, sha256Hex(d, false))
	// Newer pdm merges PEP 735 [dependency-groups] into dev-dependencies.
	if groups, ok := proj["dependency-groups"].(map[string]any); ok {
		merged := map[string]any{}
		for k, v := range table(settings, "dev-dependencies") {
			merged[k] = v
		}
		for k, v := range groups {
			merged[k] = v
		}
		d2 := base()
		d2["overrides"] = overrides
		d2["dev-dependencies"] = merged
		out = append(out, sha256Hex(d2, false))
	}
	// pdm 1.x: no overrides key.
	out = append(out, sha256Hex(base(), false))
	return out
}
