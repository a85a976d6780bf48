// Package inventory reads every Python dependency format into one model: the
// packages a project uses, where each was declared, and the edges between them.
// Parsers know nothing about risks; checks read the model they produce.
package inventory

// SourceKind says where a package's code comes from.
type SourceKind string

// The kinds of source a requirement or locked package can have.
const (
	SourceIndex SourceKind = "index" // a package index (PyPI or a mirror)
	SourceURL   SourceKind = "url"   // a direct URL to an archive
	SourceVCS   SourceKind = "vcs"   // a version-control reference (git+https://...@ref)
	SourcePath  SourceKind = "path"  // a local file or directory
	SourceConda SourceKind = "conda" // a conda package (not from a Python package index)
)

// Location is where a package was declared. Line is 0 when the format has no
// meaningful line numbers.
type Location struct {
	File string `json:"file"`
	Line int    `json:"line,omitempty"`
}

// Source describes where a package comes from.
type Source struct {
	Kind     SourceKind `json:"kind"`
	URL      string     `json:"url,omitempty"`      // direct URL, VCS URL (without the ref) or index URL
	VCS      string     `json:"vcs,omitempty"`      // "git", "hg", "svn", "bzr"
	Ref      string     `json:"ref,omitempty"`      // VCS ref as written (branch, tag or commit)
	Commit   string     `json:"commit,omitempty"`   // resolved commit id when the format records one
	Path     string     `json:"path,omitempty"`     // local path for SourcePath
	Editable bool       `json:"editable,omitempty"` // installed in editable / develop mode
}

// File is one distribution file a lockfile records for a package (wheel or sdist).
type File struct {
	Name   string   `json:"name"`
	URL    string   `json:"url,omitempty"`
	Hashes []string `json:"hashes,omitempty"` // "algo:hex", e.g. "sha256:ab12..."
	Size   int64    `json:"size,omitempty"`
	// Uploaded is when the file was uploaded to its index (RFC 3339), as a
	// lockfile or the index records it; "" when unknown.
	Uploaded string `json:"upload_time,omitempty"`
}

// RecordEntry is one line of an installed distribution's RECORD file.
type RecordEntry struct {
	Path string `json:"path"`
	Hash string `json:"hash,omitempty"` // as written: "sha256=urlsafe-b64-nopad"
	Size int64  `json:"size,omitempty"`
}

// Package is one dependency of the project as a format declares it.
type Package struct {
	Name        string        `json:"name"`                // PEP 503 normalized name
	RawName     string        `json:"raw_name,omitempty"`  // the name as written
	Version     string        `json:"version,omitempty"`   // exact version when pinned or locked
	Specifier   string        `json:"specifier,omitempty"` // the specifier set when not pinned exactly
	Extras      []string      `json:"extras,omitempty"`
	Marker      string        `json:"marker,omitempty"` // PEP 508 environment marker, as written
	Hashes      []string      `json:"hashes,omitempty"` // "algo:hex"
	Source      Source        `json:"source"`
	Direct      bool          `json:"direct"`
	Parents     []string      `json:"parents,omitempty"`      // normalized names of the packages that require it
	Requires    []string      `json:"requires,omitempty"`     // normalized names it requires (graph edges)
	Groups      []string      `json:"groups,omitempty"`       // dependency groups / extras sections / "dev"
	Locations   []Location    `json:"locations,omitempty"`    // every place it was declared
	Files       []File        `json:"files,omitempty"`        // distribution files recorded by a lockfile
	Index       string        `json:"index,omitempty"`        // index URL the lockfile records
	License     string        `json:"license,omitempty"`      // license metadata of installed dists / archives
	Record      []RecordEntry `json:"-"`                      // RECORD of an installed distribution
	MetadataDir string        `json:"metadata_dir,omitempty"` // *.dist-info / *.egg-info folder of an installed dist
	Constraint  bool          `json:"constraint,omitempty"`   // declared only in a -c constraints file
	// Project is true for the project itself and its workspace members: the
	// root a uv.lock or pylock.toml records (source `virtual = "."` or
	// `editable = "."`, workspace members), a locked or required package
	// installed from the project's own directory (`-e .`, Poetry/PDM/Pipenv
	// `path = "."`), and a package named as the [project] / [tool.poetry]
	// name of the project's pyproject.toml. They are not third-party
	// dependencies: they are never direct, never matched against advisories
	// for an index package of the same name, and are the SBOM's root.
	Project bool `json:"project,omitempty"`
	// Resolved is true when the version is not written in the input but was
	// selected by resolving its requirements (what pip would install for
	// the target environment); Specifier keeps what the input declared.
	Resolved bool `json:"resolved,omitempty"`
	// Required holds, for a resolved package, the requirement behind each
	// edge that brings it in: the requiring package's normalized name (""
	// for the input's own declaration) → the requirement as written, e.g.
	// "asgiref<4,>=3.3.2".
	Required map[string]string `json:"required,omitempty"`
}

// Pinned reports whether the package has an exact version.
func (p *Package) Pinned() bool { return p.Version != "" }

// Local reports whether the package is installed from a local path or in
// editable mode: its code is the user's checkout, not an index release, so
// advisories for the index package of its name need not apply to it.
func (p *Package) Local() bool { return p.Source.Editable || p.Source.Kind == SourcePath }

// IndexOptions are the package-index options a requirements file sets.
type IndexOptions struct {
	IndexURL       string     `json:"index_url,omitempty"`
	ExtraIndexURLs []string   `json:"extra_index_urls,omitempty"`
	FindLinks      []string   `json:"find_links,omitempty"`
	TrustedHosts   []string   `json:"trusted_hosts,omitempty"`
	NoIndex        bool       `json:"no_index,omitempty"`
	Locations      []Location `json:"locations,omitempty"` // where each option was set
}

// SourceFile is one input the inventory was read from.
type SourceFile struct {
	Path   string `json:"path"`
	Format string `json:"format"` // e.g. "requirements", "uv.lock", "poetry.lock", "dist-info"
}

// Inventory is everything known about a project's dependencies.
type Inventory struct {
	Sources  []SourceFile `json:"sources"`
	Packages []*Package   `json:"packages"`
	Index    IndexOptions `json:"index_options"`
	Warnings []string     `json:"warnings,omitempty"`
}
