package advisory

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/safeio"
)

// allocated returns the bytes f allocates (the whole process's, so tests
// using it do not run in parallel).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// bombEntry is one deflated advisory whose details are n bytes of "A".
type bombEntry struct {
	data      []byte // deflated
	crc       uint32
	plainSize uint64
}

func newBombEntry(t testing.TB, n int) bombEntry {
	t.Helper()
	plain := []byte(`{"id":"BOMB","modified":"2026-01-01T00:00:00Z","details":"` + strings.Repeat("A", n) + `"}`)
	var z bytes.Buffer
	w, _ := flate.NewWriter(&z, flate.BestCompression)
	w.Write(plain)
	w.Close()
	return bombEntry{data: z.Bytes(), crc: crc32.ChecksumIEEE(plain), plainSize: uint64(len(plain))}
}

// writeBombZip writes count copies of e as entries e00000.json...; claim,
// when not zero, is the uncompressed size their headers declare.
func writeBombZip(t testing.TB, e bombEntry, count int, claim uint64) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := range count {
		h := &zip.FileHeader{Name: fmt.Sprintf("e%05d.json", i), Method: zip.Deflate, CRC32: e.crc,
			CompressedSize64: uint64(len(e.data)), UncompressedSize64: e.plainSize}
		if claim != 0 {
			h.UncompressedSize64 = claim
		}
		w, err := zw.CreateRaw(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(e.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "all.zip")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// openBounded opens path as `audit --db` and `db update --from` do, and
// returns the error and the bytes allocated.
func openBounded(t *testing.T, path string) (uint64, error) {
	t.Helper()
	var err, ierr error
	n := allocated(func() {
		_, err = OpenWith(path, Options{CacheDir: t.TempDir()})
		_, ierr = Import(t.TempDir(), path)
	})
	t.Logf("%s: %d bytes allocated", filepath.Base(path), n)
	if (err == nil) != (ierr == nil) {
		t.Fatalf("Open and Import disagree: %v / %v", err, ierr)
	}
	return n, err
}

const allocBound = 32 << 20

// A 4.7 MB zip of 300 advisories of 15 MB each (4.5 GB decompressed) is
// refused from its headers, before anything is inflated.
func TestZipBombEntryTooLarge(t *testing.T) {
	p := writeBombZip(t, newBombEntry(t, 15<<20), 300, 0)
	if st, _ := os.Stat(p); st.Size() > 6<<20 {
		t.Fatalf("bomb is %d bytes", st.Size())
	}
	n, err := openBounded(t, p)
	if err == nil || !strings.Contains(err.Error(), "e00000.json: advisory of 15728700 bytes, larger than the 4 MiB limit") {
		t.Fatalf("err = %v", err)
	}
	if n > allocBound {
		t.Errorf("allocated %d bytes", n)
	}
}

// Advisories under the per-entry cap that decompress to far more than the
// archive could hold are refused before they are inflated.
func TestZipBombTotal(t *testing.T) {
	p := writeBombZip(t, newBombEntry(t, 3<<20), 200, 0)
	n, err := openBounded(t, p)
	if err == nil || !strings.Contains(err.Error(), "the advisories decompress to more than 16 MiB") {
		t.Fatalf("err = %v", err)
	}
	if n > allocBound {
		t.Errorf("allocated %d bytes", n)
	}
}

// An entry whose header understates its size stops at the declared size.
func TestZipBombLyingHeader(t *testing.T) {
	p := writeBombZip(t, newBombEntry(t, 15<<20), 3, 1000)
	n, err := openBounded(t, p)
	if err == nil || !regexp.MustCompile(`all\.zip: e0000[0-2]\.json: damaged entry: it inflates beyond its declared size or fails its checksum`).MatchString(err.Error()) {
		t.Fatalf("err = %v", err)
	}
	if n > allocBound {
		t.Errorf("allocated %d bytes", n)
	}
}

// A zip of more entries than any export has is refused before the zip
// reader allocates one entry per record, also when its end record lies
// about the count.
func TestZipTooManyEntries(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := range maxEntries + 1 {
		if _, err := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("%x", i), Method: zip.Store}); err != nil {
			t.Fatal(err)
		}
	}
	zw.Close()
	data := buf.Bytes()
	p := filepath.Join(t.TempDir(), "many.zip")
	os.WriteFile(p, data, 0o644)
	// The same archive with an end record that declares 1 entry.
	lie := bytes.Clone(data)
	end := bytes.LastIndex(lie, []byte("PK\x05\x06"))
	binary.LittleEndian.PutUint16(lie[end+8:], 1)
	binary.LittleEndian.PutUint16(lie[end+10:], 1)
	pl := filepath.Join(t.TempDir(), "lie.zip")
	os.WriteFile(pl, lie, 0o644)
	for _, path := range []string{p, pl} {
		n, err := openBounded(t, path)
		if err == nil || !strings.Contains(err.Error(), "more than 200000 entries") {
			t.Fatalf("%s: err = %v", path, err)
		}
		if n > allocBound {
			t.Errorf("%s: allocated %d bytes", path, n)
		}
	}
}

// checkZipRecords counts a signature that straddles its read chunks once.
func TestCheckZipRecordsAcrossChunks(t *testing.T) {
	for _, at := range []int{1<<20 - 3, 1<<20 - 2, 1<<20 - 1, 1 << 20} {
		for _, others := range []int{maxEntries - 1, maxEntries} {
			data := make([]byte, 3<<20)
			for i := range others {
				copy(data[2<<20+4*i:], centralSig)
			}
			copy(data[at:], centralSig)
			err := checkZipRecords("x", bytes.NewReader(data), int64(len(data)))
			if want := others+1 > maxEntries; want != (err != nil) {
				t.Errorf("%d signatures, one at %d: err = %v", others+1, at, err)
			}
		}
	}
}

func TestDirCaps(t *testing.T) {
	good := `{"id":"OK-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"p"},"versions":["1.0"]}]}`
	t.Run("per file", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "ok.json"), []byte(good), 0o644)
		f, _ := os.Create(filepath.Join(dir, "big.json"))
		f.Truncate(maxAdvisorySize + 1) // sparse: costs no disk
		f.Close()
		n, err := openBounded(t, dir)
		if err == nil || !strings.Contains(err.Error(), "big.json: advisory of 4194305 bytes, larger than the 4 MiB limit") {
			t.Fatalf("err = %v", err)
		}
		if n > allocBound {
			t.Errorf("allocated %d bytes", n)
		}
	})
	t.Run("total", func(t *testing.T) {
		dir := t.TempDir()
		for i := range int(maxTotalSize/maxAdvisorySize) + 1 {
			f, _ := os.Create(filepath.Join(dir, fmt.Sprintf("a%03d.json", i)))
			f.Truncate(maxAdvisorySize)
			f.Close()
		}
		n, err := openBounded(t, dir)
		if err == nil || !strings.Contains(err.Error(), "larger than 512 MiB in all") {
			t.Fatalf("err = %v", err)
		}
		if n > allocBound {
			t.Errorf("allocated %d bytes", n)
		}
	})
	t.Run("FIFO and device", func(t *testing.T) {
		for _, mk := range []func(string) error{
			func(p string) error { return syscall.Mkfifo(p, 0o644) },
			func(p string) error { return os.Symlink("/dev/zero", p) },
		} {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "ok.json"), []byte(good), 0o644)
			if err := mk(filepath.Join(dir, "x.json")); err != nil {
				t.Fatal(err)
			}
			_, err := openBounded(t, dir)
			if !errors.Is(err, safeio.ErrNotRegular) || !strings.Contains(err.Error(), "x.json") {
				t.Errorf("err = %v", err)
			}
		}
	})
	t.Run("symlinks to advisories", func(t *testing.T) {
		dir, other := t.TempDir(), t.TempDir()
		os.WriteFile(filepath.Join(other, "ok.json"), []byte(good), 0o644)
		os.Symlink(filepath.Join(other, "ok.json"), filepath.Join(dir, "ok.json"))
		link := filepath.Join(t.TempDir(), "db")
		os.Symlink(dir, link)
		for _, p := range []string{dir, link} {
			db, err := Open(p)
			if err != nil || db.Len() != 1 {
				t.Fatalf("%s: %v", p, err)
			}
		}
	})
}

// billionLaughs is a YAML document of 9 levels of 10 aliases each: 10^9
// strings once expanded.
func billionLaughs() []byte {
	var b strings.Builder
	b.WriteString("id: LOL-1\nl0: &l0 lol\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "l%d: &l%d [", i, i)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*l%d", i-1)
		}
		b.WriteString("]\n")
	}
	return []byte(b.String())
}

func TestYAMLAliasBombs(t *testing.T) {
	bytesBomb := []byte("id: LOL-2\nbig: &big " + strings.Repeat("A", 1<<20) + "\nmore: [" + strings.Repeat("*big, ", 99) + "*big]\n")
	for name, doc := range map[string][]byte{"billion laughs": billionLaughs(), "long scalar": bytesBomb} {
		var err error
		n := allocated(func() { _, _, err = ParseYAML("lol.yaml", doc) })
		t.Logf("%s: %d bytes allocated", name, n)
		if !errors.Is(err, errYAMLExpansion) || !strings.HasPrefix(err.Error(), "lol.yaml: line ") {
			t.Errorf("%s: err = %v", name, err)
		}
		if n > allocBound {
			t.Errorf("%s: allocated %d bytes", name, n)
		}
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "LOL.yaml"), doc, 0o644)
		if n, err := openBounded(t, dir); err == nil || !strings.Contains(err.Error(), "LOL.yaml") || n > allocBound {
			t.Errorf("%s: directory: err = %v, allocated %d", name, err, n)
		}
	}
	// A few aliases, as a hand-written advisory might use, are fine.
	doc := "id: A-1\nmodified: 2024-01-01T00:00:00Z\naffected:\n- package: &p {name: x, ecosystem: PyPI}\n  versions: &v ['1.0']\n- package: *p\n  versions: *v\n"
	e, _, err := ParseYAML("a.yaml", []byte(doc))
	if err != nil || len(e.Affected) != 2 || e.Affected[1].Package.Name != "x" || e.Affected[1].Versions[0] != "1.0" {
		t.Fatalf("aliases: %+v, %v", e, err)
	}
}

// An export, a directory or an index given as a FIFO or a device is refused
// before it is read: none of them blocks or streams for ever.
func TestOpenRefusesNonRegular(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "db.zip")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/dev/zero", "/dev/null", fifo} {
		if _, err := Open(p); !errors.Is(err, safeio.ErrNotRegular) || !strings.Contains(err.Error(), p) {
			t.Errorf("Open(%s) = %v", p, err)
		}
		if _, err := Import(t.TempDir(), p); !errors.Is(err, safeio.ErrNotRegular) {
			t.Errorf("Import(%s) = %v", p, err)
		}
	}
	// The cached index itself.
	cache := t.TempDir()
	os.MkdirAll(filepath.Dir(CachedPath(cache)), 0o755)
	if err := syscall.Mkfifo(CachedPath(cache), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenCached(cache); !errors.Is(err, safeio.ErrNotRegular) {
		t.Errorf("OpenCached = %v", err)
	}
	// and an update does not write into it.
	if _, err := Import(cache, fixtureDir); !errors.Is(err, safeio.ErrNotRegular) {
		t.Errorf("Import over a FIFO = %v", err)
	}
}

// A run killed mid-download leaves its temporary; the next run removes it
// once it is older than a live download's could be, and keeps fresh ones.
func TestStaleTemporariesRemoved(t *testing.T) {
	zipPath := zipDir(t, fixtureDir)
	data, _ := os.ReadFile(zipPath)
	ts := httptest.NewServer(&exportServer{data: data, etag: `"s"`})
	defer ts.Close()
	cache := t.TempDir()
	dir := filepath.Dir(CachedPath(cache))
	os.MkdirAll(dir, 0o755)
	old := time.Now().Add(-2 * time.Hour)
	mk := func(name string, mtime time.Time) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte("partial"), 0o644)
		os.Chtimes(p, mtime, mtime)
		return p
	}
	stale := []string{mk(".download-123.zip", old), mk(".pypi.idx.tmp-456", old), mk(".tmp-789", old)}
	fresh := mk(".download-999.zip", time.Now())
	if _, err := Update(context.Background(), fastOpts(ts.URL, cache)); err != nil {
		t.Fatal(err)
	}
	for _, p := range stale {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s not removed", p)
		}
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh temporary removed: %v", err)
	}
	// Import cleans up too.
	stale2 := mk(".download-124.zip", old)
	if _, err := Import(cache, fixtureDir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale2); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s not removed by Import", stale2)
	}
}

func TestDataAge(t *testing.T) {
	past := boundAdvisory("PAST", nil, "1.0")
	past.Modified = "2026-03-01T12:00:00Z"
	future := boundAdvisory("FUTURE", nil, "1.0")
	future.Modified = "2999-01-01T00:00:00Z"
	var docs []document
	for _, e := range []*Entry{past, future} {
		raw, _ := json.Marshal(e)
		docs = append(docs, document{entry: e, raw: raw, name: e.ID})
	}
	built := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	data, err := encodeIndex(docs, Meta{Built: built})
	if err != nil {
		t.Fatal(err)
	}
	db, err := openIndexBytes("x", data)
	if err != nil {
		t.Fatal(err)
	}
	m := db.Meta()
	if !m.Newest.Equal(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)) {
		t.Fatalf("Newest = %v, want the newest modification at or before the build", m.Newest)
	}
	now := time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)
	if age, ok := m.DataAge(now); !ok || age != 4*24*time.Hour || m.DataNote(now) != "" {
		t.Errorf("DataAge = %v, %v; note %q", age, ok, m.DataNote(now))
	}
	now = now.AddDate(0, 0, 10)
	if n := m.DataNote(now); !strings.Contains(n, "2026-03-01, 14 days ago") {
		t.Errorf("DataNote = %q", n)
	}
	if _, ok := (Meta{}).DataAge(now); ok {
		t.Errorf("DataAge of no data is known")
	}
}

// Damaged advisory JSON does not silently drop findings: Damaged names the
// advisories that matched but could not be read.
func TestDamagedBlocksAreReported(t *testing.T) {
	src, err := openDirSource(fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	data, err := build(src, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	db, err := openIndexBytes("x", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(db.Query("foo-bar", "1.0")) == 0 || len(db.Damaged()) != 0 {
		t.Fatalf("intact index: %v", db.Damaged())
	}
	// Zero the compressed JSON of every advisory.
	bad := bytes.Clone(data)
	for k := range db.nBlock {
		row := db.blockOff + k*blockRowSize + bOff
		off, n := db.field(row), db.field(row+4)
		clear(bad[off : off+n])
	}
	db, err = openIndexBytes("x", bad)
	if err != nil {
		t.Fatal(err)
	}
	got := db.Query("foo-bar", "1.0")
	if len(got) != 0 || len(db.Damaged()) == 0 {
		t.Errorf("damaged index: %d advisories, Damaged = %v", len(got), db.Damaged())
	}
}
