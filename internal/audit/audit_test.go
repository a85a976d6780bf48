package audit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/policy"
	"github.com/pyvet/pyvet/internal/pypi/pypitest"
	"github.com/pyvet/pyvet/internal/resolve"
)

var fixtureDB = filepath.Join("..", "advisory", "testdata", "osv")

func writeReqs(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "requirements.txt")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunFindsAndGates(t *testing.T) {
	now := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	reqs := writeReqs(t, "Foo_Bar==1.0.0\nflask>=2\n")
	o := Options{Paths: []string{reqs}, DBPath: fixtureDB, CacheDir: t.TempDir(), Offline: true, NoDeps: true, Now: func() time.Time { return now }}
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range res.Findings {
		if f.ID == "PYSEC-2099-1" && f.Package == "foo-bar" {
			found = true
		}
		if strings.HasPrefix(f.Rule, "pin-") {
			t.Errorf("a plain audit ran the pinning check: %+v", f)
		}
	}
	if !found || !res.Failed {
		t.Fatalf("findings %+v, failed %v", res.Findings, res.Failed)
	}
	if res.Meta["fail_on"] != "low" || res.Meta["database"] == "" || len(res.Unaudited) != 0 {
		t.Errorf("meta %v, unaudited %v", res.Meta, res.Unaudited)
	}
	if _, ok := res.Skipped["flask"]; !ok {
		t.Errorf("the unpinned flask is not reported as inexact: %v", res.Skipped)
	}

	// --strict: the inexact package fails the run; ignoring the advisory
	// alone does not pass it.
	o.Strict = true
	o.Policy = policy.Flags{Ignore: []string{"PYSEC-2099-1"}}
	res, err = Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Unaudited) != 1 || !strings.HasPrefix(res.Unaudited[0], "flask: ") || !res.Failed {
		t.Errorf("strict: unaudited %v, failed %v", res.Unaudited, res.Failed)
	}

	// --all offline: the pinning check runs and reports the loose flask.
	o.Strict, o.All = false, true
	res, err = Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	pinned := false
	for _, f := range res.Findings {
		if f.Package == "flask" && strings.HasPrefix(f.Rule, "pin-") {
			pinned = true
		}
	}
	if !pinned {
		t.Errorf("--all: no pinning finding for flask: %+v", res.Findings)
	}
}

func TestRunErrorsNameTheInput(t *testing.T) {
	reqs := writeReqs(t, "foo==1\n")
	cache := t.TempDir()
	for name, o := range map[string]Options{
		"--db":      {Paths: []string{reqs}, DBPath: filepath.Join(cache, "missing.zip"), CacheDir: cache, Offline: true, NoDeps: true},
		"no db":     {Paths: []string{reqs}, CacheDir: cache, Offline: true, NoDeps: true},
		"--service": {Paths: []string{reqs}, Service: "ftp://example.invalid", CacheDir: cache, Offline: true, NoDeps: true},
		"input":     {Paths: []string{filepath.Join(cache, "nope.txt")}, DBPath: fixtureDB, CacheDir: cache, Offline: true, NoDeps: true},
	} {
		_, err := Run(context.Background(), o)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error of several lines: %q", name, err)
		}
		if (name == "--db" || name == "--service") && !strings.HasPrefix(err.Error(), name) {
			t.Errorf("%s: error %q does not name the flag", name, err)
		}
	}
}

// sqlparseDB is an advisory database with one advisory on sqlparse < 0.4.4.
func sqlparseDB(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	osv := `{"id": "PYSEC-2099-50", "modified": "2099-01-02T00:00:00Z", "summary": "ReDoS in sqlparse",
  "affected": [{"package": {"name": "sqlparse", "ecosystem": "PyPI"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "0.4.4"}]}]}],
  "database_specific": {"severity": "HIGH"}}`
	if err := os.WriteFile(filepath.Join(dir, "PYSEC-2099-50.json"), []byte(osv), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func djangoIndex(t *testing.T) string {
	t.Helper()
	rel := func(name, v string, requires ...string) *pypitest.Release {
		return &pypitest.Release{Requires: requires, Files: []string{pypitest.Wheel(name, v, "py3-none-any")}}
	}
	return pypitest.New(t, pypitest.WriteUniverse(t, map[string]map[string]*pypitest.Release{
		"django":   {"3.2.0": rel("django", "3.2.0", "asgiref>=3.3.2,<4", "sqlparse>=0.2.2,<0.4.2", "pytz")},
		"asgiref":  {"3.7.2": rel("asgiref", "3.7.2")},
		"sqlparse": {"0.4.1": rel("sqlparse", "0.4.1"), "0.4.4": rel("sqlparse", "0.4.4")},
		"pytz":     {"2023.3": rel("pytz", "2023.3")},
	}, pypitest.ModeJSON)).URL + "/simple"
}

func TestRunResolves(t *testing.T) {
	index := djangoIndex(t)
	reqs := writeReqs(t, "django==3.2.0\n")
	cache := t.TempDir()
	o := Options{Paths: []string{reqs}, DBPath: sqlparseDB(t), CacheDir: cache, IndexURL: index}
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range res.Inventory.Packages {
		got[p.Name] = p.Version
		if p.Resolved == (p.Name == "django") {
			t.Errorf("%s: resolved = %v", p.Name, p.Resolved)
		}
	}
	if len(got) != 4 || got["sqlparse"] != "0.4.1" || got["asgiref"] != "3.7.2" || got["pytz"] != "2023.3" {
		t.Errorf("resolved set %v", got)
	}
	if want := "resolved 4 packages for Python 3.12.0 on linux from " + index; res.Meta["resolution"] != want {
		t.Errorf("meta resolution %q, want %q", res.Meta["resolution"], want)
	}
	var f *finding.Finding
	for i := range res.Findings {
		if res.Findings[i].ID == "PYSEC-2099-50" {
			f = &res.Findings[i]
		}
	}
	if f == nil || !res.Failed {
		t.Fatalf("no finding on the resolved sqlparse: %+v", res.Findings)
	}
	if strings.Join(f.Path, " ") != "django sqlparse" || f.Evidence["resolved"] == "" || f.Evidence["declared_by"] != "django ("+reqs+":1)" || f.Direct {
		t.Errorf("finding %+v", f)
	}
	// --no-deps: only what the file declares, no resolution, no finding.
	o.NoDeps = true
	res, err = Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Inventory.Packages) != 1 || len(res.Findings) != 0 || res.Meta["resolution"] != "" {
		t.Errorf("--no-deps: %d packages, findings %+v, meta %v", len(res.Inventory.Packages), res.Findings, res.Meta)
	}
	// Offline from the cache the first run filled: the same set.
	o.NoDeps, o.Offline = false, true
	res, err = Run(context.Background(), o)
	if err != nil || len(res.Inventory.Packages) != 4 || !strings.Contains(res.Meta["resolution"], "offline") {
		t.Errorf("offline from the cache: %v, %v", err, res)
	}
}

func TestRunResolutionFails(t *testing.T) {
	index := djangoIndex(t)
	db := sqlparseDB(t)
	// A conflict: no solution, the input named, the explanation kept.
	reqs := writeReqs(t, "django==3.2.0\nsqlparse>=0.4.4\n")
	_, err := Run(context.Background(), Options{Paths: []string{reqs}, DBPath: db, CacheDir: t.TempDir(), IndexURL: index})
	var ie *resolve.InputError
	var ns *resolve.NoSolutionError
	if !errors.As(err, &ie) || ie.Input != reqs || !errors.As(err, &ns) || !strings.Contains(ns.Explanation, "sqlparse>=0.4.4") {
		t.Errorf("conflict: %v", err)
	}
	// Offline with an empty cache: incomplete, naming what could not be read.
	_, err = Run(context.Background(), Options{Paths: []string{reqs}, DBPath: db, CacheDir: t.TempDir(), IndexURL: index, Offline: true})
	var inc *resolve.IncompleteError
	if !errors.As(err, &inc) || strings.Join(inc.Names(), ",") != "django,sqlparse" || !strings.HasPrefix(err.Error(), reqs+": ") {
		t.Errorf("offline: %v", err)
	}
	// The target Python is outside the project's requires-python.
	dir := t.TempDir()
	pp := filepath.Join(dir, "pyproject.toml")
	if err := os.WriteFile(pp, []byte("[project]\nname = \"app\"\nversion = \"1\"\nrequires-python = \">=3.13\"\ndependencies = [\"django\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), Options{Paths: []string{pp}, DBPath: db, CacheDir: t.TempDir(), IndexURL: index})
	if !errors.As(err, &ns) || !strings.Contains(err.Error(), "requires-python >=3.13 does not include the target Python 3.12.0") {
		t.Errorf("requires-python: %v", err)
	}
}

// benchUniverse is 20 direct projects, each with 5 releases requiring two
// of 40 shared libraries (5 releases each), and the requirements file
// naming the 20 with ranges.
func benchUniverse(b *testing.B) (index, reqs string) {
	projects := map[string]map[string]*pypitest.Release{}
	versions := []string{"1.0.0", "1.1.0", "1.2.0", "2.0.0", "2.1.0"}
	for i := range 40 {
		name := fmt.Sprintf("lib%02d", i)
		projects[name] = map[string]*pypitest.Release{}
		for _, v := range versions {
			projects[name][v] = &pypitest.Release{Files: []string{pypitest.Wheel(name, v, "py3-none-any"), pypitest.Sdist(name, v)}}
		}
	}
	var body strings.Builder
	for i := range 20 {
		name := fmt.Sprintf("app%02d", i)
		projects[name] = map[string]*pypitest.Release{}
		for _, v := range versions {
			projects[name][v] = &pypitest.Release{Files: []string{pypitest.Wheel(name, v, "py3-none-any")},
				Requires: []string{fmt.Sprintf("lib%02d>=1.1", (2*i)%40), fmt.Sprintf("lib%02d<2.1", (2*i+7)%40)}}
		}
		fmt.Fprintf(&body, "%s>=1.0\n", name)
	}
	srv := pypitest.New(b, pypitest.WriteUniverse(b, projects, pypitest.ModeJSON))
	dir := b.TempDir()
	reqs = filepath.Join(dir, "requirements.txt")
	if err := os.WriteFile(reqs, []byte(body.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	return srv.URL + "/simple", reqs
}

// BenchmarkRunResolve audits a 20-requirement file against a local index:
// cold (an empty cache each time), warm (the cache filled, online) and
// warm offline.
func BenchmarkRunResolve(b *testing.B) {
	index, reqs := benchUniverse(b)
	db := sqlparseDB(b)
	run := func(b *testing.B, cache string, offline bool) {
		res, err := Run(context.Background(), Options{Paths: []string{reqs}, DBPath: db, CacheDir: cache, IndexURL: index, Offline: offline})
		if err != nil {
			b.Fatal(err)
		}
		if n := len(res.Inventory.Packages); n < 40 {
			b.Fatalf("resolved %d packages", n)
		}
	}
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			run(b, b.TempDir(), false)
		}
	})
	warm := b.TempDir()
	run(b, warm, false)
	b.Run("warm", func(b *testing.B) {
		for b.Loop() {
			run(b, warm, false)
		}
	})
	b.Run("warm-offline", func(b *testing.B) {
		for b.Loop() {
			run(b, warm, true)
		}
	})
}
