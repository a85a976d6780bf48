package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/check/typosquat"
)

func TestDBUpdateRefreshesPopularity(t *testing.T) {
	zipData := zipFixture(t)
	pop, err := os.ReadFile(filepath.Join("testdata", "popularity.json"))
	if err != nil {
		t.Fatal(err)
	}
	popOK := true
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/PyPI/all.zip":
			w.Write(zipData)
		case "/top.json":
			if !popOK {
				http.Error(w, "gone", http.StatusNotFound)
				return
			}
			w.Write(pop)
		default:
			http.NotFound(w, r)
		}
	}))
	defer ts.Close()
	cache := t.TempDir()
	args := []string{"--cache-dir", cache, "-q", "db", "update", "--url", ts.URL + "/PyPI/all.zip", "--popularity-url", ts.URL + "/top.json", "--retries", "0"}
	out, errs, code := runPyvet(t, args...)
	if code != 0 || !strings.Contains(out, "popularity list") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out, errs)
	}
	p, err := typosquat.LoadPopularity(typosquat.PopularityPath(cache))
	if err != nil || p == nil {
		t.Fatalf("popularity list not installed: %v", err)
	}
	// A failing popularity download warns but keeps the advisory update and the old list.
	popOK = false
	out, errs, code = runPyvet(t, append(args, "--force")...)
	if code != 0 || !strings.Contains(errs, "popularity list not refreshed") {
		t.Fatalf("failing popularity: exit %d\nstdout %s\nstderr %s", code, out, errs)
	}
	if _, err := typosquat.LoadPopularity(typosquat.PopularityPath(cache)); err != nil {
		t.Errorf("old popularity list damaged: %v", err)
	}
}
