package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCmd runs `pyvet args...` offline with a private cache and returns stdout and the error.
func runCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&bytes.Buffer{})
	root.SetArgs(append([]string{"--offline", "--quiet", "--cache-dir", t.TempDir()}, args...))
	err := root.Execute()
	global = globalOptions{}
	return out.String(), err
}

var testOSV = filepath.Join("..", "..", "internal", "remedy", "testdata", "osv")

func exitCode(err error) int {
	var ex *exitError
	if errors.As(err, &ex) {
		return ex.code
	}
	if err != nil {
		return -1
	}
	return 0
}

func TestFixCommand(t *testing.T) {
	dir := t.TempDir()
	req := filepath.Join(dir, "requirements.txt")
	orig := "# app\nrequests==2.19.0  # pinned\nsix==1.10.0\n"
	if err := os.WriteFile(req, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runCmd(t, "fix", "--dry-run", "--db", testOSV, req)
	if exitCode(err) != exitFindings {
		t.Fatalf("dry run exit = %v\n%s", err, out)
	}
	if !strings.Contains(out, "-requests==2.19.0  # pinned\n+requests==2.20.1  # pinned\n") {
		t.Errorf("dry run diff:\n%s", out)
	}
	if b, _ := os.ReadFile(req); string(b) != orig {
		t.Error("dry run wrote the file")
	}
	out, err = runCmd(t, "fix", "--db", testOSV, req)
	if err != nil {
		t.Fatalf("fix: %v\n%s", err, out)
	}
	if b, _ := os.ReadFile(req); string(b) != "# app\nrequests==2.20.1  # pinned\nsix==1.10.0\n" {
		t.Errorf("fixed file:\n%s", b)
	}
	// Idempotent: nothing left to do.
	out, err = runCmd(t, "fix", "--dry-run", "--db", testOSV, req)
	if err != nil || !strings.Contains(out, "No known vulnerabilities") {
		t.Errorf("second run: %v\n%s", err, out)
	}
	out, err = runCmd(t, "fix", "--format", "json", "--db", testOSV, req)
	if err != nil || !strings.Contains(out, `"fixes": null`) && !strings.Contains(out, `"fixes": []`) {
		t.Errorf("json: %v\n%s", err, out)
	}
}

func TestFixBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"fix", "--format", "xml", dir},
		{"fix", "--db", filepath.Join(dir, "missing.zip"), dir},
		{"fix", "--db", testOSV, filepath.Join(dir, "missing.txt")},
	} {
		if _, err := runCmd(t, args...); exitCode(err) != exitUsage {
			t.Errorf("%v: exit = %v", args, err)
		}
	}
}
