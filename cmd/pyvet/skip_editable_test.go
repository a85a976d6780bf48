package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAuditSkipEditable: --skip-editable leaves editable and local-path
// requirements out of the audit, with a warning naming them.
func TestAuditSkipEditable(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"pyproject.toml":          "[project]\nname = \"proj\"\nversion = \"1\"\n",
		"requirements.txt":        "-e ./localpkg\nsix==1.16.0\n",
		"localpkg/pyproject.toml": "[project]\nname = \"localpkg\"\nversion = \"0.1\"\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	req := filepath.Join(dir, "requirements.txt")
	names := func(args ...string) ([]string, string) {
		args = append([]string{"--cache-dir", t.TempDir(), "audit", "--no-deps", "--db", fixtureDB, "-f", "json", "-r", req}, args...)
		out, errs, code := runPyvet(t, args...)
		if code != 0 && code != 1 {
			t.Fatalf("audit %v: exit %d, stderr %q", args, code, errs)
		}
		var rep struct {
			Dependencies []struct{ Name string } `json:"dependencies"`
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("audit output: %v", err)
		}
		var got []string
		for _, d := range rep.Dependencies {
			got = append(got, d.Name)
		}
		return got, errs
	}
	all, _ := names()
	if strings.Join(all, ",") != "localpkg,six" {
		t.Errorf("without --skip-editable: %v", all)
	}
	kept, errs := names("--skip-editable")
	if strings.Join(kept, ",") != "six" || !strings.Contains(errs, "skipped 1 editable or local-path packages: localpkg") {
		t.Errorf("with --skip-editable: %v, stderr %q", kept, errs)
	}
}
