package vuln

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
)

// TestCorpusLockfiles audits real lockfiles against the advisory snapshot.
// The expected findings were checked by hand against the advisory files.
func TestCorpusLockfiles(t *testing.T) {
	dir := os.Getenv("PYVET_CORPUS")
	if dir == "" {
		t.Skip("PYVET_CORPUS not set; skipping corpus test")
	}
	zips, _ := filepath.Glob(filepath.Join(dir, "advisories", "*.zip"))
	if len(zips) != 1 {
		t.Fatalf("advisory zips: %v", zips)
	}
	db, err := advisory.Open(zips[0])
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		pkg, version, id string
		fix              []string
		sev              finding.Severity
	}
	cases := []struct {
		file  string
		all   bool // the list is every finding, not a sample
		wants []want
	}{
		{"lockfiles/real/poetry.poetry.lock", true, []want{
			{"dulwich", "1.2.1", "PYSEC-2026-2462", []string{"1.2.5"}, finding.SeverityLow},
			{"dulwich", "1.2.1", "PYSEC-2026-2463", []string{"1.2.5"}, finding.SeverityHigh},
			{"dulwich", "1.2.1", "PYSEC-2026-2464", []string{"1.2.5"}, finding.SeverityHigh},
			{"dulwich", "1.2.1", "PYSEC-2026-2465", []string{"1.2.5"}, finding.SeverityHigh},
			{"dulwich", "1.2.1", "PYSEC-2026-2466", []string{"1.2.5"}, finding.SeverityMedium},
			{"idna", "3.13", "PYSEC-2026-215", []string{"3.15"}, finding.SeverityMedium},
			{"urllib3", "2.6.3", "PYSEC-2026-141", []string{"2.7.0"}, finding.SeverityMedium},
			{"urllib3", "2.6.3", "PYSEC-2026-142", []string{"2.7.0"}, finding.SeverityHigh},
		}},
		{"lockfiles/real/poetry-2022-09-18.poetry.lock", false, []want{
			{"cleo", "1.0.0a5", "PYSEC-2022-43178", []string{"2.0.0"}, finding.SeverityHigh},
			{"urllib3", "1.26.12", "PYSEC-2023-192", []string{"1.26.17", "2.0.6"}, finding.SeverityHigh},
			{"certifi", "2022.9.14", "PYSEC-2022-42986", []string{"2022.12.7"}, finding.SeverityUnknown},
			{"virtualenv", "20.16.5", "PYSEC-2024-187", []string{"20.26.6"}, finding.SeverityCritical},
		}},
	}
	for _, c := range cases {
		inv, err := inventory.Load([]string{filepath.Join(dir, c.file)}, inventory.Options{})
		if err != nil {
			t.Fatal(err)
		}
		res := Check(inv, db)
		var got []want
		for _, f := range res.Findings {
			got = append(got, want{f.Package, f.Version, f.ID, f.Fix, f.Severity})
		}
		for _, w := range c.wants {
			if !slices.ContainsFunc(got, func(g want) bool {
				return g.pkg == w.pkg && g.version == w.version && g.id == w.id && slices.Equal(g.fix, w.fix) && g.sev == w.sev
			}) {
				t.Errorf("%s: missing %+v", c.file, w)
			}
		}
		if c.all && len(got) != len(c.wants) {
			t.Errorf("%s: %d findings, want %d: %+v", c.file, len(got), len(c.wants), got)
		}
		for _, f := range res.Findings {
			if f.Location == nil || f.Location.Line == 0 || !f.Exact {
				t.Errorf("%s: finding %s without a line or not exact: %+v", c.file, f.ID, f.Location)
			}
		}
	}
}

// TestCorpusBuildBounds audits the releases of torch around the bounds its
// advisories give as "2.6.0-cu124" and "2.6.0-NA": a current release gets
// none of them, 2.6.0 (and its CUDA build) gets them with the reading in
// the evidence.
func TestCorpusBuildBounds(t *testing.T) {
	dir := os.Getenv("PYVET_CORPUS")
	if dir == "" {
		t.Skip("PYVET_CORPUS not set; skipping corpus test")
	}
	zips, _ := filepath.Glob(filepath.Join(dir, "advisories", "*.zip"))
	if len(zips) != 1 {
		t.Fatalf("advisory zips: %v", zips)
	}
	db, err := advisory.Open(zips[0])
	if err != nil {
		t.Fatal(err)
	}
	tagged := []string{"PYSEC-2025-189", "PYSEC-2025-190", "PYSEC-2025-192", "PYSEC-2025-193", "PYSEC-2025-194", "PYSEC-2025-195", "PYSEC-2025-196", "PYSEC-2025-197"}
	for _, c := range []struct {
		version string
		want    bool
	}{{"2.12.1", false}, {"2.6.1", false}, {"2.6.0", true}, {"2.6.0+cu124", true}, {"2.5.1", true}} {
		res := Check(&inventory.Inventory{Packages: []*inventory.Package{{Name: "torch", Version: c.version, Source: inventory.Source{Kind: inventory.SourceIndex}}}}, db)
		for _, id := range tagged {
			i := slices.IndexFunc(res.Findings, func(f finding.Finding) bool { return f.ID == id })
			if (i >= 0) != c.want {
				t.Errorf("torch %s: %s reported = %v, want %v", c.version, id, i >= 0, c.want)
				continue
			}
			if i >= 0 && !strings.Contains(res.Findings[i].Evidence["bounds"], " read as 2.6.0") {
				t.Errorf("torch %s: %s evidence = %v", c.version, id, res.Findings[i].Evidence)
			}
		}
	}
}
