package resolve

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/pep440"
	"github.com/pyvet/pyvet/pep508"
)

// Index is the Provider for a package index read through a pypi.Client:
// releases from the project's Simple API page (PEP 691 JSON or PEP 503
// HTML), metadata from the PEP 658/714 core-metadata file of a release's
// preferred file, falling back to the JSON API (/pypi/NAME/VERSION/json)
// when the index serves none. The client's on-disk cache and offline mode
// apply; parsed answers are also kept in memory for the life of the Index,
// so one Index serves any number of resolutions. It is safe for concurrent
// use.
type Index struct {
	client *pypi.Client
	extra  []string // extra Simple API base URLs (pip's --extra-index-url)
	tags   map[string]int
	sem    chan struct{}

	mu    sync.Mutex
	files map[string]pypi.SimpleFile // by file URL
	meta  map[string]*metaEntry      // by "name==version"
}

type metaEntry struct {
	done chan struct{}
	dist *Dist
	err  error
}

// NewIndex returns a provider reading c's index. tags (most preferred
// first, as Tags returns) choose whose metadata file is read when a release
// has several; nil prefers any wheel, then the sdist.
func NewIndex(c *pypi.Client, tags []string) *Index {
	ix := &Index{client: c, tags: map[string]int{}, sem: make(chan struct{}, max(c.Options().Concurrency, 1)),
		files: map[string]pypi.SimpleFile{}, meta: map[string]*metaEntry{}}
	for i, t := range tags {
		if _, ok := ix.tags[t]; !ok {
			ix.tags[t] = i
		}
	}
	return ix
}

// WithExtraIndexes returns an Index that also reads the projects' pages from
// the given Simple API base URLs, merging their files with the primary
// index's as pip does with --extra-index-url (every index is a source of
// candidates; a file name already seen is kept from the first index).
func (ix *Index) WithExtraIndexes(urls ...string) *Index {
	n := NewIndex(ix.client, nil)
	n.tags = ix.tags
	n.extra = append(slices.Clone(ix.extra), urls...)
	return n
}

// Releases reads the project's Simple API pages and groups their files by
// version (from the file names; files of another project or with a version
// that is not PEP 440 are left out, as pip leaves them out). The project is
// not found only when no index has it; an index that cannot be read makes
// the answer an error, never a shorter list.
func (ix *Index) Releases(ctx context.Context, name string) ([]Release, error) {
	pages := make([]*pypi.SimplePage, 1+len(ix.extra))
	errs := make([]error, len(pages))
	var wg sync.WaitGroup
	for i := range pages {
		wg.Go(func() {
			if i == 0 {
				pages[i], errs[i] = ix.client.Simple(ctx, name)
			} else {
				pages[i], errs[i] = ix.client.SimpleAt(ctx, ix.extra[i-1], name)
			}
		})
	}
	wg.Wait()
	found := false
	for _, err := range errs {
		if err != nil && !errors.Is(err, pypi.ErrNotFound) {
			return nil, err
		}
		found = found || err == nil
	}
	if !found {
		return nil, fmt.Errorf("%s: %w", name, ErrNotFound)
	}
	var files []pypi.SimpleFile
	seen := map[string]bool{}
	for _, p := range pages {
		if p == nil {
			continue
		}
		for _, f := range p.Files {
			if !seen[f.Filename] {
				seen[f.Filename] = true
				files = append(files, f)
			}
		}
	}
	want := pep508.NormalizeName(name)
	byVersion := map[string]int{}
	var out []Release
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for _, f := range files {
		n, vs, ok := inventory.DistFilename(f.Filename)
		if !ok || pep508.NormalizeName(n) != want {
			continue
		}
		v, err := pep440.Parse(vs)
		if err != nil {
			continue
		}
		key := v.String()
		i, ok := byVersion[key]
		if !ok {
			i = len(out)
			byVersion[key] = i
			out = append(out, Release{Version: v})
		}
		out[i].Files = append(out[i].Files, File{Filename: f.Filename, URL: f.URL, Hashes: f.Hashes,
			RequiresPython: f.RequiresPython, Yanked: f.Yanked, YankedReason: f.YankedReason, Uploaded: f.Uploaded(), Size: f.Size})
		ix.files[f.URL] = f
	}
	return out, nil
}

// Metadata returns a release's Requires-Dist, Requires-Python and
// Provides-Extra. Concurrent and repeated calls for one release share one
// fetch.
func (ix *Index) Metadata(ctx context.Context, name string, r *Release) (*Dist, error) {
	key := pep508.NormalizeName(name) + "==" + r.Version.String()
	ix.mu.Lock()
	e, ok := ix.meta[key]
	if !ok {
		e = &metaEntry{done: make(chan struct{})}
		ix.meta[key] = e
	}
	ix.mu.Unlock()
	if ok {
		select {
		case <-e.done:
			return e.dist, e.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	e.dist, e.err = ix.fetchMetadata(ctx, name, r)
	if e.err != nil && ctx.Err() != nil {
		// A cancelled fetch is not an answer: let the next call retry.
		ix.mu.Lock()
		delete(ix.meta, key)
		ix.mu.Unlock()
	}
	close(e.done)
	return e.dist, e.err
}

// Prefetch starts fetching a release's metadata in the background, bounded
// by the client's concurrency.
func (ix *Index) Prefetch(ctx context.Context, name string, r *Release) {
	key := pep508.NormalizeName(name) + "==" + r.Version.String()
	ix.mu.Lock()
	_, ok := ix.meta[key]
	ix.mu.Unlock()
	if ok {
		return
	}
	go func() {
		select {
		case ix.sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		defer func() { <-ix.sem }()
		_, _ = ix.Metadata(ctx, name, r)
	}()
}

func (ix *Index) fetchMetadata(ctx context.Context, name string, r *Release) (*Dist, error) {
	var firstErr error
	if f, ok := ix.metadataFile(r); ok {
		md, err := ix.client.Metadata(ctx, f)
		if err == nil {
			return distFromMetadata(md, f.Filename+".metadata")
		}
		firstErr = err
	}
	p, err := ix.client.Release(ctx, name, r.Version.String())
	if err != nil {
		if firstErr != nil && !errors.Is(firstErr, pypi.ErrNotFound) {
			return nil, firstErr
		}
		if errors.Is(err, pypi.ErrNotFound) || errors.Is(err, pypi.ErrNoJSONAPI) {
			return nil, fmt.Errorf("%s %s: %w", name, r.Version, ErrNotFound)
		}
		return nil, err
	}
	d := &Dist{RequiresPython: p.Info.RequiresPython}
	for _, s := range p.Info.RequiresDist {
		req, err := pep508.ParseRequirement(s)
		if err != nil {
			return nil, fmt.Errorf("%s %s (JSON API): %w: %s", name, r.Version, ErrInvalidMetadata, finding.Clip(err.Error(), 160))
		}
		d.Requires = append(d.Requires, req)
	}
	return d, nil
}

// metadataFile picks the file whose core metadata to read: a wheel with the
// most preferred target tag, else any wheel, else the sdist (its metadata is
// static under PEP 643 when the index serves it).
func (ix *Index) metadataFile(r *Release) (pypi.SimpleFile, bool) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	best, bestRank := pypi.SimpleFile{}, -1
	for _, f := range r.Files {
		sf, ok := ix.files[f.URL]
		if !ok || !sf.CoreMetadata {
			continue
		}
		rank := 1 // an sdist
		if strings.HasSuffix(strings.ToLower(f.Filename), ".whl") {
			rank = 2
			for _, t := range WheelTags(f.Filename) {
				if i, ok := ix.tags[t]; ok {
					rank = max(rank, 3+len(ix.tags)-i)
				}
			}
		}
		if rank > bestRank {
			best, bestRank = sf, rank
		}
	}
	return best, bestRank >= 0
}

// distFromMetadata takes the resolver's fields from parsed core metadata.
func distFromMetadata(md *pypi.Metadata, file string) (*Dist, error) {
	d := &Dist{RequiresPython: md.Get("Requires-Python")}
	for _, e := range md.All("Provides-Extra") {
		d.ProvidesExtra = append(d.ProvidesExtra, pep508.NormalizeName(e))
	}
	for _, s := range md.All("Requires-Dist") {
		req, err := pep508.ParseRequirement(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w: Requires-Dist: %s", file, ErrInvalidMetadata, finding.Clip(err.Error(), 160))
		}
		d.Requires = append(d.Requires, req)
	}
	return d, nil
}
