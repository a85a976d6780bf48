package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const inlineScript = `#!/usr/bin/env -S uv run --script
# /// script
# requires-python = ">=3.9"
# dependencies = [
#   "sqlparse==0.4.1",
#   "rich>=13",
# ]
# ///
import sqlparse
`

// TestAuditInlineScript: a script's PEP 723 block is an input: its pinned
// dependency is matched and located at its line in the script, deps lists
// it, and without --no-deps its dependencies are resolved (an index that
// refuses connections: exit 2).
func TestAuditInlineScript(t *testing.T) {
	script := filepath.Join(t.TempDir(), "tool.py")
	if err := os.WriteFile(script, []byte(inlineScript), 0o644); err != nil {
		t.Fatal(err)
	}
	db := sqlparseAdvisoryDB(t)
	out, errs, code := runPyvet(t, "--cache-dir", t.TempDir(), "-q", "audit", script, "--no-deps", "--db", db, "-f", "json")
	if code != 1 {
		t.Fatalf("exit %d, stderr %s\n%s", code, errs, out)
	}
	var rep struct {
		Findings []struct {
			ID       string `json:"id"`
			Package  string `json:"package"`
			Version  string `json:"version"`
			Location struct {
				File string `json:"file"`
				Line int    `json:"line"`
			} `json:"location"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(rep.Findings) != 1 {
		t.Fatalf("findings %+v", rep.Findings)
	}
	f := rep.Findings[0]
	if f.ID != "PYSEC-2099-60" || f.Package != "sqlparse" || f.Version != "0.4.1" || f.Location.File != script || f.Location.Line != 5 {
		t.Errorf("finding %+v", f)
	}

	out, errs, code = runPyvet(t, "deps", script)
	if code != 0 || !strings.Contains(out, "sqlparse  0.4.1") || !strings.Contains(out, script+":5") || !strings.Contains(out, script+":6") {
		t.Errorf("deps: exit %d, stderr %s\n%s", code, errs, out)
	}

	out, errs, code = runPyvet(t, "--cache-dir", t.TempDir(), "-q", "audit", script, "--db", db, "--index-url", "http://127.0.0.1:1/simple")
	if code != exitNetwork || out != "" || !strings.Contains(errs, script+": resolution incomplete") {
		t.Errorf("resolution: exit %d, stdout %q, stderr %s", code, out, errs)
	}
}
