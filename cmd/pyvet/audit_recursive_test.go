package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/pypi/pypitest"
)

// recursiveTree writes a tree of services: api pins a vulnerable foo-bar,
// jobs locks foo-bar 2.0.1 in a uv.lock, admin pins the vulnerable version
// but its own pyvet.toml ignores the advisory, legacy's pyproject.toml does
// not parse; node_modules, a .venv and a venv hold requirements that must
// not be audited, and a link points back up the tree.
func recursiveTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	// Every requirement hashed: the files lock their whole set, so the
	// audit reads them as they are (no resolution, no index).
	hash := " --hash=sha256:" + strings.Repeat("ab", 32) + "\n"
	lock := "version = 1\nrequires-python = \">=3.9\"\n\n[[package]]\nname = \"foo-bar\"\nversion = \"2.0.1\"\nsource = { registry = \"https://pypi.org/simple\" }\n"
	files := [][2]string{
		{"services/api/requirements.txt", "foo-bar==1.0.0" + hash + "safe==1.0" + hash},
		{"services/jobs/uv.lock", lock},
		{"admin/requirements.txt", "foo-bar==1.0.0" + hash},
		{"admin/pyvet.toml", "[[ignore]]\nid = \"PYSEC-2099-1\"\nreason = \"admin is internal\"\n"},
		{"legacy/pyproject.toml", "[project\n"},
		{"frontend/node_modules/py/requirements.txt", "evil-pkg==1.0\n"},
		{"services/api/.venv/pyvenv.cfg", "home = /usr/bin\n"},
		{"services/api/.venv/requirements.txt", "evil-pkg==1.0\n"},
		{"services/jobs/venv/pyvenv.cfg", "home = /usr/bin\n"},
		{"services/jobs/venv/requirements.txt", "evil-pkg==1.0\n"},
	}
	for _, f := range files {
		p := filepath.Join(root, filepath.FromSlash(f[0]))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f[1]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("../..", filepath.Join(root, "services", "api", "up")); err != nil {
		t.Skip(err)
	}
	return root
}

func TestAuditRecursiveJSON(t *testing.T) {
	root := recursiveTree(t)
	out, errs, code := runPyvet(t, "--cache-dir", t.TempDir(), "-q", "audit", "--db", fixtureDB, "-R", root, "-f", "json")
	if code != 2 {
		t.Fatalf("exit %d, want 2 (legacy could not be audited)\n%s\n%s", code, errs, out)
	}
	if !strings.Contains(errs, "legacy: could not be audited") || !strings.Contains(errs, "pyproject.toml") {
		t.Errorf("stderr does not name the broken project: %s", errs)
	}
	var doc struct {
		Projects []struct {
			Path    string `json:"path"`
			Error   string `json:"error"`
			Summary struct {
				Total, Ignored, Packages int
				Failed                   bool
			} `json:"summary"`
		} `json:"projects"`
		Findings []struct {
			ID       string `json:"id"`
			Package  string `json:"package"`
			Project  string `json:"project"`
			Ignored  bool   `json:"ignored"`
			Location struct {
				File string `json:"file"`
			} `json:"location"`
		} `json:"findings"`
		Summary struct {
			Total, Ignored int
			Failed         bool
		} `json:"summary"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var paths []string
	for _, p := range doc.Projects {
		paths = append(paths, p.Path)
	}
	if strings.Join(paths, " ") != "admin legacy services/api services/jobs" {
		t.Fatalf("projects %q", paths)
	}
	admin, legacy, api, jobs := doc.Projects[0], doc.Projects[1], doc.Projects[2], doc.Projects[3]
	if admin.Summary.Failed || admin.Summary.Ignored != 1 || admin.Summary.Total != 0 {
		t.Errorf("admin (its policy ignores the advisory): %+v", admin)
	}
	if legacy.Error == "" || !strings.HasPrefix(legacy.Error, "legacy/pyproject.toml") {
		t.Errorf("legacy: %+v", legacy)
	}
	if !api.Summary.Failed || api.Summary.Packages != 2 || !jobs.Summary.Failed || jobs.Summary.Packages != 1 {
		t.Errorf("api %+v, jobs %+v", api, jobs)
	}
	seen := map[string]bool{}
	for _, f := range doc.Findings {
		seen[f.Project+" "+f.ID] = true
		if f.Package == "evil-pkg" {
			t.Errorf("a skipped directory was audited: %+v", f)
		}
		if f.Location.File != "" && !strings.HasPrefix(f.Location.File, f.Project+"/") {
			t.Errorf("finding of %s located at %q (want relative to the tree)", f.Project, f.Location.File)
		}
	}
	for _, want := range []string{"services/api PYSEC-2099-1", "services/jobs PYSEC-2099-2", "admin PYSEC-2099-1"} {
		if !seen[want] {
			t.Errorf("no finding %q in %v", want, seen)
		}
	}
	if !doc.Summary.Failed || doc.Summary.Ignored != 1 || doc.Summary.Total < 2 {
		t.Errorf("total %+v", doc.Summary)
	}
}

func TestAuditRecursiveTableAndExitStatus(t *testing.T) {
	root := recursiveTree(t)
	if err := os.RemoveAll(filepath.Join(root, "legacy")); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	out, errs, code := runPyvet(t, "--cache-dir", cache, "-q", "audit", "--db", fixtureDB, "--recursive", root)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (api and jobs fail)\n%s\n%s", code, errs, out)
	}
	for _, want := range []string{"== admin: passes its policy ==", "== services/api: fails its policy ==", "== services/jobs: fails its policy ==",
		"== total: 3 projects: 2 fail its policy ==", "services/api/requirements.txt:1"} {
		if !strings.Contains(out, want) {
			t.Errorf("table: no %q:\n%s", want, out)
		}
	}

	// Only admin, whose policy passes it: exit 0, from the directory itself.
	for _, dir := range []string{"services", "frontend"} {
		if err := os.RemoveAll(filepath.Join(root, dir)); err != nil {
			t.Fatal(err)
		}
	}
	out, errs, code = runPyvet(t, "--cache-dir", cache, "-q", "audit", "--db", fixtureDB, "-R", root, "-f", "sarif")
	if code != 0 || !strings.Contains(out, `"project": "admin"`) || !strings.Contains(out, `"uri": "admin/requirements.txt"`) {
		t.Errorf("exit %d\n%s\n%s", code, errs, out)
	}

	// The run cannot start: a file, a tree without projects.
	for _, arg := range []string{filepath.Join(root, "admin", "requirements.txt"), t.TempDir()} {
		_, errs, code = runPyvet(t, "--cache-dir", cache, "-q", "audit", "--db", fixtureDB, "-R", arg)
		if code != 2 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("-R %s: exit %d, stderr %q (want 2 and one line)", arg, code, errs)
		}
	}
}

// Every project of a tree is resolved as its own project: a requirement
// that leaves its dependencies to the installer is resolved against the
// index, and the finding on the resolved dependency gives the path.
func TestAuditRecursiveResolvesEachProject(t *testing.T) {
	rel := func(name, version string, requires ...string) *pypitest.Release {
		return &pypitest.Release{Requires: requires, Files: []string{pypitest.Wheel(name, version, "py3-none-any")}}
	}
	srv := pypitest.New(t, pypitest.WriteUniverse(t, map[string]map[string]*pypitest.Release{
		"app":     {"1.0": rel("app", "1.0", "foo-bar<1.5,>=1.0")},
		"foo-bar": {"1.0.0": rel("foo-bar", "1.0.0"), "1.4": rel("foo-bar", "1.4"), "2.4": rel("foo-bar", "2.4")},
	}, pypitest.ModeJSON))
	root := t.TempDir()
	for name, body := range map[string]string{"web/requirements.txt": "app==1.0\n", "cli/requirements.txt": "foo-bar>=2.4\n"} {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, errs, code := runPyvet(t, "--cache-dir", t.TempDir(), "-q", "audit", "--db", fixtureDB, "--index-url", srv.URL+"/simple", "-R", root)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, errs, out)
	}
	for _, want := range []string{"== cli: passes its policy ==", "== web: fails its policy ==", "foo-bar 1.4 (resolved)", "via app 1.0 → foo-bar 1.4",
		"resolved: the version was chosen by resolving"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q:\n%s", want, out)
		}
	}

	// --no-deps reaches every project: only what the files declare, no index.
	out, errs, code = runPyvet(t, "--cache-dir", t.TempDir(), "--offline", "-q", "audit", "--db", fixtureDB, "--no-deps", "-R", root)
	if code != 0 || !strings.Contains(out, "== web: passes its policy ==") || strings.Contains(out, "resolved") {
		t.Errorf("--no-deps: exit %d\n%s\n%s", code, errs, out)
	}
}
