package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/inventory"
)

// runDeps runs `pyvet deps args...` and returns stdout and the error.
func runDeps(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&bytes.Buffer{})
	root.SetArgs(append([]string{"deps", "--quiet"}, args...))
	err := root.Execute()
	return out.String(), err
}

func TestDepsExample(t *testing.T) {
	demo := filepath.Join("..", "..", "examples", "demo")
	out, err := runDeps(t, demo)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"django    3.2.0", "requests  2.19.1", "@main", "requirements.txt:3 (+1)"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	out, err = runDeps(t, "--format", "json", demo)
	if err != nil {
		t.Fatal(err)
	}
	var inv inventory.Inventory
	if err := json.Unmarshal([]byte(out), &inv); err != nil {
		t.Fatalf("json output: %v", err)
	}
	if len(inv.Packages) != 8 || len(inv.Sources) != 2 {
		t.Errorf("inventory: %d packages from %d sources", len(inv.Packages), len(inv.Sources))
	}
}

func TestDepsBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "requirements.txt")
	if err := os.WriteFile(bad, []byte("ok==1.0\n\n==2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{bad}, {dir}, {"--format", "xml", dir}, {"--platform", "beos", dir}, {filepath.Join(dir, "missing.txt")}} {
		out, err := runDeps(t, args...)
		var ex *exitError
		if !errors.As(err, &ex) || ex.code != exitUsage || ex.err == nil {
			t.Errorf("%v: want exit status %d with a message, got %v", args, exitUsage, err)
			continue
		}
		if out != "" {
			t.Errorf("%v: partial output %q", args, out)
		}
		if strings.Contains(ex.err.Error(), "\n") {
			t.Errorf("%v: error is not one line: %q", args, ex.err)
		}
	}
	_, err := runDeps(t, bad)
	if err == nil || !strings.Contains(err.Error(), bad+":3: ") {
		t.Errorf("error does not name file:line: %v", err)
	}
}
