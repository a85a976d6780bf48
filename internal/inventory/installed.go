package inventory

import (
	"bufio"
	"bytes"
	"encoding/csv"
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

	"github.com/pyvet/pyvet/internal/safeio"
	"github.com/pyvet/pyvet/pep508"
)

// metadataFormat is a core metadata file: METADATA or PKG-INFO.
var metadataFormat = FileFormat{
	Name:  FormatMetadata,
	Match: func(p string) bool { return baseIs(p, "METADATA", "PKG-INFO") },
	Sniff: func(t []byte) bool {
		return !jsonHead(t) && (bytes.HasPrefix(t, []byte("Metadata-Version:")) || bytes.HasPrefix(t, []byte("Name:")))
	},
	SniffStrength: 40,
	Parse:         parseMetadataFile,
}

func parseMetadataFile(file string, data []byte, opts Options) (*Inventory, error) {
	md, err := ParseMetadata(file, data)
	if err != nil {
		return nil, err
	}
	p := packageFromMetadata(md, opts.Env)
	p.Direct = true
	p.Locations = []Location{{File: file}}
	return finish(&Inventory{Sources: []SourceFile{{Path: file, Format: string(FormatMetadata)}}, Packages: []*Package{p}}, opts), nil
}

// Metadata is the part of a core metadata file (METADATA, PKG-INFO) pyvet uses.
type Metadata struct {
	Name            string
	Version         string
	License         string   // License-Expression when present, else License
	Classifiers     []string // License :: classifiers and the rest
	RequiresDist    []string
	RequiresPython  string
	ProvidesExtra   []string
	MetadataVersion string
}

// ParseMetadata reads a core metadata file (RFC 822 headers as Python's email
// parser reads them: the first line that is not a header ends the headers).
// The first value of a repeated single-use field wins.
func ParseMetadata(file string, data []byte) (*Metadata, error) {
	md := &Metadata{}
	var key, val string
	flush := func() {
		if key == "" {
			return
		}
		v := strings.TrimSpace(val)
		switch strings.ToLower(key) {
		case "name":
			if md.Name == "" {
				md.Name = v
			}
		case "version":
			if md.Version == "" {
				md.Version = v
			}
		case "license-expression":
			md.License = v
		case "license":
			if md.License == "" && !strings.Contains(v, "\n") && len(v) < 200 {
				md.License = v
			}
		case "classifier":
			md.Classifiers = append(md.Classifiers, v)
		case "requires-dist":
			md.RequiresDist = append(md.RequiresDist, v)
		case "requires-python":
			md.RequiresPython = v
		case "provides-extra":
			md.ProvidesExtra = append(md.ProvidesExtra, v)
		case "metadata-version":
			md.MetadataVersion = v
		}
		key, val = "", ""
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 4<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if key != "" {
				val += "\n" + strings.TrimSpace(line)
			}
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok || strings.ContainsAny(k, " \t") {
			break // not a header: the body starts here
		}
		flush()
		key, val = k, v
	}
	flush()
	if md.Name == "" {
		return nil, errf(file, 0, "core metadata has no Name field")
	}
	if md.Version == "" {
		return nil, errf(file, 0, "core metadata of %s has no Version field", clipName(md.Name))
	}
	return md, nil
}

// packageFromMetadata turns installed or archived metadata into a package.
// Requires lists the unconditional dependencies (and, with env, the ones whose
// marker holds there); extras-only dependencies are not edges.
func packageFromMetadata(md *Metadata, env pep508.Env) *Package {
	p := newPackage(md.Name)
	p.Version = md.Version
	p.License = md.License
	if p.License == "" {
		for _, c := range md.Classifiers {
			if strings.HasPrefix(c, "License :: ") {
				p.License = c[strings.LastIndex(c, " :: ")+4:]
			}
		}
	}
	for _, rd := range md.RequiresDist {
		r, err := pep508.ParseRequirement(rd)
		if err != nil {
			if n := leadingName(rd); n != "" && !strings.Contains(rd, "extra") {
				p.Requires = append(p.Requires, canonicalName(n))
			}
			continue
		}
		if r.Marker != nil {
			if strings.Contains(r.Marker.String(), "extra") {
				continue
			}
			if env != nil && !r.Marker.Evaluate(env) {
				continue
			}
		}
		p.Requires = append(p.Requires, canonicalName(r.Name))
	}
	return p
}

// ParseRecord reads an installed distribution's RECORD (CSV: path,hash,size).
func ParseRecord(file string, data []byte) ([]RecordEntry, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	var out []RecordEntry
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line := 0
			var ce *csv.ParseError
			if errors.As(err, &ce) {
				line = ce.Line
			}
			return nil, errf(file, line, "invalid RECORD: %s", boundedError(err))
		}
		if len(rec) == 0 || rec[0] == "" {
			continue
		}
		e := RecordEntry{Path: rec[0]}
		if len(rec) > 1 {
			e.Hash = rec[1]
		}
		if len(rec) > 2 && rec[2] != "" {
			e.Size, _ = strconv.ParseInt(rec[2], 10, 64)
		}
		out = append(out, e)
	}
	return out, nil
}

// directURL applies a PEP 610 direct_url.json to the package source.
func directURL(file string, data []byte, p *Package) error {
	var du struct {
		URL     string `json:"url"`
		VCSInfo *struct {
			VCS               string `json:"vcs"`
			CommitID          string `json:"commit_id"`
			RequestedRevision string `json:"requested_revision"`
		} `json:"vcs_info"`
		ArchiveInfo *struct {
			Hash   string            `json:"hash"`
			Hashes map[string]string `json:"hashes"`
		} `json:"archive_info"`
		DirInfo *struct {
			Editable bool `json:"editable"`
		} `json:"dir_info"`
	}
	if err := json.Unmarshal(data, &du); err != nil {
		return jsonError(file, data, err)
	}
	switch {
	case du.VCSInfo != nil:
		p.Source = Source{Kind: SourceVCS, VCS: du.VCSInfo.VCS, URL: du.URL, Ref: du.VCSInfo.RequestedRevision, Commit: du.VCSInfo.CommitID}
	case du.DirInfo != nil:
		p.Source = SourceFromURL(du.URL)
		p.Source.Kind = SourcePath
		p.Source.Editable = du.DirInfo.Editable
	case du.ArchiveInfo != nil:
		p.Source = SourceFromURL(du.URL)
		if du.ArchiveInfo.Hash != "" {
			p.Hashes = appendUniq(p.Hashes, hashString(du.ArchiveInfo.Hash))
		}
		for _, algo := range sortedKeys(du.ArchiveInfo.Hashes) {
			p.Hashes = appendUniq(p.Hashes, algo+":"+du.ArchiveInfo.Hashes[algo])
		}
	}
	return nil
}

// ParseDistInfo reads an installed *.dist-info or *.egg-info directory (or a
// PKG-INFO-style *.egg-info file): metadata, RECORD, direct_url.json and
// REQUESTED (which makes the package direct).
func ParseDistInfo(dir string, opts Options) (*Inventory, error) {
	p, err := readDistInfo(dir, opts)
	if err != nil {
		return nil, err
	}
	format := "dist-info"
	if strings.HasSuffix(dir, ".egg-info") {
		format = "egg-info"
	}
	p.Direct = true
	return finish(&Inventory{Sources: []SourceFile{{Path: dir, Format: format}}, Packages: []*Package{p}}, opts), nil
}

func readDistInfo(dir string, opts Options) (*Package, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, errf(dir, 0, "%v", err)
	}
	metaFile := dir
	if st.IsDir() {
		metaFile = filepath.Join(dir, "METADATA")
		if !fileExists(metaFile) {
			metaFile = filepath.Join(dir, "PKG-INFO")
		}
	}
	data, err := opts.readFile(metaFile)
	if err != nil {
		pe := errf(dir, 0, "no METADATA or PKG-INFO: %v", err)
		if errors.Is(err, safeio.ErrNotRegular) {
			return nil, &skippedDist{pe}
		}
		return nil, pe
	}
	md, err := ParseMetadata(metaFile, data)
	if err != nil {
		return nil, err
	}
	p := packageFromMetadata(md, opts.Env)
	p.Source = Source{Kind: SourceIndex}
	p.MetadataDir = dir
	p.Locations = []Location{{File: metaFile}}
	if !st.IsDir() {
		return p, nil
	}
	if strings.HasSuffix(dir, ".egg-info") {
		if req, err := opts.readFile(filepath.Join(dir, "requires.txt")); err == nil {
			p.Requires = append(p.Requires, eggRequires(req)...)
		}
	}
	if rec, err := opts.readFile(filepath.Join(dir, "RECORD")); err == nil {
		if p.Record, err = ParseRecord(filepath.Join(dir, "RECORD"), rec); err != nil {
			return nil, err
		}
	}
	if du, err := opts.readFile(filepath.Join(dir, "direct_url.json")); err == nil {
		if err := directURL(filepath.Join(dir, "direct_url.json"), du, p); err != nil {
			return nil, err
		}
	}
	if fileExists(filepath.Join(dir, "REQUESTED")) {
		p.Groups = appendUniq(p.Groups, "requested")
	}
	return p, nil
}

// eggRequires reads an egg-info requires.txt: the unconditional section only.
func eggRequires(data []byte) []string {
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "[") {
			break // [extra] and [:marker] sections are conditional
		}
		if n := leadingName(t); n != "" {
			out = append(out, canonicalName(n))
		}
	}
	return out
}

// ParseSitePackages reads every *.dist-info and *.egg-info in a site-packages
// directory, links the graph from Requires-Dist and marks as direct the
// packages nothing else requires (and those pip marked REQUESTED).
func ParseSitePackages(dir string, opts Options) (*Inventory, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, errf(dir, 0, "%v", err)
	}
	inv := &Inventory{Sources: []SourceFile{{Path: dir, Format: "site-packages"}}}
	for _, e := range entries {
		n := e.Name()
		if strings.HasSuffix(n, ".egg") {
			p, err := readEgg(filepath.Join(dir, n), e.IsDir(), opts)
			if err != nil {
				inv.Warnings = append(inv.Warnings, fmt.Sprintf("%v; skipped", err))
				continue
			}
			inv.Packages = append(inv.Packages, p)
			continue
		}
		if !strings.HasSuffix(n, ".dist-info") && !strings.HasSuffix(n, ".egg-info") {
			continue
		}
		p, err := readDistInfo(filepath.Join(dir, n), opts)
		if err != nil {
			var (
				pe *ParseError
				sk *skippedDist
			)
			if errors.As(err, &pe) && (!e.IsDir() || errors.As(err, &sk)) {
				inv.Warnings = append(inv.Warnings, fmt.Sprintf("%v; skipped", err))
				continue
			}
			return nil, err
		}
		inv.Packages = append(inv.Packages, p)
	}
	installed := map[string]bool{}
	for _, p := range inv.Packages {
		installed[p.Name] = true
	}
	for _, p := range inv.Packages {
		kept := p.Requires[:0]
		for _, r := range p.Requires {
			if installed[r] {
				kept = append(kept, r)
			}
		}
		p.Requires = kept
	}
	markRoots(inv.Packages)
	for _, p := range inv.Packages {
		for _, g := range p.Groups {
			if g == "requested" {
				p.Direct = true
			}
		}
	}
	return finish(inv, opts), nil
}

// skippedDist is the error of a distribution whose metadata is a FIFO or a
// device: a scan of site-packages notes it and goes on.
type skippedDist struct{ *ParseError }

// Unwrap returns the ParseError.
func (e *skippedDist) Unwrap() error { return e.ParseError }

// readEgg reads an installed egg: a zip file or a directory with EGG-INFO.
func readEgg(path string, isDir bool, opts Options) (*Package, error) {
	if isDir {
		return readDistInfo(filepath.Join(path, "EGG-INFO"), opts)
	}
	data, err := opts.readFile(path)
	if err != nil {
		return nil, errf(path, 0, "%s", readProblem(path, err))
	}
	p, err := readZipMetadata(path, bytes.NewReader(data), int64(len(data)), false)
	if err != nil {
		return nil, err
	}
	p.Source = Source{Kind: SourceIndex}
	p.MetadataDir = path
	p.Locations = []Location{{File: path}}
	return p, nil
}

// sitePackagesOf finds the site-packages directories of a virtualenv or
// Python prefix (lib/pythonX.Y/site-packages, lib64/..., Lib/site-packages).
func sitePackagesOf(root string) []string {
	var out []string
	for _, pat := range []string{"lib/python*/site-packages", "lib64/python*/site-packages", "Lib/site-packages"} {
		m, _ := filepath.Glob(filepath.Join(root, pat))
		out = append(out, m...)
	}
	// lib64 is often a symlink to lib: keep each real directory once.
	uniq := uniqueDirs(out)
	sort.Strings(uniq)
	return uniq
}

// uniqueDirs keeps the first of dirs that resolve to the same real
// directory, in order.
func uniqueDirs(dirs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, d := range dirs {
		real, err := filepath.EvalSymlinks(d)
		if err != nil {
			real = d
		}
		if !seen[real] {
			seen[real] = true
			out = append(out, d)
		}
	}
	return out
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil || !errors.Is(err, fs.ErrNotExist)
}
