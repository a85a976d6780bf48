package typosquat

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/check"
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/internal/pypi/pypitest"
)

func fixturePopularity(t *testing.T) *Popularity {
	t.Helper()
	p, err := LoadPopularity(filepath.Join("testdata", "popular.json"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLookupKinds(t *testing.T) {
	p := fixturePopularity(t)
	cfg := DefaultConfig()
	cases := []struct {
		name   string
		target string
		kind   Kind
	}{
		{"requets", "requests", KindEdit},   // deletion
		{"reqeusts", "requests", KindEdit},  // transposition (listed, but 1000 vs 900M downloads)
		{"requestss", "requests", KindEdit}, // insertion
		{"pythondateutil", "python-dateutil", KindSeparator},
		{"Python_DateUtil", "", ""}, // the same name under PEP 503
		{"djang0", "django", KindHomoglyph},
		{"urIlib3", "urllib3", ""}, // normalized to "urilib3": one edit
		{"python-requests", "requests", KindAffix},
		{"requests-py", "requests", KindAffix},
		{"dateutil", "python-dateutil", KindAffix},
		{"msgpack-python", "msgpack", KindAffix},
		{"beautifulsoup", "beautifulsoup4", KindEdit},
		{"colourama", "colorama", KindEdit}, // 5M vs 300M: ratio 60 >= 50
		{"flask", "", ""},                   // nothing close
		{"rest", "", ""},                    // too short for edit distance
	}
	for _, c := range cases {
		ms := p.Lookup(c.name, cfg)
		if c.target == "" {
			if len(ms) > 0 {
				t.Errorf("%s: unexpected match %+v", c.name, ms[0])
			}
			continue
		}
		if len(ms) == 0 || ms[0].Target != c.target || (c.kind != "" && ms[0].Kind != c.kind) {
			t.Errorf("%s: got %+v, want %s (%s)", c.name, ms, c.target, c.kind)
		}
	}
	// The download ratio protects two popular names from each other.
	cfg.MinRatio = 100
	if ms := p.Lookup("colourama", cfg); len(ms) != 0 {
		t.Errorf("ratio 100: colourama matched %+v", ms)
	}
}

func TestDistance(t *testing.T) {
	cases := []struct {
		a, b string
		max  int
		want int
	}{
		{"requests", "requests", 1, 0},
		{"requests", "reqeusts", 1, 1},
		{"requests", "requets", 1, 1},
		{"requests", "rqeuests", 2, 1},
		{"abcdef", "badcfe", 3, 3},
		{"kitten", "sitting", 3, 3},
		{"kitten", "sitting", 2, 3},
		{"a", "abcd", 1, 2},
		{"", "ab", 2, 2},
	}
	for _, c := range cases {
		if got := distance(c.a, c.b, c.max, nil); got != c.want {
			t.Errorf("distance(%q,%q,%d) = %d, want %d", c.a, c.b, c.max, got, c.want)
		}
	}
}

func TestCheckInventory(t *testing.T) {
	p := fixturePopularity(t)
	inv := &inventory.Inventory{Packages: []*inventory.Package{
		{Name: "reqests", Version: "1.0", Direct: true, Source: inventory.Source{Kind: inventory.SourceIndex}, Locations: []inventory.Location{{File: "requirements.txt", Line: 3}}},
		{Name: "djang0", Direct: true},
		{Name: "requests", Version: "2.31.0", Direct: true},
		{Name: "colourama", Version: "0.1"},                                                      // listed: suppressed by SkipPopular
		{Name: "python-requests", Source: inventory.Source{Kind: inventory.SourceVCS, URL: "x"}}, // not from an index
		{Name: "requestss"},                                                                      // allowed
	}}
	cfg := DefaultConfig()
	cfg.Allow = []string{"RequestsS"}
	fs := Check(inv, p, cfg)
	if len(fs) != 2 {
		t.Fatalf("findings = %+v, want 2", fs)
	}
	// Without index data both are unverified: next to a top-100 name, at most medium.
	if fs[0].Package != "djang0" || fs[0].Severity != finding.SeverityMedium || fs[0].Evidence["kind"] != "homoglyph" || fs[0].Evidence["history"] != "unknown" {
		t.Errorf("first = %+v", fs[0])
	}
	f := fs[1]
	if f.Package != "reqests" || f.Risk != finding.RiskNameConfusion || f.Rule != "typosquat" || f.Severity != finding.SeverityMedium ||
		f.Location == nil || f.Location.Line != 3 || !strings.Contains(f.Detail, "#1 most downloaded") || f.Action == "" ||
		!strings.HasSuffix(f.Title, "(unverified)") {
		t.Errorf("reqests finding = %+v", f)
	}
	cfg.SkipPopular = 0
	if fs := Check(inv, p, cfg); len(fs) != 3 {
		t.Errorf("without suppression: %d findings, want 3", len(fs))
	}
}

func TestDependencyConfusion(t *testing.T) {
	pub := pypitest.New(t, pypitest.Layout{SimpleHTML: filepath.Join("testdata", "public")})
	priv := pypitest.New(t, pypitest.Layout{SimpleHTML: filepath.Join("testdata", "private")})
	idx := pypi.New(pypi.Options{SimpleURL: pub.URL + "/simple", CacheDir: t.TempDir()})
	inv := &inventory.Inventory{
		Index: inventory.IndexOptions{ExtraIndexURLs: []string{priv.URL + "/simple/"}},
		Packages: []*inventory.Package{
			{Name: "corp_utils", Version: "9.0", Direct: true},
			{Name: "internal-lib", Version: "9.0", Direct: true},
			{Name: "requests", Version: "1.0"},
		},
	}
	fs, err := CheckDependencyConfusion(context.Background(), inv, idx, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 2 {
		t.Fatalf("findings = %+v", fs)
	}
	if fs[0].Package != "corp-utils" || fs[0].Severity != finding.SeverityHigh || fs[1].Package != "internal-lib" || fs[1].Severity != finding.SeverityMedium {
		t.Errorf("findings = %s %v, %s %v", fs[0].Package, fs[0].Severity, fs[1].Package, fs[1].Severity)
	}
	// Without extra indexes nothing is at risk.
	inv.Index.ExtraIndexURLs = nil
	if fs, err := CheckDependencyConfusion(context.Background(), inv, idx, DefaultConfig()); err != nil || len(fs) != 0 {
		t.Errorf("no extras: %v %v", fs, err)
	}
	// Offline with an empty cache: no findings and an error naming the lookups.
	inv.Index.ExtraIndexURLs = []string{priv.URL + "/simple"}
	off := pypi.New(pypi.Options{SimpleURL: pub.URL + "/simple", CacheDir: t.TempDir(), Offline: true})
	if _, err := CheckDependencyConfusion(context.Background(), inv, off, DefaultConfig()); err == nil || !strings.Contains(err.Error(), "3 name(s)") {
		t.Errorf("offline: err = %v", err)
	}
}

func TestUpdateAndImportPopularity(t *testing.T) {
	srv := pypitest.New(t, pypitest.Layout{Metadata: "testdata"}) // serves testdata/FILE at /files/FILE
	dir := t.TempDir()
	path, err := UpdatePopularity(context.Background(), srv.URL+"/files/popular.json", dir)
	if err != nil {
		t.Fatal(err)
	}
	p, err := LoadPopularity(path)
	if err != nil || p.Len() != 10 || p.Updated != "2026-01-01 00:00:00" {
		t.Fatalf("loaded %v, %v", p, err)
	}
	// A broken download must not replace the cached list.
	if _, err := UpdatePopularity(context.Background(), srv.URL+"/files/public", dir); err == nil {
		t.Error("directory listing accepted as a popularity list")
	}
	if _, err := UpdatePopularity(context.Background(), srv.URL+"/files/missing.json", dir); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("missing: err = %v", err)
	}
	if p, err := LoadPopularity(PopularityPath(dir)); err != nil || p.Len() != 10 {
		t.Errorf("cached list damaged: %v", err)
	}
	if _, err := ImportPopularity(filepath.Join("testdata", "public", "requests.html"), t.TempDir()); err == nil || !strings.Contains(err.Error(), "requests.html") {
		t.Errorf("import of HTML: err = %v", err)
	}
}

// projectServer serves /pypi/NAME/json for the given release histories
// (name -> upload dates, one release each) and 404 for other names.
func projectServer(t *testing.T, projects map[string][]string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/pypi/"), "/json")
		dates, ok := projects[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		rels := map[string]any{}
		for i, d := range dates {
			rels[fmt.Sprintf("1.%d", i)] = []map[string]any{{"filename": fmt.Sprintf("%s-1.%d.tar.gz", name, i), "upload_time_iso_8601": d + "T10:00:00Z", "size": 100}}
		}
		json.NewEncoder(w).Encode(map[string]any{"info": map[string]any{"name": name, "version": "1.0"}, "releases": rels})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestCheckIndexReleaseHistory(t *testing.T) {
	p := fixturePopularity(t)
	srv := projectServer(t, map[string][]string{
		"reqests":        {"2026-05-20"},                             // young: a week old
		"djang0":         {"2015-03-01", "2016-01-01", "2019-07-01"}, // years of releases
		"pythondateutil": {"2015-03-01", "2015-03-02"},               // old but two releases: not established
	})
	idx := pypi.New(pypi.Options{SimpleURL: srv.URL + "/simple", CacheDir: t.TempDir(), Retries: -1})
	inv := &inventory.Inventory{Packages: []*inventory.Package{
		{Name: "reqests", Version: "1.0"}, {Name: "djang0"}, {Name: "pythondateutil"}, {Name: "requestss"},
	}}
	cfg := DefaultConfig()
	cfg.Now = func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) }
	fs, err := CheckIndex(context.Background(), inv, p, idx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]finding.Finding{}
	for _, f := range fs {
		got[f.Package] = f
	}
	if _, ok := got["djang0"]; ok || len(fs) != 3 {
		t.Fatalf("findings %v: the established djang0 must not be reported, the 3 others must", fs)
	}
	for name, want := range map[string]string{"reqests": "young", "pythondateutil": "young", "requestss": "not-on-index"} {
		f := got[name]
		if f.Severity != finding.SeverityHigh || f.Evidence["history"] != want {
			t.Errorf("%s: %v %v, want high with history %s", name, f.Severity, f.Evidence, want)
		}
	}
	if f := got["reqests"]; f.Evidence["first_upload"] != "2026-05-20" || f.Evidence["releases"] != "1" || !strings.Contains(f.Detail, "first uploaded on 2026-05-20") {
		t.Errorf("reqests evidence %v, detail %s", f.Evidence, f.Detail)
	}

	// Offline, the cache answers: the history read above is still known.
	off := pypi.New(pypi.Options{SimpleURL: srv.URL + "/simple", CacheDir: idx.Options().CacheDir, Offline: true})
	if fs2, err := CheckIndex(context.Background(), inv, p, off, cfg); err != nil || len(fs2) != 3 {
		t.Errorf("offline from the cache: %d findings, %v", len(fs2), err)
	}
	// Offline with an empty cache: unverified, capped, and one line saying why.
	empty := pypi.New(pypi.Options{SimpleURL: srv.URL + "/simple", CacheDir: t.TempDir(), Offline: true})
	fs3, err := CheckIndex(context.Background(), inv, p, empty, cfg)
	if err == nil || !strings.Contains(err.Error(), "4 name(s) not checked against their release history: not cached (offline)") {
		t.Errorf("offline, empty cache: err = %v", err)
	}
	for _, f := range fs3 {
		if f.Severity > finding.SeverityMedium || f.Evidence["history"] != "unknown" {
			t.Errorf("unverified %s: %v %v", f.Package, f.Severity, f.Evidence)
		}
	}
}

// TestUnverifiedTargets: without index data a name close only to a less
// popular project is not reported, one close to a top-1000 one is low.
func TestUnverifiedTargets(t *testing.T) {
	names := make([]string, 2000)
	dl := make([]int64, 2000)
	for i := range names {
		names[i] = fmt.Sprintf("project%04dx", i)
		dl[i] = int64(1e9 - i)
	}
	names[50], names[700], names[1500] = "toppackage", "midpackage", "farpackage"
	p := NewPopularity(names, dl)
	inv := &inventory.Inventory{Packages: []*inventory.Package{{Name: "toppackag"}, {Name: "midpackag"}, {Name: "farpackag"}}}
	got := map[string]finding.Severity{}
	for _, f := range Check(inv, p, DefaultConfig()) {
		got[f.Package] = f.Severity
	}
	want := map[string]finding.Severity{"toppackag": finding.SeverityMedium, "midpackag": finding.SeverityLow}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestRunWithoutPopularityList: without a list the check says once how to
// install it, online and offline, and reports nothing; a damaged list says
// the same remedy and names the file; an installed one runs silently.
func TestRunWithoutPopularityList(t *testing.T) {
	cache := t.TempDir()
	inv := &inventory.Inventory{Packages: []*inventory.Package{{Name: "reqeusts", Version: "1.0"}, {Name: "djnago", Version: "1.0"}}}
	in := &check.Input{Inventory: inv, CacheDir: cache, Offline: true}
	res, err := New().Run(context.Background(), in)
	if err != nil || len(res.Findings) != 0 || len(res.Notes) != 0 || len(res.Setup) != 1 || res.Setup[0] != MissingNote {
		t.Fatalf("no list: %+v %v, want the one note %q", res, err, MissingNote)
	}
	for _, want := range []string{"`pyvet pypi popularity`", "`pyvet pypi popularity --from FILE`", DefaultPopularityURL} {
		if !strings.Contains(MissingNote, want) {
			t.Errorf("note %q does not say %s", MissingNote, want)
		}
	}
	if len(MissingNote) > finding.MaxNote {
		t.Errorf("note is %d bytes, more than a note keeps (%d)", len(MissingNote), finding.MaxNote)
	}
	if err := os.WriteFile(PopularityPath(cache), []byte(`{"rows": [`), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err = New().Run(context.Background(), in)
	if err != nil || len(res.Setup) != 1 || !strings.Contains(res.Setup[0], "--from FILE") || !strings.Contains(res.Setup[0], PopularityPath(cache)) {
		t.Fatalf("damaged list: %+v %v, want one note with the remedy and the file", res, err)
	}
	if _, err := ImportPopularity(filepath.Join("testdata", "popular.json"), cache); err != nil {
		t.Fatal(err)
	}
	res, err = New().Run(context.Background(), in)
	if err != nil || len(res.Notes) != 0 || len(res.Setup) != 0 || len(res.Findings) == 0 {
		t.Fatalf("installed list: %+v %v, want findings and no note", res, err)
	}
}
