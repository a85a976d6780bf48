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

// DBSource serves an advisory database from its index, which is read in
// place: a source holds the sorted advisory ids and the answer cache, not
// the advisories, so building one costs a pass over the index and a
// refresh never holds two copies of the entries in memory. It closes the
// database when the server retires it after a refresh. Build it with
// NewDBSource.
type DBSource struct {
	DB *advisory.DB
	// ids are the advisory ids, sorted: Raw serves exactly these (the
	// database also finds an entry by alias or in another case).
	ids []string
	// answers remembers query answers and the JSON of the advisories
	// served (the index stores each one compressed), bounded by bytes.
	answers *answerCache
}

// DefaultAnswerCacheBytes is how much memory a DBSource's answer cache may
// use: keys, query answers and advisory JSON together, counted with their
// bookkeeping.
const DefaultAnswerCacheBytes int64 = 32 << 20

// NewDBSource serves db, remembering answers in at most cacheBytes bytes (0:
// none), forgetting the least recently used ones first. It reads every
// advisory once (and lets it go): a database with an entry that cannot be
// read is refused here, so a refresh keeps the previous one, rather than
// failing the requests that would need the entry.
func NewDBSource(db *advisory.DB, cacheBytes int64) (*DBSource, error) {
	s := &DBSource{DB: db, ids: db.IDs(), answers: newAnswerCache(cacheBytes)}
	for _, id := range s.ids {
		raw, ok := db.Raw(id)
		if !ok || !json.Valid(raw) {
			return nil, fmt.Errorf("advisory %s: cannot be read from the database", id)
		}
	}
	return s, nil
}

// Query returns the advisories affecting name at version (withdrawn ones
// excluded), or every advisory naming the package when version is "",
// sorted by id.
func (s *DBSource) Query(name, version string) []osvclient.VulnRef {
	key := queryKey(pep508.NormalizeName(strings.TrimSpace(name)), version)
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
		slices.SortFunc(out, cmpRef)
	}
	s.answers.put(key, out)
	return out
}

// Raw returns the OSV JSON of the advisory with exactly this id. An alias
// or a differently cased id is not found, as on osv.dev: the entry served
// always carries the id asked for.
func (s *DBSource) Raw(id string) ([]byte, bool) {
	if _, ok := slices.BinarySearch(s.ids, id); !ok {
		return nil, false
	}
	key := rawKey(id)
	if b, ok := s.answers.getRaw(key); ok {
		return b, true
	}
	b, ok := s.DB.Raw(id)
	if ok && s.answers != nil {
		// A copy: the database's slice may hold the advisories beside it
		// (the index compresses them in runs), which the cache would keep
		// without counting them.
		b = bytes.Clone(b)
		s.answers.putRaw(key, b)
	}
	return b, ok
}

// Resolve returns the id of the advisory that id names exactly, in another
// case or as an alias.
func (s *DBSource) Resolve(id string) (string, bool) {
	e, ok := s.DB.Get(id)
	if !ok {
		return "", false
	}
	return e.ID, true
}

// CacheStats reports the answer cache's size.
func (s *DBSource) CacheStats() CacheStats { return s.answers.stats() }

// Len is the number of advisories, withdrawn ones included.
func (s *DBSource) Len() int { return len(s.ids) }

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
	// AnswerCacheBytes bounds the memory of the remembered answers and
	// advisory JSON (see NewDBSource); 0 disables the cache.
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
