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

// TestNoDatabaseMessageIsOne: every command that needs the advisory
// database says the same line when there is none, with both remedies.
func TestNoDatabaseMessageIsOne(t *testing.T) {
	cache := t.TempDir()
	want := "pyvet: no advisory database in " + filepath.Join(cache, "advisories") +
		"; run `pyvet db update` (or `pyvet db update --from FILE` without network), or pass --db PATH\n"
	reqs := writeReqs(t, "foo-bar==1.0.0\n")
	for _, args := range [][]string{
		{"audit", "--no-deps", "-r", reqs},
		{"audit", "--no-deps", "-r", reqs, "-f", "json"},
		{"db", "status"},
		{"db", "status", "--json"},
		{"fix", "--dry-run", reqs},
		{"sbom", "--with-vulns", reqs},
		{"serve", "--listen", "127.0.0.1:0"},
	} {
		out, errs, code := runExit(t, append([]string{"--cache-dir", cache, "-q", "--offline"}, args...)...)
		if code != exitUsage || out != "" || errs != want {
			t.Errorf("%v: exit %d\nstdout %q\nstderr %q\nwant   %q", args, code, out, errs, want)
		}
	}
}

// TestDBUpdateFromSameFileIsNotRebuilt: importing the installed file again
// leaves the index file as it is; --force and another file rebuild it.
func TestDBUpdateFromSameFileIsNotRebuilt(t *testing.T) {
	cache := t.TempDir()
	src := filepath.Join(t.TempDir(), "all.zip")
	if err := os.WriteFile(src, zipFixture(t), 0o644); err != nil {
		t.Fatal(err)
	}
	update := func(extra ...string) (os.FileInfo, string) {
		t.Helper()
		out, errs, code := runExit(t, append([]string{"--cache-dir", cache, "-q", "db", "update", "--from", src, "-f", "json"}, extra...)...)
		if code != 0 {
			t.Fatalf("db update --from %v: exit %d %s", extra, code, errs)
		}
		var doc struct {
			Meta map[string]string `json:"meta"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		st, err := os.Stat(advisory.CachedPath(cache))
		if err != nil {
			t.Fatal(err)
		}
		return st, doc.Meta["update"]
	}
	first, kind := update()
	if kind != "imported" {
		t.Errorf("first import: %q", kind)
	}
	again, kind := update()
	if !os.SameFile(first, again) || !again.ModTime().Equal(first.ModTime()) || kind != "current" {
		t.Errorf("the same file again: update %q, index rewritten %v; want current, not rewritten", kind, !os.SameFile(first, again))
	}
	out, errs, code := runExit(t, "--cache-dir", cache, "-q", "db", "update", "--from", src)
	if code != 0 || !strings.HasPrefix(out, "Advisory database is current (") {
		t.Errorf("table: exit %d %q %s", code, out, errs)
	}
	forced, kind := update("--force")
	if os.SameFile(first, forced) || kind != "imported" {
		t.Errorf("--force: kind %q, rewritten %v; want a rebuilt index", kind, !os.SameFile(first, forced))
	}
}

// TestDBUpdateHostileInputs: a --from that is no export, and cache
// directories that cannot hold the database, are one line and exit 2; the
// installed database is untouched.
func TestDBUpdateHostileInputs(t *testing.T) {
	cache := t.TempDir()
	good := filepath.Join(t.TempDir(), "all.zip")
	data := zipFixture(t)
	if err := os.WriteFile(good, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errs, code := runExit(t, "--cache-dir", cache, "-q", "db", "update", "--from", good); code != 0 {
		t.Fatalf("setup: exit %d %s", code, errs)
	}
	installed, err := os.ReadFile(advisory.CachedPath(cache))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.zip")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	trunc := filepath.Join(dir, "trunc.zip")
	if err := os.WriteFile(trunc, data[:len(data)/3], 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, from := range []string{fifo, "/dev/zero", "/dev/null", trunc, empty, filepath.Join(dir, "missing.zip")} {
		out, errs, code := runExit(t, "--cache-dir", cache, "-q", "db", "update", "--from", from)
		if code != exitUsage || out != "" || !oneLine(errs) || !strings.Contains(errs, from) {
			t.Errorf("--from %s: exit %d, want 2 and one line naming it:\n%s%s", from, code, out, errs)
		}
	}
	if got, _ := os.ReadFile(advisory.CachedPath(cache)); string(got) != string(installed) {
		t.Error("a bad --from changed the installed database")
	}
	// A cache directory that is a file.
	file := filepath.Join(dir, "cache-file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, errs, code := runExit(t, "--cache-dir", file, "-q", "db", "update", "--from", good); code != exitUsage || out != "" || !oneLine(errs) || !strings.Contains(errs, file) {
		t.Errorf("cache dir a file: exit %d\n%s%s", code, out, errs)
	}
	if b, _ := os.ReadFile(file); string(b) != "x" {
		t.Error("the file given as cache directory was changed")
	}
	// A cache directory that is a symlink: the database goes through it,
	// and the link stays a link.
	real := t.TempDir()
	link := filepath.Join(dir, "cache-link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, errs, code := runExit(t, "--cache-dir", link, "-q", "db", "update", "--from", good); code != 0 {
			t.Fatalf("cache dir a symlink: exit %d %s", code, errs)
		}
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the cache symlink was replaced: %v %v", st.Mode(), err)
	}
	if _, err := os.Stat(advisory.CachedPath(real)); err != nil {
		t.Errorf("no database behind the symlink: %v", err)
	}
}

// TestAllWithoutPopularityList: audit --all without a popularity list says
// once, before every other note, how to install it, online and offline;
// once installed, nothing.
func TestAllWithoutPopularityList(t *testing.T) {
	cache := t.TempDir()
	reqs := writeReqs(t, "foo-bar==1.5\nreqeusts==1.0\n")
	args := []string{"--cache-dir", cache, "--offline", "audit", "--no-deps", "--db", fixtureDB, "-r", reqs, "--all", "-f", "json"}
	out, errs, code := runExit(t, args...)
	if code == exitUsage {
		t.Fatalf("exit 2: %s", errs)
	}
	var doc struct {
		Notes []string `json:"notes"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	n := 0
	for _, note := range doc.Notes {
		if strings.Contains(note, "popularity") {
			n++
			if note != typosquat.MissingNote {
				t.Errorf("note %q, want %q", note, typosquat.MissingNote)
			}
		}
	}
	if n != 1 || strings.Count(errs, typosquat.MissingNote) != 1 {
		t.Errorf("%d notes on the popularity list, %d on stderr, want 1 each: %q\n%s", n, strings.Count(errs, typosquat.MissingNote), doc.Notes, errs)
	}
	if len(doc.Notes) < 2 || doc.Notes[0] != typosquat.MissingNote || !strings.HasPrefix(errs, "pyvet: warning: "+typosquat.MissingNote+"\n") {
		t.Errorf("the popularity note is not the first (of %d), in the document and on stderr: %q\n%s", len(doc.Notes), doc.Notes, errs)
	}
	if _, errs, code := runExit(t, "--cache-dir", cache, "-q", "pypi", "popularity", "--from", filepath.Join("testdata", "popularity.json")); code != 0 {
		t.Fatalf("pypi popularity --from: exit %d %s", code, errs)
	}
	out, errs, _ = runExit(t, args...)
	if strings.Contains(out, "popularity list") || strings.Contains(errs, "popularity list") {
		t.Errorf("list installed, still a note:\n%s%s", out, errs)
	}
	if !strings.Contains(out, `"name-confusion"`) {
		t.Errorf("reqeusts not reported once the list is installed:\n%s", out)
	}
}
