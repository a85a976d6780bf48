package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

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

// DefaultAnswerCache is how many versioned query answers a DBSource keeps.
const DefaultAnswerCache = 200_000

// NewDBSource indexes db by package name for version-less queries and keeps
// every entry's JSON in memory. It remembers up to cacheSize answers to
// versioned queries (0: none).
func NewDBSource(db *advisory.DB, cacheSize int) (*DBSource, error) {
	ids := db.IDs()
	s := &DBSource{DB: db, byPkg: map[string][]osvclient.VulnRef{}, raw: make(map[string][]byte, len(ids)), answers: newAnswerCache(cacheSize)}
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

// answerCache is a bounded map of query answers, safe for concurrent use.
// When full it starts over: simple, and a database's answers never change.
type answerCache struct {
	mu  sync.RWMutex
	max int
	m   map[string][]osvclient.VulnRef
}

func newAnswerCache(max int) *answerCache {
	if max <= 0 {
		return nil
	}
	return &answerCache{max: max, m: map[string][]osvclient.VulnRef{}}
}

func (c *answerCache) get(key string) ([]osvclient.VulnRef, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.RLock()
	refs, ok := c.m[key]
	c.mu.RUnlock()
	return refs, ok
}

func (c *answerCache) put(key string, refs []osvclient.VulnRef) {
	if c == nil {
		return
	}
	c.mu.Lock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[key] = refs
	c.mu.Unlock()
}

// Raw returns the advisory's OSV JSON by id (or alias).
func (s *DBSource) Raw(id string) ([]byte, bool) {
	if b, ok := s.raw[id]; ok {
		return b, true
	}
	return s.DB.Raw(id)
}

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
	// AnswerCache is how many query answers the source remembers (see
	// NewDBSource); 0 disables the cache.
	AnswerCache int
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
			return newSource(db, o.AnswerCache)
		}
		if o.Update {
			u := o.Updater
			u.CacheDir = o.CacheDir
			if _, err := advisory.Update(ctx, u); err != nil {
				return nil, err
			}
		}
		db, err := advisory.OpenCached(o.CacheDir)
		if err != nil {
			return nil, err
		}
		return newSource(db, o.AnswerCache)
	}
}

func newSource(db *advisory.DB, cacheSize int) (Source, error) {
	s, err := NewDBSource(db, cacheSize)
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}
