package remedy

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/check/vuln"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/internal/pypi/pypitest"
	"github.com/pyvet/pyvet/pep440"
)

var (
	snapshotOnce sync.Once
	snapshot     *advisory.DB
	snapshotErr  error
)

func corpusDB(t *testing.T) (string, *advisory.DB) {
	t.Helper()
	root := os.Getenv("PYVET_CORPUS")
	if root == "" {
		t.Skip("PYVET_CORPUS not set; skipping corpus test")
	}
	snapshotOnce.Do(func() {
		snapshot, snapshotErr = advisory.Open(filepath.Join(root, "advisories", "pypi-osv-2026-07-23.zip"))
	})
	if snapshotErr != nil {
		t.Fatal(snapshotErr)
	}
	return root, snapshot
}

// Real requirements files with old pins are fixed against the advisory
// snapshot (offline: candidates are the advisories' fix versions), and then
// audit clean except for packages that have no safe version. A second fix
// changes nothing.
func TestCorpusFixAndReaudit(t *testing.T) {
	root, db := corpusDB(t)
	for _, rel := range []string{
		"lockfiles/osv-scalibr/requirements/with_versions.txt",
		"lockfiles/uv/test/requirements/airflow2-constraints.txt",
		"lockfiles/real/sigstore-python.install-requirements.txt",
		"lockfiles/warehouse/requirements/main.txt",
		"lockfiles/pdm/fixtures/projects/demo-package/requirements.txt",
	} {
		t.Run(filepath.Base(rel), func(t *testing.T) {
			src := filepath.Join(root, rel)
			data, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			// Work on a copy in a temporary directory; the corpus is read-only.
			path := filepath.Join(t.TempDir(), "requirements.txt")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			inv, err := inventory.Load([]string{path}, inventory.Options{})
			if err != nil {
				t.Fatal(err)
			}
			before := vuln.Check(inv, db).Findings
			plan := Compute(context.Background(), inv, db, Options{})
			res, err := Rewrite(inv, plan)
			if err != nil {
				t.Fatal(err)
			}
			if err := Write(res.Files); err != nil {
				t.Fatal(err)
			}
			unfixable := map[string]bool{}
			fixed := 0
			for _, f := range plan.Fixes {
				if f.To == "" {
					unfixable[f.Name] = true
				} else {
					fixed++
				}
			}
			skippedEdits := map[string]bool{}
			applied := 0
			for _, e := range res.Edits {
				if e.Skipped != "" {
					skippedEdits[e.Name] = true
					// Offline, hashed pins stay as they are (their hashes
					// name the old version's files).
					if !strings.Contains(e.Skipped, "--hash") {
						t.Errorf("unexpected skip: %+v", e)
					}
				} else {
					applied++
				}
			}
			inv2, err := inventory.Load([]string{path}, inventory.Options{})
			if err != nil {
				t.Fatalf("fixed file no longer loads: %v", err)
			}
			after := vuln.Check(inv2, db).Findings
			remaining := map[string]bool{}
			for _, f := range after {
				remaining[f.Package] = true
				if !unfixable[f.Package] && !skippedEdits[f.Package] {
					t.Errorf("still vulnerable after fix: %s %s %s", f.Package, f.Version, f.ID)
				}
			}
			if len(plan.Fixes) > 0 && len(res.Files) == 0 && applied > 0 {
				t.Error("fixes planned but no file changed")
			}
			// Idempotent: a second run plans only the unfixable and changes nothing.
			plan2 := Compute(context.Background(), inv2, db, Options{})
			res2, err := Rewrite(inv2, plan2)
			if err != nil {
				t.Fatal(err)
			}
			if len(res2.Files) != 0 {
				t.Errorf("second run changed files:\n%s", res2.Files[0].Diff())
			}
			t.Logf("%s: %d packages, %d findings before, %d after; %d fixed, %d without a safe version, %d edits (%d hashed pins left for want of their new hashes)",
				rel, len(inv.Packages), len(before), len(after), fixed, len(unfixable), applied, len(res.Edits)-applied)
			if len(before) > 0 && len(after) >= len(before) && applied > 0 {
				t.Errorf("findings did not go down: %d -> %d", len(before), len(after))
			}
			for _, f := range res.Files {
				if strings.Count(string(f.New), "\n") != strings.Count(string(f.Old), "\n") {
					t.Errorf("line count changed (offline hashes are kept, not dropped)")
				}
			}
		})
	}
}

// Every requirements file and pyproject.toml of the corpus, with every
// declared package moved to 99999.0: the result still loads, each edited
// declaration now allows 99999.0, the line count is unchanged and a second
// rewrite changes nothing.
func TestCorpusRewriteEverything(t *testing.T) {
	root := os.Getenv("PYVET_CORPUS")
	if root == "" {
		t.Skip("PYVET_CORPUS not set; skipping corpus test")
	}
	var files []string
	filepath.WalkDir(filepath.Join(root, "lockfiles"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b := filepath.Base(p)
			if strings.HasSuffix(b, ".txt") || strings.HasSuffix(b, ".in") || strings.HasSuffix(b, "pyproject.toml") || b == "Pipfile" {
				files = append(files, p)
			}
		}
		return nil
	})
	const target = "99999.0"
	totalEdits, totalFiles := 0, 0
	for i, src := range files {
		if raceEnabled && i%10 != 0 {
			continue
		}
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		name := "requirements.txt"
		rewriteTOML := RewritePyproject
		switch {
		case strings.HasSuffix(src, ".toml"):
			name = "pyproject.toml"
		case filepath.Base(src) == "Pipfile":
			name, rewriteTOML = "Pipfile", RewritePipfile
		}
		path := filepath.Join(t.TempDir(), name)
		os.WriteFile(path, data, 0o644)
		inv, err := inventory.Load([]string{path}, inventory.Options{NoIncludes: true})
		if err != nil {
			continue // deliberately broken corpus inputs
		}
		changes := map[string]Change{}
		for _, p := range inv.Packages {
			changes[p.Name] = Change{Name: p.Name, To: target}
		}
		var out []byte
		var edits []Edit
		if name != "requirements.txt" {
			out, edits, err = rewriteTOML(path, data, changes)
		} else {
			out, edits = RewriteRequirements(path, data, changes)
		}
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		if strings.Count(string(out), "\n") != strings.Count(string(data), "\n") {
			t.Errorf("%s: line count changed", src)
		}
		os.WriteFile(path, out, 0o644)
		inv2, err := inventory.Load([]string{path}, inventory.Options{NoIncludes: true})
		if err != nil {
			t.Errorf("%s: rewritten file does not load: %v\n%s", src, err, UnifiedDiff(name, data, out))
			continue
		}
		edited, skipped := map[string]bool{}, map[string]bool{}
		n := 0
		for _, e := range edits {
			if e.Skipped == "" {
				edited[e.Name] = true
				n++
			} else {
				skipped[e.Name] = true
			}
		}
		for _, p := range inv2.Packages {
			if !edited[p.Name] || skipped[p.Name] || p.Source.Kind != inventory.SourceIndex {
				continue
			}
			if p.Version != "" && p.Version != target {
				t.Errorf("%s: %s pinned to %s after rewrite", src, p.Name, p.Version)
			}
			if p.Version == "" && p.Specifier != "" {
				if set, err := pep440.ParseSpecifierSet(p.Specifier); err == nil && !set.Contains(pep440.MustParse(target)) {
					t.Errorf("%s: %s %s excludes %s after rewrite", src, p.Name, p.Specifier, target)
				}
			}
		}
		var again []byte
		if name != "requirements.txt" {
			again, _, _ = rewriteTOML(path, out, changes)
		} else {
			again, _ = RewriteRequirements(path, out, changes)
		}
		if string(again) != string(out) {
			t.Errorf("%s: second rewrite changed:\n%s", src, UnifiedDiff(name, out, again))
		}
		totalEdits += n
		if n > 0 {
			totalFiles++
		}
	}
	t.Logf("%d corpus files, %d rewritten, %d declarations edited", len(files), totalFiles, totalEdits)
	if totalEdits < 1000 && !raceEnabled {
		t.Errorf("only %d edits", totalEdits)
	}
}

// Online against real JSON API responses (Poetry's 2022 fixtures, requests
// trimmed to 2.18.4). With two test advisories (fixed in 2.6.0, which is itself
// affected), an old hashed requests pin moves to 2.6.1, the smallest clean
// release the index lists, with that release's real file hashes. With the
// 2026 snapshot every release the fixture lists is affected: nothing is
// proposed, rather than a version the index does not have.
func TestCorpusHashRefresh(t *testing.T) {
	_, snap := corpusDB(t)
	srv := pypitest.New(t, pypitest.Corpus(t))
	client := pypi.New(pypi.Options{JSONURL: srv.URL + "/pypi", SimpleURL: srv.URL + "/simple", Timeout: 10 * time.Second, Retries: -1})
	req := filepath.Join(t.TempDir(), "requirements.txt")
	os.WriteFile(req, []byte("requests==2.5.3 \\\n    --hash=sha256:"+strings.Repeat("0", 64)+"\n"), 0o644)
	inv, err := inventory.Load([]string{req}, inventory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	testAdv, err := advisory.Open(filepath.Join("testdata", "osv-index"))
	if err != nil {
		t.Fatal(err)
	}
	defer testAdv.Close()
	plan := Compute(context.Background(), inv, testAdv, Options{Index: client})
	if len(plan.Fixes) != 1 || plan.Fixes[0].To != "2.6.1" || !plan.Fixes[0].FromIndex {
		t.Fatalf("plan = %+v", plan.Fixes)
	}
	proj, err := client.Project(context.Background(), "requests")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := proj.FilesOf("2.6.1")
	var want []string
	for _, file := range files {
		want = append(want, "sha256:"+file.Digests["sha256"])
	}
	if len(want) == 0 || strings.Join(plan.Fixes[0].Hashes, " ") != strings.Join(uniq(want), " ") {
		t.Errorf("hashes %v, want %v", plan.Fixes[0].Hashes, want)
	}
	res, err := Rewrite(inv, plan)
	if err != nil || len(res.Files) != 1 || !res.Edits[0].HashesRefreshed {
		t.Fatalf("rewrite: %v %+v", err, res)
	}
	t.Logf("requests 2.5.3 -> 2.6.1 with %d real hashes:\n%s", len(want), res.Files[0].Diff())

	plan = Compute(context.Background(), inv, snap, Options{Index: client})
	if len(plan.Fixes) != 1 || plan.Fixes[0].To != "" || !plan.Fixes[0].FromIndex {
		t.Fatalf("snapshot plan = %+v", plan.Fixes)
	}
	offline := Compute(context.Background(), inv, snap, Options{})
	if len(offline.Fixes) != 1 || offline.Fixes[0].To == "" {
		t.Fatalf("offline plan = %+v", offline.Fixes)
	}
	t.Logf("snapshot: index lists no clean release (%s); offline the advisories name %s", plan.Fixes[0].Reason, offline.Fixes[0].To)
}

// Real projects (a pyproject.toml and the uv.lock uv made for it), planned
// offline against the advisory snapshot: every locked pin moves to the
// smallest fix version above it that no advisory affects and that the
// project's declared ranges admit (never past a lower safe release), the
// pyproject ranges follow the smallest pin target, the project's
// requires-python is read and the note says it could not be checked, and
// the rewritten pyproject.toml parses.
func TestCorpusFixProjectsPerDeclaration(t *testing.T) {
	root, db := corpusDB(t)
	dirs, _ := filepath.Glob(filepath.Join(root, "lockfiles", "uv", "test", "ecosystem", "*"))
	projects, pins, crossed := 0, 0, 0
	for i, src := range dirs {
		if raceEnabled && i%4 != 0 {
			continue
		}
		pyproject, err := os.ReadFile(filepath.Join(src, "pyproject.toml"))
		if err != nil {
			continue
		}
		lock, err := os.ReadFile(filepath.Join(src, "uv.lock"))
		if err != nil {
			continue
		}
		t.Run(filepath.Base(src), func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "pyproject.toml"), pyproject, 0o644)
			os.WriteFile(filepath.Join(dir, "uv.lock"), lock, 0o644)
			inv, err := inventory.Load([]string{dir}, inventory.Options{})
			if err != nil {
				t.Skip(err)
			}
			projects++
			decls := declarationsOf(inv)
			py := projectPython(inv, "")
			plan := Compute(context.Background(), inv, db, Options{})
			moved := false
			for _, f := range plan.Fixes {
				moved = moved || f.To != ""
			}
			if moved && py.declared() && len(plan.Notes) == 0 {
				t.Errorf("requires-python %s declared, but no note that it was not checked", py)
			}
			for _, f := range plan.Fixes {
				counted := db.Query(f.Name, "")
				var pinTo []string
				for _, tg := range f.Targets {
					from, err := pep440.Parse(tg.From)
					if err != nil || tg.To == "" {
						continue // a range, or no safe version
					}
					pins++
					to := pep440.MustParse(tg.To)
					pinTo = append(pinTo, tg.To)
					if seriesOf(from) != seriesOf(to) {
						crossed++
					}
					// No lower safe version within the declared ranges.
					for _, e := range counted {
						for _, s := range advisory.FixVersions(e, f.Name) {
							v, err := pep440.Parse(s)
							if err != nil || v.Compare(from) <= 0 || v.Compare(to) >= 0 || v.IsPrerelease() {
								continue
							}
							affected := false
							for _, e2 := range counted {
								affected = affected || advisory.Affects(e2, f.Name, s)
							}
							admitted := true
							for _, d := range decls[f.Name] {
								if !d.pinned() {
									_, ok := rewriteSpec(d.spec, s)
									admitted = admitted && ok
								}
							}
							if !affected && admitted {
								t.Errorf("%s %s -> %s, but %s is safe and admitted", f.Name, tg.From, tg.To, s)
							}
						}
					}
				}
				for _, tg := range f.Targets {
					if _, err := pep440.Parse(tg.From); err == nil || tg.To == "" || len(pinTo) == 0 {
						continue
					}
					min := pinTo[0]
					for _, p := range pinTo {
						if pep440.MustParse(p).Compare(pep440.MustParse(min)) < 0 {
							min = p
						}
					}
					if tg.To != min {
						t.Errorf("%s range %s -> %s, pins go to %v", f.Name, tg.From, tg.To, pinTo)
					}
				}
			}
			res, err := Rewrite(inv, plan)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range res.Manual {
				if strings.Contains(m, "not found where the inventory placed it") {
					t.Errorf("manual: %s", m)
				}
			}
			if err := Write(res.Files); err != nil {
				t.Fatal(err)
			}
			if _, err := inventory.Load([]string{dir}, inventory.Options{}); err != nil {
				t.Errorf("fixed project no longer loads: %v", err)
			}
			t.Logf("%d fixes, %d files rewritten, %d lock commands, python %s", len(plan.Fixes), len(res.Files), len(res.Commands), py)
		})
	}
	t.Logf("%d projects, %d pin targets, %d of them in a new major series (no lower safe release)", projects, pins, crossed)
	if projects == 0 {
		t.Fatal("no corpus project")
	}
}
