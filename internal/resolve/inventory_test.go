package resolve

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/pypi/pypitest"
	"github.com/pyvet/pyvet/pep508"
)

// djangoUniverse is django 3.2.0 and 4.2.0 with their dependencies.
func djangoUniverse() map[string]map[string]*pypitest.Release {
	rel := func(name, v string, requires ...string) *pypitest.Release {
		return &pypitest.Release{Requires: requires, Files: []string{pypitest.Wheel(name, v, "py3-none-any"), pypitest.Sdist(name, v)},
			UploadTime: "2021-04-06T07:00:00Z"}
	}
	return map[string]map[string]*pypitest.Release{
		"django": {
			"3.2.0": rel("django", "3.2.0", "asgiref>=3.3.2,<4", "sqlparse>=0.2.2", "pytz"),
			"4.2.0": rel("django", "4.2.0", "asgiref>=3.6,<4", "sqlparse>=0.3.1"),
		},
		"asgiref":  {"3.3.2": rel("asgiref", "3.3.2"), "3.7.2": rel("asgiref", "3.7.2"), "4.0.0": rel("asgiref", "4.0.0")},
		"sqlparse": {"0.4.1": rel("sqlparse", "0.4.1"), "0.4.4": rel("sqlparse", "0.4.4")},
		"pytz":     {"2023.3": rel("pytz", "2023.3")},
		"requests": {
			"2.31.0": {Requires: []string{"idna"}, Extras: map[string][]string{"socks": {"pysocks>=1.5.6"}},
				Files: []string{pypitest.Wheel("requests", "2.31.0", "py3-none-any")}},
		},
		"idna":    {"3.6": rel("idna", "3.6")},
		"pysocks": {"1.7.1": rel("pysocks", "1.7.1")},
	}
}

func serveDjango(t *testing.T) string {
	t.Helper()
	srv := pypitest.New(t, pypitest.WriteUniverse(t, djangoUniverse(), pypitest.ModeJSON))
	return srv.URL + "/simple"
}

// load writes files (name -> content) to a directory and loads the first.
func load(t *testing.T, files map[string]string, first string) *inventory.Inventory {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	inv, err := inventory.Load([]string{filepath.Join(dir, first)}, inventory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func invPkg(inv *inventory.Inventory, name string) *inventory.Package {
	for _, p := range inv.Packages {
		if p.Name == name {
			return p
		}
	}
	return nil
}

func TestNeedsResolution(t *testing.T) {
	h := "--hash=sha256:" + strings.Repeat("a", 64)
	cases := []struct {
		name  string
		files map[string]string
		first string
		want  bool
	}{
		{"top-level pin", map[string]string{"requirements.txt": "django==3.2.0\n"}, "requirements.txt", true},
		{"range", map[string]string{"requirements.txt": "flask>=1.0\n"}, "requirements.txt", true},
		{"every line hashed", map[string]string{"requirements.txt": "django==3.2.0 " + h + "\nsqlparse==0.4.1 " + h + "\n"}, "requirements.txt", false},
		{"one line unhashed", map[string]string{"requirements.txt": "django==3.2.0 " + h + "\nsqlparse==0.4.1\n"}, "requirements.txt", true},
		{"pyproject", map[string]string{"pyproject.toml": "[project]\nname = \"app\"\nversion = \"1\"\ndependencies = [\"django>=3\"]\n"}, "pyproject.toml", true},
		{"uv.lock", map[string]string{"uv.lock": "version = 1\n\n[[package]]\nname = \"django\"\nversion = \"3.2.0\"\nsource = { registry = \"https://pypi.org/simple\" }\n"}, "uv.lock", false},
	}
	for _, c := range cases {
		if got := NeedsResolution(load(t, c.files, c.first)); got != c.want {
			t.Errorf("%s: NeedsResolution = %v, want %v", c.name, got, c.want)
		}
	}
	if NeedsResolution(nil) {
		t.Error("nil inventory needs resolution")
	}
}

func TestRequirements(t *testing.T) {
	inv := load(t, map[string]string{
		"requirements.txt": "-c constraints.txt\nrequests[socks]>=2; python_version >= \"3.8\"\ngit+https://github.com/pallets/click@main#egg=click\ndjango\n",
		"constraints.txt":  "django<4\n",
	}, "requirements.txt")
	reqs, cons, skipped := Requirements(inv)
	var got []string
	for _, r := range reqs {
		got = append(got, r.String())
	}
	sort.Strings(got)
	if strings.Join(got, " | ") != `django | requests[socks]>=2; python_version >= "3.8"` {
		t.Errorf("reqs = %q", got)
	}
	if len(cons) != 1 || cons[0].String() != "django<4" {
		t.Errorf("constraints = %v", cons)
	}
	if !strings.Contains(skipped["click"], "VCS") {
		t.Errorf("skipped = %v", skipped)
	}
}

func TestResolveInventory(t *testing.T) {
	index := serveDjango(t)
	inv := load(t, map[string]string{
		"requirements.txt": "django==3.2.0\nrequests[socks]\ngit+https://github.com/pallets/click@main#egg=click\n",
	}, "requirements.txt")
	out, g, err := ResolveInventory(context.Background(), inv, InventoryOptions{IndexURL: index, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"django": "3.2.0", "asgiref": "3.7.2", "sqlparse": "0.4.4", "pytz": "2023.3",
		"requests": "2.31.0", "idna": "3.6", "pysocks": "1.7.1"}
	for name, v := range want {
		p := invPkg(out, name)
		if p == nil || p.Version != v {
			t.Errorf("%s: %+v, want %s", name, p, v)
		}
	}
	if len(g.Packages) != len(want) {
		t.Errorf("graph has %d packages, want %d", len(g.Packages), len(want))
	}
	dj, sq, rq := invPkg(out, "django"), invPkg(out, "sqlparse"), invPkg(out, "requests")
	if dj.Resolved || !dj.Direct || len(dj.Locations) != 1 || dj.Locations[0].Line != 1 {
		t.Errorf("django (pinned, direct) = %+v", dj)
	}
	if !rq.Resolved || !rq.Direct || rq.Specifier != "" || rq.Locations[0].Line != 2 {
		t.Errorf("requests (unpinned, direct) = %+v", rq)
	}
	if !sq.Resolved || sq.Direct || strings.Join(sq.Parents, ",") != "django" || sq.Required["django"] != "sqlparse>=0.2.2" {
		t.Errorf("sqlparse (transitive) = %+v", sq)
	}
	if !strings.Contains(strings.Join(dj.Requires, ","), "sqlparse") {
		t.Errorf("django requires %v", dj.Requires)
	}
	if len(sq.Files) != 2 || sq.Files[0].Uploaded != "2021-04-06T07:00:00Z" || !strings.HasPrefix(sq.Files[0].Hashes[0], "sha256:") {
		t.Errorf("sqlparse files = %+v", sq.Files)
	}
	if ps := invPkg(out, "pysocks"); ps == nil || strings.Join(ps.Parents, ",") != "requests" {
		t.Errorf("pysocks (via the socks extra) = %+v", ps)
	}
	// The VCS requirement is kept as declared, and a warning says its
	// dependencies are unknown.
	ck := invPkg(out, "click")
	if ck == nil || ck.Source.Kind != inventory.SourceVCS || ck.Resolved {
		t.Errorf("click = %+v", ck)
	}
	if w := strings.Join(out.Warnings, "\n"); !strings.Contains(w, "click: a VCS requirement") || !strings.Contains(w, "not resolved") {
		t.Errorf("warnings = %q", out.Warnings)
	}
	if s := Summary(inv, g, InventoryOptions{IndexURL: index}); s != "resolved 7 packages for Python 3.12.0 on linux from "+index {
		t.Errorf("summary = %q", s)
	}
	// A declaration whose marker is false for the target is not a root: idna
	// is left out with a warning, pytz still comes in through django.
	inv = load(t, map[string]string{"requirements.txt": "django==3.2.0\npytz; sys_platform == 'win32'\nidna; python_version < '3.8'\n"}, "requirements.txt")
	out, g, err = ResolveInventory(context.Background(), inv, InventoryOptions{IndexURL: index, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if p := invPkg(out, "pytz"); p == nil || p.Direct || invPkg(out, "idna") != nil || len(g.Packages) != 4 {
		t.Errorf("markers: pytz %+v, %d packages", p, len(g.Packages))
	}
	if w := strings.Join(out.Warnings, "\n"); !strings.Contains(w, "1 declaration(s) do not apply to the target environment (their markers) and are not audited: idna;") {
		t.Errorf("markers: warnings %q", out.Warnings)
	}
	// The input's own --index-url is read when none is given.
	inv = load(t, map[string]string{"requirements.txt": "--index-url " + index + "\ndjango<4\n"}, "requirements.txt")
	out, _, err = ResolveInventory(context.Background(), inv, InventoryOptions{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if p := invPkg(out, "django"); p == nil || p.Version != "3.2.0" || !p.Resolved || p.Specifier != "<4" {
		t.Errorf("django<4 from the file's index = %+v", p)
	}
}

func TestResolveInventoryConstraintsAndExtraIndex(t *testing.T) {
	primary := pypitest.New(t, pypitest.WriteUniverse(t, map[string]map[string]*pypitest.Release{
		"app": {"1.0": {Requires: []string{"django"}, Files: []string{pypitest.Wheel("app", "1.0", "py3-none-any")}}},
	}, pypitest.ModeJSON)).URL + "/simple"
	extra := serveDjango(t)
	inv := load(t, map[string]string{
		"requirements.txt": "-c constraints.txt\napp\n",
		"constraints.txt":  "django<4\nsqlparse==0.4.1\n",
	}, "requirements.txt")
	out, _, err := ResolveInventory(context.Background(), inv, InventoryOptions{IndexURL: primary, ExtraIndexURLs: []string{extra}, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	dj, sq := invPkg(out, "django"), invPkg(out, "sqlparse")
	if dj == nil || dj.Version != "3.2.0" || strings.Join(dj.Parents, ",") != "app" {
		t.Errorf("django = %+v", dj)
	}
	// Pinned exactly by the constraint: not chosen by the resolver.
	if sq == nil || sq.Version != "0.4.1" || sq.Resolved || len(sq.Locations) != 1 {
		t.Errorf("sqlparse = %+v", sq)
	}
	// Extra constraints from the caller (fix tests an upgrade with them).
	out, _, err = ResolveInventory(context.Background(), inv, InventoryOptions{IndexURL: primary, ExtraIndexURLs: []string{extra}, CacheDir: t.TempDir(),
		Constraints: []*pep508.Requirement{mustReq(t, "asgiref<3.7")}})
	if err != nil {
		t.Fatal(err)
	}
	if p := invPkg(out, "asgiref"); p == nil || p.Version != "3.3.2" {
		t.Errorf("asgiref under asgiref<3.7 = %+v", p)
	}
}

func mustReq(t *testing.T, s string) *pep508.Requirement {
	t.Helper()
	r, err := pep508.ParseRequirement(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestResolveInventoryErrors(t *testing.T) {
	index := serveDjango(t)
	ctx := context.Background()
	// A conflict: no solution, naming the input.
	inv := load(t, map[string]string{"requirements.txt": "django==3.2.0\nsqlparse<0.2\n"}, "requirements.txt")
	_, _, err := ResolveInventory(ctx, inv, InventoryOptions{IndexURL: index, CacheDir: t.TempDir()})
	var ns *NoSolutionError
	var ie *InputError
	if !errors.As(err, &ns) || !errors.As(err, &ie) || !strings.HasSuffix(ie.Input, "requirements.txt") || !strings.Contains(ns.Explanation, "sqlparse") {
		t.Errorf("conflict: %v", err)
	}
	// Offline with an empty cache: incomplete, naming the project.
	_, _, err = ResolveInventory(ctx, inv, InventoryOptions{IndexURL: index, CacheDir: t.TempDir(), Offline: true})
	var inc *IncompleteError
	if !errors.As(err, &inc) || !strings.Contains(strings.Join(inc.Names(), " "), "django") {
		t.Errorf("offline: %v", err)
	}
	// Offline after a resolution that filled the cache: the same answer.
	cache := t.TempDir()
	inv = load(t, map[string]string{"requirements.txt": "django==3.2.0\n"}, "requirements.txt")
	if _, _, err := ResolveInventory(ctx, inv, InventoryOptions{IndexURL: index, CacheDir: cache}); err != nil {
		t.Fatal(err)
	}
	out, _, err := ResolveInventory(ctx, inv, InventoryOptions{IndexURL: index, CacheDir: cache, Offline: true})
	if err != nil || invPkg(out, "sqlparse") == nil {
		t.Errorf("offline from a warm cache: %v", err)
	}
	// The project's requires-python excludes the target.
	inv = load(t, map[string]string{"pyproject.toml": "[project]\nname = \"app\"\nversion = \"1\"\nrequires-python = \">=3.13\"\ndependencies = [\"django\"]\n"}, "pyproject.toml")
	_, _, err = ResolveInventory(ctx, inv, InventoryOptions{IndexURL: index, CacheDir: t.TempDir(), Env: pep508.DefaultEnv("3.12", "linux")})
	if !errors.As(err, &ns) || !strings.Contains(err.Error(), ">=3.13") || !strings.Contains(err.Error(), "3.12.0") {
		t.Errorf("requires-python: %v", err)
	}
	out, _, err = ResolveInventory(ctx, inv, InventoryOptions{IndexURL: index, CacheDir: t.TempDir(), Env: pep508.DefaultEnv("3.13", "linux")})
	if err != nil || invPkg(out, "django") == nil || invPkg(out, "django").Version != "4.2.0" {
		t.Errorf("3.13: %v", err)
	}
	if p := invPkg(out, "app"); p != nil && !p.Project {
		t.Errorf("the project = %+v", p)
	}
}
