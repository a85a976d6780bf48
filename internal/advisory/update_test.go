package advisory

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/httpx"
)

// exportServer serves a zip like OSV's bucket, with an ETag.
type exportServer struct {
	data     []byte
	etag     string
	requests atomic.Int32
	mode     atomic.Value // "", "500", "truncate", "garbage", "slow", "404"
}

func (s *exportServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	mode, _ := s.mode.Load().(string)
	switch mode {
	case "500":
		http.Error(w, "backend down", http.StatusInternalServerError)
		return
	case "404":
		http.NotFound(w, r)
		return
	case "slow":
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
		return
	}
	if r.Header.Get("If-None-Match") == s.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", s.etag)
	w.Header().Set("Last-Modified", "Wed, 22 Jul 2026 10:00:00 GMT")
	w.Header().Set("Content-Type", "application/zip")
	switch mode {
	case "truncate":
		w.Header().Set("Content-Length", strconv.Itoa(len(s.data)))
		w.Write(s.data[:len(s.data)/2])
		return
	case "garbage":
		w.Write([]byte(strings.Repeat("PK not really a zip ", 100)))
		return
	}
	w.Write(s.data)
}

// exportZip is the fixture export the update lifecycle runs on: the logic
// does not depend on the export's size, and the corpus snapshot is opened
// by TestCorpusSnapshot.
func exportZip(t *testing.T) (string, int) {
	return zipDir(t, fixtureDir), 6
}

func fastOpts(url, cache string) UpdateOptions {
	return UpdateOptions{URL: url, CacheDir: cache, Retries: 2, Backoff: time.Millisecond, Timeout: 2 * time.Second}
}

func TestUpdateLifecycle(t *testing.T) {
	zipPath, count := exportZip(t)
	data, err := os.ReadFile(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	srv := &exportServer{data: data, etag: `"v1"`}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	cache := t.TempDir()
	ctx := context.Background()

	if _, err := OpenCached(cache); !errors.Is(err, ErrNoDatabase) {
		t.Fatalf("OpenCached before update: %v", err)
	}
	res, err := Update(ctx, fastOpts(ts.URL+"/PyPI/all.zip", cache))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Updated || res.Meta.Count != count || res.Meta.ETag != `"v1"` || res.Bytes != int64(len(data)) {
		t.Fatalf("first update = %+v", res)
	}
	before, err := os.ReadFile(CachedPath(cache))
	if err != nil {
		t.Fatal(err)
	}

	// Unchanged: 304, nothing downloaded, checked time moves.
	later := time.Now().Add(time.Hour)
	o := fastOpts(ts.URL+"/PyPI/all.zip", cache)
	o.Now = func() time.Time { return later }
	res, err = Update(ctx, o)
	if err != nil || !res.NotModified || res.Updated {
		t.Fatalf("second update = %+v, %v", res, err)
	}
	m, err := Status(cache)
	if err != nil || !m.Checked.Equal(later.UTC()) || m.Count != count {
		t.Fatalf("status after 304 = %+v, %v", m, err)
	}

	// Every failure leaves the installed database byte for byte as it was.
	for _, mode := range []string{"500", "truncate", "garbage", "slow", "404"} {
		srv.etag = `"v2"`
		srv.mode.Store(mode)
		n0 := srv.requests.Load()
		o := fastOpts(ts.URL+"/PyPI/all.zip", cache)
		if mode == "slow" {
			o.Timeout = 200 * time.Millisecond
			o.Retries = -1
		}
		_, err := Update(ctx, o)
		if err == nil {
			t.Fatalf("%s: update succeeded", mode)
		}
		if !strings.Contains(err.Error(), ts.URL) {
			t.Errorf("%s: error does not name the URL: %v", mode, err)
		}
		tries := srv.requests.Load() - n0
		switch mode {
		case "500", "truncate":
			if tries != 3 {
				t.Errorf("%s: %d attempts, want 3", mode, tries)
			}
		case "404", "garbage", "slow":
			if tries != 1 {
				t.Errorf("%s: %d attempts, want 1", mode, tries)
			}
		}
		after, err := os.ReadFile(CachedPath(cache))
		if err != nil || string(after) != string(before) {
			t.Fatalf("%s: database changed or unreadable (%v)", mode, err)
		}
		db, err := OpenCached(cache)
		if err != nil || db.Len() != count {
			t.Fatalf("%s: cached database unusable: %v", mode, err)
		}
		db.Close()
		left, _ := os.ReadDir(filepath.Dir(CachedPath(cache)))
		for _, e := range left {
			if strings.HasPrefix(e.Name(), ".") {
				t.Errorf("%s: temporary file %s left behind", mode, e.Name())
			}
		}
	}

	// A new export replaces the database.
	srv.mode.Store("")
	srv.etag = `"v3"`
	res, err = Update(ctx, fastOpts(ts.URL+"/PyPI/all.zip", cache))
	if err != nil || !res.Updated || res.Meta.ETag != `"v3"` {
		t.Fatalf("update after failures = %+v, %v", res, err)
	}
}

func TestUpdateSizeLimit(t *testing.T) {
	zipPath, _ := exportZip(t)
	data, _ := os.ReadFile(zipPath)
	ts := httptest.NewServer(&exportServer{data: data, etag: `"x"`})
	defer ts.Close()
	o := fastOpts(ts.URL, t.TempDir())
	o.MaxSize = int64(len(data) - 1)
	if _, err := Update(context.Background(), o); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(CachedPath(o.CacheDir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a database was installed: %v", err)
	}
}

func TestUpdateURLFromEnv(t *testing.T) {
	zipPath, _ := exportZip(t)
	data, _ := os.ReadFile(zipPath)
	srv := &exportServer{data: data, etag: `"e"`}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	t.Setenv(EnvURL, ts.URL+"/env.zip")
	res, err := Update(context.Background(), UpdateOptions{CacheDir: t.TempDir(), Backoff: time.Millisecond})
	if err != nil || res.Meta.Source != ts.URL+"/env.zip" || srv.requests.Load() != 1 {
		t.Fatalf("res = %+v, err = %v", res, err)
	}
}

// TestImportSkipsUnchangedContent: importing the file the database was
// built from again confirms it current without building or writing the
// index; --force, other content or another path build it.
func TestImportSkipsUnchangedContent(t *testing.T) {
	cache := t.TempDir()
	src := zipDir(t, fixtureDir)
	t0 := time.Date(2026, 7, 23, 10, 0, 0, 0, time.UTC)
	at := func(d time.Duration) func() time.Time { return func() time.Time { return t0.Add(d) } }
	idx := CachedPath(cache)
	stat := func() os.FileInfo {
		t.Helper()
		st, err := os.Stat(idx)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	res, err := ImportWith(ImportOptions{CacheDir: cache, Path: src, Now: at(0)})
	if err != nil || !res.Updated || res.NotModified || res.Meta.Count != 6 {
		t.Fatalf("first import: %+v %v", res, err)
	}
	before := stat()
	res, err = ImportWith(ImportOptions{CacheDir: cache, Path: src, Now: at(time.Hour)})
	if err != nil || res.Updated || !res.NotModified || res.Meta.Count != 6 || !res.Meta.Checked.Equal(t0.Add(time.Hour)) {
		t.Fatalf("same file again: %+v %v, want current, checked at +1h", res, err)
	}
	if after := stat(); !os.SameFile(before, after) || !after.ModTime().Equal(before.ModTime()) {
		t.Error("the index was rewritten for an unchanged file")
	}
	if st, err := ReadStatus(cache, t0.Add(2*time.Hour)); err != nil || st.CheckAge != time.Hour {
		t.Errorf("status after the confirmation: %+v %v, want checked an hour before", st, err)
	}
	if m, err := Import(cache, src); err != nil || m.Count != 6 || !os.SameFile(before, stat()) {
		t.Errorf("Import of the same file: %+v %v, want the installed database, not rebuilt", m, err)
	}

	res, err = ImportWith(ImportOptions{CacheDir: cache, Path: src, Force: true, Now: at(2 * time.Hour)})
	if err != nil || !res.Updated || os.SameFile(before, stat()) {
		t.Fatalf("--force: %+v %v, want a rebuilt index", res, err)
	}
	// Same content at another path: built, so the source it names is true.
	moved := filepath.Join(t.TempDir(), "copy.zip")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(moved, data, 0o644); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(moved)
	if res, err = ImportWith(ImportOptions{CacheDir: cache, Path: moved}); err != nil || !res.Updated || res.Meta.Source != abs {
		t.Fatalf("same content, other path: %+v %v", res, err)
	}
	// Other content at the same path: built.
	dir := t.TempDir()
	copyFile := func(from string) {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(fixtureDir, "vulns", from))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(from)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	copyFile("foo-bar/PYSEC-2099-1.json")
	if res, err = ImportWith(ImportOptions{CacheDir: cache, Path: dir}); err != nil || !res.Updated || res.Meta.Format != "dir" {
		t.Fatalf("directory: %+v %v", res, err)
	}
	n := res.Meta.Count
	if res, err = ImportWith(ImportOptions{CacheDir: cache, Path: dir}); err != nil || !res.NotModified {
		t.Fatalf("directory again: %+v %v, want current", res, err)
	}
	copyFile("ranges/PYSEC-2099-4.json")
	if res, err = ImportWith(ImportOptions{CacheDir: cache, Path: dir}); err != nil || !res.Updated || res.Meta.Count != n+1 {
		t.Fatalf("directory with one more advisory: %+v %v, want %d advisories, rebuilt", res, err, n+1)
	}
}

// TestImportBadSourceKeepsDatabase: a source that is not an export is one
// error naming it, and the installed database stays as it was.
func TestImportBadSourceKeepsDatabase(t *testing.T) {
	cache := t.TempDir()
	src := zipDir(t, fixtureDir)
	if _, err := Import(cache, src); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(CachedPath(cache))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(src)
	dir := t.TempDir()
	trunc := filepath.Join(dir, "trunc.zip")
	if err := os.WriteFile(trunc, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{trunc, empty, filepath.Join(dir, "missing.zip"), "/dev/null"} {
		_, err := ImportWith(ImportOptions{CacheDir: cache, Path: p, Force: true})
		if err == nil || !strings.Contains(err.Error(), p) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one line naming it", p, err)
		}
	}
	if got, _ := os.ReadFile(CachedPath(cache)); !bytes.Equal(got, want) {
		t.Error("a bad source changed the installed database")
	}
}

// TestUpdateNetworkFailures: a dead host and a server answering 503 after
// the retries are errors matching httpx.ErrNetwork that name the host or
// URL once, on one line.
func TestUpdateNetworkFailures(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	var requests atomic.Int32
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer hs.Close()
	for _, tc := range []struct{ url, want string }{
		{"http://" + dead + "/all.zip", "advisory update from http://" + dead + "/all.zip: connection refused"},
		{hs.URL + "/all.zip", "advisory update from " + hs.URL + "/all.zip: HTTP 503 Service Unavailable"},
	} {
		_, err := Update(context.Background(), fastOpts(tc.url, t.TempDir()))
		if !errors.Is(err, httpx.ErrNetwork) || err.Error() != tc.want {
			t.Errorf("%s: %v, want %q matching httpx.ErrNetwork", tc.url, err, tc.want)
		}
	}
	if n := requests.Load(); n != 3 {
		t.Errorf("%d requests to the 503 server, want 3 (2 retries)", n)
	}
	// A download cut off on every attempt is the network's failure too.
	zipPath, _ := exportZip(t)
	data, err := os.ReadFile(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	cut := &exportServer{data: data, etag: `"v1"`}
	cut.mode.Store("truncate")
	cs := httptest.NewServer(cut)
	defer cs.Close()
	_, err = Update(context.Background(), fastOpts(cs.URL+"/all.zip", t.TempDir()))
	if !errors.Is(err, httpx.ErrNetwork) || !strings.Contains(err.Error(), "download interrupted") || cut.requests.Load() != 3 {
		t.Errorf("cut off: %v after %d requests, want a network failure after 3", err, cut.requests.Load())
	}
}

// BenchmarkImportSnapshot: db update --from the corpus snapshot, building
// the index (rebuild) and finding it installed already (unchanged).
func BenchmarkImportSnapshot(b *testing.B) {
	src := corpusZip(b)
	cache := b.TempDir()
	if _, err := Import(cache, src); err != nil {
		b.Fatal(err)
	}
	b.Run("rebuild", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if res, err := ImportWith(ImportOptions{CacheDir: cache, Path: src, Force: true}); err != nil || !res.Updated {
				b.Fatal(res, err)
			}
		}
	})
	b.Run("unchanged", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if res, err := ImportWith(ImportOptions{CacheDir: cache, Path: src}); err != nil || !res.NotModified {
				b.Fatal(res, err)
			}
		}
	})
}
