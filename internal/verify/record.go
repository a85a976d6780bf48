// Package verify answers "is this artifact legitimate?" for what a Python user
// touches: installed files against their RECORD, downloaded distributions
// against the hashes a lockfile pins, and the PEP 740 attestations of every
// distribution a lockfile records. Sigstore bundles are in the sub-package
// sigstore, PEP 740 in pep740, in-toto / SLSA statements in provenance.
package verify

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/safeio"
	"github.com/pyvet/pyvet/internal/verify/sigstore"
)

// RecordProblem is one installed file that does not match its RECORD.
type RecordProblem struct {
	Package string `json:"package"`
	Version string `json:"version,omitempty"`
	Path    string `json:"path"`
	Kind    string `json:"kind"` // "modified", "missing", "not-regular", "unrecorded", "unhashed", "pth-exec"
	Detail  string `json:"detail,omitempty"`
}

// hashRecordEntry computes "algo=urlsafe-b64-nopad" of a file with the
// algorithm the RECORD entry names.
func hashRecordEntry(path, algo string) (string, error) {
	h := newHash(algo)
	if h == nil || algo == "md5" || algo == "sha1" {
		return "", fmt.Errorf("unsupported RECORD hash algorithm %s", safeio.Excerpt(algo))
	}
	f, err := safeio.Open(path, MaxArtifact)
	if err != nil {
		return "", sigstore.FileError(err)
	}
	defer f.Close()
	if _, err := io.Copy(h, f); err != nil {
		return "", sigstore.FileError(err)
	}
	return algo + "=" + base64.RawURLEncoding.EncodeToString(h.Sum(nil)), nil
}

// CheckRecord re-hashes every file the package's RECORD lists, relative to
// root (the site-packages directory holding its dist-info), and reports
// modified and missing files. A recorded path that is not a regular file (a
// FIFO, a device) is reported as "not-regular" without being opened. Entries
// without a hash are skipped, except that
// the RECORD itself and signature files may legitimately have none; other
// unhashed entries are reported as "unhashed".
func CheckRecord(root string, pkg *inventory.Package) []RecordProblem {
	var out []RecordProblem
	for _, e := range pkg.Record {
		p := filepath.Join(root, filepath.FromSlash(e.Path))
		// Scripts live outside site-packages (../../../bin/x); anything beyond
		// the environment's root is not checked.
		if !insideRoot(filepath.Dir(filepath.Dir(filepath.Dir(root))), p) {
			continue
		}
		fi, err := os.Stat(p)
		if err != nil {
			out = append(out, RecordProblem{Package: pkg.Name, Version: pkg.Version, Path: e.Path, Kind: "missing", Detail: "listed in RECORD but not on disk"})
			continue
		}
		if !fi.Mode().IsRegular() {
			out = append(out, notRegular(pkg, e.Path, fi.Mode()))
			continue
		}
		if e.Hash == "" {
			base := filepath.Base(e.Path)
			if base != "RECORD" && base != "RECORD.jws" && base != "RECORD.p7s" && !strings.HasSuffix(e.Path, ".pyc") {
				out = append(out, RecordProblem{Package: pkg.Name, Version: pkg.Version, Path: e.Path, Kind: "unhashed", Detail: "RECORD lists the file without a hash"})
			}
			continue
		}
		algo, _, ok := strings.Cut(e.Hash, "=")
		if !ok {
			out = append(out, RecordProblem{Package: pkg.Name, Version: pkg.Version, Path: e.Path, Kind: "modified", Detail: "RECORD hash " + safeio.Excerpt(e.Hash) + " is malformed"})
			continue
		}
		got, err := hashRecordEntry(p, algo)
		if err != nil {
			kind := "modified"
			if errors.Is(err, safeio.ErrNotRegular) {
				// Replaced by a FIFO or device since the stat above.
				kind = "not-regular"
			}
			out = append(out, RecordProblem{Package: pkg.Name, Version: pkg.Version, Path: e.Path, Kind: kind, Detail: err.Error()})
			continue
		}
		if got != e.Hash {
			d := fmt.Sprintf("hash %s, RECORD says %s", got, safeio.Excerpt(e.Hash))
			if e.Size > 0 && fi.Size() != e.Size {
				d += fmt.Sprintf(" (size %d, RECORD says %d)", fi.Size(), e.Size)
			}
			out = append(out, RecordProblem{Package: pkg.Name, Version: pkg.Version, Path: e.Path, Kind: "modified", Detail: d})
		}
	}
	return out
}

// readMetadataFile reads an installed distribution's METADATA, RECORD and
// the like: regular files only, at most safeio.MaxTextFile bytes, so a FIFO
// in their place is refused instead of waited on.
func readMetadataFile(path string) ([]byte, error) {
	return safeio.ReadFile(path, safeio.MaxTextFile)
}

// notRegular is the problem of a path that is not a regular file.
func notRegular(pkg *inventory.Package, path string, mode fs.FileMode) RecordProblem {
	p := RecordProblem{Path: path, Kind: "not-regular"}
	if pkg != nil {
		p.Package, p.Version = pkg.Name, pkg.Version
	}
	desc := strings.TrimPrefix((&safeio.NotRegularError{Mode: mode}).Error(), ": ")
	p.Detail = desc + "; it was not opened"
	if pkg != nil {
		p.Detail = desc + " where RECORD lists a file; it was not opened"
	}
	return p
}

func insideRoot(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// PthExecLines returns the lines of a .pth file that Python executes at
// startup (lines beginning with "import" followed by a space or tab).
func PthExecLines(data []byte) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "import ") || strings.HasPrefix(l, "import\t") {
			out = append(out, l)
		}
	}
	return out
}

// EnvReport is the integrity of one environment.
type EnvReport struct {
	SitePackages []string        `json:"site_packages"`
	Packages     int             `json:"packages"`
	Files        int             `json:"files_checked"`
	Problems     []RecordProblem `json:"problems"`
}

// FindSitePackages returns the site-packages directories of a virtual
// environment, or the directory itself when it is one (holds *.dist-info).
func FindSitePackages(venv string) ([]string, error) {
	fi, err := os.Stat(venv)
	if err != nil {
		return nil, fmt.Errorf("environment %s: %w", venv, unwrapPath(err))
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("environment %s: not a directory", venv)
	}
	var out []string
	for _, pat := range []string{"lib/python*/site-packages", "lib64/python*/site-packages", "Lib/site-packages", "lib/site-packages"} {
		m, _ := filepath.Glob(filepath.Join(venv, pat))
		out = append(out, m...)
	}
	if len(out) == 0 {
		if m, _ := filepath.Glob(filepath.Join(venv, "*.dist-info")); len(m) > 0 {
			out = append(out, venv)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("environment %s: no site-packages directory (looked for lib/python*/site-packages and *.dist-info)", venv)
	}
	sort.Strings(out)
	return dedupe(out), nil
}

func dedupe(s []string) []string {
	var out []string
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

func unwrapPath(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

// CheckEnv re-hashes every installed file of the environment against its
// distribution's RECORD, lists files no RECORD claims, and calls out .pth
// files with lines Python executes at startup.
func CheckEnv(venv string) (*EnvReport, error) {
	sps, err := FindSitePackages(venv)
	if err != nil {
		return nil, err
	}
	rep := &EnvReport{SitePackages: sps}
	for _, sp := range sps {
		inv, err := inventory.ParseSitePackages(sp, inventory.Options{ReadFile: readMetadataFile})
		if err != nil {
			return nil, err
		}
		recorded := map[string]bool{}
		for _, p := range inv.Packages {
			rep.Packages++
			rep.Files += len(p.Record)
			for _, e := range p.Record {
				recorded[filepath.Clean(filepath.Join(sp, filepath.FromSlash(e.Path)))] = true
			}
			if len(p.Record) == 0 && strings.HasSuffix(p.MetadataDir, ".dist-info") {
				rep.Problems = append(rep.Problems, RecordProblem{Package: p.Name, Version: p.Version, Path: filepath.Base(p.MetadataDir) + "/RECORD", Kind: "missing", Detail: "installed distribution has no RECORD: its files cannot be checked"})
			}
			rep.Problems = append(rep.Problems, CheckRecord(sp, p)...)
		}
		err = filepath.WalkDir(sp, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() {
				n := d.Name()
				if n == "__pycache__" || strings.HasSuffix(n, ".egg-info") {
					return filepath.SkipDir
				}
				return nil
			}
			rel, _ := filepath.Rel(sp, path)
			if t := d.Type(); t&(fs.ModeNamedPipe|fs.ModeDevice|fs.ModeCharDevice|fs.ModeSocket|fs.ModeIrregular) != 0 {
				// Recorded ones are reported by CheckRecord; none is opened.
				if !recorded[filepath.Clean(path)] {
					rep.Problems = append(rep.Problems, notRegular(nil, filepath.ToSlash(rel), t))
				}
				return nil
			}
			if strings.HasSuffix(path, ".pth") {
				data, err := safeio.ReadFile(path, safeio.MaxTextFile)
				if err == nil {
					if lines := PthExecLines(data); len(lines) > 0 {
						rep.Problems = append(rep.Problems, RecordProblem{Path: filepath.ToSlash(rel), Kind: "pth-exec", Detail: "runs code at every Python start: " + safeio.ExcerptN(lines[0], 120)})
					}
				}
			}
			if !recorded[filepath.Clean(path)] && !strings.HasSuffix(path, ".pyc") {
				rep.Problems = append(rep.Problems, RecordProblem{Path: filepath.ToSlash(rel), Kind: "unrecorded", Detail: "no installed distribution's RECORD lists this file"})
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.SliceStable(rep.Problems, func(i, j int) bool {
		a, b := rep.Problems[i], rep.Problems[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Path < b.Path
	})
	return rep, nil
}

// Findings turns an environment report into findings (RiskCompromise).
func (r *EnvReport) Findings() []finding.Finding {
	var out []finding.Finding
	for _, p := range r.Problems {
		f := finding.Finding{Risk: finding.RiskCompromise, Package: p.Package, Version: p.Version, Exact: true, Evidence: map[string]string{"path": p.Path}}
		switch p.Kind {
		case "modified":
			f.Rule, f.Severity = "record-modified", finding.SeverityHigh
			f.Title = "installed file differs from its RECORD: " + p.Path
			f.Detail = "The file's content is not what the package installed (" + p.Detail + "). It was edited after installation, possibly by malware."
			f.Action = "reinstall the package: pip install --force-reinstall --no-deps " + p.Package
		case "not-regular":
			f.Rule, f.Severity = "record-not-regular", finding.SeverityHigh
			f.Title = "installed file is not a regular file: " + p.Path
			f.Detail = p.Detail + ". Nothing a package installs is a FIFO or a device; something replaced the file after installation."
			f.Action = "remove it and reinstall the package that owns the path"
		case "missing":
			f.Rule, f.Severity = "record-missing", finding.SeverityMedium
			f.Title = "installed file missing: " + p.Path
			f.Detail = p.Detail
			f.Action = "reinstall the package"
		case "unhashed":
			f.Rule, f.Severity = "record-unhashed", finding.SeverityLow
			f.Title = "RECORD has no hash for " + p.Path
			f.Detail = p.Detail
		case "pth-exec":
			f.Rule, f.Severity = "pth-exec", finding.SeverityMedium
			f.Title = ".pth file executes code at startup: " + p.Path
			f.Detail = p.Detail + ". Such lines run in every Python process; check that the owning package is expected to do this."
		default:
			f.Rule, f.Severity = "record-unrecorded", finding.SeverityLow
			f.Title = "file not listed in any RECORD: " + p.Path
			f.Detail = p.Detail + ". It was not installed by a package manager."
		}
		out = append(out, f)
	}
	return out
}
