// Package typosquat finds dependency names that can be confused with popular
// packages (typosquatting: edit distance, separator and case confusion,
// homoglyphs, added or dropped "python"/"py" affixes) and names exposed to
// dependency confusion between a private and a public index.
package typosquat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/pyvet/pyvet/internal/httpx"
	"github.com/pyvet/pyvet/internal/safeio"
	"github.com/pyvet/pyvet/pep508"
)

// DefaultPopularityURL is where UpdatePopularity downloads the list of the most
// downloaded PyPI projects (hugovk/top-pypi-packages).
const DefaultPopularityURL = "https://hugovk.github.io/top-pypi-packages/top-pypi-packages-30-days.min.json"

// PopularityFile is the name of the cached popularity list inside the cache directory.
const PopularityFile = "top-pypi-packages.json"

// Popularity is a ranked list of popular project names with their download
// counts, indexed for the name-confusion lookups.
type Popularity struct {
	Updated   string // the list's own "last_update"
	names     []string
	squashed  []string // names without separators
	downloads []int64
	rank      map[string]int // normalized name -> index in names
	index
}

// index holds the lookup tables built from the names.
type index struct {
	bySquash   map[string][]int // name without separators
	bySkeleton map[string][]int // homoglyph skeleton
	byCore     map[string][]int // name with a python/py affix removed
	byLen      map[int][]int    // squashed length -> names, for two-edit scans
	byDelete   map[string][]int // squashed name and each one-byte deletion of it -> names
}

type popularityFile struct {
	LastUpdate string `json:"last_update"`
	Rows       []struct {
		DownloadCount int64  `json:"download_count"`
		Project       string `json:"project"`
	} `json:"rows"`
}

// ParsePopularity reads a top-pypi-packages JSON document; name is used in errors.
func ParsePopularity(r io.Reader, name string) (*Popularity, error) {
	var f popularityFile
	dec := json.NewDecoder(r)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: not a popularity list: %w", name, err)
	}
	if len(f.Rows) == 0 {
		return nil, fmt.Errorf("%s: popularity list has no rows", name)
	}
	names := make([]string, 0, len(f.Rows))
	dl := make([]int64, 0, len(f.Rows))
	for i, r := range f.Rows {
		if r.Project == "" {
			return nil, fmt.Errorf("%s: row %d has no project name", name, i+1)
		}
		names = append(names, r.Project)
		dl = append(dl, r.DownloadCount)
	}
	p := NewPopularity(names, dl)
	p.Updated = f.LastUpdate
	return p, nil
}

// LoadPopularity reads a popularity list file.
func LoadPopularity(path string) (*Popularity, error) {
	b, err := safeio.ReadFile(path, safeio.MaxJSON)
	if err != nil {
		return nil, fmt.Errorf("popularity list: %w", err)
	}
	return ParsePopularity(bytes.NewReader(b), path)
}

// NewPopularity builds a list from names in rank order (most popular first) and
// their download counts (downloads may be nil or shorter: missing counts are 0).
// Names are PEP 503 normalized; a repeated name keeps its first rank.
func NewPopularity(names []string, downloads []int64) *Popularity {
	p := &Popularity{rank: make(map[string]int, len(names)), index: index{
		bySquash: map[string][]int{}, bySkeleton: map[string][]int{}, byCore: map[string][]int{}, byLen: map[int][]int{}, byDelete: map[string][]int{},
	}}
	for i, n := range names {
		n = pep508.NormalizeName(n)
		if _, dup := p.rank[n]; dup || n == "" {
			continue
		}
		var d int64
		if i < len(downloads) {
			d = downloads[i]
		}
		k := len(p.names)
		p.names = append(p.names, n)
		p.squashed = append(p.squashed, squash(n))
		p.downloads = append(p.downloads, d)
		p.rank[n] = k
		sq := squash(n)
		p.bySquash[sq] = append(p.bySquash[sq], k)
		sk := skeleton(n)
		p.bySkeleton[sk] = append(p.bySkeleton[sk], k)
		if c, ok := core(n); ok {
			p.byCore[c] = append(p.byCore[c], k)
		}
		p.byLen[len(sq)] = append(p.byLen[len(sq)], k)
		for _, d := range deletes(sq) {
			p.byDelete[d] = append(p.byDelete[d], k)
		}
	}
	return p
}

// Len returns the number of names in the list.
func (p *Popularity) Len() int { return len(p.names) }

// Name returns the name at rank i (0 is the most popular).
func (p *Popularity) Name(i int) string { return p.names[i] }

// Rank returns the 0-based rank of a name and whether it is in the list.
func (p *Popularity) Rank(name string) (int, bool) {
	r, ok := p.rank[pep508.NormalizeName(name)]
	return r, ok
}

// Downloads returns the download count of a listed name (0 when not listed).
func (p *Popularity) Downloads(name string) int64 {
	if r, ok := p.Rank(name); ok {
		return p.downloads[r]
	}
	return 0
}

// UpdatePopularity downloads the popularity list from url into cacheDir and
// returns the path of the cached file. The download goes through the
// program's HTTP client (httpx.Default: offline mode, retries, circuit
// breaker) and is validated before it replaces the previous copy, so a failed
// update keeps the old list.
func UpdatePopularity(ctx context.Context, url, cacheDir string) (string, error) {
	if url == "" {
		url = DefaultPopularityURL
	}
	resp, err := httpx.Default().Tune(httpx.Tuning{Timeout: 2 * time.Minute}).Get(ctx, url, nil, safeio.MaxJSON)
	if err == nil && resp.Status != http.StatusOK {
		err = &httpx.StatusError{URL: url, Status: resp.Status}
	}
	switch {
	case errors.Is(err, httpx.ErrNetwork):
		return "", fmt.Errorf("popularity list: %w; without network, install a copy with `pyvet pypi popularity --from FILE`", err)
	case err != nil:
		return "", fmt.Errorf("popularity list: %w", err)
	}
	return install(resp.Body, url, cacheDir)
}

// ImportPopularity installs a popularity list file (a copy of the JSON that
// UpdatePopularity downloads) into cacheDir, for machines without network.
func ImportPopularity(path, cacheDir string) (string, error) {
	b, err := safeio.ReadFile(path, safeio.MaxJSON)
	if err != nil {
		return "", fmt.Errorf("popularity list: %w", err)
	}
	return install(b, path, cacheDir)
}

// PopularityPath is where the popularity list is cached under cacheDir.
func PopularityPath(cacheDir string) string { return filepath.Join(cacheDir, PopularityFile) }

// install validates a popularity list and replaces the cached copy atomically.
func install(b []byte, src, cacheDir string) (string, error) {
	if _, err := ParsePopularity(bytes.NewReader(b), src); err != nil {
		return "", err
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", fmt.Errorf("popularity list: %w", err)
	}
	dst := PopularityPath(cacheDir)
	if err := safeio.WriteFile(dst, b, 0o644); err != nil {
		return "", fmt.Errorf("popularity list: %w", err)
	}
	return dst, nil
}
