package sbom

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/pyvet/pyvet/internal/inventory"
)

// SBOMs of real lockfiles validate against the official schemas and read
// back to the same packages.
func TestCorpusSBOMs(t *testing.T) {
	cdxSchema, spdxSchema := schemas(t)
	root := os.Getenv("PYVET_CORPUS")
	for _, rel := range []string{
		"lockfiles/real/sigstore-python.uv.lock",
		"lockfiles/real/poetry.poetry.lock",
		"lockfiles/pipenv/Pipfile.lock",
		"lockfiles/warehouse/requirements/main.txt",
	} {
		t.Run(filepath.Base(rel), func(t *testing.T) {
			inv, err := inventory.Load([]string{filepath.Join(root, rel)}, inventory.Options{})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]bool{}
			for _, p := range inv.Packages {
				if !p.Project && !p.Constraint {
					want[PURL(p.Name, p.Version)] = true
				}
			}
			if len(want) == 0 {
				t.Fatal("no packages")
			}
			for f, s := range map[Format]interface{ Validate(any) error }{CycloneDXJSON: cdxSchema, SPDXJSON: spdxSchema} {
				var buf bytes.Buffer
				if err := Write(&buf, inv, Options{Format: f, Reproducible: true, ProjectName: "corpus"}); err != nil {
					t.Fatal(err)
				}
				validateAny(t, s, buf.Bytes())
				back, err := inventory.ParseSBOM(string(f), buf.Bytes())
				if err != nil {
					t.Fatal(err)
				}
				got := map[string]bool{}
				edges := 0
				for _, p := range back.Packages {
					got[PURL(p.Name, p.Version)] = true
					edges += len(p.Requires)
				}
				if len(got) != len(want) {
					t.Errorf("%s: %d packages read back, want %d", f, len(got), len(want))
				}
				for k := range want {
					if !got[k] {
						t.Errorf("%s: %s missing", f, k)
					}
				}
				t.Logf("%s %s: %d packages, %d edges, %d bytes", rel, f, len(got), edges, buf.Len())
			}
		})
	}
}

// Every corpus dependency file pyvet can read gives schema-valid documents.
func TestCorpusAllValid(t *testing.T) {
	cdxSchema, spdxSchema := schemas(t)
	if testing.Short() {
		t.Skip("short mode")
	}
	root := os.Getenv("PYVET_CORPUS")
	var paths []string
	filepath.WalkDir(filepath.Join(root, "lockfiles"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasPrefix(d.Name(), "LICENSE") {
			paths = append(paths, p)
		}
		return nil
	})
	docs, pkgs := 0, 0
	for i, p := range paths {
		if raceEnabled && i%10 != 0 {
			continue
		}
		inv, err := inventory.Load([]string{p}, inventory.Options{NoIncludes: true})
		if err != nil || len(inv.Packages) == 0 {
			continue
		}
		for f, s := range map[Format]interface{ Validate(any) error }{CycloneDXJSON: cdxSchema, SPDXJSON: spdxSchema} {
			var buf bytes.Buffer
			if err := Write(&buf, inv, Options{Format: f, Reproducible: true}); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			if err := s.Validate(doc); err != nil {
				t.Errorf("%s %s: %v", p, f, err)
			}
			docs++
		}
		pkgs += len(inv.Packages)
	}
	t.Logf("%d documents for %d corpus files (%d packages), all schema-valid", docs, docs/2, pkgs)
	if docs < 200 && !raceEnabled {
		t.Errorf("only %d documents", docs)
	}
}
