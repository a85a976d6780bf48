package advisory

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"unsafe"
)

// The index file (format 6) is a flat layout read in place (mapped when the
// system allows): nothing is decoded when it is opened but its header, its
// metadata and a checksum of its tables; a package's matching data is
// decoded the first time the package is queried.
//
//	header     hdrSize bytes: magic, checksum, sizes and offsets (below)
//	meta       JSON of Meta
//	advisories advRowSize bytes each, in match order
//	packages   pkgRowSize bytes each, sorted by normalized name
//	refs       4 bytes each: advisory indexes, every package's run in match order
//	ids        keyRowSize bytes each: upper-case id → advisory, sorted
//	aliases    keyRowSize bytes each: upper-case alias → advisory, sorted
//	blocks     blockRowSize bytes each: compressed blocks of advisories' JSON
//	heap       strings, package records, hit records, compressed JSON
//
// The checksum (CRC-32C) covers everything from the file size field to the
// end of the tables; each package record and each hit record has its own,
// checked when it is first read; the compressed JSON of each advisory is
// checked by inflating and parsing it. Every offset read from the file is
// checked against the file's size before it is used.
const (
	// indexMagic starts every index file; the digit is the format version.
	indexMagic   = "PYVETIDX6\n"
	indexVersion = 6
	magicPrefix  = "PYVETIDX"

	hdrSize      = 96
	advRowSize   = 44
	pkgRowSize   = 24
	keyRowSize   = 12
	blockRowSize = 12
	refSize      = 4

	// maxMeta bounds the metadata JSON.
	maxMeta = 1 << 20
)

// Header fields (offsets into the header; all little-endian uint32 but the
// file size).
const (
	hCRC       = 12 // CRC-32C of [16, tablesEnd)
	hFileSize  = 16 // uint64
	hTablesEnd = 24
	hMetaOff   = 28
	hMetaLen   = 32
	hNAdv      = 36
	hAdvOff    = 40
	hNPkg      = 44
	hPkgOff    = 48
	hNRef      = 52
	hRefOff    = 56
	hNID       = 60
	hIDOff     = 64
	hNAlias    = 68
	hAliasOff  = 72
	hNBlock    = 76
	hBlockOff  = 80
)

// Advisory row fields.
const (
	aIDOff   = 0
	aIDLen   = 4
	aModOff  = 8
	aModLen  = 12
	aFlags   = 16
	aBlock   = 20 // the block holding the advisory's JSON
	aStart   = 24 // where the JSON starts in the inflated block
	aLen     = 28 // its length
	aHitOff  = 32
	aHitLen  = 36
	aHitCRC  = 40
	flagWdrn = 1 // withdrawn
)

// Block row fields: the compressed bytes (offset, length) and the inflated
// length.
const (
	bOff   = 0
	bLen   = 4
	bPlain = 8
)

// Package row fields.
const (
	pNameOff = 0
	pNameLen = 4
	pRecOff  = 8
	pRecLen  = 12
	pRecCRC  = 16
	pRefIdx  = 20 // first ref; the count is the next package's first ref minus this one
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func checksum(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// u32 reads a little-endian uint32 at off of b; the caller checked the bounds.
func u32(b []byte, off int) uint32 { return binary.LittleEndian.Uint32(b[off:]) }

// errDamaged marks a record that does not decode.
var errDamaged = errors.New("damaged index record")

// recReader decodes a record: varints, strings and fixed fields, each read
// checked against the record's end. After the first failure every read
// returns zero values and err stays set.
type recReader struct {
	b   []byte
	off int
	err error
}

func (r *recReader) fail() {
	if r.err == nil {
		r.err = errDamaged
	}
	r.off = len(r.b)
}

// uvarint reads a varint, which must be at most max.
func (r *recReader) uvarint(max uint64) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 || v > max {
		r.fail()
		return 0
	}
	r.off += n
	return v
}

// count reads a list length: each element takes at least min bytes, so a
// length the rest of the record cannot hold is damage.
func (r *recReader) count(min int) int {
	n := r.uvarint(math.MaxInt32)
	if r.err == nil && (n*uint64(min) > uint64(len(r.b)-r.off) || n > uint64(len(r.b)+1)) {
		r.fail()
		return 0
	}
	return int(n)
}

// bytes reads a length-prefixed byte string (a view into the record).
func (r *recReader) bytes() []byte {
	n := r.uvarint(uint64(len(r.b)))
	if r.err != nil || n > uint64(len(r.b)-r.off) {
		r.fail()
		return nil
	}
	b := r.b[r.off : r.off+int(n) : r.off+int(n)]
	r.off += int(n)
	return b
}

// str reads a length-prefixed string (a copy).
func (r *recReader) str() string { return string(r.bytes()) }

// strs reads a list of strings written by recWriter.strs (nil stays nil).
func (r *recReader) strs() []string {
	n := r.count(0) - 1
	if n < 0 {
		return nil
	}
	if n > len(r.b)-r.off {
		r.fail()
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = r.str()
	}
	return out
}

// skipStrs skips a list of strings.
func (r *recReader) skipStrs() {
	for range max(r.count(0)-1, 0) {
		r.bytes()
	}
}

func (r *recReader) byte1() byte {
	if r.err != nil || r.off >= len(r.b) {
		r.fail()
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

func (r *recReader) u64() uint64 {
	if r.err != nil || len(r.b)-r.off < 8 {
		r.fail()
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b[r.off:])
	r.off += 8
	return v
}

// recWriter encodes records.
type recWriter struct{ b []byte }

func (w *recWriter) uvarint(v uint64) { w.b = binary.AppendUvarint(w.b, v) }
func (w *recWriter) bytes(s []byte)   { w.uvarint(uint64(len(s))); w.b = append(w.b, s...) }
func (w *recWriter) str(s string)     { w.uvarint(uint64(len(s))); w.b = append(w.b, s...) }
func (w *recWriter) byte1(c byte)     { w.b = append(w.b, c) }
func (w *recWriter) u64(v uint64)     { w.b = binary.LittleEndian.AppendUint64(w.b, v) }

// strs writes a list of strings: its length plus one, 0 for nil.
func (w *recWriter) strs(ss []string) {
	if ss == nil {
		w.uvarint(0)
		return
	}
	w.uvarint(uint64(len(ss)) + 1)
	for _, s := range ss {
		w.str(s)
	}
}

// peek returns b as a string for a comparison, without copying: the result
// must not outlive the call that compares it (it may point into the mapped
// file).
func peek(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// keyList is a sorted list of version keys held as one blob and the end
// offset of each key (little-endian uint32s), searched in place.
type keyList struct {
	ends []byte // 4 bytes per key
	blob []byte
}

func (k *keyList) len() int { return len(k.ends) / 4 }

// at returns key i, or nil when the list is damaged.
func (k *keyList) at(i int) []byte {
	end := int(u32(k.ends, 4*i))
	start := 0
	if i > 0 {
		start = int(u32(k.ends, 4*(i-1)))
	}
	if start > end || end > len(k.blob) {
		return nil
	}
	return k.blob[start:end]
}

// has reports whether the list holds key.
func (k *keyList) has(key string) bool {
	lo, hi := 0, k.len()
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if peek(k.at(m)) < key {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo < k.len() && peek(k.at(lo)) == key
}

// appendKeys encodes sorted keys as a keyList record field.
func (w *recWriter) keys(keys []string) {
	w.uvarint(uint64(len(keys)))
	total := 0
	for _, k := range keys {
		total += len(k)
	}
	w.uvarint(uint64(total))
	end := 0
	for _, k := range keys {
		end += len(k)
		w.b = binary.LittleEndian.AppendUint32(w.b, uint32(end))
	}
	for _, k := range keys {
		w.b = append(w.b, k...)
	}
}

// keys reads a keyList field.
func (r *recReader) keys() keyList {
	n := r.count(4)
	total := r.uvarint(uint64(len(r.b)))
	if r.err != nil || uint64(4*n)+total > uint64(len(r.b)-r.off) {
		r.fail()
		return keyList{}
	}
	k := keyList{ends: r.b[r.off : r.off+4*n], blob: r.b[r.off+4*n : r.off+4*n+int(total)]}
	r.off += 4*n + int(total)
	return k
}

// formatError is the one message of an index file that cannot be read.
func formatError(name, format string, args ...any) error {
	return fmt.Errorf("%s: not a valid pyvet advisory index: %s; run `pyvet db update` to rebuild it", name, fmt.Sprintf(format, args...))
}

// VersionError says an index file was written in another format version.
type VersionError struct {
	Path    string
	Version string // the version byte found
}

// Error names the file, both versions and the remedy.
func (e *VersionError) Error() string {
	return fmt.Sprintf("%s: the advisory index is in format %s, and this pyvet reads format %d; run `pyvet db update` to rebuild it",
		e.Path, e.Version, indexVersion)
}
