package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// pipfileLockFormat is Pipenv's Pipfile.lock.
var pipfileLockFormat = FileFormat{
	Name:  FormatPipfileLock,
	Kind:  KindLock,
	Match: func(p string) bool { return baseIs(p, "Pipfile.lock") },
	Sniff: func(t []byte) bool {
		return jsonHead(t) && (bytes.Contains(t, []byte(`"_meta"`)) || bytes.Contains(t, []byte(`"default"`)))
	},
	SniffStrength: 80,
	Examples:      []string{"Pipfile.lock"},
	ProjectFiles:  func(dir string) []string { return existing(dir, "Pipfile.lock") },
	Parse:         ParsePipfileLock,
	Python:        pipfileLockPython,
	Lock: &LockFormat{
		GuessesRoots: true,
		Upgrade:      func(name, to string, direct bool) string { return fmt.Sprintf("pipenv upgrade %s==%s", name, to) },
		Fresh:        pipfileLockFresh,
	},
}

// pipfileLockFresh compares a Pipfile.lock's _meta.hash.sha256 with its
// Pipfile.
func pipfileLockFresh(path string, data []byte, read func(string) ([]byte, error)) (*LockState, error) {
	if filepath.Base(path) != "Pipfile.lock" {
		return nil, nil
	}
	project, proj, ok, err := readProjectTOML(path, "Pipfile", read)
	if !ok {
		return nil, err
	}
	var lock struct {
		Meta struct {
			Hash map[string]any `json:"hash"`
		} `json:"_meta"`
	}
	if err := json.Unmarshal(data, &lock); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	recorded, _ := lock.Meta.Hash["sha256"].(string)
	return projectHashes(project, recorded, lineContaining(data, `"sha256"`), pipfileHashes(proj)), nil
}

// pipfileLockPython reads _meta.requires.
func pipfileLockPython(data []byte) []PythonBound {
	var doc struct {
		Meta struct {
			Requires struct {
				PythonVersion     string `json:"python_version"`
				PythonFullVersion string `json:"python_full_version"`
			} `json:"requires"`
		} `json:"_meta"`
	}
	if json.Unmarshal(data, &doc) != nil {
		return nil
	}
	return pipfilePython(doc.Meta.Requires.PythonVersion, doc.Meta.Requires.PythonFullVersion)
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

// pipfileHashes computes pipenv's Pipfile hash (plette Pipfile.get_hash).
func pipfileHashes(pf map[string]any) []string {
	sources, ok := pf["source"]
	if !ok {
		sources = []any{map[string]any{"name": "pypi", "url": "https://pypi.org/simple", "verify_ssl": true}}
	}
	get := func(k string) any {
		if v, ok := pf[k]; ok {
			return v
		}
		return map[string]any{}
	}
	data := map[string]any{
		"_meta":   map[string]any{"sources": sources, "requires": get("requires")},
		"default": get("packages"),
		"develop": get("dev-packages"),
	}
	out := []string{sha256Hex(data, true)}
	// pipenv 2022+ also hashes custom package categories.
	extra := false
	for k, v := range pf {
		switch k {
		case "source", "packages", "dev-packages", "requires", "scripts", "pipenv", "pipfile", "default", "develop":
			continue
		}
		data[k] = v
		extra = true
	}
	if extra {
		out = append(out, sha256Hex(data, true))
	}
	return out
}
