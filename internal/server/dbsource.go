package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/osvclient"
	"github.com/pyvet/pyvet/pep508"
)

// DBSource serves an advisory database. It closes the database when the
// server retires it after a refresh. Build it with NewDBSource.
type DBSource struct {
	DB *advisory.DB
	// byPkg lists, per normalized package name, every advisory (withdrawn
	// ones excluded) that names the package, sorted by id: the answer to a
	// query without a version.
	byPkg map[string][]osvclient.VulnRef
	// raw holds every advisory's JSON by id: the database keeps its entries
	// compressed in blocks, and a server answers faster from memory.
	raw map[string][]byte
	// answers remembers the answers to versioned queries: matching is cheap
	// but the database parses every matched entry to return it, and the
	// same packages are asked about again and again.
	answers *answerCache
}

// DefaultAnswerCacheBytes is how much memory a DBSource's answer cache may
// use: keys and answers together, counted with their bookkeeping.
const DefaultAnswerCacheBytes int64 = 32 << 20

// NewDBSource indexes db by package name for version-less queries and keeps
// every entry's JSON in memory. It remembers answers to versioned queries in
// at most cacheBytes bytes (0: none), forgetting the least recently used ones
// first.
func NewDBSource(db *advisory.DB, cacheBytes int64) (*DBSource, error) {
	ids := db.IDs()
	s := &DBSource{DB: db, byPkg: map[string][]osvclient.VulnRef{}, raw: make(map[string][]byte, len(ids)), answers: newAnswerCache(cacheBytes)}
	for _, id := range ids {
		raw, ok := db.Raw(id)
		if !ok {
			return nil, fmt.Errorf("advisory %s: cannot be read from the database", id)
		}
		raw = bytes.Clone(raw)
		s.raw[id] = raw
		var e struct {
			ID        string `json:"id"`
			Modified  string `json:"modified"`
			Withdrawn string `json:"withdrawn"`
			Affected  []struct {
				Package struct {
					Ecosystem string `json:"ecosystem"`
					Name      string `json:"name"`
				} `json:"package"`
			} `json:"affected"`
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, fmt.Errorf("advisory %s: %w", id, err)
		}
		if e.Withdrawn != "" {
			continue
		}
		for _, a := range e.Affected {
			if !strings.EqualFold(a.Package.Ecosystem, advisory.Ecosystem) {
				continue
			}
			n := pep508.NormalizeName(strings.TrimSpace(a.Package.Name))
			if n == "" || slices.ContainsFunc(s.byPkg[n], func(r osvclient.VulnRef) bool { return r.ID == e.ID }) {
				continue
			}
			s.byPkg[n] = append(s.byPkg[n], osvclient.VulnRef{ID: e.ID, Modified: e.Modified})
		}
	}
	for _, refs := range s.byPkg {
		slices.SortFunc(refs, cmpRef)
	}
	return s, nil
}

// Query returns the advisories affecting name at version (withdrawn ones
// excluded), or every advisory naming the package when version is "".
func (s *DBSource) Query(name, version string) []osvclient.VulnRef {
	if version == "" {
		return s.byPkg[pep508.NormalizeName(strings.TrimSpace(name))]
	}
	key := pep508.NormalizeName(strings.TrimSpace(name)) + "\x00" + version
	if refs, ok := s.answers.get(key); ok {
		return refs
	}
	// Only ids and modification times are answered: match without decoding.
	refs := s.DB.QueryRefs(name, version)
	var out []osvclient.VulnRef
	if len(refs) > 0 {
		out = make([]osvclient.VulnRef, len(refs))
		for i, r := range refs {
			out[i] = osvclient.VulnRef{ID: r.ID, Modified: r.Modified}
		}
	}
	s.answers.put(key, out)
	return out
}

// Raw returns the OSV JSON of the advisory with exactly this id. An alias
// or a differently cased id is not found, as on osv.dev: the entry served
// always carries the id asked for.
func (s *DBSource) Raw(id string) ([]byte, bool) {
	b, ok := s.raw[id]
	return b, ok
}

// CacheStats reports the answer cache's size.
func (s *DBSource) CacheStats() CacheStats { return s.answers.stats() }

// Len is the number of advisories, withdrawn ones included.
func (s *DBSource) Len() int { return s.DB.Len() }

// Close closes the database.
func (s *DBSource) Close() error { return s.DB.Close() }

// LoadOptions say where the served database comes from.
type LoadOptions struct {
	// Path is an OSV zip, a directory of OSV files or a pyvet index; "" means
	// the cached database in CacheDir that `pyvet db update` maintains.
	Path string
	// CacheDir holds the cached database (and the index cache for Path).
	CacheDir string
	// Update refreshes the cached database from Updater.URL before loading it
	// (ignored when Path is set).
	Update bool
	// Updater configures the update; its CacheDir is set from CacheDir.
	Updater advisory.UpdateOptions
	// AnswerCacheBytes bounds the memory of the remembered query answers
	// (see NewDBSource); 0 disables the cache.
	AnswerCacheBytes int64
}

// Loader returns the Loader for these options. With Path, each call reads the
// path again, so a refresh picks up a replaced file.
func (o LoadOptions) Loader() Loader {
	return func(ctx context.Context) (Source, error) {
		if o.Path != "" {
			db, err := advisory.OpenWith(o.Path, advisory.Options{CacheDir: o.CacheDir})
			if err != nil {
				return nil, fmt.Errorf("advisory database %s: %w", o.Path, err)
			}
			return newSource(db, o.AnswerCacheBytes)
		}
		if o.Update {
			u := o.Updater
			u.CacheDir = o.CacheDir
			if _, err := advisory.Update(ctx, u); err != nil {
				// Without a database to fall back on, the one "no
				// database" error, saying why the download failed.
				p := advisory.CachedPath(o.CacheDir)
				if _, serr := os.Stat(p); errors.Is(serr, os.ErrNotExist) {
					return nil, &advisory.NoDatabaseError{Dir: filepath.Dir(p), Err: err}
				}
				return nil, err
			}
		}
		db, err := advisory.OpenCached(o.CacheDir)
		if err != nil {
			return nil, err
		}
		return newSource(db, o.AnswerCacheBytes)
	}
}

func newSource(db *advisory.DB, cacheBytes int64) (Source, error) {
	s, err := NewDBSource(db, cacheBytes)
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}
