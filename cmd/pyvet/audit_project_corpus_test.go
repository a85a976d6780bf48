package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestAuditNeverMatchesTheProjectCorpus: the root a uv.lock records (sentry
// 0.0.0 and transformers 4.39.0.dev0, both `virtual`/`editable = "."`) is the
// project itself, never matched against the advisories for the PyPI package
// of its name; the SBOM names it as its subject, not as a component.
func TestAuditNeverMatchesTheProjectCorpus(t *testing.T) {
	c := os.Getenv("PYVET_CORPUS")
	if c == "" {
		t.Skip("PYVET_CORPUS not set; skipping corpus test")
	}
	db := filepath.Join(c, "advisories", "pypi-osv-2026-07-23.zip")
	for _, tc := range []struct{ project, version string }{{"sentry", "0.0.0"}, {"transformers", "4.39.0.dev0"}} {
		t.Run(tc.project, func(t *testing.T) {
			lock := filepath.Join(c, "lockfiles", "uv", "test", "ecosystem", tc.project, "uv.lock")
			if _, err := os.Stat(lock); err != nil {
				t.Skipf("corpus without %s: %v", lock, err)
			}
			cache := t.TempDir()
			out, errs, code := runPyvet(t, "--cache-dir", cache, "--offline", "-q", "audit", "--db", db, "--format", "json", lock)
			if code != 0 && code != 1 {
				t.Fatalf("audit: exit %d, stderr %q", code, errs)
			}
			var rep struct {
				Findings []struct {
					Package, Version, ID string
				} `json:"findings"`
				Dependencies []struct {
					Name, Version string
					Vulns         []json.RawMessage `json:"vulns"`
				} `json:"dependencies"`
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("audit output: %v", err)
			}
			if len(rep.Dependencies) < 100 {
				t.Fatalf("only %d dependencies read from %s", len(rep.Dependencies), lock)
			}
			for _, f := range rep.Findings {
				if f.Package == tc.project {
					t.Errorf("finding %s for the project itself (%s %s)", f.ID, f.Package, f.Version)
				}
			}
			for _, d := range rep.Dependencies {
				if d.Name == tc.project && len(d.Vulns) > 0 {
					t.Errorf("the project %s %s has %d vulnerabilities", d.Name, d.Version, len(d.Vulns))
				}
			}

			out, errs, code = runPyvet(t, "--cache-dir", cache, "--offline", "-q", "sbom", "--db", db, "--with-vulns", lock)
			if code != 0 && code != 1 {
				t.Fatalf("sbom: exit %d, stderr %q", code, errs)
			}
			var bom struct {
				Metadata struct {
					Component struct{ Name, Version string } `json:"component"`
				} `json:"metadata"`
				Components []struct{ Name string } `json:"components"`
			}
			if err := json.Unmarshal([]byte(out), &bom); err != nil {
				t.Fatalf("sbom output: %v", err)
			}
			if bom.Metadata.Component.Name != tc.project || bom.Metadata.Component.Version != tc.version {
				t.Errorf("SBOM subject = %+v, want %s %s", bom.Metadata.Component, tc.project, tc.version)
			}
			for _, comp := range bom.Components {
				if comp.Name == tc.project {
					t.Errorf("the project %s is listed as a component of its own SBOM", tc.project)
				}
			}
		})
	}
}
