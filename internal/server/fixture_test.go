package server

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pyvet/pyvet/internal/osvclient"
	"github.com/pyvet/pyvet/pep508"
)

// fixtureSource is a small Source over the OSV files in testdata/osv that
// matches by the explicit versions lists only. It exercises the HTTP layer;
// the corpus tests use the real advisory database.
type fixtureSource struct {
	raw   map[string][]byte
	byPkg map[string][]fixtureEntry
}

type fixtureEntry struct {
	ref      osvclient.VulnRef
	versions []string
}

func loadFixtures(t testing.TB, dir string) *fixtureSource {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in %s: %v", dir, err)
	}
	fs := &fixtureSource{raw: map[string][]byte{}, byPkg: map[string][]fixtureEntry{}}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var v struct {
			ID        string `json:"id"`
			Modified  string `json:"modified"`
			Withdrawn string `json:"withdrawn"`
			Affected  []struct {
				Package  struct{ Name string }
				Versions []string
			}
		}
		if err := json.Unmarshal(data, &v); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		fs.raw[v.ID] = data
		if v.Withdrawn != "" {
			continue
		}
		for _, a := range v.Affected {
			n := pep508.NormalizeName(a.Package.Name)
			fs.byPkg[n] = append(fs.byPkg[n], fixtureEntry{osvclient.VulnRef{ID: v.ID, Modified: v.Modified}, a.Versions})
		}
	}
	return fs
}

func (fs *fixtureSource) Query(name, version string) []osvclient.VulnRef {
	var out []osvclient.VulnRef
	for _, e := range fs.byPkg[pep508.NormalizeName(name)] {
		if version == "" || slices.Contains(e.versions, version) {
			out = append(out, e.ref)
		}
	}
	return out
}

func (fs *fixtureSource) Raw(id string) ([]byte, bool) {
	b, ok := fs.raw[id]
	return b, ok
}

func (fs *fixtureSource) Len() int { return len(fs.raw) }
