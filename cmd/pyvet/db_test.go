package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/advisory"
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
			if r.Header.Get("If-None-Match") == `"v1"` {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("ETag", `"v1"`)
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
	if code != 0 || !strings.Contains(out, "Updated advisory database: ") || !strings.Contains(out, "downloaded from "+ts.URL+"/PyPI/all.zip\n") ||
		!strings.Contains(out, "Updated the popularity list in "+typosquat.PopularityPath(cache)+"\n") {
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
	// The same export again: the database is current, and the summary is a document too.
	out, errs, code = runPyvet(t, append(args, "--no-popularity", "-f", "json")...)
	if code != 0 || !strings.Contains(out, `"update": "current"`) || !strings.Contains(out, `"kind": "db-status"`) {
		t.Fatalf("current: exit %d\nstdout %s\nstderr %s", code, out, errs)
	}
	out, _, _ = runPyvet(t, append(args, "--no-popularity")...)
	if !strings.HasPrefix(out, "Advisory database is current (") || strings.Contains(out, "popularity") {
		t.Errorf("current, table: %q", out)
	}
}

// A database path that is a FIFO or a device is refused at once with one
// line and exit 2: none is waited on or read for ever.
func TestDBRefusesNonRegularFiles(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "all.zip")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	req := writeReqs(t, "foo-bar==1.0\n")
	for _, args := range [][]string{
		{"db", "update", "--from", "/dev/zero"},
		{"db", "update", "--from", fifo},
		{"audit", "--offline", "--db", fifo, "-r", req, "--no-deps"},
		{"audit", "--offline", "--db", "/dev/zero", "-r", req, "--no-deps"},
	} {
		cache := t.TempDir()
		out, errs, code := runPyvet(t, append([]string{"--cache-dir", cache, "-q"}, args...)...)
		path := args[len(args)-1]
		if args[0] == "audit" {
			path = args[3]
		}
		if code != 2 || !strings.Contains(errs, path+": ") || !strings.Contains(errs, "not a regular file") ||
			strings.Count(strings.TrimSpace(errs), "\n") != 0 || out != "" {
			t.Errorf("%v: exit %d\nstdout %q\nstderr %q", args, code, out, errs)
		}
		if _, err := os.Stat(advisory.CachedPath(cache)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%v: a database was installed", args)
		}
	}
}

// writeAgedDB writes a directory database whose newest advisory was
// modified age ago (and one modified in the future, which does not count).
func writeAgedDB(t *testing.T, age time.Duration) string {
	t.Helper()
	dir := t.TempDir()
	for id, mod := range map[string]time.Time{"PYSEC-1": time.Now().Add(-age), "PYSEC-2": time.Now().Add(-age - time.Hour), "PYSEC-3": time.Now().AddDate(2, 0, 0)} {
		doc := fmt.Sprintf(`{"id":%q,"modified":%q,"affected":[{"package":{"ecosystem":"PyPI","name":"oldpkg"},"versions":["1.0"]}]}`, id, mod.UTC().Format(time.RFC3339))
		if err := os.WriteFile(filepath.Join(dir, id+".json"), []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// db status shows the age of the data (its newest advisory at or before
// now), not the time since the import; an offline audit on data older than
// a week says so.
func TestDBStatusShowsDataAge(t *testing.T) {
	cache := t.TempDir()
	dir := writeAgedDB(t, 40*24*time.Hour)
	if _, errs, code := runPyvet(t, "--cache-dir", cache, "-q", "db", "update", "--from", dir); code != 0 {
		t.Fatalf("import: exit %d: %s", code, errs)
	}
	out, errs, code := runPyvet(t, "--cache-dir", cache, "db", "status")
	if code != 0 || !strings.Contains(out, "Age:         40 days, newest advisory modified ") || !strings.Contains(out, "(old: results may miss recent advisories)") ||
		!strings.Contains(out, "Imported:") {
		t.Errorf("status: exit %d\n%s%s", code, out, errs)
	}
	out, _, _ = runPyvet(t, "--cache-dir", cache, "db", "status", "--json")
	var st struct {
		DataAge string    `json:"data_age"`
		Newest  time.Time `json:"newest"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil || !strings.HasPrefix(st.DataAge, "960h") || time.Since(st.Newest) < 39*24*time.Hour {
		t.Errorf("status --json: %+v, %v\n%s", st, err, out)
	}

	req := writeReqs(t, "oldpkg==2.0\n")
	warn := "the newest advisory in the database was modified"
	for _, args := range [][]string{
		{"--cache-dir", cache, "--offline", "audit", "--no-deps", "-r", req},
		{"--cache-dir", t.TempDir(), "--offline", "audit", "--no-deps", "--db", dir, "-r", req},
		{"--cache-dir", t.TempDir(), "--offline", "audit", "--no-deps", "--db", dir, "-r", req, "-f", "json"},
	} {
		out, errs, code := runPyvet(t, args...)
		if code != 0 || !strings.Contains(out+errs, warn) || !strings.Contains(out+errs, "40 days ago") {
			t.Errorf("%v: exit %d, no warning\nstdout %s\nstderr %s", args, code, out, errs)
		}
	}
	// Fresh data: no warning.
	fresh := writeAgedDB(t, 2*24*time.Hour)
	out, errs, code = runPyvet(t, "--cache-dir", t.TempDir(), "--offline", "audit", "--no-deps", "--db", fresh, "-r", req)
	if code != 0 || strings.Contains(out+errs, warn) {
		t.Errorf("fresh data: exit %d\nstdout %s\nstderr %s", code, out, errs)
	}
}
