package pinning

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/inventory"
)

func corpusDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("PYVET_CORPUS")
	if dir == "" {
		t.Skip("PYVET_CORPUS not set; skipping corpus test")
	}
	return dir
}

// lockPair is a lockfile in the corpus and its project file.
type lockPair struct{ kind, lock, project string }

func corpusLockPairs(t *testing.T, root string) []lockPair {
	t.Helper()
	var pairs []lockPair
	err := filepath.WalkDir(filepath.Join(root, "lockfiles"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		dir, base := filepath.Dir(p), filepath.Base(p)
		switch base {
		case "poetry.lock", "pdm.lock":
			if _, err := os.Stat(filepath.Join(dir, "pyproject.toml")); err == nil {
				pairs = append(pairs, lockPair{base, p, filepath.Join(dir, "pyproject.toml")})
			}
		case "Pipfile.lock":
			if _, err := os.Stat(filepath.Join(dir, "Pipfile")); err == nil {
				pairs = append(pairs, lockPair{base, p, filepath.Join(dir, "Pipfile")})
			}
		default:
			if strings.HasSuffix(base, ".poetry.lock") {
				proj := strings.TrimSuffix(p, ".poetry.lock") + ".pyproject.toml"
				if _, err := os.Stat(proj); err == nil {
					pairs = append(pairs, lockPair{"poetry.lock", p, proj})
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pairs
}

func TestCorpusLockHashes(t *testing.T) {
	root := corpusDir(t)
	pairs := corpusLockPairs(t, root)
	if len(pairs) == 0 {
		t.Fatal("no lockfile/project pairs found in the corpus")
	}
	// Expected verdicts, checked by hand: the projects' own lockfiles and the
	// fixtures their tools use as up to date match; poetry's outdated_lock fixture
	// does not.
	want := map[string]bool{
		"lockfiles/real/poetry.poetry.lock":                                         true,
		"lockfiles/real/poetry-2022-09-18.poetry.lock":                              true,
		"lockfiles/pipenv/Pipfile.lock":                                             true,
		"lockfiles/pipenv/examples/Pipfile.lock":                                    true,
		"lockfiles/pdm/fixtures/projects/demo/pdm.lock":                             true,
		"lockfiles/pdm/fixtures/projects/demo-package/pdm.lock":                     true,
		"lockfiles/pdm/fixtures/projects/demo-package-has-dep-with-extras/pdm.lock": true,
		"lockfiles/poetry/fixtures/up_to_date_lock/poetry.lock":                     true,
		"lockfiles/poetry/fixtures/with_path_dependency/poetry.lock":                true,
		"lockfiles/poetry/fixtures/outdated_lock/poetry.lock":                       false,
	}
	fresh, total := 0, 0
	for _, pr := range pairs {
		lock, err := os.ReadFile(pr.lock)
		if err != nil {
			t.Fatal(err)
		}
		proj, err := os.ReadFile(pr.project)
		if err != nil {
			t.Fatal(err)
		}
		st, err := compareLock(pr.kind, pr.lock, lock, pr.project, proj)
		if err != nil {
			t.Logf("%s: %v", pr.lock, err)
			continue
		}
		if st == nil {
			t.Logf("%s: no content hash", pr.lock)
			continue
		}
		total++
		rel, _ := filepath.Rel(root, pr.lock)
		if w, ok := want[filepath.ToSlash(rel)]; ok {
			if st.Fresh != w {
				t.Errorf("%s: fresh = %v, want %v (recorded %s, computed %s)", rel, st.Fresh, w, st.Recorded, st.Computed)
			}
			delete(want, filepath.ToSlash(rel))
		}
		if st.Fresh {
			fresh++
		}
		t.Logf("%-80s fresh=%v recorded=%s computed=%s", strings.TrimPrefix(pr.lock, root), st.Fresh, short(st.Recorded), short(st.Computed))
	}
	for rel := range want {
		t.Errorf("%s: not checked (missing from the corpus?)", rel)
	}
	t.Logf("%d of %d lockfiles with a content hash match their project file", fresh, total)
}

// TestCorpusRules runs the check on real inputs read by the inventory and
// compares with findings worked out by hand from the files.
func TestCorpusRules(t *testing.T) {
	root := corpusDir(t)
	lf := func(p string) string { return filepath.Join(root, "lockfiles", p) }
	for _, tc := range []struct {
		path string
		want []string // "rule package line"
	}{
		{lf("pdm/fixtures/requirements.txt"), []string{
			"pin-extra-index  2",
			"pin-hash-missing webassets 3", "pin-hash-missing werkzeug 4", "pin-hash-missing whoosh 5",
			"pin-hash-mode-unhashable pip 7", "pin-vcs-ref pip 7", "pin-editable pip 7",
			"pin-hash-mode-unhashable pep508-package 8", "pin-vcs-ref pep508-package 8",
		}},
		{lf("uv/test/requirements/all-kinds.in"), []string{
			"pin-unpinned pandas 4", "pin-url-no-hash flask 6", "pin-url-no-hash werkzeug 10", "pin-vcs-ref pydantic-extra-types 12",
		}},
		// 184 pins with 2,089 hashes: nothing to report.
		{lf("warehouse/requirements/main.txt"), nil},
		{lf("real/sigstore-python.install-requirements.txt"), nil},
		{lf("poetry/fixtures/outdated_lock"), []string{"pin-lock-stale  207"}},
		{lf("poetry/fixtures/up_to_date_lock"), nil},
		{lf("pipenv"), nil},
	} {
		inv, err := inventory.Load([]string{tc.path}, inventory.Options{})
		if err != nil {
			t.Errorf("%s: %v", tc.path, err)
			continue
		}
		var got []string
		for _, f := range Check(inv, Config{}) {
			line := 0
			if f.Location != nil {
				line = f.Location.Line
			}
			got = append(got, fmt.Sprintf("%s %s %d", f.Rule, f.Package, line))
		}
		sort.Strings(got)
		want := append([]string(nil), tc.want...)
		sort.Strings(want)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s:\ngot  %q\nwant %q", strings.TrimPrefix(tc.path, root), got, want)
		}
	}
}

// TestCorpusAllInputs runs the check over every input of the corpus the
// inventory reads, and reports the counts by rule.
func TestCorpusAllInputs(t *testing.T) {
	root := corpusDir(t)
	counts := map[string]int{}
	files, read := 0, 0
	err := filepath.WalkDir(filepath.Join(root, "lockfiles"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), "LICENSE") {
			return err
		}
		files++
		inv, err := inventory.Load([]string{p}, inventory.Options{})
		if err != nil {
			return nil // broken inputs are the inventory's business
		}
		read++
		for _, f := range Check(inv, Config{}) {
			counts[f.Rule]++
			if f.Location == nil || f.Location.File == "" || f.Title == "" {
				t.Errorf("%s: finding without location or title: %+v", p, f)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d of %d corpus inputs read; findings by rule: %v", read, files, counts)
	if read < 300 {
		t.Errorf("only %d inputs read", read)
	}
}
