package server_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/osvclient"
	"github.com/pyvet/pyvet/internal/server"
)

// exportZip builds an all.zip-style export of the fixture files plus extra
// entries.
func exportZip(t *testing.T, extra map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	files, _ := filepath.Glob("testdata/osv/*.json")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		w, _ := zw.Create(filepath.Base(f))
		_, _ = w.Write(data)
	}
	for name, data := range extra {
		w, _ := zw.Create(name)
		_, _ = w.Write([]byte(data))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestRefreshFromExport serves an export over HTTP, loads the cached
// database through an update, changes the export and refreshes: the server
// answers from the new database; a corrupt export keeps the old one.
func TestRefreshFromExport(t *testing.T) {
	var export atomic.Value
	export.Store(exportZip(t, nil))
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(export.Load().([]byte))
	}))
	defer up.Close()
	lo := server.LoadOptions{CacheDir: t.TempDir(), Update: true, AnswerCacheBytes: 1 << 20,
		Updater: advisory.UpdateOptions{URL: up.URL + "/PyPI/all.zip", Retries: -1}}
	ctx := context.Background()
	src, err := lo.Loader()(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s := server.New(src, server.Options{})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	c, _ := osvclient.New(ts.URL, osvclient.WithRetries(0, 0))
	q := osvclient.PyPIQuery("new-pkg", "3.0")
	if got, err := c.Query(ctx, q); err != nil || len(got) != 0 {
		t.Fatalf("before refresh: %d entries, %v", len(got), err)
	}

	export.Store(exportZip(t, map[string]string{"PYSEC-2099-9.json": `{"id":"PYSEC-2099-9","modified":"2099-09-01T00:00:00Z",
		"affected":[{"package":{"name":"new-pkg","ecosystem":"PyPI"},"versions":["3.0"]}]}`}))
	if err := s.Refresh(ctx, lo.Loader()); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Query(ctx, q); err != nil || len(got) != 1 {
		t.Fatalf("after refresh: %d entries, %v", len(got), err)
	}

	export.Store([]byte("this is not a zip"))
	if err := s.Refresh(ctx, lo.Loader()); err == nil {
		t.Fatal("corrupt export accepted")
	}
	if got, err := c.Query(ctx, q); err != nil || len(got) != 1 {
		t.Fatalf("after a failed refresh: %d entries, %v", len(got), err)
	}
	if n := s.Source().Len(); n != 7 {
		t.Errorf("serving %d advisories, want 7", n)
	}
}

// TestFirstLoadWithoutDatabase: when there is no cached database and the
// download fails, the first load is the one "no database" error, saying
// why the download failed and naming every remedy.
func TestFirstLoadWithoutDatabase(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "gone", http.StatusNotFound)
	}))
	defer up.Close()
	lo := server.LoadOptions{CacheDir: t.TempDir(), Update: true,
		Updater: advisory.UpdateOptions{URL: up.URL + "/PyPI/all.zip", Retries: -1}}
	_, err := lo.Loader()(context.Background())
	if !errors.Is(err, advisory.ErrNoDatabase) || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), "pyvet db update --from FILE") {
		t.Fatalf("first load: %v", err)
	}
}
