package advisory

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pyvet/pyvet/internal/safeio"
)

// DB is a loaded advisory database: an index file read in place. It is safe
// for concurrent use. Nothing it returns refers to the file's memory, so
// results stay valid after Close.
type DB struct {
	meta Meta
	data []byte // the whole index file
	tab  []byte // its header and tables (a copy when the file is mapped)
	// Tables: offsets into data and row counts, checked at open.
	nAdv, nPkg, nRef, nID, nAlias, nBlock         int
	advOff, pkgOff, refOff, idOff, aOff, blockOff int
	closer                                        func() error

	cacheMu   sync.Mutex
	cache     [blockCacheSize]cachedBlock
	cacheNext int

	pkgsOnce sync.Once
	pkgs     []atomic.Pointer[pkgMatcher] // by package row, decoded on first query

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
		if n >= len(magicPrefix) && string(magic[:len(magicPrefix)]) == magicPrefix {
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

// openIndexFile loads an index file: mapped read-only where the system
// allows, else read into memory. The file is never written in place (the
// updater installs a new one by renaming), so the mapping stays as opened.
func openIndexFile(path string) (*DB, error) {
	f, err := openArchive(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size := f.Stat().Size()
	data, unmap, ok := mapFile(f.OS(), size)
	if !ok {
		data, err = safeio.ReadAll(f, maxArchive, path)
		if err != nil {
			return nil, err
		}
	}
	db, err := newDB(path, data, ok)
	if err != nil {
		if unmap != nil {
			unmap()
		}
		return nil, err
	}
	db.closer = unmap
	db.meta.Path = path
	return db, nil
}

// openIndexBytes loads an index held in memory.
func openIndexBytes(name string, data []byte) (*DB, error) {
	return newDB(name, data, false)
}

// newDB checks an index file's header, checksum and tables. Every offset the
// tables hold is checked here, so the accessors can trust them; records are
// checked when first decoded.
func newDB(name string, data []byte, mapped bool) (*DB, error) {
	size := uint64(len(data))
	if len(data) < len(magicPrefix) || string(data[:len(magicPrefix)]) != magicPrefix {
		return nil, formatError(name, "bad magic")
	}
	if len(data) < len(indexMagic) || string(data[:len(indexMagic)]) != indexMagic {
		v := "unknown"
		if len(data) > len(magicPrefix) && data[len(magicPrefix)] >= '0' && data[len(magicPrefix)] <= '9' {
			v = string(data[len(magicPrefix)])
		}
		return nil, &VersionError{Path: name, Version: v}
	}
	if len(data) < hdrSize {
		return nil, formatError(name, "too short")
	}
	if binary.LittleEndian.Uint64(data[hFileSize:]) != size {
		return nil, formatError(name, "truncated or extended: %d bytes, the header says %d", size, binary.LittleEndian.Uint64(data[hFileSize:]))
	}
	tablesEnd := uint64(u32(data, hTablesEnd))
	if tablesEnd < hdrSize || tablesEnd > size {
		return nil, formatError(name, "bad table size")
	}
	// The tables of a mapped file are copied (they are small) and checked
	// in the copy, so a file rewritten in place after Open cannot change an
	// offset that was checked.
	tab := data[:tablesEnd:tablesEnd]
	if mapped {
		tab = bytes.Clone(tab)
	}
	h := func(off int) uint64 { return uint64(u32(tab, off)) }
	if h(hTablesEnd) != tablesEnd || checksum(tab[16:]) != u32(tab, hCRC) {
		return nil, formatError(name, "checksum mismatch")
	}
	table := func(offField, nField int, rowSize uint64) (int, int, bool) {
		off, n := h(offField), h(nField)
		return int(off), int(n), off >= hdrSize && off+n*rowSize <= tablesEnd
	}
	db := &DB{data: data, tab: tab}
	var ok [7]bool
	var metaOff, metaLen int
	metaOff, metaLen, ok[0] = table(hMetaOff, hMetaLen, 1)
	db.advOff, db.nAdv, ok[1] = table(hAdvOff, hNAdv, advRowSize)
	db.pkgOff, db.nPkg, ok[2] = table(hPkgOff, hNPkg, pkgRowSize)
	db.refOff, db.nRef, ok[3] = table(hRefOff, hNRef, refSize)
	db.idOff, db.nID, ok[4] = table(hIDOff, hNID, keyRowSize)
	db.aOff, db.nAlias, ok[5] = table(hAliasOff, hNAlias, keyRowSize)
	db.blockOff, db.nBlock, ok[6] = table(hBlockOff, hNBlock, blockRowSize)
	if slices.Contains(ok[:], false) || metaLen > maxMeta {
		return nil, formatError(name, "table out of bounds")
	}
	if err := json.Unmarshal(tab[metaOff:metaOff+metaLen], &db.meta); err != nil {
		return nil, formatError(name, "metadata: %v", err)
	}
	heapRef := func(row, field int) bool {
		off, n := h(row+field), h(row+field+4)
		return off >= tablesEnd && off+n <= size
	}
	nAdv := uint64(db.nAdv)
	for k := range db.nBlock {
		row := db.blockOff + k*blockRowSize
		if !heapRef(row, bOff) || h(row+bPlain) > uint64(maxBlockPlain) {
			return nil, formatError(name, "block %d out of bounds", k)
		}
	}
	for i := range db.nAdv {
		row := db.advOff + i*advRowSize
		b := h(row + aBlock)
		if !heapRef(row, aIDOff) || !heapRef(row, aModOff) || !heapRef(row, aHitOff) || b >= uint64(db.nBlock) ||
			h(row+aStart)+h(row+aLen) > h(db.blockOff+int(b)*blockRowSize+bPlain) {
			return nil, formatError(name, "advisory %d out of bounds", i)
		}
	}
	prev := uint64(0)
	for k := range db.nPkg {
		row := db.pkgOff + k*pkgRowSize
		first := h(row + pRefIdx)
		if !heapRef(row, pNameOff) || !heapRef(row, pRecOff) || first < prev || first > uint64(db.nRef) || k == 0 && first != 0 {
			return nil, formatError(name, "package %d out of bounds", k)
		}
		prev = first
	}
	for i := range db.nRef {
		if h(db.refOff+i*refSize) >= nAdv {
			return nil, formatError(name, "reference %d out of bounds", i)
		}
	}
	for _, t := range [][2]int{{db.idOff, db.nID}, {db.aOff, db.nAlias}} {
		for i := range t[1] {
			row := t[0] + i*keyRowSize
			if !heapRef(row, 0) || h(row+8) >= nAdv {
				return nil, formatError(name, "key %d out of bounds", i)
			}
		}
	}
	return db, nil
}

// field reads a uint32 field of a checked table row.
func (db *DB) field(off int) int { return int(u32(db.tab, off)) }

// view returns the bytes a checked (offset, length) field pair names. The
// bytes are the file's: callers copy what they return.
func (db *DB) view(off int) []byte {
	o, n := db.field(off), db.field(off+4)
	return db.data[o : o+n : o+n]
}

func (db *DB) advRow(i int32) int { return db.advOff + int(i)*advRowSize }

// advID returns the id of advisory i (a copy).
func (db *DB) advID(i int32) string { return string(db.view(db.advRow(i) + aIDOff)) }

// advModified returns the modification time of advisory i (a copy).
func (db *DB) advModified(i int32) string { return string(db.view(db.advRow(i) + aModOff)) }

// withdrawn reports whether advisory i is withdrawn.
func (db *DB) withdrawn(i int32) bool { return db.field(db.advRow(i)+aFlags)&flagWdrn != 0 }

// pkgName returns the name of package row k (the file's bytes).
func (db *DB) pkgName(k int) []byte { return db.view(db.pkgOff + k*pkgRowSize + pNameOff) }

// pkgRefs returns the advisories of package row k.
func (db *DB) pkgRefs(k int) []int32 {
	first := db.field(db.pkgOff + k*pkgRowSize + pRefIdx)
	end := db.nRef
	if k+1 < db.nPkg {
		end = db.field(db.pkgOff + (k+1)*pkgRowSize + pRefIdx)
	}
	out := make([]int32, end-first)
	for j := range out {
		out[j] = int32(db.field(db.refOff + (first+j)*refSize))
	}
	return out
}

// findPkg returns the row of a normalized package name.
func (db *DB) findPkg(name string) (int, bool) {
	k, ok := sort.Find(db.nPkg, func(k int) int { return strings.Compare(name, peek(db.pkgName(k))) })
	return k, ok
}

// findKey returns the advisory of the first row of a key table (ids or
// aliases) holding key.
func (db *DB) findKey(off, n int, key string) (int32, bool) {
	k, ok := sort.Find(n, func(k int) int { return strings.Compare(key, peek(db.view(off+k*keyRowSize))) })
	if !ok {
		return 0, false
	}
	return int32(db.field(off + k*keyRowSize + 8)), true
}

// Close releases the index file. The DB must not be used afterwards; what
// it returned stays valid.
func (db *DB) Close() error {
	if db == nil || db.closer == nil {
		return nil
	}
	c := db.closer
	db.closer = nil
	return c()
}

// Meta describes the database.
func (db *DB) Meta() Meta { return db.meta }

// Len is the number of advisories, withdrawn ones included.
func (db *DB) Len() int { return db.nAdv }

// Packages returns the normalized names of every package with an advisory, sorted.
func (db *DB) Packages() []string {
	defer db.guard(debug.SetPanicOnFault(true))
	out := make([]string, db.nPkg)
	for k := range out {
		out[k] = string(db.pkgName(k))
	}
	return out
}

// IDs returns every advisory id, sorted.
func (db *DB) IDs() []string {
	defer db.guard(debug.SetPanicOnFault(true))
	out := make([]string, db.nAdv)
	for i := range out {
		out[i] = db.advID(int32(i))
	}
	sort.Strings(out)
	return out
}

// lookup finds an entry by id, then by alias.
func (db *DB) lookup(id string) (int32, bool) {
	k := strings.ToUpper(strings.TrimSpace(id))
	// Ids that differ only in case share a key: the one spelled as asked
	// wins, then the first.
	r, ok := sort.Find(db.nID, func(r int) int { return strings.Compare(k, peek(db.view(db.idOff+r*keyRowSize))) })
	if ok {
		for e := r; e < db.nID && peek(db.view(db.idOff+e*keyRowSize)) == k; e++ {
			if i := int32(db.field(db.idOff + e*keyRowSize + 8)); peek(db.view(db.advRow(i)+aIDOff)) == strings.TrimSpace(id) {
				return i, true
			}
		}
		return int32(db.field(db.idOff + r*keyRowSize + 8)), true
	}
	return db.findKey(db.aOff, db.nAlias, k)
}

// Get returns the advisory with that id, or the first one that has it as an
// alias. Withdrawn advisories are returned too (check Entry.Withdrawn).
func (db *DB) Get(id string) (*Entry, bool) {
	defer db.guard(debug.SetPanicOnFault(true))
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
	defer db.guard(debug.SetPanicOnFault(true))
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

// rawJSON returns the JSON of advisory i, from its inflated block (memory
// of the DB's own, never the file's).
func (db *DB) rawJSON(i int32) ([]byte, error) {
	row := db.advRow(i)
	b, err := db.block(db.field(row + aBlock))
	if err != nil {
		return nil, fmt.Errorf("advisory %s: %w", db.advID(i), err)
	}
	start, n := db.field(row+aStart), db.field(row+aLen)
	if start+n > len(b) {
		return nil, fmt.Errorf("advisory %s: damaged index block", db.advID(i))
	}
	return b[start : start+n : start+n], nil
}

// blockCacheSize is how many inflated blocks a DB keeps, and
// maxCachedBlock the largest it keeps (real blocks are tens of kB).
const (
	blockCacheSize = 32
	maxCachedBlock = 1 << 20
)

// cachedBlock is one inflated block.
type cachedBlock struct {
	n    int
	data []byte
}

// block returns block n inflated, through a small cache.
func (db *DB) block(n int) ([]byte, error) {
	db.cacheMu.Lock()
	for _, c := range db.cache {
		if c.n == n && c.data != nil {
			db.cacheMu.Unlock()
			return c.data, nil
		}
	}
	db.cacheMu.Unlock()
	row := db.blockOff + n*blockRowSize
	b, err := inflate(db.view(row+bOff), int64(db.field(row+bPlain)))
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

// guard turns a fault reading the mapped file (truncated under the mapping
// by another program) into an empty answer, recorded in Damaged, instead of
// a crash of the process, and restores the fault setting old. Use:
// defer db.guard(debug.SetPanicOnFault(true)).
func (db *DB) guard(old bool) {
	debug.SetPanicOnFault(old)
	r := recover()
	if r == nil {
		return
	}
	if _, ok := r.(interface{ Addr() uintptr }); !ok {
		panic(r)
	}
	db.damagedMu.Lock()
	if db.damaged == nil {
		db.damaged = map[string]bool{}
	}
	db.damaged[db.meta.Path+" (the file changed after it was opened)"] = true
	db.damagedMu.Unlock()
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

// markDamaged records advisories that could not be read.
func (db *DB) markDamaged(is ...int32) {
	db.damagedMu.Lock()
	defer db.damagedMu.Unlock()
	if db.damaged == nil {
		db.damaged = map[string]bool{}
	}
	for _, i := range is {
		db.damaged[db.advID(i)] = true
	}
}

// entry parses advisory i, recording a failure in Damaged.
func (db *DB) entry(i int32) (*Entry, error) {
	e, err := db.decodeEntry(i)
	if err != nil {
		db.markDamaged(i)
	}
	return e, err
}

// decodeEntry parses advisory i from its JSON. Parsed advisories are not
// kept: a run touches each one about once.
func (db *DB) decodeEntry(i int32) (*Entry, error) {
	b, err := db.rawJSON(i)
	if err != nil {
		return nil, err
	}
	var e Entry
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("advisory %s: %w", db.advID(i), err)
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
