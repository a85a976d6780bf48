package remedy

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/check/vuln"
	"github.com/pyvet/pyvet/internal/inventory"
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
			for _, e := range res.Edits {
				if e.Skipped != "" {
					skippedEdits[e.Name] = true
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
			if len(plan.Fixes) > 0 && len(res.Files) == 0 && fixed > 0 {
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
			t.Logf("%s: %d packages, %d findings before, %d after; %d fixed, %d without a safe version, %d edits",
				rel, len(inv.Packages), len(before), len(after), fixed, len(unfixable), len(res.Edits))
			if len(before) > 0 && len(after) >= len(before) && fixed > 0 {
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
// declared package moved to 999.0: the result still loads, each edited
// declaration now allows 999.0, the line count is unchanged and a second
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
	const target = "999.0"
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
