package advisory

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pyvet/pyvet/internal/safeio"
)

// DB is a loaded advisory database. It is safe for concurrent use.
type DB struct {
	meta    Meta
	entries []idxEntry
	blocks  []blockRef
	byID    map[string]int32   // id → entry
	byAlias map[string][]int32 // upper-case alias → entries
	byPkg   map[string][]int32 // normalized name → entries affecting it

	raw      io.ReaderAt
	rawOff   int64
	matchLen int64 // size of the compressed match section
	closer   io.Closer

	cacheMu   sync.Mutex
	cache     [blockCacheSize]cachedBlock
	cacheNext int

	pkgs sync.Map // name → *pkgMatcher

	damagedMu sync.Mutex
	damaged   map[string]bool // advisories that could not be decoded
}

// Options tune Open.
type Options struct {
	// CacheDir, when set, keeps the index of a zip or directory in
	// CacheDir/advisories/by-hash/, keyed by the input's content, so the next
	// Open of the same content skips parsing.
	CacheDir string
}

// Open loads an advisory database from path: an OSV zip (the all.zip layout),
// a directory of OSV .json/.yaml files, or a pyvet index file. Anything else
// (a FIFO, a device) is refused before it is read, and what is read is
// capped: see the limits in read.go.
func Open(path string) (*DB, error) { return OpenWith(path, Options{}) }

// OpenWith is Open with options.
func OpenWith(path string, opts Options) (*DB, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		f, err := openArchive(path)
		if err != nil {
			return nil, err
		}
		magic := make([]byte, len(indexMagic))
		n, _ := io.ReadFull(f, magic)
		f.Close()
		if n >= 8 && string(magic[:8]) == indexMagic[:8] {
			return openIndexFile(path)
		}
	}
	hash, err := contentHash(path, st.IsDir())
	if err != nil {
		return nil, err
	}
	var cached string
	if opts.CacheDir != "" {
		byHash := filepath.Join(opts.CacheDir, "advisories", "by-hash")
		removeStale(byHash, 0)
		cached = filepath.Join(byHash, hash+".idx")
		if db, err := openIndexFile(cached); err == nil {
			db.meta.Source = path
			return db, nil
		}
	}
	abs, _ := filepath.Abs(path)
	format := "zip"
	if st.IsDir() {
		format = "dir"
	}
	data, err := buildFrom(path, Meta{Source: abs, Format: format, ContentSHA256: hash, Built: time.Now().UTC()})
	if err != nil {
		return nil, err
	}
	if cached != "" {
		// A cache that cannot be written only costs time on the next run.
		_ = install(cached, data)
	}
	db, err := openIndexBytes(path, data)
	if err != nil {
		return nil, err
	}
	db.meta.Source = path
	return db, nil
}

// Build parses a zip or directory of OSV advisories and returns index bytes
// that Open and OpenCached load.
func buildFrom(path string, meta Meta) ([]byte, error) {
	src, err := openSource(path)
	if err != nil {
		return nil, err
	}
	defer src.close()
	return build(src, meta)
}

// contentHash hashes a zip file, or the names and contents of a directory's
// advisory files.
func contentHash(path string, dir bool) (string, error) {
	h := sha256.New()
	if !dir {
		f, err := openArchive(path)
		if err != nil {
			return "", err
		}
		defer f.Close()
		if _, err := io.Copy(h, f); err != nil {
			var tl *safeio.TooLargeError
			if errors.As(err, &tl) {
				return "", err
			}
			return "", fmt.Errorf("%s: %w", path, err)
		}
		return hex.EncodeToString(h.Sum(nil)), nil
	}
	src, err := openDirSource(path)
	if err != nil {
		return "", err
	}
	for _, n := range src.names {
		b, err := src.read(n)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// openIndexFile loads an index file, keeping it open for Raw.
func openIndexFile(path string) (*DB, error) {
	f, err := openArchive(path)
	if err != nil {
		return nil, err
	}
	db, err := newDB(path, f.OS(), f.Stat().Size())
	if err != nil {
		f.Close()
		return nil, err
	}
	db.closer = f
	db.meta.Path = path
	return db, nil
}

// openIndexBytes loads an index held in memory.
func openIndexBytes(name string, data []byte) (*DB, error) {
	return newDB(name, bytes.NewReader(data), int64(len(data)))
}

func newDB(name string, r io.ReaderAt, size int64) (*DB, error) {
	h, d, rawOff, err := decodeIndex(name, r, size)
	if err != nil {
		return nil, err
	}
	db := &DB{
		meta:     h.Meta,
		entries:  d.Entries,
		blocks:   d.Blocks,
		byID:     make(map[string]int32, len(d.Entries)),
		byAlias:  make(map[string][]int32, 2*len(d.Entries)),
		byPkg:    make(map[string][]int32, len(d.Entries)/4),
		raw:      r,
		rawOff:   rawOff,
		matchLen: h.MatchLen,
	}
	if !db.meta.Built.IsZero() && db.meta.Newest.After(db.meta.Built) {
		// Written before Newest left out modification times in the future.
		db.meta.Newest = newestBefore(d.Entries, db.meta.Built)
	}
	for i := range d.Entries {
		e := &d.Entries[i]
		db.byID[strings.ToUpper(strings.TrimSpace(e.ID))] = int32(i)
		for _, a := range e.Aliases {
			k := strings.ToUpper(strings.TrimSpace(a))
			db.byAlias[k] = append(db.byAlias[k], int32(i))
		}
		for j, a := range e.Affected {
			if j > 0 && containsName(e.Affected[:j], a.Name) {
				continue
			}
			db.byPkg[a.Name] = append(db.byPkg[a.Name], int32(i))
		}
	}
	return db, nil
}

// newestBefore is the newest modification time of the entries at or before
// cutoff.
func newestBefore(entries []idxEntry, cutoff time.Time) time.Time {
	var newest time.Time
	for i := range entries {
		if t, err := time.Parse(time.RFC3339Nano, entries[i].Modified); err == nil && t.After(newest) && !t.After(cutoff) {
			newest = t.UTC()
		}
	}
	return newest
}

func containsName(as []idxAffected, name string) bool {
	for _, a := range as {
		if a.Name == name {
			return true
		}
	}
	return false
}

// Close releases the index file. The DB must not be used afterwards.
func (db *DB) Close() error {
	if db == nil || db.closer == nil {
		return nil
	}
	return db.closer.Close()
}

// Meta describes the database.
func (db *DB) Meta() Meta { return db.meta }

// Len is the number of advisories, withdrawn ones included.
func (db *DB) Len() int { return len(db.entries) }

// Packages returns the normalized names of every package with an advisory, sorted.
func (db *DB) Packages() []string {
	out := make([]string, 0, len(db.byPkg))
	for n := range db.byPkg {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// IDs returns every advisory id, sorted.
func (db *DB) IDs() []string {
	out := make([]string, len(db.entries))
	for i := range db.entries {
		out[i] = db.entries[i].ID
	}
	sort.Strings(out)
	return out
}

// lookup finds an entry by id, then by alias.
func (db *DB) lookup(id string) (int32, bool) {
	k := strings.ToUpper(strings.TrimSpace(id))
	if i, ok := db.byID[k]; ok {
		return i, true
	}
	if is := db.byAlias[k]; len(is) > 0 {
		return is[0], true
	}
	return 0, false
}

// Get returns the advisory with that id, or the first one that has it as an
// alias. Withdrawn advisories are returned too (check Entry.Withdrawn).
func (db *DB) Get(id string) (*Entry, bool) {
	i, ok := db.lookup(id)
	if !ok {
		return nil, false
	}
	e, err := db.entry(i)
	if err != nil {
		return nil, false
	}
	return e, true
}

// Raw returns the advisory's full OSV JSON (compact), by id or alias.
func (db *DB) Raw(id string) ([]byte, bool) {
	i, ok := db.lookup(id)
	if !ok {
		return nil, false
	}
	b, err := db.rawJSON(i)
	if err != nil {
		return nil, false
	}
	return b, true
}

func (db *DB) rawJSON(i int32) ([]byte, error) {
	e := &db.entries[i]
	return db.slice(e.ID, e.Block, e.Start, e.Len)
}

// slice returns length bytes at start of inflated block n.
func (db *DB) slice(id string, n, start, length int32) ([]byte, error) {
	b, err := db.block(n)
	if err != nil {
		return nil, fmt.Errorf("advisory %s: %w", id, err)
	}
	if int(start)+int(length) > len(b) {
		return nil, fmt.Errorf("advisory %s: damaged index block", id)
	}
	return b[start : start+length : start+length], nil
}

// blockCacheSize is how many inflated raw blocks a DB keeps, and
// maxCachedBlock the largest it keeps (real blocks are tens of kB), so the
// cache stays within 32 MiB.
const (
	blockCacheSize = 32
	maxCachedBlock = 1 << 20
)

// block returns raw block n inflated, through a small cache.
func (db *DB) block(n int32) ([]byte, error) {
	db.cacheMu.Lock()
	for _, c := range db.cache {
		if c.n == n && c.data != nil {
			db.cacheMu.Unlock()
			return c.data, nil
		}
	}
	db.cacheMu.Unlock()
	ref := db.blocks[n]
	buf := make([]byte, ref.Len)
	if _, err := db.raw.ReadAt(buf, db.rawOff+ref.Off); err != nil {
		return nil, err
	}
	b, err := inflate(buf, ref.Plain)
	if err != nil {
		return nil, err
	}
	if len(b) > maxCachedBlock {
		return b, nil
	}
	db.cacheMu.Lock()
	db.cache[db.cacheNext] = cachedBlock{n: n, data: b}
	db.cacheNext = (db.cacheNext + 1) % len(db.cache)
	db.cacheMu.Unlock()
	return b, nil
}

// cachedBlock is one inflated raw block.
type cachedBlock struct {
	n    int32
	data []byte
}

// Damaged returns the ids of the advisories that matched but could not be
// read from the index (a damaged file), sorted. Match, Query and QuerySpec
// leave them out of their results, so a caller must say so.
func (db *DB) Damaged() []string {
	db.damagedMu.Lock()
	defer db.damagedMu.Unlock()
	out := make([]string, 0, len(db.damaged))
	for id := range db.damaged {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// entry parses advisory i, recording a failure in Damaged.
func (db *DB) entry(i int32) (*Entry, error) {
	e, err := db.decodeEntry(i)
	if err != nil {
		db.damagedMu.Lock()
		if db.damaged == nil {
			db.damaged = map[string]bool{}
		}
		db.damaged[db.entries[i].ID] = true
		db.damagedMu.Unlock()
	}
	return e, err
}

// decodeEntry parses advisory i from its lite JSON and restores its versions
// lists from the index. Parsed advisories are not kept: a run touches each
// one about once, and the inflated blocks are cached.
func (db *DB) decodeEntry(i int32) (*Entry, error) {
	ie := &db.entries[i]
	b, err := db.slice(ie.ID, ie.LBlock, ie.LStart, ie.LLen)
	if err != nil {
		return nil, err
	}
	var e Entry
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("advisory %s: %w", ie.ID, err)
	}
	for _, a := range ie.Affected {
		if !a.Stripped {
			continue
		}
		if a.Index < 0 || a.Index >= len(e.Affected) {
			return nil, fmt.Errorf("advisory %s: damaged index entry", ie.ID)
		}
		e.Affected[a.Index].Versions = strings.Split(a.Listed, "\n")
	}
	return &e, nil
}

// install writes data to path atomically (see safeio.Create), creating
// its directory. An existing non-regular file there (a FIFO, a device) is
// refused: the database files are the program's own, never a stream.
func install(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		return fmt.Errorf("%s: %w; remove it", path, &safeio.NotRegularError{Path: path, Mode: st.Mode()})
	}
	return safeio.WriteFile(path, data, 0o644)
}

// Temporaries a killed run can leave in the cache: downloads, and the
// files of atomic writes (safeio's, and those of earlier versions).
var tempPatterns = []string{".download-*.zip", ".*.tmp-*", ".tmp-*"}

// staleAfter is how old a temporary must be before another run removes it.
// A live download rewrites its file as bytes arrive, so its modification
// time is never older than the longest stall its timeout allows.
const staleAfter = 30 * time.Minute

// removeStale removes the temporaries killed runs left in dir that are
// older than staleAfter or than timeout, whichever is longer.
func removeStale(dir string, timeout time.Duration) int {
	n := 0
	for _, p := range tempPatterns {
		n += safeio.RemoveStale(dir, p, max(staleAfter, timeout+5*time.Minute))
	}
	return n
}
