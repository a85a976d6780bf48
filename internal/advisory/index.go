package advisory

import (
	"bytes"
	"cmp"
	"compress/flate"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pyvet/pyvet/pep508"
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
	Versions []string     // canonical keys of the versions list, sorted (see VersionKey)
}

// idxEntry is the matching data of one advisory.
type idxEntry struct {
	ID        string
	Withdrawn bool
	Affected  []idxAffected
}

// buildGCPercent is the garbage collector's target while an index is built.
const buildGCPercent = 50

// maxPlain caps the JSON of one advisory in an index (its compact form can
// be longer than the file it came from: YAML scalars gain escapes).
// Advisories' JSON is compressed in blocks of up to blockSize advisories
// (larger blocks compress better and faster, smaller ones make Raw cheaper)
// and maxBlockPlain bytes, one advisory excepted.
const (
	maxPlain      = 2 * maxAdvisorySize
	blockSize     = 8
	maxBlockPlain = 4 * maxPlain
)

// build parses every document of src and returns the index bytes. Runs of
// blockSize documents are parsed, prepared and compressed in parallel; each
// advisory's parsed form and JSON are dropped as soon as its run is done.
func build(src *source, meta Meta) ([]byte, error) {
	// The build's garbage (each advisory parsed, then dropped) is large
	// beside what it keeps: collecting at 1.5 times the live heap instead of
	// twice keeps its peak within 100 MB for the PyPA export, for about 10 %
	// more time.
	defer debug.SetGCPercent(debug.SetGCPercent(buildGCPercent))
	preps := make([]*prepared, len(src.names))
	errs := make([]error, len(src.names))
	err := inRuns(len(src.names), preps, func(i int) error {
		name := src.names[i]
		data, err := src.read(name)
		if err != nil {
			return err
		}
		d, err := parseDocument(name, data)
		if err != nil {
			errs[i] = err
			return nil
		}
		p, err := prepare(d)
		if err != nil {
			return fmt.Errorf("%s: %w", src.path, err)
		}
		preps[i] = p
		return nil
	})
	if err != nil {
		return nil, err
	}
	kept := preps[:0]
	for i, err := range errs {
		if err != nil {
			if errors.Is(err, errNoID) {
				meta.Skipped++
				continue
			}
			return nil, fmt.Errorf("%s: %w", src.path, err)
		}
		kept = append(kept, preps[i])
	}
	if len(kept) == 0 {
		return nil, fmt.Errorf("%s: no OSV advisories found", src.path)
	}
	seen := make(map[string]string, len(kept))
	for _, p := range kept {
		if prev, dup := seen[p.id]; dup {
			return nil, fmt.Errorf("%s: advisory %s appears twice (%s and %s)", src.path, p.id, prev, p.name)
		}
		seen[p.id] = p.name
	}
	return assemble(kept, meta)
}

// inRuns calls prepare for every index in [0, n), in runs of blockSize in
// parallel, and compresses the JSON of each run's prepared advisories
// (preps, which prepare fills) into blocks.
func inRuns(n int, preps []*prepared, prepare func(i int) error) error {
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for first := 0; first < n; first += blockSize {
		g.Go(func() error {
			end := min(first+blockSize, n)
			for i := first; i < end; i++ {
				if err := prepare(i); err != nil {
					return err
				}
			}
			return compressRun(preps[first:end])
		})
	}
	return g.Wait()
}

// compressRun compresses the JSON of a run of advisories (nil ones left
// out) into blocks of at most maxBlockPlain bytes (one advisory excepted),
// which it gives the first of them to hold, and drops the JSON.
func compressRun(run []*prepared) error {
	var live []*prepared
	for _, p := range run {
		if p != nil {
			live = append(live, p)
		}
	}
	for len(live) > 0 {
		plain, k := 0, 0
		for k < len(live) && (k == 0 || int64(plain+len(live[k].raw)) <= maxBlockPlain) {
			plain += len(live[k].raw)
			k++
		}
		raws := make([][]byte, k)
		start := 0
		for j, p := range live[:k] {
			raws[j] = p.raw
			p.start, p.rawLen, p.raw = start, len(p.raw), nil
			p.holder = live[0]
			start += p.rawLen
		}
		z, err := deflate(plain, raws...)
		if err != nil {
			return err
		}
		live[0].block = &jsonBlock{z: z, plain: plain}
		live = live[k:]
	}
	return nil
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
	preps := make([]*prepared, len(docs))
	err := inRuns(len(docs), preps, func(i int) error {
		p, err := prepare(docs[i])
		preps[i] = p
		return err
	})
	if err != nil {
		return nil, err
	}
	return assemble(preps, meta)
}

// prepared is one advisory as the index stores it.
type prepared struct {
	id, modified string
	name         string // the file it came from
	first        string // its first PyPI package (the match order)
	withdrawn    bool
	aliasKeys    []string   // upper-case, trimmed
	raw          []byte     // JSON, until its block is compressed
	holder       *prepared  // the advisory holding the block of its JSON
	block        *jsonBlock // the block it holds, if any
	start        int        // where its JSON starts in the inflated block
	rawLen       int
	hit          []byte // hit record
	pkgs         []pkgPart
}

// pkgPart is the record of one advisory for one of its packages: the
// package's part of its Hit, and the parsed matching data of every affected
// entry of the package.
type pkgPart struct {
	name string
	rec  []byte
}

// Event flags in a package record.
const (
	evfZero  = 1 // introduced "0"
	evfBuild = 2 // the bound named a build of the version
)

// prepare computes what the index stores of one advisory.
func prepare(d document) (*prepared, error) {
	e := d.entry
	if int64(len(d.raw)) > maxPlain {
		return nil, fmt.Errorf("advisory %s: %d bytes of JSON, more than the limit of %d", e.ID, len(d.raw), maxPlain)
	}
	ie := indexEntry(e)
	p := &prepared{id: e.ID, modified: e.Modified, name: d.name, first: firstPackage(e), withdrawn: ie.Withdrawn, raw: d.raw}
	for _, a := range e.Aliases {
		p.aliasKeys = append(p.aliasKeys, strings.ToUpper(strings.TrimSpace(a)))
	}
	h := HitOf(e, p.first)
	var hw recWriter
	hw.strs(h.Aliases)
	hw.str(h.Summary)
	hw.str(h.Details)
	hw.str(h.Published)
	hw.str(h.Withdrawn)
	if h.Malicious {
		hw.byte1(1)
	} else {
		hw.byte1(0)
	}
	p.hit = hw.b
	for j := range ie.Affected {
		name := ie.Affected[j].Name
		if containsName(ie.Affected[:j], name) {
			continue
		}
		var w recWriter
		h := HitOf(e, name)
		w.strs(h.Fixed)
		w.uvarint(uint64(h.Rating.Level))
		w.u64(math.Float64bits(h.Rating.Score))
		w.str(h.Rating.Vector)
		w.str(h.Rating.Source)
		w.strs(h.Bounds)
		n := 0
		for k := j; k < len(ie.Affected); k++ {
			if ie.Affected[k].Name == name {
				n++
			}
		}
		w.uvarint(uint64(n))
		for k := j; k < len(ie.Affected); k++ {
			if ie.Affected[k].Name != name {
				continue
			}
			pa := parseAffected(&ie.Affected[k])
			w.uvarint(uint64(len(pa.ranges)))
			for _, r := range pa.ranges {
				writeEvents(&w, r.events)
				writeEvents(&w, r.limits)
			}
			w.strs(pa.unread)
			w.keys(ie.Affected[k].Versions)
		}
		p.pkgs = append(p.pkgs, pkgPart{name: name, rec: w.b})
	}
	return p, nil
}

func containsName(as []idxAffected, name string) bool {
	for _, a := range as {
		if a.Name == name {
			return true
		}
	}
	return false
}

// writeEvents writes parsed events: kind, flags and the version as it
// parses back to the same version.
func writeEvents(w *recWriter, evs []pevent) {
	w.uvarint(uint64(len(evs)))
	for _, ev := range evs {
		w.byte1(ev.kind)
		var f byte
		if ev.zero {
			f |= evfZero
		}
		if ev.build {
			f |= evfBuild
		}
		w.byte1(f)
		if !ev.zero {
			t, _ := ev.v.MarshalText()
			w.bytes(t)
		}
	}
}

// keyRow is one row of the id or alias table.
type keyRow struct {
	key string
	adv uint32
}

// jsonBlock is the compressed JSON of a run of advisories.
type jsonBlock struct {
	z     []byte
	plain int // inflated length
	index int // in the file
}

// assemble lays out prepared advisories as an index file. It writes the
// file into one buffer of its exact size.
func assemble(preps []*prepared, meta Meta) ([]byte, error) {
	// The match order: advisories of the same package next to each other,
	// then by id.
	slices.SortFunc(preps, func(a, b *prepared) int {
		return cmp.Or(strings.Compare(a.first, b.first), strings.Compare(a.id, b.id))
	})
	var blocks []*jsonBlock
	for _, p := range preps {
		if p.block != nil {
			p.block.index = len(blocks)
			blocks = append(blocks, p.block)
		}
	}
	type ref struct {
		adv uint32
		rec []byte
	}
	byPkg := map[string][]ref{}
	var ids, aliases []keyRow
	meta.Count, meta.Withdrawn = len(preps), 0
	heapSize := 0
	for i, p := range preps {
		if p.withdrawn {
			meta.Withdrawn++
		}
		for _, part := range p.pkgs {
			byPkg[part.name] = append(byPkg[part.name], ref{uint32(i), part.rec})
			heapSize += len(part.rec)
		}
		p.pkgs = nil
		ids = append(ids, keyRow{strings.ToUpper(strings.TrimSpace(p.id)), uint32(i)})
		if ids[len(ids)-1].key != p.id {
			heapSize += len(ids[len(ids)-1].key)
		}
		for _, k := range p.aliasKeys {
			aliases = append(aliases, keyRow{k, uint32(i)})
			heapSize += len(k)
		}
		heapSize += len(p.id) + len(p.modified) + len(p.hit)
	}
	for _, b := range blocks {
		heapSize += len(b.z)
	}
	names := make([]string, 0, len(byPkg))
	nrefs := 0
	for n, rs := range byPkg {
		names = append(names, n)
		nrefs += len(rs)
		heapSize += len(n)
	}
	sort.Strings(names)
	byKey := func(a, b keyRow) int { return cmp.Or(strings.Compare(a.key, b.key), cmp.Compare(a.adv, b.adv)) }
	slices.SortFunc(ids, byKey)
	slices.SortFunc(aliases, byKey)
	meta.Packages = len(names)
	// The data is as new as its newest advisory; a modification time in the
	// future (a clock or data error) says nothing about that.
	cutoff := meta.Built
	if cutoff.IsZero() {
		cutoff = time.Now()
	}
	meta.Newest = time.Time{}
	for _, p := range preps {
		if t, err := time.Parse(time.RFC3339Nano, p.modified); err == nil && t.After(meta.Newest) && !t.After(cutoff) {
			meta.Newest = t.UTC()
		}
	}
	mj, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	if len(mj) > maxMeta {
		return nil, errors.New("index metadata too large")
	}
	metaOff := hdrSize
	advOff := metaOff + len(mj)
	pkgOff := advOff + len(preps)*advRowSize
	refOff := pkgOff + len(names)*pkgRowSize
	idOff := refOff + nrefs*refSize
	aliasOff := idOff + len(ids)*keyRowSize
	blockOff := aliasOff + len(aliases)*keyRowSize
	tablesEnd := blockOff + len(blocks)*blockRowSize
	if int64(tablesEnd)+int64(heapSize) > maxArchive {
		return nil, fmt.Errorf("index of %d bytes, larger than the limit of %d", int64(tablesEnd)+int64(heapSize), maxArchive)
	}

	out := make([]byte, tablesEnd+heapSize)
	at := tablesEnd // the end of the heap written so far
	put := func(off int, v uint32) { binary.LittleEndian.PutUint32(out[off:], v) }
	// add appends b to the heap and writes its (offset, length) at field.
	add := func(field int, b []byte) {
		put(field, uint32(at))
		put(field+4, uint32(len(b)))
		at += copy(out[at:], b)
	}
	addString := func(field int, s string) {
		put(field, uint32(at))
		put(field+4, uint32(len(s)))
		at += copy(out[at:], s)
	}
	for k, b := range blocks {
		row := blockOff + k*blockRowSize
		add(row+bOff, b.z)
		put(row+bPlain, uint32(b.plain))
		b.z = nil
	}
	for i, p := range preps {
		row := advOff + i*advRowSize
		put(row+aBlock, uint32(p.holder.block.index))
		put(row+aStart, uint32(p.start))
		put(row+aLen, uint32(p.rawLen))
		addString(row+aIDOff, p.id)
		addString(row+aModOff, p.modified)
		if p.withdrawn {
			put(row+aFlags, flagWdrn)
		}
		add(row+aHitOff, p.hit)
		put(row+aHitCRC, checksum(p.hit))
		p.hit = nil
	}
	ri := 0
	for k, n := range names {
		row := pkgOff + k*pkgRowSize
		addString(row+pNameOff, n)
		start := at
		for _, r := range byPkg[n] {
			at += copy(out[at:], r.rec)
			put(refOff+ri*refSize, r.adv)
			ri++
		}
		put(row+pRecOff, uint32(start))
		put(row+pRecLen, uint32(at-start))
		put(row+pRecCRC, checksum(out[start:at]))
		put(row+pRefIdx, uint32(ri-len(byPkg[n])))
		delete(byPkg, n)
	}
	for k, r := range ids {
		row := idOff + k*keyRowSize
		if r.key == preps[r.adv].id {
			copy(out[row:row+8], out[advOff+int(r.adv)*advRowSize+aIDOff:])
		} else {
			addString(row, r.key)
		}
		put(row+8, r.adv)
	}
	for k, r := range aliases {
		row := aliasOff + k*keyRowSize
		addString(row, r.key)
		put(row+8, r.adv)
	}
	if at != len(out) {
		return nil, fmt.Errorf("index layout: wrote %d of %d bytes", at, len(out))
	}
	copy(out, indexMagic)
	binary.LittleEndian.PutUint64(out[hFileSize:], uint64(len(out)))
	for _, f := range [][2]int{
		{hTablesEnd, tablesEnd}, {hMetaOff, metaOff}, {hMetaLen, len(mj)},
		{hNAdv, len(preps)}, {hAdvOff, advOff}, {hNPkg, len(names)}, {hPkgOff, pkgOff},
		{hNRef, nrefs}, {hRefOff, refOff}, {hNID, len(ids)}, {hIDOff, idOff},
		{hNAlias, len(aliases)}, {hAliasOff, aliasOff}, {hNBlock, len(blocks)}, {hBlockOff, blockOff},
	} {
		put(f[0], uint32(f[1]))
	}
	copy(out[metaOff:], mj)
	put(hCRC, checksum(out[16:tablesEnd]))
	return out, nil
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

// deflateLevel trades the index's size for the build's speed.
const deflateLevel = flate.BestSpeed

var flatePool = sync.Pool{New: func() any {
	w, _ := flate.NewWriterDict(io.Discard, deflateLevel, dictionary)
	return w
}}

// deflate compresses the concatenation of bs, plain bytes in all.
func deflate(plain int, bs ...[]byte) ([]byte, error) {
	var out bytes.Buffer
	out.Grow(plain/4 + 64)
	w := flatePool.Get().(*flate.Writer)
	defer flatePool.Put(w)
	w.Reset(&out)
	for _, b := range bs {
		if _, err := w.Write(b); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

var inflatePool = sync.Pool{New: func() any { return flate.NewReaderDict(bytes.NewReader(nil), dictionary) }}

// inflate decompresses a block whose inflated length is plain.
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
func indexEntry(e *Entry) idxEntry { return indexEntryOf(e, true) }

// indexEntryOf is indexEntry; without keys it leaves the versions lists out.
func indexEntryOf(e *Entry, keys bool) idxEntry {
	ie := idxEntry{ID: e.ID, Withdrawn: strings.TrimSpace(e.Withdrawn) != ""}
	for _, a := range e.Affected {
		if !isPyPI(a.Package.Ecosystem) || a.Package.Name == "" {
			continue
		}
		ia := idxAffected{Name: pep508.NormalizeName(a.Package.Name)}
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
		if keys {
			ia.Versions = make([]string, 0, len(a.Versions))
			for _, v := range a.Versions {
				ia.Versions = append(ia.Versions, VersionKey(v))
			}
			sort.Strings(ia.Versions)
		}
		ie.Affected = append(ie.Affected, ia)
	}
	return ie
}

// isPyPI reports whether an OSV ecosystem string names PyPI.
func isPyPI(eco string) bool {
	return eco == Ecosystem || strings.HasPrefix(eco, Ecosystem+":")
}
