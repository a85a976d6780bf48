package inventory

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/pyvet/pyvet/internal/safeio"
)

// pylockFormat is the standard lockfile of PEP 751, pylock.toml.
var pylockFormat = FileFormat{
	Name: FormatPylock,
	Kind: KindLock,
	Match: func(p string) bool {
		base := filepath.Base(p)
		return base == "pylock.toml" || strings.HasPrefix(base, "pylock.") && strings.HasSuffix(base, ".toml")
	},
	Sniff: func(t []byte) bool {
		return !jsonHead(t) && (bytes.Contains(t, []byte("lock-version")) && bytes.Contains(t, []byte("[[packages]]")) || bytes.Contains(t, []byte("created-by")))
	},
	SniffStrength: 60,
	Examples:      []string{"pylock.toml", "pylock.dev.toml"},
	ProjectFiles: func(dir string) []string {
		return append(existing(dir, "pylock.toml"), globSorted(dir, "pylock.*.toml")...)
	},
	Parse: ParsePylock,
	Lock: &LockFormat{
		GuessesRoots: true,
		Upgrade: func(name, to string, direct bool) string {
			return fmt.Sprintf("# regenerate pylock.toml with the tool that created it, after moving %s to %s", name, to)
		},
	},
}

// ---- pylock.toml (PEP 751) ----

type pylockFile struct {
	Name   string            `toml:"name"`
	URL    string            `toml:"url"`
	Path   string            `toml:"path"`
	Size   int64             `toml:"size"`
	Hashes map[string]string `toml:"hashes"`
	// UploadTime is a TOML date-time in PEP 751; some writers quote it.
	UploadTime any `toml:"upload-time"`
}

func (f pylockFile) file(uploads *uploadTimes, line int) File {
	out := File{Name: f.Name, URL: f.URL, Size: f.Size, Uploaded: uploads.read(f.UploadTime, line)}
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
	var uploads uploadTimes
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
			p.Files = append(p.Files, lp.Archive.file(&uploads, lines[i]))
		default:
			p.Source = Source{Kind: SourceIndex, URL: lp.Index}
		}
		if lp.Sdist != nil {
			p.Files = append(p.Files, lp.Sdist.file(&uploads, lines[i]))
		}
		for _, w := range lp.Wheels {
			p.Files = append(p.Files, w.file(&uploads, lines[i]))
		}
		addFileHashes(p)
		for _, d := range lp.Dependencies {
			if n, ok := d["name"].(string); ok {
				p.Requires = append(p.Requires, canonicalName(n))
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
	uploads.warn(inv, file)
	return finish(inv, opts), nil
}
