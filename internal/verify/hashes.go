package verify

import (
	"crypto/md5" //nolint:gosec // pinned md5 hashes exist in old requirements files
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/safeio"
	"github.com/pyvet/pyvet/internal/verify/sigstore"
	"github.com/pyvet/pyvet/pep440"
	"github.com/pyvet/pyvet/pep508"
)

// newHash returns a hash for a hashlib algorithm name, nil when unsupported.
func newHash(algo string) hash.Hash {
	switch algo {
	case "sha256":
		return sha256.New()
	case "sha384":
		return sha512.New384()
	case "sha512":
		return sha512.New()
	case "sha1":
		return sha1.New()
	case "md5":
		return md5.New()
	}
	return nil
}

// MaxArtifact caps the artifacts and distribution files hashed: they are
// read as a stream, so the cap only stops an endless input.
const MaxArtifact int64 = 16 << 30

// HashFile returns "algo:hex" of the file for each algorithm asked for. The
// file must be regular (a FIFO or device is refused before any read) and at
// most MaxArtifact bytes; it is read once, as a stream. Errors name the file.
func HashFile(path string, algos []string) (map[string]string, error) {
	hs := map[string]hash.Hash{}
	var ws []io.Writer
	for _, a := range algos {
		if _, ok := hs[a]; ok {
			continue
		}
		h := newHash(a)
		if h == nil {
			continue
		}
		hs[a] = h
		ws = append(ws, h)
	}
	f, err := safeio.Open(path, MaxArtifact)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, sigstore.FileError(err))
	}
	defer f.Close()
	if _, err := io.Copy(io.MultiWriter(ws...), f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, sigstore.FileError(err))
	}
	out := map[string]string{}
	for a, h := range hs {
		out[a] = a + ":" + hex.EncodeToString(h.Sum(nil))
	}
	return out, nil
}

// MatchHashes checks a file against pinned "algo:hex" hashes: it matches when
// any pin of a supported algorithm equals the file's hash. ok is false with
// checked false when no pin uses a supported algorithm.
func MatchHashes(path string, pins []string) (ok, checked bool, got map[string]string, err error) {
	var algos []string
	for _, p := range pins {
		a, _, found := strings.Cut(p, ":")
		if found {
			algos = append(algos, strings.ToLower(a))
		}
	}
	got, err = HashFile(path, algos)
	if err != nil {
		return false, false, nil, err
	}
	for _, p := range pins {
		a, h, _ := strings.Cut(p, ":")
		g, has := got[strings.ToLower(a)]
		if !has {
			continue
		}
		checked = true
		if g == strings.ToLower(a)+":"+strings.ToLower(h) {
			return true, true, got, nil
		}
	}
	return false, checked, got, nil
}

// HashResult is the outcome for one distribution file of a wheelhouse.
type HashResult struct {
	File    string `json:"file"`
	Package string `json:"package,omitempty"`
	Version string `json:"version,omitempty"`
	Status  string `json:"status"` // "ok", "mismatch", "unpinned", "unknown-package", "unreadable"
	Detail  string `json:"detail,omitempty"`
}

// CheckHashes checks every distribution file (*.whl, *.tar.gz, *.zip) of dir
// (or the single file dir names) against the hashes the inventory pins for its package (Package.Hashes and
// the hashes of Package.Files). Files whose package pins no hash, or that no
// package of the inventory names, are reported too.
func CheckHashes(dir string, inv *inventory.Inventory) ([]HashResult, []finding.Finding, error) {
	var names []string
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		// A single distribution file.
		names = []string{filepath.Base(dir)}
		dir = filepath.Dir(dir)
	} else {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, nil, fmt.Errorf("wheelhouse %s: %w", dir, unwrapPath(err))
		}
		for _, e := range entries {
			if !e.IsDir() {
				names = append(names, e.Name())
			}
		}
	}
	byName := map[string][]*inventory.Package{}
	for _, p := range inv.Packages {
		byName[pep508.NormalizeName(p.Name)] = append(byName[pep508.NormalizeName(p.Name)], p)
	}
	var results []HashResult
	for _, n := range names {
		if !(strings.HasSuffix(n, ".whl") || strings.HasSuffix(n, ".tar.gz") || strings.HasSuffix(n, ".zip")) {
			continue
		}
		name, version, ok := inventory.DistFilename(n)
		r := HashResult{File: n, Package: pep508.NormalizeName(name), Version: version}
		if !ok {
			r.Status, r.Detail = "unknown-package", "not a distribution file name"
			results = append(results, r)
			continue
		}
		var pins []string
		for _, p := range byName[pep508.NormalizeName(name)] {
			if p.Version != "" && !sameVersion(p.Version, version) {
				continue
			}
			pins = append(pins, p.Hashes...)
			for _, f := range p.Files {
				if f.Name == "" || f.Name == n {
					pins = append(pins, f.Hashes...)
				}
			}
		}
		switch {
		case len(byName[pep508.NormalizeName(name)]) == 0:
			r.Status, r.Detail = "unknown-package", "no package of the lockfile is named "+name
		case len(pins) == 0:
			r.Status, r.Detail = "unpinned", "the lockfile pins no hash for "+name+" "+version
		default:
			match, checked, got, err := MatchHashes(filepath.Join(dir, n), pins)
			switch {
			case err != nil:
				// A FIFO, device or unreadable file: reported, never waited on.
				r.Status, r.Detail = "unreadable", strings.TrimPrefix(err.Error(), filepath.Join(dir, n)+": ")
			case !checked:
				r.Status, r.Detail = "unpinned", "no pinned hash uses a supported algorithm"
			case match:
				r.Status = "ok"
			default:
				r.Status = "mismatch"
				r.Detail = fmt.Sprintf("file hash %s matches none of %d pinned hashes", got["sha256"], len(pins))
			}
		}
		results = append(results, r)
	}
	sort.Slice(results, func(i, j int) bool { return results[i].File < results[j].File })
	var fs []finding.Finding
	for _, r := range results {
		f := finding.Finding{Risk: finding.RiskCompromise, Package: r.Package, Version: r.Version, Exact: true, Evidence: map[string]string{"file": r.File}}
		switch r.Status {
		case "mismatch":
			f.Rule, f.Severity = "hash-mismatch", finding.SeverityCritical
			f.Title = "distribution file does not match the pinned hash: " + r.File
			f.Detail = r.Detail + ". The file is not the one the lockfile was made with: it may have been tampered with or re-uploaded."
			f.Action = "delete the file and download it again from the index; if it still differs, do not install it"
		case "unreadable":
			f.Rule, f.Severity = "hash-unchecked", finding.SeverityHigh
			f.Title = "distribution file could not be checked against the pinned hash: " + r.File
			f.Detail = r.Detail + ". Its content was not verified."
			f.Action = "replace it with the regular file downloaded from the index"
		case "unpinned", "unknown-package":
			f.Risk, f.Rule, f.Severity = finding.RiskUnpinned, "hash-unpinned", finding.SeverityMedium
			f.Title = "distribution file has no pinned hash: " + r.File
			f.Detail = r.Detail + "."
			f.Action = "pin hashes in the lockfile (pip-compile --generate-hashes, uv lock, poetry lock)"
		default:
			continue
		}
		fs = append(fs, f)
	}
	return results, fs, nil
}

// sameVersion compares versions as PEP 440 does (1.0 == 1.0.0), falling back
// to a case-insensitive string comparison for versions it cannot parse.
func sameVersion(a, b string) bool {
	va, err1 := pep440.Parse(a)
	vb, err2 := pep440.Parse(b)
	if err1 == nil && err2 == nil {
		return va.Compare(vb) == 0
	}
	return strings.EqualFold(a, b)
}
