package audit

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/finding"
)

// treeUVLock is a uv.lock locking foo-bar 2.0.1 (PYSEC-2099-2 in the fixture
// database) and safe 1.0.
const treeUVLock = `version = 1
requires-python = ">=3.9"

[[package]]
name = "foo-bar"
version = "2.0.1"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "safe"
version = "1.0"
source = { registry = "https://pypi.org/simple" }
`

// writeTree writes files (slash paths relative to root, content) and
// symbolic links (path → target) under a new root and returns it.
func writeTree(t *testing.T, files, links map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, filepath.FromSlash(name))); err != nil {
			t.Skipf("symbolic links: %v", err)
		}
	}
	return root
}

// monorepo is a tree of three projects (a requirements file, a uv.lock,
// one with a policy that ignores the advisory it has), one broken project,
// and directories the walk must not enter: node_modules, a hidden .venv, a
// virtualenv without a dot, a byte-code cache and a symbolic link loop.
func monorepo(t *testing.T) string {
	const vulnerable = "foo-bar==1.0.0\n"
	return writeTree(t, map[string]string{
		"services/api/requirements.txt":             vulnerable,
		"services/worker/uv.lock":                   treeUVLock,
		"web/requirements.txt":                      vulnerable,
		"web/pyvet.toml":                            "[[ignore]]\nid = \"PYSEC-2099-1\"\nreason = \"not reachable from the web app\"\n",
		"broken/pyproject.toml":                     "[project\nname = \"broken\"\n",
		"node_modules/left-pad/requirements.txt":    vulnerable,
		"services/api/.venv/pyvenv.cfg":             "home = /usr/bin\n",
		"services/api/.venv/requirements.txt":       vulnerable,
		"services/api/env/pyvenv.cfg":               "home = /usr/bin\n",
		"services/api/env/requirements.txt":         vulnerable,
		"services/api/__pycache__/requirements.txt": vulnerable,
		".git/requirements.txt":                     vulnerable,
	}, map[string]string{"services/loop": ".."})
}

func treeOptions(t *testing.T, root string) Options {
	now := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	return Options{Paths: []string{root}, DBPath: fixtureDB, CacheDir: t.TempDir(), Offline: true, NoDeps: true, Now: func() time.Time { return now }}
}

func TestFindProjectsSkipsEnvironmentsAndLinks(t *testing.T) {
	root := monorepo(t)
	got, notes, err := FindProjects(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	var rel []string
	for _, d := range got {
		rel = append(rel, relSlash(root, d))
	}
	want := []string{"broken", "services/api", "services/worker", "web"}
	if !reflect.DeepEqual(rel, want) || len(notes) != 0 {
		t.Fatalf("projects %q, notes %q; want %q", rel, notes, want)
	}

	// requirements/ of a project is read by the project: not a project of
	// its own; a requirements file of its own in a subdirectory is.
	for name, body := range map[string]string{"web/requirements/requirements-dev.txt": "safe==1.0\n", "web/docs/requirements.txt": "safe==1.0\n"} {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, _, _ = FindProjects(context.Background(), root)
	rel = rel[:0]
	for _, d := range got {
		rel = append(rel, relSlash(root, d))
	}
	if want := append(want, "web/docs"); !reflect.DeepEqual(rel, want) {
		t.Errorf("with requirements/ and docs/: projects %q, want %q", rel, want)
	}

	// A link to a project outside the tree is not followed either.
	outside := writeTree(t, map[string]string{"requirements.txt": "safe==1.0\n"}, nil)
	if err := os.Symlink(outside, filepath.Join(root, "linked")); err != nil {
		t.Skip(err)
	}
	if got2, _, _ := FindProjects(context.Background(), root); len(got2) != len(want)+1 {
		t.Errorf("a linked directory was searched: %q", got2)
	}
}

func TestFindProjectsDepthBound(t *testing.T) {
	deep := strings.Repeat("d/", MaxDepth+2) + "requirements.txt"
	root := writeTree(t, map[string]string{deep: "safe==1.0\n", "top/requirements.txt": "safe==1.0\n"}, nil)
	got, notes, err := FindProjects(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || relSlash(root, got[0]) != "top" {
		t.Errorf("projects %q, want only top", got)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "deeper than") {
		t.Errorf("notes %q, want one about the depth bound", notes)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := FindProjects(ctx, root); err == nil {
		t.Error("a canceled walk succeeded")
	}
}

func TestRunRecursiveAuditsEachProject(t *testing.T) {
	root := monorepo(t)
	tree, err := RunRecursive(context.Background(), treeOptions(t, root))
	if err != nil {
		t.Fatal(err)
	}
	byDir := map[string]ProjectRun{}
	var dirs []string
	for _, p := range tree.Projects {
		byDir[p.Dir] = p
		dirs = append(dirs, p.Dir)
	}
	if want := []string{"broken", "services/api", "services/worker", "web"}; !reflect.DeepEqual(dirs, want) {
		t.Fatalf("projects %q, want %q", dirs, want)
	}
	if p := byDir["broken"]; p.Err == nil || p.Result != nil || !strings.Contains(p.Err.Error(), "pyproject.toml") {
		t.Errorf("broken: %+v, want an error naming its pyproject.toml", p)
	}
	has := func(dir, id string) *finding.Finding {
		r := byDir[dir].Result
		if r == nil {
			t.Fatalf("%s: not audited: %v", dir, byDir[dir].Err)
		}
		for i := range r.Findings {
			if r.Findings[i].ID == id {
				return &r.Findings[i]
			}
		}
		return nil
	}
	if f := has("services/api", "PYSEC-2099-1"); f == nil || f.Ignored || !byDir["services/api"].Result.Failed {
		t.Errorf("services/api: %+v", byDir["services/api"].Result)
	}
	if f := has("services/worker", "PYSEC-2099-2"); f == nil || f.Version != "2.0.1" || !byDir["services/worker"].Result.Failed {
		t.Errorf("services/worker: %+v", byDir["services/worker"].Result)
	}
	// web's own pyvet.toml ignores the advisory: the same package fails
	// services/api and passes web.
	if f := has("web", "PYSEC-2099-1"); f == nil || !f.Ignored || byDir["web"].Result.Failed {
		t.Errorf("web: %+v", byDir["web"].Result)
	}
	if !strings.HasSuffix(byDir["web"].Result.Meta["policy"], filepath.Join("web", "pyvet.toml")) {
		t.Errorf("web's policy: %q", byDir["web"].Result.Meta["policy"])
	}
	if tree.Errors() != 1 || !tree.Failed() || tree.ExitCode() != 2 {
		t.Errorf("errors %d, failed %v, exit %d", tree.Errors(), tree.Failed(), tree.ExitCode())
	}

	rep := tree.Report("v0")
	if len(rep.Projects) != 4 || rep.Projects[0].Path != "broken" || rep.Projects[0].Error == "" || !rep.Failed {
		t.Fatalf("report projects %+v", rep.Projects)
	}
	perProject := map[string]int{}
	for _, f := range rep.Findings {
		if f.Project == "" {
			t.Errorf("finding without its project: %+v", f)
		}
		if f.Risk == finding.RiskVulnerability {
			perProject[f.Project]++
		}
	}
	if perProject["services/api"] < 1 || perProject["services/worker"] != 1 || perProject["web"] < 1 || perProject["broken"] != 0 {
		t.Errorf("vulnerability findings per project: %v", perProject)
	}
	for _, p := range rep.Projects {
		if p.Path == "web" && (p.Summary.Failed || p.Summary.Ignored == 0 || p.Summary.Packages != 1) {
			t.Errorf("web summary %+v", p.Summary)
		}
		if p.Path == "services/worker" && (!p.Summary.Failed || p.Summary.Packages != 2) {
			t.Errorf("worker summary %+v", p.Summary)
		}
	}
	if rep.Meta["projects"] != "4" || rep.Meta["database"] == "" {
		t.Errorf("meta %v", rep.Meta)
	}
}

func TestRunRecursiveExitStatus(t *testing.T) {
	clean := writeTree(t, map[string]string{"a/requirements.txt": "safe==1.0\n", "b/uv.lock": strings.ReplaceAll(treeUVLock, "2.0.1", "2.4")}, nil)
	tree, err := RunRecursive(context.Background(), treeOptions(t, clean))
	if err != nil {
		t.Fatal(err)
	}
	if tree.ExitCode() != 0 || len(tree.Projects) != 2 {
		t.Errorf("clean tree: exit %d, projects %+v", tree.ExitCode(), tree.Projects)
	}
	failing := writeTree(t, map[string]string{"a/requirements.txt": "safe==1.0\n", "b/requirements.txt": "foo-bar==1.0.0\n"}, nil)
	tree, err = RunRecursive(context.Background(), treeOptions(t, failing))
	if err != nil {
		t.Fatal(err)
	}
	if tree.ExitCode() != 1 {
		t.Errorf("failing tree: exit %d", tree.ExitCode())
	}

	// The run itself fails: no project, a file, an empty argument list
	// meaning the current directory is accepted.
	empty := writeTree(t, map[string]string{"docs/README.md": "# docs\n"}, nil)
	if _, err := RunRecursive(context.Background(), treeOptions(t, empty)); err == nil || !strings.Contains(err.Error(), "no projects found") {
		t.Errorf("empty tree: %v", err)
	}
	file := filepath.Join(failing, "b", "requirements.txt")
	if _, err := RunRecursive(context.Background(), treeOptions(t, file)); err == nil || !strings.Contains(err.Error(), "needs a directory") {
		t.Errorf("a file: %v", err)
	}
	o := treeOptions(t, clean)
	o.Paths = []string{clean, failing}
	if _, err := RunRecursive(context.Background(), o); err == nil {
		t.Error("two roots accepted")
	}
}

func TestReportSaysCommonNotesOnce(t *testing.T) {
	stale := "the database is old"
	tree := &RecursiveResult{Root: "/src", Projects: []ProjectRun{
		{Dir: "a", Result: &Result{Notes: []string{stale, "requirements.txt:3: unsupported option"}}},
		{Dir: "b", Err: os.ErrNotExist},
		{Dir: "c", Result: &Result{Notes: []string{stale}}},
	}}
	got := tree.Report("v0").Notes
	want := []string{stale, "a: requirements.txt:3: unsupported option"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("notes %q, want %q", got, want)
	}
	// One audited project: its notes are its own.
	tree.Projects = tree.Projects[:2]
	if got := tree.Report("v0").Notes; len(got) != 2 || got[0] != "a: "+stale {
		t.Errorf("notes of one project %q", got)
	}
}

// The database is opened once for the tree: a missing one fails the run,
// not each project.
func TestRunRecursiveOpensTheDatabaseOnce(t *testing.T) {
	root := writeTree(t, map[string]string{"a/requirements.txt": "safe==1.0\n", "b/requirements.txt": "foo-bar==1.0.0\n"}, nil)
	o := treeOptions(t, root)
	o.DBPath = filepath.Join(t.TempDir(), "missing.zip")
	if tree, err := RunRecursive(context.Background(), o); err == nil || !strings.Contains(err.Error(), "--db") {
		t.Fatalf("missing database: %v, %+v", err, tree)
	}
	// The shared source is left open by each project's Run: the second
	// project still matches against it.
	tree, err := RunRecursive(context.Background(), treeOptions(t, root))
	if err != nil {
		t.Fatal(err)
	}
	if b := tree.Projects[1].Result; b == nil || len(b.Findings) == 0 || b.Meta["database"] == "" {
		t.Errorf("second project: %+v", b)
	}
}
