package advisory

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pyvet/pyvet/internal/safeio"
	"github.com/pyvet/pyvet/pep508"
)

// indexMagic starts every index file; the last byte before the newline is the
// format version.
const indexMagic = "PYVETIDX5\n"

// maxHeader and maxMatch bound the sections of an index file.
const (
	maxHeader = 1 << 20
	maxMatch  = 256 << 20
)

// Meta describes a loaded database.
type Meta struct {
	Source        string    `json:"source"`                   // URL or path it was built from
	Format        string    `json:"format"`                   // "zip", "dir" or "index"
	ContentSHA256 string    `json:"content_sha256,omitempty"` // of the zip, or of the directory's files
	Built         time.Time `json:"built"`                    // when the index was built
	Newest        time.Time `json:"newest,omitempty"`         // newest "modified" among the advisories, at or before Built
	Count         int       `json:"count"`                    // advisories, withdrawn included
	Withdrawn     int       `json:"withdrawn"`
	Packages      int       `json:"packages"` // distinct PyPI package names
	Skipped       int       `json:"skipped,omitempty"`
	ETag          string    `json:"etag,omitempty"`          // from the download
	LastModified  string    `json:"last_modified,omitempty"` // from the download
	Fetched       time.Time `json:"fetched,omitzero"`        // when it was downloaded
	Checked       time.Time `json:"checked,omitzero"`        // last successful check with the server
	Path          string    `json:"path,omitempty"`          // the index file, when read from one
}

// indexHeader is the JSON header of an index file.
type indexHeader struct {
	Meta        Meta   `json:"meta"`
	MatchLen    int64  `json:"match_len"`
	MatchSHA256 string `json:"match_sha256"`
	RawLen      int64  `json:"raw_len"`
}

// Event kinds in the index.
const (
	evIntroduced uint8 = iota + 1
	evFixed
	evLastAffected
	evLimit
)

// idxEvent is one ECOSYSTEM range event.
type idxEvent struct {
	Kind    uint8
	Version string
}

// idxAffected is the matching data of one affected PyPI package.
type idxAffected struct {
	Name     string       // PEP 503 normalized
	Ranges   [][]idxEvent // ECOSYSTEM and SEMVER ranges, events in file order
	Versions string       // canonical keys of the versions list, "\n"-joined (see versionKey)
	Index    int          // position in Entry.Affected
	Listed   string       // the versions list as written, "\n"-joined, when the lite JSON leaves it out
	Stripped bool         // the lite JSON leaves the versions list out
}

// idxEntry is the matching data of one advisory.
type idxEntry struct {
	ID        string
	Aliases   []string
	Withdrawn bool
	Modified  string
	Affected  []idxAffected
	Block     int32 // raw block holding the advisory's JSON
	Start     int32 // offset of the JSON in the inflated block
	Len       int32 // length of the JSON
	// The same for the lite JSON: the advisory without the versions lists
	// that idxAffected.Listed holds, which is faster to decode.
	LBlock, LStart, LLen int32
}

// blockRef locates one compressed raw block in the raw section.
type blockRef struct {
	Off, Len int64
	Plain    int64 // inflated length
}

// indexData is the match section of an index file.
type indexData struct {
	Entries []idxEntry
	Blocks  []blockRef
}

// blockSize is how many advisories share one compressed raw block: larger
// blocks compress better, smaller ones make Raw cheaper. maxBlockPlain caps
// an inflated block.
const (
	blockSize     = 8
	maxBlockPlain = blockSize * maxAdvisorySize
)

// build parses every document of src and returns the index bytes.
func build(src *source, meta Meta) ([]byte, error) {
	docs := make([]document, len(src.names))
	errs := make([]error, len(src.names))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, name := range src.names {
		g.Go(func() error {
			data, err := src.read(name)
			if err != nil {
				return err
			}
			d, err := parseDocument(name, data)
			if err != nil {
				errs[i] = err
				return nil
			}
			docs[i] = d
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var kept []document
	for i, err := range errs {
		if err != nil {
			if errors.Is(err, errNoID) {
				meta.Skipped++
				continue
			}
			return nil, fmt.Errorf("%s: %w", src.path, err)
		}
		kept = append(kept, docs[i])
	}
	if len(kept) == 0 {
		return nil, fmt.Errorf("%s: no OSV advisories found", src.path)
	}
	seen := make(map[string]string, len(kept))
	for _, d := range kept {
		if prev, dup := seen[d.entry.ID]; dup {
			return nil, fmt.Errorf("%s: advisory %s appears twice (%s and %s)", src.path, d.entry.ID, prev, d.name)
		}
		seen[d.entry.ID] = d.name
	}
	return encodeIndex(kept, meta)
}

// openIndexBytesFromDocs indexes parsed documents in memory.
func openIndexBytesFromDocs(docs []document) (*DB, error) {
	data, err := encodeIndex(docs, Meta{})
	if err != nil {
		return nil, err
	}
	return openIndexBytes("memory", data)
}

// encodeIndex writes documents as an index file.
func encodeIndex(docs []document, meta Meta) ([]byte, error) {
	// Advisories of the same package sit next to each other, so the few raw
	// blocks a package's matches need are inflated once.
	keys := make(map[*Entry]string, len(docs))
	for _, d := range docs {
		keys[d.entry] = firstPackage(d.entry)
	}
	sort.Slice(docs, func(i, j int) bool {
		a, b := keys[docs[i].entry], keys[docs[j].entry]
		if a != b {
			return a < b
		}
		return docs[i].entry.ID < docs[j].entry.ID
	})
	nblocks := (len(docs) + blockSize - 1) / blockSize
	blocks := make([][]byte, 2*nblocks) // raw blocks, then lite blocks
	plainLens := make([]int64, 2*nblocks)
	data := indexData{Entries: make([]idxEntry, len(docs)), Blocks: make([]blockRef, 2*nblocks)}
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for b := range nblocks {
		g.Go(func() error {
			var plain, lite []byte
			for i := b * blockSize; i < min(len(docs), (b+1)*blockSize); i++ {
				e := indexEntry(docs[i].entry)
				l, err := liteJSON(docs[i].entry, &e)
				if err != nil {
					return fmt.Errorf("advisory %s: %w", docs[i].entry.ID, err)
				}
				if len(plain)+len(docs[i].raw) > math.MaxInt32 || len(lite)+len(l) > math.MaxInt32 {
					return fmt.Errorf("advisory %s: too large", docs[i].entry.ID)
				}
				e.Block, e.Start, e.Len = int32(b), int32(len(plain)), int32(len(docs[i].raw))
				e.LBlock, e.LStart, e.LLen = int32(nblocks+b), int32(len(lite)), int32(len(l))
				data.Entries[i] = e
				plain = append(plain, docs[i].raw...)
				lite = append(lite, l...)
			}
			for k, p := range map[int][]byte{b: plain, nblocks + b: lite} {
				z, err := deflate(p)
				if err != nil {
					return err
				}
				blocks[k], plainLens[k] = z, int64(len(p))
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var raw bytes.Buffer
	for b, z := range blocks {
		data.Blocks[b] = blockRef{Off: int64(raw.Len()), Len: int64(len(z)), Plain: plainLens[b]}
		raw.Write(z)
	}
	names := map[string]bool{}
	meta.Count, meta.Withdrawn = len(docs), 0
	for i := range data.Entries {
		e := &data.Entries[i]
		if e.Withdrawn {
			meta.Withdrawn++
		}
		for _, a := range e.Affected {
			names[a.Name] = true
		}
	}
	meta.Packages = len(names)
	// The data is as new as its newest advisory; a modification time in the
	// future (a clock or data error) says nothing about that.
	cutoff := meta.Built
	if cutoff.IsZero() {
		cutoff = time.Now()
	}
	meta.Newest = newestBefore(data.Entries, cutoff)
	var match bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&match, gzip.BestCompression)
	if err := gob.NewEncoder(zw).Encode(&data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(match.Bytes())
	hdr, err := json.Marshal(indexHeader{Meta: meta, MatchLen: int64(match.Len()), MatchSHA256: hex.EncodeToString(sum[:]), RawLen: int64(raw.Len())})
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.Grow(len(indexMagic) + 4 + len(hdr) + match.Len() + raw.Len())
	out.WriteString(indexMagic)
	var n [4]byte
	binary.LittleEndian.PutUint32(n[:], uint32(len(hdr)))
	out.Write(n[:])
	out.Write(hdr)
	out.Write(match.Bytes())
	out.Write(raw.Bytes())
	return out.Bytes(), nil
}

// firstPackage is the normalized name of the first PyPI package an advisory
// affects ("" when none).
func firstPackage(e *Entry) string {
	for _, a := range e.Affected {
		if isPyPI(a.Package.Ecosystem) {
			return pep508.NormalizeName(a.Package.Name)
		}
	}
	return ""
}

// dictionary primes the compression of each advisory with common OSV text.
var dictionary = []byte(`{"id":"PYSEC-","schema_version":"1.6.0","modified":"","published":"","aliases":["CVE-","GHSA-"],"details":"","affected":[{"package":{"name":"","ecosystem":"PyPI","purl":"pkg:pypi/"},"ranges":[{"type":"GIT","repo":"https://github.com/","events":[{"introduced":"0"},{"fixed":""}]},{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":""},{"last_affected":""}]}],"versions":["0.1","0.2","1.0","1.1","1.2","2.0","0.1.0","0.1.1","0.2.0","1.0.0","1.0.1","1.1.0","2.0.0"]}],"references":[{"type":"ADVISORY","url":"https://github.com/advisories/GHSA-"},{"type":"WEB","url":"https://github.com/"},{"type":"FIX","url":"https://github.com/"},{"type":"PACKAGE","url":"https://pypi.org/project/"},{"type":"REPORT","url":"https://"}],"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},{"type":"CVSS_V4","score":"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}]}`)

var flatePool = sync.Pool{New: func() any {
	w, _ := flate.NewWriterDict(io.Discard, 5, dictionary)
	return w
}}

func deflate(b []byte) ([]byte, error) {
	var out bytes.Buffer
	w := flatePool.Get().(*flate.Writer)
	defer flatePool.Put(w)
	w.Reset(&out)
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

var inflatePool = sync.Pool{New: func() any { return flate.NewReaderDict(bytes.NewReader(nil), dictionary) }}

// inflate decompresses a raw block whose inflated length is plain.
func inflate(b []byte, plain int64) ([]byte, error) {
	if plain < 0 || plain > maxBlockPlain {
		return nil, errors.New("advisory block too large")
	}
	r := inflatePool.Get().(io.ReadCloser)
	defer inflatePool.Put(r)
	if err := r.(flate.Resetter).Reset(bytes.NewReader(b), dictionary); err != nil {
		return nil, err
	}
	out := make([]byte, plain)
	if _, err := io.ReadFull(r, out); err != nil {
		return nil, err
	}
	return out, nil
}

// indexEntry extracts the matching data of an advisory.
func indexEntry(e *Entry) idxEntry {
	ie := idxEntry{ID: e.ID, Aliases: e.Aliases, Withdrawn: strings.TrimSpace(e.Withdrawn) != "", Modified: e.Modified}
	for j, a := range e.Affected {
		if !isPyPI(a.Package.Ecosystem) || a.Package.Name == "" {
			continue
		}
		ia := idxAffected{Name: pep508.NormalizeName(a.Package.Name), Index: j}
		for _, r := range a.Ranges {
			if r.Type != "ECOSYSTEM" && r.Type != "SEMVER" {
				continue
			}
			var evs []idxEvent
			for _, ev := range r.Events {
				switch {
				case ev.Introduced != "":
					evs = append(evs, idxEvent{evIntroduced, ev.Introduced})
				case ev.Fixed != "":
					evs = append(evs, idxEvent{evFixed, ev.Fixed})
				case ev.LastAffected != "":
					evs = append(evs, idxEvent{evLastAffected, ev.LastAffected})
				case ev.Limit != "":
					evs = append(evs, idxEvent{evLimit, ev.Limit})
				}
			}
			ia.Ranges = append(ia.Ranges, evs)
		}
		keys := make([]string, 0, len(a.Versions))
		for _, v := range a.Versions {
			keys = append(keys, VersionKey(v))
		}
		sort.Strings(keys)
		ia.Versions = strings.Join(keys, "\n")
		ie.Affected = append(ie.Affected, ia)
	}
	return ie
}

// liteJSON returns the advisory's JSON without the versions lists that ie
// can restore (it marks them Stripped and keeps them in Listed).
func liteJSON(e *Entry, ie *idxEntry) ([]byte, error) {
	c := *e
	c.Affected = slices.Clone(e.Affected)
	for k := range ie.Affected {
		ia := &ie.Affected[k]
		vs := c.Affected[ia.Index].Versions
		if len(vs) == 0 || slices.ContainsFunc(vs, func(v string) bool { return strings.Contains(v, "\n") }) {
			continue
		}
		ia.Listed, ia.Stripped = strings.Join(vs, "\n"), true
		c.Affected[ia.Index].Versions = nil
	}
	return json.Marshal(&c)
}

// isPyPI reports whether an OSV ecosystem string names PyPI.
func isPyPI(eco string) bool {
	return eco == Ecosystem || strings.HasPrefix(eco, Ecosystem+":")
}

// decodeIndex reads the header and match section of an index. r reads the
// whole file; size is its length.
func decodeIndex(name string, r io.ReaderAt, size int64) (*indexHeader, *indexData, int64, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s: not a valid pyvet advisory index: %s", name, fmt.Sprintf(format, args...))
	}
	pre := make([]byte, len(indexMagic)+4)
	if _, err := r.ReadAt(pre, 0); err != nil {
		return nil, nil, 0, bad("too short")
	}
	if string(pre[:len(indexMagic)]) != indexMagic {
		return nil, nil, 0, bad("bad magic or unsupported version")
	}
	hlen := int64(binary.LittleEndian.Uint32(pre[len(indexMagic):]))
	if hlen > maxHeader || int64(len(pre))+hlen > size {
		return nil, nil, 0, bad("bad header length")
	}
	hb := make([]byte, hlen)
	if _, err := r.ReadAt(hb, int64(len(pre))); err != nil {
		return nil, nil, 0, bad("truncated header")
	}
	var h indexHeader
	if err := json.Unmarshal(hb, &h); err != nil {
		return nil, nil, 0, bad("header: %v", err)
	}
	off := int64(len(pre)) + hlen
	if h.MatchLen < 0 || h.MatchLen > maxMatch || h.RawLen < 0 || off+h.MatchLen+h.RawLen != size {
		return nil, nil, 0, bad("section lengths do not match the file size")
	}
	mb := make([]byte, h.MatchLen)
	if _, err := r.ReadAt(mb, off); err != nil {
		return nil, nil, 0, bad("truncated")
	}
	sum := sha256.Sum256(mb)
	if hex.EncodeToString(sum[:]) != h.MatchSHA256 {
		return nil, nil, 0, bad("checksum mismatch")
	}
	zr, err := gzip.NewReader(bytes.NewReader(mb))
	if err != nil {
		return nil, nil, 0, bad("%v", err)
	}
	var d indexData
	if err := gob.NewDecoder(bufio.NewReader(zr)).Decode(&d); err != nil {
		return nil, nil, 0, bad("%v", err)
	}
	rawOff := off + h.MatchLen
	for _, b := range d.Blocks {
		if b.Off < 0 || b.Len < 0 || b.Off+b.Len > h.RawLen {
			return nil, nil, 0, bad("raw block out of bounds")
		}
		if b.Plain < 0 || b.Plain > maxBlockPlain {
			return nil, nil, 0, bad("raw block larger than %d advisories of %s", blockSize, safeio.HumanBytes(maxAdvisorySize))
		}
	}
	for _, e := range d.Entries {
		if e.Block < 0 || int(e.Block) >= len(d.Blocks) || e.Start < 0 || e.Len < 0 ||
			e.LBlock < 0 || int(e.LBlock) >= len(d.Blocks) || e.LStart < 0 || e.LLen < 0 {
			return nil, nil, 0, bad("entry %s out of bounds", e.ID)
		}
	}
	return &h, &d, rawOff, nil
}
