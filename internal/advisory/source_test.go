package advisory

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pyvet/pyvet/pep440"
)

func TestFromJSONEmpty(t *testing.T) {
	db, err := FromJSON(nil, Meta{Source: "https://example.test"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Len() != 0 || len(db.Query("requests", "")) != 0 || db.Meta().Source != "https://example.test" {
		t.Fatalf("empty database: %d entries, meta %+v", db.Len(), db.Meta())
	}
}

// Release numbers beyond 64 bits keep their identity: the version key is
// pep440's canonical form, exact for any size, so neighbours of a huge listed
// version are not affected and spellings of it that PEP 440 calls equal are.
func TestHugeReleaseNumbers(t *testing.T) {
	const huge = "1.99999999999999999999999"
	db := boundDB(t,
		boundAdvisory("PYSEC-HUGE-1", nil, huge),
		boundAdvisory("PYSEC-HUGE-2", []Event{{Introduced: "3.18446744073709551616"}, {Fixed: "3.18446744073709551617"}}),
	)
	for _, c := range []struct {
		version string
		want    []string
	}{
		{huge, []string{"PYSEC-HUGE-1"}},
		{huge + ".0", []string{"PYSEC-HUGE-1"}},
		{"1.99999999999999999999998", nil},
		{"1.100000000000000000000000", nil},
		{"1.9223372036854775807", nil},
		{"3.18446744073709551616", []string{"PYSEC-HUGE-2"}},
		{"3.18446744073709551616.5", []string{"PYSEC-HUGE-2"}},
		{"3.18446744073709551617", nil},
		{"3.18446744073709551615", nil},
	} {
		es, err := db.Match("p", c.version)
		if err != nil || !slices.Equal(ids(es), c.want) {
			t.Errorf("Match(%s) = %v, %v; want %v", c.version, ids(es), err, c.want)
		}
	}
	if VersionKey(huge+".0.0") != huge || VersionKey("1.99999999999999999999998") == VersionKey(huge) {
		t.Errorf("VersionKey: %q, %q", VersionKey(huge+".0.0"), VersionKey("1.99999999999999999999998"))
	}
	// QuerySpec tests the release after a huge bound exactly.
	spec, err := pep440.ParseSpecifierSet(">3.18446744073709551616")
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(db.QuerySpec("p", spec)); !slices.Equal(got, []string{"PYSEC-HUGE-2"}) {
		t.Errorf("QuerySpec(%s) = %v", spec, got)
	}
	spec, _ = pep440.ParseSpecifierSet(">=3.18446744073709551617")
	if got := ids(db.QuerySpec("p", spec)); len(got) != 0 {
		t.Errorf("QuerySpec(%s) = %v, want none", spec, got)
	}
}

// TestOpenSourceFreshness runs the freshness policy every command shares on
// the fixture export, with the clock moved instead of waiting: a missing
// database is downloaded (or, offline or when the download fails, is the
// one "no database" error naming every remedy), a fresh one is used as it
// is, a stale download is refreshed (or used with a note when that fails),
// a stale import is used with a note, and --db opens the path.
func TestOpenSourceFreshness(t *testing.T) {
	zipPath, count := exportZip(t)
	data, err := os.ReadFile(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	srv := &exportServer{data: data, etag: `"v1"`}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	cache := t.TempDir()
	now := time.Now()
	var progress strings.Builder
	opts := func(at time.Time, offline bool) SourceOptions {
		return SourceOptions{CacheDir: cache, Offline: offline, Progress: &progress, URL: ts.URL + "/all.zip",
			Backoff: time.Millisecond, Now: func() time.Time { return at }}
	}
	remedies := []string{"no advisory database in ", "`pyvet db update`", "`pyvet db update --from FILE`", "--db PATH"}
	noDB := func(what string, err error) {
		t.Helper()
		var nd *NoDatabaseError
		if !errors.Is(err, ErrNoDatabase) || !errors.As(err, &nd) {
			t.Fatalf("%s: %v, want a NoDatabaseError", what, err)
		}
		for _, r := range remedies {
			if !strings.Contains(err.Error(), r) {
				t.Errorf("%s: %q does not say %s", what, err, r)
			}
		}
	}

	// Offline without a database: the error, and no request.
	_, _, err = OpenSource(context.Background(), opts(now, true))
	noDB("offline", err)
	if srv.requests.Load() != 0 {
		t.Fatalf("offline: %d requests", srv.requests.Load())
	}
	// The download fails: the same error, saying why.
	srv.mode.Store("500")
	_, _, err = OpenSource(context.Background(), opts(now, false))
	noDB("failed download", err)
	if !strings.Contains(err.Error(), "the download failed") || !strings.Contains(err.Error(), "500") {
		t.Errorf("failed download: %v", err)
	}
	// Online: downloaded, saying so on Progress.
	srv.mode.Store("")
	src, notes, err := OpenSource(context.Background(), opts(now, false))
	if err != nil || len(notes) != 0 || src.Meta().Count != count || !strings.Contains(progress.String(), "Updating the advisory database...") {
		t.Fatalf("first download: %v, notes %q, progress %q", err, notes, progress.String())
	}
	src.Close()
	// Fresh: used as it is, without a request.
	n := srv.requests.Load()
	src, notes, err = OpenSource(context.Background(), opts(now.Add(MaxAge-time.Minute), false))
	if err != nil || len(notes) != 0 || srv.requests.Load() != n {
		t.Fatalf("fresh: %v, notes %q, %d requests", err, notes, srv.requests.Load()-n)
	}
	src.Close()
	// Stale: refreshed (a conditional request, answered 304).
	later := now.Add(MaxAge + time.Hour)
	src, notes, err = OpenSource(context.Background(), opts(later, false))
	if err != nil || len(notes) != 0 || srv.requests.Load() != n+1 || !src.Meta().Checked.Equal(later.UTC()) {
		t.Fatalf("stale: %v, notes %q, %d requests, checked %s", err, notes, srv.requests.Load()-n, src.Meta().Checked)
	}
	src.Close()
	// Stale and the refresh fails: the old database, with a note.
	srv.mode.Store("500")
	src, notes, err = OpenSource(context.Background(), opts(later.Add(MaxAge+time.Hour), false))
	if err != nil || len(notes) != 1 || !strings.Contains(notes[0], "could not be refreshed") || src.Meta().Count != count {
		t.Fatalf("failed refresh: %v, notes %q", err, notes)
	}
	src.Close()
	// Stale offline: used as it is.
	n = srv.requests.Load()
	src, notes, err = OpenSource(context.Background(), opts(later.Add(10*MaxAge), true))
	if err != nil || len(notes) != 0 || srv.requests.Load() != n {
		t.Fatalf("stale offline: %v, notes %q", err, notes)
	}
	src.Close()

	// A stale import is not downloaded over: a note says how to refresh it.
	imported := t.TempDir()
	if _, err := Import(imported, fixtureDir); err != nil {
		t.Fatal(err)
	}
	o := opts(time.Now().Add(MaxAge+time.Hour), false)
	o.CacheDir = imported
	src, notes, err = OpenSource(context.Background(), o)
	if err != nil || len(notes) != 1 || !strings.Contains(notes[0], "imported from") || srv.requests.Load() != n {
		t.Fatalf("stale import: %v, notes %q", err, notes)
	}
	src.Close()

	// --db: the path, never the cache or the network.
	o = opts(now, false)
	o.Path = fixtureDir
	src, notes, err = OpenSource(context.Background(), o)
	if err != nil || len(notes) != 0 || src.Meta().Count != count || srv.requests.Load() != n {
		t.Fatalf("--db: %v, notes %q", err, notes)
	}
	src.Close()
	o.Path = filepath.Join(t.TempDir(), "missing.zip")
	if _, _, err := OpenSource(context.Background(), o); err == nil || !strings.HasPrefix(err.Error(), "--db: ") || errors.Is(err, ErrNoDatabase) {
		t.Errorf("missing --db: %v", err)
	}
}

// TestReadStatus: the typed status of `pyvet db status`, its JSON keys and
// text, and the one "no database" error.
func TestReadStatus(t *testing.T) {
	cache := t.TempDir()
	if _, err := ReadStatus(cache, time.Now()); !errors.Is(err, ErrNoDatabase) || !strings.Contains(err.Error(), "--from FILE") {
		t.Fatalf("no database: %v", err)
	}
	dir := t.TempDir()
	modified := time.Now().Add(-40 * 24 * time.Hour).UTC().Truncate(time.Second)
	doc := `{"id":"PYSEC-1","modified":"` + modified.Format(time.RFC3339) + `","affected":[{"package":{"ecosystem":"PyPI","name":"p"},"versions":["1.0"]}]}`
	if err := os.WriteFile(filepath.Join(dir, "PYSEC-1.json"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Import(cache, dir)
	if err != nil {
		t.Fatal(err)
	}
	at := m.Checked.Add(MaxAge + 3*time.Hour)
	st, err := ReadStatus(cache, at)
	if err != nil {
		t.Fatal(err)
	}
	if st.Count != m.Count || st.Downloaded || !st.Stale || st.CheckAge != at.Sub(m.Checked) || !st.HasDataAge || !st.Newest.Equal(modified) || st.DataAge != at.Sub(modified) || !st.StaleData {
		t.Errorf("status: %#v", *st)
	}
	b, err := json.Marshal(st)
	var keys map[string]any
	if err != nil || json.Unmarshal(b, &keys) != nil || keys["data_age"] != st.DataAge.Round(time.Second).String() || keys["count"] != float64(m.Count) || keys["source"] == nil {
		t.Errorf("JSON: %s, %v", b, err)
	}
	var text strings.Builder
	if err := st.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Source:      ", "Imported:    ", "Checked:     ", "27 hours ago (audit refreshes it unless --offline)", "Age:         41 days, newest advisory modified " + modified.Format(time.RFC3339) + " (old: results may miss recent advisories)", "SHA-256:     " + m.ContentSHA256} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
}
