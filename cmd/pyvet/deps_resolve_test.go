package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/pypi/pypitest"
)

// depsUniverse is a small index: django pins asgiref, sqlparse and pytz by
// ranges, flask shares asgiref, and asgiref needs typing-extensions only
// before Python 3.11.
func depsUniverse(t *testing.T) *pypitest.Server {
	t.Helper()
	rel := func(name, version string, requires ...string) *pypitest.Release {
		return &pypitest.Release{Requires: requires, UploadTime: "2024-05-06T07:08:09.123456Z",
			Files: []string{pypitest.Wheel(name, version, "py3-none-any"), pypitest.Sdist(name, version)}}
	}
	u := map[string]map[string]*pypitest.Release{
		"django": {
			"3.2.0": rel("django", "3.2.0", "asgiref<4,>=3.3.2", "sqlparse>=0.2.2", "pytz"),
			"4.2.0": rel("django", "4.2.0", "asgiref<4,>=3.6.0", "sqlparse>=0.3.1"),
		},
		"flask": {
			"2.0.0": rel("flask", "2.0.0", "werkzeug>=2.0"),
			"3.0.0": rel("flask", "3.0.0", "werkzeug>=3.0.0", "asgiref>=3.2 ; python_version >= '3.8'"),
		},
		"asgiref": {
			"3.7.2": rel("asgiref", "3.7.2", "typing-extensions>=4 ; python_version < '3.11'"),
			"3.8.1": rel("asgiref", "3.8.1", "typing-extensions>=4 ; python_version < '3.11'"),
			"4.0.0": rel("asgiref", "4.0.0"),
		},
		"typing-extensions": {"4.12.2": rel("typing-extensions", "4.12.2")},
		"sqlparse":          {"0.4.1": rel("sqlparse", "0.4.1"), "0.5.0": rel("sqlparse", "0.5.0")},
		"pre":               {"1.0": rel("pre", "1.0"), "2.0b1": rel("pre", "2.0b1")},
		"pytz":              {"2024.1": rel("pytz", "2024.1")},
		"werkzeug":          {"2.3.0": rel("werkzeug", "2.3.0", "markupsafe>=2.1.1"), "3.0.1": rel("werkzeug", "3.0.1", "markupsafe>=2.1.1")},
		"markupsafe":        {"2.1.5": rel("markupsafe", "2.1.5")},
		// Conflicts: needs-new-django cannot go with django==3.2.0.
		"needs-new-django": {"1.0": rel("needs-new-django", "1.0", "django>=4")},
	}
	u["sqlparse"]["0.5.0"].UploadTime = "2025-06-01T00:00:00Z"
	return pypitest.New(t, pypitest.WriteUniverse(t, u, pypitest.ModeJSON))
}

// runDepsIn runs `pyvet --cache-dir cache -q deps args...`.
func runDepsIn(t *testing.T, cache string, args ...string) (string, string, int) {
	t.Helper()
	return runPyvet(t, append([]string{"--cache-dir", cache, "-q", "deps"}, args...)...)
}

func TestDepsResolveTreeJSONAndPylock(t *testing.T) {
	srv := depsUniverse(t)
	index := srv.URL + "/simple"
	req := writeReqs(t, "django==3.2.0\nflask>=1.0\n")
	cache := t.TempDir()

	out, errOut, code := runDepsIn(t, cache, "--resolve", "--index-url", index, req)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := `django 3.2.0
├── asgiref 3.8.1 [required: <4,>=3.3.2]
├── pytz 2024.1
└── sqlparse 0.5.0 [required: >=0.2.2]
flask 3.0.0 [required: >=1.0]
├── asgiref 3.8.1 [required: >=3.2; python_version >= "3.8"]
└── werkzeug 3.0.1 [required: >=3.0.0]
    └── markupsafe 2.1.5 [required: >=2.1.1]
`
	if !strings.HasPrefix(out, want) {
		t.Errorf("tree:\n%s\nwant:\n%s", out, want)
	}
	if strings.Contains(out, "typing-extensions") {
		t.Errorf("a requirement whose marker is false on Python 3.12 was followed:\n%s", out)
	}
	// Python 3.10 brings typing-extensions in.
	out310, _, code := runDepsIn(t, cache, "--resolve", "--index-url", index, "--python-version", "3.10", req)
	if code != 0 || !strings.Contains(out310, "typing-extensions 4.12.2") {
		t.Errorf("--python-version 3.10 (exit %d):\n%s", code, out310)
	}

	out, errOut, code = runDepsIn(t, cache, "--resolve", "--index-url", index, "-f", "json", req)
	if code != 0 {
		t.Fatalf("json: exit %d: %s", code, errOut)
	}
	var doc struct {
		Kind     string               `json:"kind"`
		Packages []*inventory.Package `json:"packages"`
		Meta     map[string]string    `json:"meta"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if want := "resolved 7 packages for Python 3.12.0 on linux from " + index; doc.Meta["resolution"] != want {
		t.Errorf("meta.resolution = %q, want %q", doc.Meta["resolution"], want)
	}
	got := map[string]*inventory.Package{}
	for _, p := range doc.Packages {
		got[p.Name] = p
	}
	versions := map[string]string{"django": "3.2.0", "flask": "3.0.0", "asgiref": "3.8.1", "sqlparse": "0.5.0", "pytz": "2024.1", "werkzeug": "3.0.1", "markupsafe": "2.1.5"}
	if doc.Kind != "deps" || len(got) != len(versions) {
		t.Fatalf("kind %q, %d packages: %s", doc.Kind, len(got), out)
	}
	for name, v := range versions {
		p := got[name]
		if p == nil || p.Version != v {
			t.Errorf("%s: %+v, want version %s", name, p, v)
			continue
		}
		// django is pinned by the input; everything else was chosen.
		if p.Resolved != (name != "django") {
			t.Errorf("%s resolved = %v", name, p.Resolved)
		}
	}
	if !slices.Equal(got["asgiref"].Parents, []string{"django", "flask"}) || !slices.Contains(got["werkzeug"].Requires, "markupsafe") {
		t.Errorf("graph: asgiref parents %v, werkzeug requires %v", got["asgiref"].Parents, got["werkzeug"].Requires)
	}

	// The pylock.toml pyvet writes is read back by pyvet with the same packages.
	lock := filepath.Join(t.TempDir(), "pylock.toml")
	out, errOut, code = runDepsIn(t, cache, "--resolve", "--index-url", index, "--write-pylock", lock, req)
	if code != 0 {
		t.Fatalf("--write-pylock: exit %d: %s", code, errOut)
	}
	if !strings.HasPrefix(out, "django 3.2.0") {
		t.Errorf("--write-pylock still prints the tree:\n%s", out)
	}
	data := mustRead(t, lock)
	back, err := inventory.ParsePylock(lock, []byte(data), inventory.Options{})
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if len(back.Packages) != len(versions) {
		t.Errorf("%d packages in the lock, want %d:\n%s", len(back.Packages), len(versions), data)
	}
	for _, p := range back.Packages {
		if versions[p.Name] != p.Version || len(p.Files) != 2 || len(p.Hashes) != 2 || p.Files[0].Size != pypitest.FileSize(p.Files[0].Name) {
			t.Errorf("lock has %s %s with %d files, %d hashes", p.Name, p.Version, len(p.Files), len(p.Hashes))
		}
	}
	for _, want := range []string{"lock-version = '1.0'", "created-by = 'pyvet'", "index = '" + index + "'", "upload-time = 2024-05-06T07:08:09.123456Z", "'django==3.2.0'", "'flask>=1.0'"} {
		if !strings.Contains(data, want) {
			t.Errorf("lock lacks %s:\n%s", want, data)
		}
	}
	// "-" prints the same lock instead of the tree.
	if out, errOut, code := runDepsIn(t, cache, "--index-url", index, "--write-pylock", "-", req); code != 0 || out != data {
		t.Errorf("--write-pylock - (exit %d, %s):\n%s\nwant:\n%s", code, errOut, out, data)
	}
	// pyvet deps reads it as a lockfile: the same packages, nothing to resolve.
	out, _, code = runDepsIn(t, cache, "-f", "json", lock)
	var relock struct {
		Packages []*inventory.Package `json:"packages"`
	}
	if err := json.Unmarshal([]byte(out), &relock); err != nil || code != 0 || len(relock.Packages) != len(versions) {
		t.Errorf("deps on the written lock (exit %d, %v):\n%s", code, err, out)
	}
	for _, p := range relock.Packages {
		if versions[p.Name] != p.Version || p.Resolved {
			t.Errorf("deps on the written lock: %s %s resolved=%v", p.Name, p.Version, p.Resolved)
		}
	}
}

func TestDepsResolveConflictAndOffline(t *testing.T) {
	srv := depsUniverse(t)
	index := srv.URL + "/simple"
	cache := t.TempDir()
	lock := filepath.Join(t.TempDir(), "pylock.toml")

	bad := writeReqs(t, "django==3.2.0\nneeds-new-django\n")
	out, errOut, code := runDepsIn(t, cache, "--resolve", "--index-url", index, "--write-pylock", lock, bad)
	if code != exitUsage || out != "" {
		t.Fatalf("conflict: exit %d, stdout %q", code, out)
	}
	for _, want := range []string{bad, "django", "needs-new-django"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("conflict message lacks %q:\n%s", want, errOut)
		}
	}
	if _, err := os.Stat(lock); !os.IsNotExist(err) {
		t.Errorf("a lock was written for an impossible resolution")
	}

	// Offline after one online run: the same answer from the cache alone.
	req := writeReqs(t, "flask>=1.0\n")
	online, errOut, code := runDepsIn(t, cache, "--resolve", "--index-url", index, req)
	if code != 0 {
		t.Fatalf("online: exit %d: %s", code, errOut)
	}
	before := srv.Requests.Load()
	offline, errOut, code := runPyvet(t, "--cache-dir", cache, "-q", "--offline", "deps", "--resolve", "--index-url", index, req)
	if code != 0 || offline != online {
		t.Errorf("offline (exit %d, %s):\n%s\nwant:\n%s", code, errOut, offline, online)
	}
	if n := srv.Requests.Load() - before; n != 0 {
		t.Errorf("offline run made %d requests", n)
	}

	// Offline with an empty cache: exit 2 naming what could not be read.
	out, errOut, code = runPyvet(t, "--cache-dir", t.TempDir(), "-q", "--offline", "deps", "--resolve", "--index-url", index, req)
	if code != exitUsage || out != "" || !strings.Contains(errOut, "flask") || !strings.Contains(errOut, req) {
		t.Errorf("offline, empty cache: exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
}

func TestDepsResolveUsage(t *testing.T) {
	req := writeReqs(t, "flask\n")
	for _, args := range [][]string{
		{"--resolve", "--all-platforms", req},
		{"--write-pylock", filepath.Join(t.TempDir(), "pylock.toml"), "--all-platforms", req},
		{"--resolve", "--uploaded-prior-to", "yesterday-ish", req},
		{"--resolve", "--platform", "beos", req},
		{"--resolve", "--python-version", "3.x", req},
		{"--python-version", "3.12; rm -rf", req},
	} {
		out, errOut, code := runDepsIn(t, t.TempDir(), args...)
		if code != exitUsage || out != "" || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}

func TestDepsResolveCutoffAndPre(t *testing.T) {
	srv := depsUniverse(t)
	index := srv.URL + "/simple"
	cache := t.TempDir()
	req := writeReqs(t, "django==3.2.0\npre\n")
	out, errOut, code := runDepsIn(t, cache, "--resolve", "--index-url", index, "-f", "json", req)
	if code != 0 || !strings.Contains(out, `"version": "0.5.0"`) || !strings.Contains(out, `"version": "1.0"`) {
		t.Fatalf("exit %d (%s):\n%s", code, errOut, out)
	}
	// sqlparse 0.5.0 was uploaded in June 2025: a cutoff before it takes 0.4.1.
	out, errOut, code = runDepsIn(t, cache, "--resolve", "--index-url", index, "--uploaded-prior-to", "2025-01-01", req)
	if code != 0 || !strings.Contains(out, "sqlparse 0.4.1") {
		t.Errorf("--uploaded-prior-to (exit %d, %s):\n%s", code, errOut, out)
	}
	out, errOut, code = runDepsIn(t, cache, "--resolve", "--index-url", index, "--pre", req)
	if code != 0 || !strings.Contains(out, "pre 2.0b1") {
		t.Errorf("--pre (exit %d, %s):\n%s", code, errOut, out)
	}
	// With an extra index the lock cannot say which index served a file: no index key.
	lock := filepath.Join(t.TempDir(), "pylock.toml")
	_, errOut, code = runDepsIn(t, cache, "--index-url", index, "--extra-index-url", srv.URL+"/simple/", "--write-pylock", lock, req)
	if data := mustRead(t, lock); code != 0 || strings.Contains(data, "\nindex = ") || !strings.Contains(data, "name = 'sqlparse'") {
		t.Errorf("--extra-index-url (exit %d, %s):\n%s", code, errOut, data)
	}
}
