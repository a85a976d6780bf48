package advisory

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/pyvet/pyvet/internal/httpx"
	"github.com/pyvet/pyvet/pep440"
)

// Source is where vulnerability matching reads advisories from: the local
// index (*DB, opened by OpenSource, Open or OpenCached) or a service's
// answers held in memory (osvclient.NewSource). Every implementation matches
// with this package's matcher, so the same advisories give the same results
// whichever source holds them. Implementations are safe for concurrent use.
type Source interface {
	// Match returns the advisories affecting name at version (PEP 440,
	// or listed literally in an advisory's versions), withdrawn ones left
	// out. The error says the version is not PEP 440: the entries are then
	// those that list it literally.
	Match(name, version string) ([]*Entry, error)
	// Query is Match without the error; version "" returns every advisory
	// of the package.
	Query(name, version string) []*Entry
	// QuerySpec returns the advisories affecting some version that spec
	// allows.
	QuerySpec(name string, spec pep440.SpecifierSet) []*Entry
	// MatchHits is Match, as the hits of the matched advisories for the
	// package (HitOf of each entry Match returns, in the same order).
	MatchHits(name, version string) ([]*Hit, error)
	// QuerySpecHits is QuerySpec, as the hits of the matched advisories for
	// the package, in the same order.
	QuerySpecHits(name string, spec pep440.SpecifierSet) []*Hit
	// UnreadRanges lists the package's advisory ranges with a bound that is
	// not a version (only their versions lists are matched).
	UnreadRanges(name string) []UnreadRange
	// Damaged returns the ids of advisories that matched but could not be
	// read, sorted.
	Damaged() []string
	// Meta describes where the advisories come from.
	Meta() Meta
	// Close releases the source; it must not be used afterwards.
	Close() error
}

var _ Source = (*DB)(nil)

// ErrNoDatabase is what errors.Is finds in a NoDatabaseError: no advisory
// database has been downloaded or imported yet.
var ErrNoDatabase = errors.New("no advisory database")

// NoDatabaseError says there is no cached advisory database and how to get
// one. It is the one "no database" message of every command.
type NoDatabaseError struct {
	// Dir is the directory the database was looked for in.
	Dir string
	// Err, when set, is why it could not be downloaded.
	Err error
}

// Error names both remedies: downloading, importing a file, or --db.
func (e *NoDatabaseError) Error() string {
	why := ""
	if e.Err != nil {
		why = fmt.Sprintf(" (the download failed: %v)", e.Err)
	}
	return fmt.Sprintf("%v in %s%s; run `pyvet db update` (or `pyvet db update --from FILE` without network), or pass --db PATH",
		ErrNoDatabase, e.Dir, why)
}

// Is makes errors.Is(err, ErrNoDatabase) true.
func (e *NoDatabaseError) Is(target error) bool { return target == ErrNoDatabase }

// Unwrap returns the download failure, if any.
func (e *NoDatabaseError) Unwrap() error { return e.Err }

// Refresh settings of OpenSource: a refresh before a command gives up sooner
// than `pyvet db update`.
const (
	refreshRetries = 1
	refreshTimeout = 2 * time.Minute
)

// SourceOptions configure OpenSource.
type SourceOptions struct {
	// Path is an OSV zip, a directory of OSV files or a pyvet index (the
	// --db flag). Empty: the cached database in CacheDir.
	Path string
	// CacheDir is the cache directory (required): the cached database, and
	// the index cache of Path.
	CacheDir string
	// Offline never downloads: a missing database is an error, a stale one
	// is used as it is.
	Offline bool
	// Progress receives "Updating the advisory database..." and the
	// download's progress bar. Nil: silence.
	Progress io.Writer
	// URL is the export to refresh from (default: $PYVET_ADVISORY_DB_URL,
	// then DefaultURL).
	URL string
	// HTTP is the client for the refresh (default: httpx.Default()).
	HTTP *httpx.Client
	// Backoff is the first wait between two download attempts (default 1 s).
	Backoff time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// OpenSource opens the advisory database a command audits against, with the
// freshness policy every command shares: Path when it is set; else the
// cached database, downloaded when there is none, refreshed when it was last
// checked more than MaxAge ago (unless Offline). A database that cannot be
// refreshed is still used; the returned notes say so (one line each, for the
// report). No database at all is a *NoDatabaseError. The caller closes the
// source.
func OpenSource(ctx context.Context, opts SourceOptions) (Source, []string, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Path != "" {
		db, err := OpenWith(opts.Path, Options{CacheDir: opts.CacheDir})
		if err != nil {
			return nil, nil, fmt.Errorf("--db: %w", err)
		}
		return db, nil, nil
	}
	dir := opts.CacheDir
	db, err := OpenCached(dir)
	switch {
	case errors.Is(err, ErrNoDatabase):
		if opts.Offline {
			return nil, nil, err
		}
		if _, uerr := opts.update(ctx); uerr != nil {
			var nd *NoDatabaseError
			errors.As(err, &nd)
			return nil, nil, &NoDatabaseError{Dir: nd.Dir, Err: uerr}
		}
		db, err = OpenCached(dir)
		if err != nil {
			return nil, nil, err
		}
		return db, nil, nil
	case err != nil:
		return nil, nil, fmt.Errorf("%v; run `pyvet db update --force` to replace it", err)
	}
	m := db.Meta()
	now := opts.Now()
	if opts.Offline || m.Age(now) <= MaxAge {
		return db, nil, nil
	}
	if !isURL(m.Source) {
		return db, []string{fmt.Sprintf("the advisory database was imported from %s %s ago; run `pyvet db update --from` again to refresh it",
			m.Source, m.Age(now).Round(time.Hour))}, nil
	}
	if _, uerr := opts.update(ctx); uerr != nil {
		return db, []string{fmt.Sprintf("the advisory database is %s old and could not be refreshed (%v); results may miss recent advisories",
			m.Age(now).Round(time.Hour), uerr)}, nil
	}
	fresh, err := OpenCached(dir)
	if err != nil {
		return db, nil, nil
	}
	db.Close()
	return fresh, nil, nil
}

// update refreshes the cached database for OpenSource.
func (o *SourceOptions) update(ctx context.Context) (*UpdateResult, error) {
	if o.Progress != nil {
		fmt.Fprintln(o.Progress, "Updating the advisory database...")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	return Update(ctx, UpdateOptions{
		URL: o.URL, CacheDir: o.CacheDir, HTTP: o.HTTP, Retries: refreshRetries, Timeout: refreshTimeout,
		Backoff: o.Backoff, Progress: o.Progress, Now: o.Now,
	})
}

// isURL reports whether a database's source is a download.
func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// FromJSON indexes OSV advisories held in memory (a service's answers, keyed
// by id) so this package's matcher runs over them; nothing is written to
// disk. An entry that is not a valid OSV advisory is an error naming its id.
// No entries gives an empty database.
func FromJSON(entries map[string][]byte, meta Meta) (*DB, error) {
	ids := make([]string, 0, len(entries))
	for id := range entries {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	docs := make([]document, 0, len(ids))
	seen := make(map[string]string, len(ids))
	for _, id := range ids {
		raw := entries[id]
		if int64(len(raw)) > maxAdvisorySize {
			return nil, fmt.Errorf("advisory %s: %d bytes, more than the limit of %d", id, len(raw), maxAdvisorySize)
		}
		e, err := ParseJSON(id, raw)
		if err != nil {
			return nil, fmt.Errorf("advisory %s: %w", id, err)
		}
		if prev, dup := seen[e.ID]; dup {
			return nil, fmt.Errorf("advisory %s appears twice (as %s and %s)", e.ID, prev, id)
		}
		seen[e.ID] = id
		docs = append(docs, document{entry: e, raw: compactJSON(raw), name: id})
	}
	data, err := encodeIndex(docs, meta)
	if err != nil {
		return nil, err
	}
	return openIndexBytes("memory", data)
}
