package advisory

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
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
