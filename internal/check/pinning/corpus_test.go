package pinning

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
			if st.fresh != w {
				t.Errorf("%s: fresh = %v, want %v (recorded %s, computed %s)", rel, st.fresh, w, st.recorded, st.computed)
			}
			delete(want, filepath.ToSlash(rel))
		}
		if st.fresh {
			fresh++
		}
		t.Logf("%-80s fresh=%v recorded=%s computed=%s", strings.TrimPrefix(pr.lock, root), st.fresh, short(st.recorded), short(st.computed))
	}
	for rel := range want {
		t.Errorf("%s: not checked (missing from the corpus?)", rel)
	}
	t.Logf("%d of %d lockfiles with a content hash match their project file", fresh, total)
}
