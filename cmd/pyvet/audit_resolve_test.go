package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/pypi/pypitest"
)

// resolveIndex serves django 3.2.0 (asgiref, sqlparse < 0.4.2, pytz), a
// newer sqlparse, and app, which needs a newer django than exists.
func resolveIndex(t *testing.T) string {
	t.Helper()
	rel := func(name, v string, requires ...string) *pypitest.Release {
		return &pypitest.Release{Requires: requires, Files: []string{pypitest.Wheel(name, v, "py3-none-any"), pypitest.Sdist(name, v)}}
	}
	return pypitest.New(t, pypitest.WriteUniverse(t, map[string]map[string]*pypitest.Release{
		"django":   {"3.2.0": rel("django", "3.2.0", "asgiref>=3.3.2,<4", "sqlparse>=0.2.2,<0.4.2", "pytz")},
		"asgiref":  {"3.3.2": rel("asgiref", "3.3.2"), "3.7.2": rel("asgiref", "3.7.2")},
		"sqlparse": {"0.4.1": rel("sqlparse", "0.4.1"), "0.4.4": rel("sqlparse", "0.4.4")},
		"pytz":     {"2023.3": rel("pytz", "2023.3")},
		"app":      {"1.0": rel("app", "1.0", "django>=4")},
	}, pypitest.ModeJSON)).URL + "/simple"
}

// sqlparseAdvisoryDB is a directory database with one advisory on
// sqlparse before 0.4.4.
func sqlparseAdvisoryDB(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	osv := `{"id": "PYSEC-2099-60", "modified": "2099-01-02T00:00:00Z", "summary": "ReDoS in sqlparse",
  "affected": [{"package": {"name": "sqlparse", "ecosystem": "PyPI"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "0.4.4"}]}]}],
  "database_specific": {"severity": "HIGH"}}`
	if err := os.WriteFile(filepath.Join(dir, "PYSEC-2099-60.json"), []byte(osv), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

type resolvedReport struct {
	Dependencies []struct {
		Name     string   `json:"name"`
		Version  string   `json:"version"`
		Direct   bool     `json:"direct"`
		Resolved bool     `json:"resolved"`
		Parents  []string `json:"parents"`
	} `json:"dependencies"`
	Findings []struct {
		ID       string            `json:"id"`
		Package  string            `json:"package"`
		Path     []string          `json:"path"`
		Evidence map[string]string `json:"evidence"`
	} `json:"findings"`
	Meta map[string]string `json:"meta"`
}

func TestAuditResolvesRequirements(t *testing.T) {
	index := resolveIndex(t)
	db := sqlparseAdvisoryDB(t)
	cache := t.TempDir()
	req := writeReqs(t, "django==3.2.0\n")
	out, errs, code := runPyvet(t, "--cache-dir", cache, "-q", "audit", "-r", req, "--index-url", index, "--db", db, "--format", "json")
	if code != 1 {
		t.Fatalf("exit %d, stderr %s\n%s", code, errs, out)
	}
	var rep resolvedReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	got := map[string]string{}
	for _, d := range rep.Dependencies {
		got[d.Name] = d.Version
		if d.Resolved != (d.Name != "django") || d.Direct != (d.Name == "django") {
			t.Errorf("%s: direct %v, resolved %v", d.Name, d.Direct, d.Resolved)
		}
	}
	want := map[string]string{"django": "3.2.0", "asgiref": "3.7.2", "sqlparse": "0.4.1", "pytz": "2023.3"}
	if len(got) != len(want) {
		t.Errorf("dependencies %v, want %v", got, want)
	}
	for n, v := range want {
		if got[n] != v {
			t.Errorf("%s: %q, want %s", n, got[n], v)
		}
	}
	var found bool
	for _, f := range rep.Findings {
		if f.ID == "PYSEC-2099-60" {
			found = true
			if f.Package != "sqlparse" || strings.Join(f.Path, ",") != "django,sqlparse" || f.Evidence["resolved"] == "" ||
				f.Evidence["declared_by"] != "django ("+req+":1)" {
				t.Errorf("finding %+v", f)
			}
		}
	}
	if !found {
		t.Errorf("no finding on the resolved sqlparse:\n%s", out)
	}
	if m := rep.Meta["resolution"]; m != "resolved 4 packages for Python 3.12.0 on linux from "+index {
		t.Errorf("meta resolution %q", m)
	}

	// The table names the path and the resolved mark.
	out, _, code = runPyvet(t, "--cache-dir", cache, "-q", "audit", "-r", req, "--index-url", index, "--db", db)
	if code != 1 || !strings.Contains(out, "django 3.2.0 → sqlparse 0.4.1") || !strings.Contains(out, "(resolved)") {
		t.Errorf("table: exit %d\n%s", code, out)
	}

	// Offline, from the cache the runs above filled: the same set.
	out, errs, code = runPyvet(t, "--cache-dir", cache, "--offline", "-q", "audit", "-r", req, "--index-url", index, "--db", db, "--format", "json")
	if code != 1 || !strings.Contains(out, `"name": "pytz"`) {
		t.Errorf("offline from the cache: exit %d, stderr %s\n%s", code, errs, out)
	}

	// --no-deps: today's behaviour, the declared django alone.
	out, errs, code = runPyvet(t, "--cache-dir", cache, "-q", "audit", "--no-deps", "-r", req, "--index-url", index, "--db", db, "--format", "json")
	rep = resolvedReport{}
	if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil || len(rep.Dependencies) != 1 || rep.Dependencies[0].Resolved || rep.Meta["resolution"] != "" {
		t.Errorf("--no-deps: exit %d, stderr %s\n%s", code, errs, out)
	}
}

func TestAuditResolutionFailures(t *testing.T) {
	index := resolveIndex(t)
	db := sqlparseAdvisoryDB(t)
	// A conflict: exit 2, the input on one line, the explanation, the hint.
	req := writeReqs(t, "django==3.2.0\nsqlparse>=0.4.4\n")
	out, errs, code := runPyvet(t, "--cache-dir", t.TempDir(), "-q", "audit", "-r", req, "--index-url", index, "--db", db)
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	if code != 2 || out != "" || !strings.HasPrefix(lines[0], "pyvet: "+req+": ") || !strings.Contains(errs, "sqlparse>=0.4.4") ||
		!strings.Contains(errs, "django==3.2.0") || lines[len(lines)-1] != "pyvet: --no-deps audits only what the file declares" {
		t.Errorf("conflict: exit %d, stdout %q, stderr:\n%s", code, out, errs)
	}
	// A transitive conflict through a pyproject.toml.
	dir := t.TempDir()
	pp := filepath.Join(dir, "pyproject.toml")
	if err := os.WriteFile(pp, []byte("[project]\nname = \"svc\"\nversion = \"1\"\ndependencies = [\"app\", \"django==3.2.0\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errs, code = runPyvet(t, "--cache-dir", t.TempDir(), "-q", "audit", pp, "--index-url", index, "--db", db)
	if code != 2 || !strings.Contains(errs, "pyproject.toml") || !strings.Contains(errs, "django>=4") {
		t.Errorf("pyproject conflict: exit %d, stderr:\n%s", code, errs)
	}
	// Offline with an empty cache: exit 2, naming what could not be read.
	req = writeReqs(t, "django==3.2.0\n")
	_, errs, code = runPyvet(t, "--cache-dir", t.TempDir(), "--offline", "-q", "audit", "-r", req, "--index-url", index, "--db", db)
	if code != 2 || !strings.Contains(errs, req) || !strings.Contains(errs, "django") || !strings.Contains(errs, "not cached") ||
		!strings.Contains(errs, "--no-deps audits only what the file declares") {
		t.Errorf("offline: exit %d, stderr:\n%s", code, errs)
	}
	// The target outside the project's requires-python.
	if err := os.WriteFile(pp, []byte("[project]\nname = \"svc\"\nversion = \"1\"\nrequires-python = \">=3.13\"\ndependencies = [\"django\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errs, code = runPyvet(t, "--cache-dir", t.TempDir(), "-q", "audit", pp, "--index-url", index, "--db", db, "--python-version", "3.12")
	if code != 2 || !strings.Contains(errs, "requires-python >=3.13 does not include the target Python 3.12.0") {
		t.Errorf("requires-python: exit %d, stderr:\n%s", code, errs)
	}
	// Bad target flags are usage errors.
	for _, args := range [][]string{{"--platform", "beos"}, {"--python-version", "three"}, {"--uploaded-prior-to", "soon"}} {
		_, errs, code := runPyvet(t, append([]string{"--cache-dir", t.TempDir(), "-q", "audit", "-r", req, "--db", db}, args...)...)
		if code != 2 || !strings.Contains(errs, args[0]) {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
		}
	}
}

func TestAuditResolveTargetAndExtraIndex(t *testing.T) {
	// django only on the extra index; the primary one has the rest.
	rel := func(name, v string, requires ...string) *pypitest.Release {
		return &pypitest.Release{Requires: requires, Files: []string{pypitest.Wheel(name, v, "py3-none-any")}}
	}
	primary := pypitest.New(t, pypitest.WriteUniverse(t, map[string]map[string]*pypitest.Release{
		"sqlparse": {"0.4.1": rel("sqlparse", "0.4.1")},
	}, pypitest.ModeJSON)).URL + "/simple"
	extra := pypitest.New(t, pypitest.WriteUniverse(t, map[string]map[string]*pypitest.Release{
		"django":   {"3.2.0": rel("django", "3.2.0", "sqlparse", "colorama; sys_platform == 'win32'")},
		"colorama": {"0.4.6": rel("colorama", "0.4.6")},
	}, pypitest.ModeJSON)).URL + "/simple"
	db := sqlparseAdvisoryDB(t)
	req := writeReqs(t, "django\n")
	base := []string{"--cache-dir", t.TempDir(), "-q", "audit", "-r", req, "--index-url", primary, "--extra-index-url", extra, "--db", db, "-f", "json"}
	out, errs, code := runPyvet(t, base...)
	if code != 1 || !strings.Contains(out, `"name": "sqlparse"`) || strings.Contains(out, `"name": "colorama"`) {
		t.Errorf("linux: exit %d, stderr %s\n%s", code, errs, out)
	}
	out, errs, code = runPyvet(t, append(base, "--platform", "win32", "--python-version", "3.11")...)
	if code != 1 || !strings.Contains(out, `"name": "colorama"`) || !strings.Contains(out, "for Python 3.11.0 on win32") {
		t.Errorf("win32: exit %d, stderr %s\n%s", code, errs, out)
	}
}

func TestAuditResolveCutoffAndPre(t *testing.T) {
	rel := func(name, v, uploaded string) *pypitest.Release {
		return &pypitest.Release{Files: []string{pypitest.Wheel(name, v, "py3-none-any")}, UploadTime: uploaded}
	}
	index := pypitest.New(t, pypitest.WriteUniverse(t, map[string]map[string]*pypitest.Release{
		"sqlparse": {
			"0.4.1":    rel("sqlparse", "0.4.1", "2021-01-20T00:00:00Z"),
			"0.4.4":    rel("sqlparse", "0.4.4", "2023-04-18T00:00:00Z"),
			"0.5.0rc1": rel("sqlparse", "0.5.0rc1", "2024-03-01T00:00:00Z"),
		},
	}, pypitest.ModeJSON)).URL + "/simple"
	db := sqlparseAdvisoryDB(t)
	req := writeReqs(t, "sqlparse\n")
	version := func(args ...string) (string, int) {
		t.Helper()
		out, errs, code := runPyvet(t, append([]string{"--cache-dir", t.TempDir(), "-q", "audit", "-r", req, "--index-url", index, "--db", db, "-f", "json"}, args...)...)
		var rep resolvedReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Dependencies) != 1 {
			t.Fatalf("%v: exit %d, stderr %s\n%s", args, code, errs, out)
		}
		return rep.Dependencies[0].Version, code
	}
	if v, code := version(); v != "0.4.4" || code != 0 {
		t.Errorf("default: %s, exit %d", v, code)
	}
	// Before 0.4.4 was uploaded: the vulnerable 0.4.1, found.
	if v, code := version("--uploaded-prior-to", "2022-01-01"); v != "0.4.1" || code != 1 {
		t.Errorf("--uploaded-prior-to: %s, exit %d", v, code)
	}
	if v, _ := version("--pre"); v != "0.5.0rc1" {
		t.Errorf("--pre: %s", v)
	}
}
