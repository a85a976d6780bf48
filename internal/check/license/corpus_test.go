package license

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/pep508"
)

func corpusRoot(t *testing.T) string {
	root := os.Getenv("PYVET_CORPUS")
	if root == "" {
		t.Skip("PYVET_CORPUS not set; skipping corpus test")
	}
	return root
}

// TestCorpusJSON resolves the license of every PyPI JSON response in the corpus.
func TestCorpusJSON(t *testing.T) {
	root := corpusRoot(t)
	files, _ := filepath.Glob(filepath.Join(root, "pypi-json", "poetry-2022-09", "json", "*.json"))
	more, _ := filepath.Glob(filepath.Join(root, "pypi-json", "poetry", "json", "*", "*.json"))
	files = append(files, more...)
	got := map[string]string{}
	unknown := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p, err := pypi.ParseProject(b, f)
		if err != nil {
			t.Logf("skipped: %v", err) // Poetry's mocked files are not all API responses
			continue
		}
		r := Resolve(p.Info.LicenseExpression, p.Info.License, p.Info.Classifiers)
		if r.Class == Unknown {
			unknown++
			t.Logf("unknown: %s %s: %s", p.Info.Name, p.Info.Version, r.Problem)
		}
		got[pep508.NormalizeName(p.Info.Name)+"@"+p.Info.Version] = r.Expression
	}
	t.Logf("%d responses, %d with an unknown license", len(files), unknown)
	for k, want := range map[string]string{
		"requests@2.18.4":      "Apache-2.0",
		"funcsigs@1.0.2":       "Apache-2.0", // "ASL"
		"colorama@0.3.9":       "LicenseRef-pyvet-BSD",
		"isort@4.3.4":          "MIT",
		"toga@0.2.15":          "BSD-3-Clause", // "New BSD"
		"setuptools@39.2.0":    "MIT",          // no License field: classifier
		"sqlalchemy@1.2.12":    "MIT",
		"pylev@1.3.0":          "LicenseRef-pyvet-BSD", // License "UNKNOWN", classifier "BSD License"
		"lockfile@0.12.2":      "MIT",
		"more-itertools@4.1.0": "MIT",
	} {
		if g, ok := got[k]; !ok || g != want {
			t.Errorf("%s: %q, want %q", k, g, want)
		}
	}
	if unknown > len(files)/10 {
		t.Errorf("%d of %d unknown", unknown, len(files))
	}
}

// TestCorpusInstalled reads the License fields of the dist-info folders taken from real wheels.
func TestCorpusInstalled(t *testing.T) {
	root := corpusRoot(t)
	dirs, _ := filepath.Glob(filepath.Join(root, "installed", "from-wheels", "site-packages", "*.dist-info"))
	if len(dirs) != 19 {
		t.Fatalf("%d dist-info folders, want 19", len(dirs))
	}
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "METADATA"))
		if err != nil {
			t.Fatal(err)
		}
		m, err := pypi.ParseMetadata(b, d)
		if err != nil {
			t.Fatal(err)
		}
		r := Resolve(m.Get("License-Expression"), m.Get("License"), m.All("Classifier"))
		t.Logf("%s: %q %s from %s", filepath.Base(d), r.Expression, r.Class, r.Source)
		if r.Class == Unknown {
			t.Errorf("%s: unknown license (%s)", filepath.Base(d), r.Problem)
		}
	}
}
