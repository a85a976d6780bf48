package advisory

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/pep440"
)

// TestCorpusPreparedHits is the differential test of the prepared data: for
// every advisory and package of the snapshot, the Hit the index serves equals
// HitOf the decoded advisory, and MatchHits gives the hits of what Match gives,
// in the same order.
func TestCorpusPreparedHits(t *testing.T) {
	db := corpusDB(t)
	pairs := 0
	for _, name := range db.Packages() {
		pm := db.matcher(name)
		if pm == nil || len(pm.entries) == 0 {
			t.Fatalf("%s: no advisories", name)
		}
		for j, i := range pm.entries {
			e, err := db.entry(i)
			if err != nil {
				t.Fatal(err)
			}
			got, want := db.hit(pm, j), HitOf(e, name)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s for %s:\n got %+v\nwant %+v", e.ID, name, got, want)
			}
			pairs++
		}
	}
	if pairs < 7080 {
		t.Fatalf("only %d (advisory, package) pairs", pairs)
	}
	// Match and MatchHits agree, pin by pin, for the versions the advisories
	// list and name as bounds.
	checked := 0
	for n, name := range db.Packages() {
		if n%2 != 0 {
			continue
		}
		es := db.Query(name, "")
		for _, e := range es[:min(1, len(es))] {
			for _, a := range e.Affected {
				vs := []string{"0", "99999"}
				if len(a.Versions) > 0 {
					vs = append(vs, a.Versions[0], a.Versions[len(a.Versions)-1])
				}
				for _, r := range a.Ranges {
					for _, ev := range r.Events {
						vs = append(vs, ev.Introduced, ev.Fixed, ev.LastAffected)
					}
				}
				for _, v := range vs {
					if v == "" {
						continue
					}
					es, err := db.Match(name, v)
					hs, herr := db.MatchHits(name, v)
					if (err == nil) != (herr == nil) || !reflect.DeepEqual(HitsOf(es, name), hs) && len(es)+len(hs) > 0 {
						t.Fatalf("Match(%s, %s) = %v, %v; MatchHits gives %d hits, %v", name, v, ids(es), err, len(hs), herr)
					}
					checked++
				}
			}
		}
	}
	spec := pep440.MustParseSpecifierSet(">=1.0,<2")
	for _, name := range db.Packages()[:200] {
		es, hs := db.QuerySpec(name, spec), db.QuerySpecHits(name, spec)
		if !reflect.DeepEqual(HitsOf(es, name), hs) && len(es)+len(hs) > 0 {
			t.Fatalf("QuerySpec(%s) = %v; QuerySpecHits gives %d hits", name, ids(es), len(hs))
		}
	}
	if checked < 2000 {
		t.Errorf("only %d versions checked", checked)
	}
}

// Results of an index file opened in place stay valid after Close: nothing
// returned points into the file's memory.
func TestResultsOutliveClose(t *testing.T) {
	cache := t.TempDir()
	if _, err := Import(cache, fixtureDir); err != nil {
		t.Fatal(err)
	}
	db, err := OpenCached(cache)
	if err != nil {
		t.Fatal(err)
	}
	ids := db.IDs()
	pkgs := db.Packages()
	qids := db.QueryIDs("foo-bar", "1.0")
	refs := db.QueryRefs("foo-bar", "")
	hits, _ := db.MatchHits("foo-bar", "1.0")
	raw, _ := db.Raw("PYSEC-2099-1")
	e, _ := db.Get("PYSEC-2099-1")
	meta := db.Meta()
	// Copies made while the file is mapped, to compare with afterwards.
	want := func() string {
		b, _ := json.Marshal([]any{ids, pkgs, qids, refs, hits, string(raw), e, meta})
		return string(b)
	}
	before := want()
	if len(qids) != 2 || len(hits) != 2 || len(refs) != 3 || !strings.Contains(string(raw), "PYSEC-2099-1") {
		t.Fatalf("queries: %v %v %v %s", qids, hits, refs, raw)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// Replace the file too: the mapping is gone and the bytes changed.
	if err := install(CachedPath(cache), []byte("overwritten")); err != nil {
		t.Fatal(err)
	}
	if after := want(); after != before {
		t.Errorf("results changed after Close:\n%s\n%s", before, after)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// An index in another format version is named as such, with the remedy; a
// cached index of an older format behind OpenWith is rebuilt.
func TestOldIndexFormat(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "old.idx")
	if err := os.WriteFile(old, []byte("PYVETIDX5\n\x10\x00\x00\x00{\"meta\":{}}"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Open(old)
	var ve *VersionError
	if !errors.As(err, &ve) || ve.Version != "5" || !strings.Contains(err.Error(), old) || !strings.Contains(err.Error(), "run `pyvet db update`") {
		t.Fatalf("Open(v5) = %v", err)
	}
	cache := t.TempDir()
	os.MkdirAll(filepath.Dir(CachedPath(cache)), 0o755)
	os.WriteFile(CachedPath(cache), []byte("PYVETIDX5\n..."), 0o644)
	if _, err := OpenCached(cache); !errors.As(err, &ve) || !strings.Contains(err.Error(), "pyvet db update") {
		t.Errorf("OpenCached(v5) = %v", err)
	}
	// Not an index at all: the message says how to rebuild it too.
	os.WriteFile(CachedPath(cache), []byte("PYVETIDXjunk"), 0o644)
	if _, err := OpenCached(cache); err == nil || !strings.Contains(err.Error(), "run `pyvet db update`") {
		t.Errorf("OpenCached(junk) = %v", err)
	}
	// The by-hash cache of a zip holding an old index is rebuilt.
	zipPath := zipDir(t, fixtureDir)
	zc := t.TempDir()
	db, err := OpenWith(zipPath, Options{CacheDir: zc})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	cached, _ := filepath.Glob(filepath.Join(zc, "advisories", "by-hash", "*.idx"))
	os.WriteFile(cached[0], []byte("PYVETIDX5\nold"), 0o644)
	db, err = OpenWith(zipPath, Options{CacheDir: zc})
	if err != nil || db.Len() != 6 {
		t.Fatalf("OpenWith over an old cached index: %v", err)
	}
	db.Close()
	if again, err := Open(cached[0]); err != nil || again.Len() != 6 {
		t.Errorf("the cached index was not rebuilt: %v", err)
	}
}

// Every table offset is checked at open: an index whose checksum is right
// but whose tables point outside the file is refused, not read.
func TestTablesOutOfBoundsRefused(t *testing.T) {
	good, err := encodeFixture(t)
	if err != nil {
		t.Fatal(err)
	}
	db, err := openIndexBytes("x", good)
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]int{
		"advisory id":   db.advOff + aIDOff,
		"advisory hit":  db.advOff + aHitOff + 4,
		"block":         db.advOff + aBlock,
		"json start":    db.advOff + aStart,
		"package name":  db.pkgOff + pNameOff,
		"package rec":   db.pkgOff + pRecOff + 4,
		"package refs":  db.pkgOff + pRefIdx,
		"reference":     db.refOff,
		"id key":        db.idOff,
		"alias advisor": db.aOff + 8,
		"table":         hPkgOff,
		"tables end":    hTablesEnd,
	}
	for name, off := range fields {
		bad := bytes.Clone(good)
		binary.LittleEndian.PutUint32(bad[off:], 0xfffffff0)
		resum(bad)
		if _, err := openIndexBytes("bad.idx", bad); err == nil || !strings.Contains(err.Error(), "bad.idx: not a valid pyvet advisory index") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func encodeFixture(t testing.TB) ([]byte, error) {
	src, err := openDirSource(fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	return build(src, Meta{})
}

// resum rewrites the checksum of an index's tables after a change, so a
// test reaches the checks behind it.
func resum(data []byte) {
	if len(data) < hdrSize {
		return
	}
	end := int(binary.LittleEndian.Uint32(data[hTablesEnd:]))
	if end < 16 || end > len(data) {
		return
	}
	binary.LittleEndian.PutUint32(data[hCRC:], checksum(data[16:end]))
}

// FuzzOpenIndexChecked fuzzes index files whose checksums are made right,
// so the bounds checks behind them are reached: no input panics or reads
// outside the file, whatever its tables and records say.
func FuzzOpenIndexChecked(f *testing.F) {
	good, err := encodeFixture(f)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:hdrSize+40])
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) >= hdrSize && string(data[:len(indexMagic)]) == indexMagic {
			data = bytes.Clone(data)
			binary.LittleEndian.PutUint64(data[hFileSize:], uint64(len(data)))
			resum(data)
		}
		db, err := openIndexBytes("fuzz.idx", data)
		if err != nil {
			return
		}
		// Records: make their checksums right too, so they are decoded.
		for k := range db.nPkg {
			row := db.pkgOff + k*pkgRowSize
			binary.LittleEndian.PutUint32(data[row+pRecCRC:], checksum(db.view(row+pRecOff)))
		}
		for i := range db.nAdv {
			row := db.advRow(int32(i))
			binary.LittleEndian.PutUint32(data[row+aHitCRC:], checksum(db.view(row+aHitOff)))
		}
		resum(data)
		if db, err = openIndexBytes("fuzz.idx", data); err != nil {
			t.Fatalf("index no longer opens: %v", err)
		}
		exercise(db)
	})
}

// exercise calls every query of a DB.
func exercise(db *DB) {
	spec := pep440.MustParseSpecifierSet(">=1.0")
	for _, id := range db.IDs() {
		db.Get(id)
		db.Raw(id)
	}
	for _, n := range db.Packages() {
		for _, v := range []string{"1.0", "0.1", "", "x"} {
			db.Query(n, v)
			db.MatchHits(n, v)
			db.QueryRefs(n, v)
		}
		db.QuerySpec(n, spec)
		db.QuerySpecHits(n, spec)
		db.UnreadRanges(n)
	}
	db.Damaged()
}

// FuzzVersionKey checks the key of plain releases, computed without
// parsing, against the parsed version's canonical form.
func FuzzVersionKey(f *testing.F) {
	for _, s := range []string{"1.0", "1.0.0", "0", "0.0", "10.0", "1.10", "01.0", "1..0", "1.", ".1", "1.99999999999999999999999.0", " 2.0 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, ok := plainKey(strings.TrimSpace(s))
		if !ok {
			return
		}
		v, err := pep440.Parse(strings.TrimSpace(s))
		if err != nil || v.Canonical() != k {
			t.Fatalf("plainKey(%q) = %q, canonical %q (%v)", s, k, v.Canonical(), err)
		}
	})
}

// FuzzCompactJSON checks the compaction of accepted advisories against
// json.Compact.
func FuzzCompactJSON(f *testing.F) {
	addFixtureSeeds(f, ".json")
	f.Add([]byte("{\"id\": \"a \\\" b\\\\\",\n \"x\": [1, 2]\t}\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		var want bytes.Buffer
		if err := json.Compact(&want, data); err != nil {
			t.Fatal(err)
		}
		if got := compactJSON(data); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("compactJSON(%q) = %q, want %q", data, got, want.Bytes())
		}
	})
}
