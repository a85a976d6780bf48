package advisory

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/pyvet/pyvet/pep440"
)

// exerciseRecover runs every query of db and returns the panic, if any.
func exerciseRecover(db *DB) (p any) {
	defer func() { p = recover() }()
	exercise(db)
	for _, id := range []string{"", " ", "pysec-2099-1", strings.Repeat("A", 1<<16), "\xff\xfe"} {
		db.Get(id)
		db.Raw(id)
	}
	return nil
}

// fixRecordSums makes every record checksum of an index right, then the
// tables' checksum, so that decoding reaches the records' contents. It does
// nothing to an index that does not open.
func fixRecordSums(data []byte) {
	resum(data)
	db, err := openIndexBytes("x", data)
	if err != nil {
		return
	}
	for k := range db.nPkg {
		row := db.pkgOff + k*pkgRowSize
		binary.LittleEndian.PutUint32(data[row+pRecCRC:], checksum(db.view(row+pRecOff)))
	}
	for i := range db.nAdv {
		row := db.advRow(int32(i))
		binary.LittleEndian.PutUint32(data[row+aHitCRC:], checksum(db.view(row+aHitOff)))
	}
	resum(data)
}

// Every 32-bit field of the header and of every table row, set to each of
// a list of hostile values (zero, one, the file's size, the end of the
// tables, the largest values, off by one), with the checksums recomputed:
// the index is refused with the one message, or opens and answers every
// query without a panic.
func TestHostile2EveryFieldMutated(t *testing.T) {
	good, err := encodeFixture(t)
	if err != nil {
		t.Fatal(err)
	}
	tablesEnd := int(binary.LittleEndian.Uint32(good[hTablesEnd:]))
	size := uint32(len(good))
	opened, refused := 0, 0
	for off := 16; off+4 <= tablesEnd; off += 4 {
		if off == hCRC || off == hFileSize || off == hFileSize+4 {
			continue
		}
		orig := binary.LittleEndian.Uint32(good[off:])
		for _, v := range []uint32{0, 1, 2, 3, 4, 8, 12, hdrSize - 1, hdrSize, size - 1, size, size + 1,
			uint32(tablesEnd) - 1, uint32(tablesEnd), orig + 1, orig - 1, orig * 2, orig + 1<<20,
			0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff, 0x0aaaaaab, 0x15555556} {
			if v == orig {
				continue
			}
			bad := bytes.Clone(good)
			binary.LittleEndian.PutUint32(bad[off:], v)
			fixRecordSums(bad)
			db, err := openIndexBytes("bad.idx", bad)
			if err != nil {
				refused++
				if !strings.HasPrefix(err.Error(), "bad.idx: ") {
					t.Errorf("field at %d = %#x: error does not name the file: %v", off, v, err)
				}
				continue
			}
			opened++
			if p := exerciseRecover(db); p != nil {
				t.Errorf("field at %d = %#x (was %#x): panic: %v", off, v, orig, p)
			}
		}
	}
	t.Logf("%d mutated indexes opened and answered, %d refused", opened, refused)
}

// Every byte of the heap (strings, package and hit records, compressed
// JSON), changed, with the record checksums made right again: the records'
// decoders bound every length, so no query panics.
func TestHostile2EveryHeapByteMutated(t *testing.T) {
	good, err := encodeFixture(t)
	if err != nil {
		t.Fatal(err)
	}
	tablesEnd := int(binary.LittleEndian.Uint32(good[hTablesEnd:]))
	for off := tablesEnd; off < len(good); off++ {
		for _, v := range []byte{^good[off], good[off] + 1} {
			if v == good[off] {
				continue
			}
			bad := bytes.Clone(good)
			bad[off] = v
			fixRecordSums(bad)
			db, err := openIndexBytes("bad.idx", bad)
			if err != nil {
				continue
			}
			if p := exerciseRecover(db); p != nil {
				t.Fatalf("heap byte %d = %#x (was %#x): panic: %v", off, v, good[off], p)
			}
		}
	}
}

// Truncations of a valid index at every length up to the header and at
// every table boundary: refused with a message naming the file, including
// through Open of a file on disk.
func TestHostile2Truncated(t *testing.T) {
	good, err := encodeFixture(t)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, n := range []int{0, 1, 8, 9, 10, 11, 16, 24, hdrSize - 1, hdrSize, hdrSize + 1, len(good) / 2, len(good) - 1} {
		p := filepath.Join(dir, fmt.Sprintf("cut%d.idx", n))
		if err := os.WriteFile(p, good[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		db, err := Open(p)
		if err == nil {
			db.Close()
			if n >= len(magicPrefix) {
				t.Errorf("index cut at %d bytes opens", n)
			}
			continue
		}
		if !strings.Contains(err.Error(), p) {
			t.Errorf("cut at %d: error does not name the file: %v", n, err)
		}
	}
	// The size field says the truth, the CRC is right, but the tables end
	// past the file: refused.
	bad := bytes.Clone(good[:hdrSize+8])
	binary.LittleEndian.PutUint64(bad[hFileSize:], uint64(len(bad)))
	resum(bad)
	if _, err := openIndexBytes("short.idx", bad); err == nil {
		t.Error("an index whose tables are cut opens")
	}
}

// The index path as a symlink to an index works; a symlink loop, a
// dangling symlink, a symlink to a device and a directory holding a FIFO
// named like an advisory are refused or skipped without blocking.
func TestHostile2IndexPathKinds(t *testing.T) {
	cache := t.TempDir()
	if _, err := Import(cache, fixtureDir); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	link := filepath.Join(dir, "link.idx")
	if err := os.Symlink(CachedPath(cache), link); err != nil {
		t.Fatal(err)
	}
	db, err := Open(link)
	if err != nil {
		t.Fatalf("Open through a symlink: %v", err)
	}
	if db.Len() != 6 {
		t.Errorf("Len = %d", db.Len())
	}
	db.Close()
	loop := filepath.Join(dir, "loop.idx")
	os.Symlink(loop, loop)
	dangling := filepath.Join(dir, "dangling.idx")
	os.Symlink(filepath.Join(dir, "nowhere"), dangling)
	dev := filepath.Join(dir, "dev.idx")
	os.Symlink("/dev/zero", dev)
	for _, p := range []string{loop, dangling, dev} {
		if db, err := Open(p); err == nil {
			db.Close()
			t.Errorf("Open(%s) succeeded", p)
		} else if !strings.Contains(err.Error(), p) && !strings.Contains(err.Error(), "/dev/zero") {
			t.Errorf("Open(%s): error names no file: %v", p, err)
		}
	}
	// A directory of advisories holding a FIFO named x.json.
	adv := t.TempDir()
	b, _ := os.ReadFile(filepath.Join(fixtureDir, "vulns/foo-bar/GHSA-aaaa-bbbb-cccc.json"))
	os.WriteFile(filepath.Join(adv, "GHSA-aaaa-bbbb-cccc.json"), b, 0o644)
	if err := syscall.Mkfifo(filepath.Join(adv, "x.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		db, err := Open(adv)
		if err == nil {
			db.Close()
		}
		done <- err
	}()
	if err := <-done; err != nil && !strings.Contains(err.Error(), "x.json") {
		t.Errorf("Open(dir with FIFO): %v", err)
	}
}

// An index whose file is truncated or rewritten in place (as `cp` does)
// after Open: the queries must not crash the process. The index is mapped
// with MAP_SHARED, so the mapping sees the new bytes: the tables are copied
// at open, so a rewrite cannot move a checked offset, but pages past a new,
// shorter end raise SIGBUS, which the Go runtime turns into a fatal
// "unexpected fault address" no recover catches: a `pyvet serve` dies when
// an administrator copies a shorter file over the served index. Run in a
// child process, since the failure kills it.
func TestHostile2RewrittenUnderMapping(t *testing.T) {
	for _, mode := range []string{"rewrite", "rewrite-random", "rewrite-shifted", "rewrite-zero"} {
		t.Run(mode, func(t *testing.T) { runMappingChild(t, mode) })
	}
}

// TestHostile2TruncatedUnderMapping is the truncation case of
// TestHostile2RewrittenUnderMapping.
func TestHostile2TruncatedUnderMapping(t *testing.T) {
	runMappingChild(t, "truncate")
}

func runMappingChild(t *testing.T, mode string) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHostile2MappingChild$", "-test.v")
	cmd.Env = append(os.Environ(), "PYVET_HOSTILE2_CHILD="+mode)
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("child survived")) {
		t.Errorf("queries after the index was changed under the mapping (%s): %v\n%s", mode, err, excerpt(out))
	}
}

func excerpt(b []byte) []byte {
	if len(b) > 1500 {
		return b[:1500]
	}
	return b
}

// TestHostile2MappingChild is the child of TestHostile2RewrittenUnderMapping
// and TestHostile2TruncatedUnderMapping.
func TestHostile2MappingChild(t *testing.T) {
	mode := os.Getenv("PYVET_HOSTILE2_CHILD")
	if mode == "" {
		t.Skip("child process of TestHostile2TruncatedUnderMapping")
	}
	cache := t.TempDir()
	if _, err := Import(cache, fixtureDir); err != nil {
		t.Fatal(err)
	}
	db, err := OpenCached(cache)
	if err != nil {
		t.Fatal(err)
	}
	p := CachedPath(cache)
	st, _ := os.Stat(p)
	switch mode {
	case "truncate":
		if err := os.Truncate(p, 0); err != nil {
			t.Fatal(err)
		}
	default:
		// What cp does: O_TRUNC, then write the new bytes in place.
		orig, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var b []byte
		switch mode {
		case "rewrite":
			b = bytes.Repeat([]byte{0xff}, int(st.Size()))
		case "rewrite-zero":
			b = make([]byte, st.Size())
		case "rewrite-random":
			b = make([]byte, st.Size())
			for i := range b {
				b[i] = byte(i*131 + i>>3*7)
			}
			copy(b, orig[:hdrSize]) // the same header, other tables and heap
		case "rewrite-shifted":
			b = append([]byte{0}, orig[:len(orig)-1]...)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if p := exerciseRecover(db); p != nil {
		t.Fatalf("panic: %v", p)
	}
	fmt.Println("child survived")
}

// Many goroutines query one freshly opened index at once (the package
// records and hits are decoded lazily, the blocks cached): every answer
// equals the one a single goroutine gets. Run with -race.
func TestHostile2ConcurrentQueries(t *testing.T) {
	cache := t.TempDir()
	if _, err := Import(cache, fixtureDir); err != nil {
		t.Fatal(err)
	}
	answers := func(db *DB) string {
		var b strings.Builder
		spec := pep440.MustParseSpecifierSet(">=0.5")
		for _, n := range db.Packages() {
			for _, v := range []string{"0.1", "1.0", "1.4.9", "2.0", ""} {
				hits, _ := db.MatchHits(n, v)
				js, _ := json.Marshal(hits)
				b.Write(js)
				fmt.Fprint(&b, db.QueryIDs(n, v), db.QueryRefs(n, v))
			}
			js, _ := json.Marshal(db.QuerySpecHits(n, spec))
			b.Write(js)
		}
		for _, id := range db.IDs() {
			raw, _ := db.Raw(id)
			b.Write(raw)
			e, _ := db.Get(strings.ToLower(id))
			js, _ := json.Marshal(e)
			b.Write(js)
		}
		return b.String()
	}
	ref, err := OpenCached(cache)
	if err != nil {
		t.Fatal(err)
	}
	want := answers(ref)
	ref.Close()
	db, err := OpenCached(cache)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var wg sync.WaitGroup
	got := make([]string, 32)
	for g := range got {
		wg.Go(func() { got[g] = answers(db) })
	}
	wg.Wait()
	for g, s := range got {
		if s != want {
			t.Fatalf("goroutine %d got other answers", g)
		}
	}
}

// hostileSet writes a directory of hostile advisories: 20,000 aliases, a
// 1 MB description, invalid UTF-8 in summary and details, two ids that
// differ only in case, surrounding spaces, and a package named in several
// spellings.
func hostileSet(t *testing.T) string {
	dir := t.TempDir()
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	aff := func(pkg, fixed string) string {
		return `[{"package":{"name":"` + pkg + `","ecosystem":"PyPI"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"` + fixed + `"}]}]}]`
	}
	aliases := make([]string, 20000)
	for i := range aliases {
		aliases[i] = fmt.Sprintf(`"CVE-2099-%05d"`, i)
	}
	write("PYSEC-2099-100.json", `{"id":"PYSEC-2099-100","modified":"2099-01-01T00:00:00Z","aliases":[`+strings.Join(aliases, ",")+`],"summary":"many aliases","affected":`+aff("Hostile_Pkg", "2.0")+`}`)
	write("PYSEC-2099-101.json", `{"id":"PYSEC-2099-101","modified":"2099-01-01T00:00:00Z","summary":"  big  ","details":"`+strings.Repeat("x\\n", 500_000)+`","affected":`+aff("hostile.pkg", "3.0")+`}`)
	write("PYSEC-2099-102.json", "{\"id\":\"PYSEC-2099-102\",\"modified\":\"2099-01-01T00:00:00Z\",\"summary\":\"bad \xff\xfe utf8 \xc3\",\"details\":\"\xed\xa0\x80 surrogate \\ud800\",\"affected\":"+aff("HOSTILE-PKG", "1.5")+"}")
	write("GHSA-aaaa-aaaa-aaaa.json", `{"id":"GHSA-aaaa-aaaa-aaaa","modified":"2099-01-01T00:00:00Z","summary":"lower","affected":`+aff("hostile-pkg", "1.1")+`,"database_specific":{"severity":"HIGH"}}`)
	write("GHSA-AAAA-AAAA-AAAA.json", `{"id":"GHSA-AAAA-AAAA-AAAA","modified":"2099-01-02T00:00:00Z","summary":"upper","affected":`+aff("hostile-pkg", "1.2")+`,"database_specific":{"severity":"LOW"}}`)
	return dir
}

// The prepared hits of a hostile advisory set equal HitOf the decoded
// advisories, for the index built in memory and the one read from disk.
func TestHostile2HitsEqualHitOf(t *testing.T) {
	dir := hostileSet(t)
	mem, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	if _, err := Import(cache, dir); err != nil {
		t.Fatal(err)
	}
	disk, err := OpenCached(cache)
	if err != nil {
		t.Fatal(err)
	}
	defer disk.Close()
	for _, db := range []*DB{mem, disk} {
		if db.Len() != 5 {
			t.Errorf("Len = %d, want 5 (both case variants kept)", db.Len())
		}
		for _, v := range []string{"0.1", "1.1", "1.4", "2.5"} {
			entries, err := db.Match("hostile-pkg", v)
			if err != nil {
				t.Fatal(err)
			}
			hits, err := db.MatchHits("Hostile.PKG", v)
			if err != nil {
				t.Fatal(err)
			}
			want := HitsOf(entries, "hostile-pkg")
			if !reflect.DeepEqual(hits, want) {
				t.Errorf("%s: MatchHits differ from HitOf:\n%s\n%s", v, brief(hits), brief(want))
			}
		}
		spec := pep440.MustParseSpecifierSet("<1.0")
		if got, want := db.QuerySpecHits("hostile-pkg", spec), HitsOf(db.QuerySpec("hostile-pkg", spec), "hostile-pkg"); !reflect.DeepEqual(got, want) {
			t.Errorf("QuerySpecHits differ from HitOf:\n%s\n%s", brief(got), brief(want))
		}
	}
	// After Close and a collection, the hits are intact.
	hits, _ := disk.MatchHits("hostile-pkg", "0.1")
	before, _ := json.Marshal(hits)
	disk.Close()
	runtime.GC()
	after, _ := json.Marshal(hits)
	if !bytes.Equal(before, after) {
		t.Error("hits changed after Close")
	}
}

func brief(hs []*Hit) string {
	var b strings.Builder
	for _, h := range hs {
		if h == nil {
			b.WriteString("<nil> ")
			continue
		}
		fmt.Fprintf(&b, "%s(%d aliases, %d details, %q, fixed %v, %v) ", h.ID, len(h.Aliases), len(h.Details), safeExcerpt(h.Summary), h.Fixed, h.Rating)
	}
	return b.String()
}

func safeExcerpt(s string) string {
	if len(s) > 40 {
		return s[:40]
	}
	return s
}

// Two advisories whose ids differ only in case (a hostile or careless
// export): each is found by its exact id; the other spelling is only a
// fallback (an upper-cased lookup first made one of them unreachable, and
// the mirror's /v1/vulns answered 404 naming the other).
func TestHostile2CaseVariantIDs(t *testing.T) {
	db, err := Open(hostileSet(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"GHSA-aaaa-aaaa-aaaa", "GHSA-AAAA-AAAA-AAAA"} {
		e, ok := db.Get(id)
		if !ok || e.ID != id {
			t.Errorf("Get(%s) = %v", id, e)
		}
		if raw, ok := db.Raw(id); !ok || !bytes.Contains(raw, []byte(`"id":"`+id+`"`)) {
			t.Errorf("Raw(%s) = %s", id, excerpt(raw))
		}
	}
}

// manyAdvisories writes n advisories of one package, each listing five
// versions of its own and a range.
func manyAdvisories(b testing.TB, n int) string {
	dir := b.TempDir()
	for i := range n {
		vs := make([]string, 5)
		for k := range vs {
			vs[k] = fmt.Sprintf(`"%d.%d.%d"`, i, k, i%7)
		}
		doc := fmt.Sprintf(`{"id":"PYSEC-2099-%d","modified":"2099-01-01T00:00:00Z","affected":[{"package":{"name":"big","ecosystem":"PyPI"},"versions":[%s],"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"%d.0"},{"fixed":"%d.9"}]}]}]}`,
			i, strings.Join(vs, ","), i, i)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("PYSEC-2099-%d.json", i)), []byte(doc), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

// BenchmarkHostile2QuerySpecManyAdvisories shows how QuerySpecHits grows
// with the advisories of one package: every candidate version (each
// advisory's listed versions and bounds) is tested against every advisory.
func BenchmarkHostile2QuerySpecManyAdvisories(b *testing.B) {
	spec := pep440.MustParseSpecifierSet(">=0")
	for _, n := range []int{250, 500, 1000, 2000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			db, err := Open(manyAdvisories(b, n))
			if err != nil {
				b.Fatal(err)
			}
			db.QuerySpecHits("big", spec)
			b.ResetTimer()
			for b.Loop() {
				db.QuerySpecHits("big", spec)
			}
		})
	}
}

// BenchmarkHostile2QuerySpecCorpusLargest is QuerySpecHits(">=0") of the
// snapshot's package with the most advisories.
func BenchmarkHostile2QuerySpecCorpusLargest(b *testing.B) {
	db, err := OpenWith(corpusZip(b), Options{CacheDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	best, most := "", 0
	for _, n := range db.Packages() {
		if k := len(db.QueryRefs(n, "")); k > most {
			best, most = n, k
		}
	}
	b.Logf("%s: %d advisories", best, most)
	spec := pep440.MustParseSpecifierSet(">=0")
	db.QuerySpecHits(best, spec)
	b.ResetTimer()
	for b.Loop() {
		db.QuerySpecHits(best, spec)
	}
}
