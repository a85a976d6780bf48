package pep508

import (
	"bufio"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func corpusRoot(t *testing.T) string {
	root := os.Getenv("PYVET_CORPUS")
	if root == "" {
		t.Skip("PYVET_CORPUS not set; skipping corpus test")
	}
	return root
}

// TestCorpusRequirements parses every Requires-Dist of the installed
// metadata and every requires_dist of the PyPI JSON documents in the corpus.
// packaging 23.0 accepts 567 of the 569 (scripts/pep440-vectors/corpus_check.py);
// the two it rejects are "pytz (>dev)" and "setuptools (>=18.5decorator)".
func TestCorpusRequirements(t *testing.T) {
	root := corpusRoot(t)
	var reqs []string
	err := filepath.WalkDir(filepath.Join(root, "installed"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || (d.Name() != "METADATA" && d.Name() != "PKG-INFO") {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "Requires-Dist:"); ok {
				reqs = append(reqs, strings.TrimSpace(rest))
			}
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(filepath.Join(root, "pypi-json"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var doc struct {
			Info *struct {
				RequiresDist []string `json:"requires_dist"`
			} `json:"info"`
		}
		if json.Unmarshal(data, &doc) == nil && doc.Info != nil {
			reqs = append(reqs, doc.Info.RequiresDist...)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	env := DefaultEnv("3.12", "linux")
	valid := 0
	var rejected []string
	for _, s := range reqs {
		r, err := ParseRequirement(s)
		if err != nil {
			rejected = append(rejected, s)
			continue
		}
		valid++
		_ = r.Marker.Evaluate(env)
	}
	t.Logf("requirements: total=%d valid=%d rejected=%q", len(reqs), valid, rejected)
	if len(reqs) != 569 || valid != 567 {
		t.Errorf("total=%d valid=%d, packaging gives total=569 valid=567", len(reqs), valid)
	}
	slices.Sort(rejected)
	if want := []string{"pytz (>dev)", "setuptools (>=18.5decorator)"}; !slices.Equal(rejected, want) {
		t.Errorf("rejected %q, packaging rejects %q", rejected, want)
	}
}

var uvMarkerRe = regexp.MustCompile(`marker = "((?:[^"\\]|\\.)*)"`)

// TestCorpusUVMarkers parses and evaluates every marker of the uv.lock files
// in the corpus (packaging accepts all 1517).
func TestCorpusUVMarkers(t *testing.T) {
	root := corpusRoot(t)
	var markers []string
	err := filepath.WalkDir(filepath.Join(root, "lockfiles"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "uv.lock" {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, line := range strings.Split(string(data), "\n") {
			for _, m := range uvMarkerRe.FindAllStringSubmatch(line, -1) {
				markers = append(markers, strings.ReplaceAll(m[1], `\"`, `"`))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	envs := []Env{DefaultEnv("3.12", "linux"), DefaultEnv("3.9", "win32"), DefaultEnv("3.13", "darwin")}
	valid, errs := 0, 0
	for _, s := range markers {
		m, err := ParseMarker(s)
		if err != nil {
			t.Errorf("ParseMarker(%q): %v", s, err)
			continue
		}
		valid++
		for _, env := range envs {
			if _, err := m.EvaluateErr(env); err != nil {
				errs++
				t.Errorf("%q: %v", s, err)
			}
		}
	}
	t.Logf("uv.lock markers: total=%d valid=%d evaluation errors=%d", len(markers), valid, errs)
	if len(markers) != 1517 {
		t.Errorf("found %d markers, corpus_check.py finds 1517", len(markers))
	}
}
