package verify

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// writeTestFile writes body to path, creating its directory.
func writeTestFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Env checks $VIRTUAL_ENV when no environment is named, and fails on a
// file that differs from its RECORD; a cancelled run checks nothing.
func TestEnvEntryPoint(t *testing.T) {
	venv := filepath.Join(t.TempDir(), "venv")
	sp := filepath.Join(venv, "lib", "python3.12", "site-packages")
	writeTestFile(t, filepath.Join(sp, "x-1.0.dist-info", "METADATA"), "Metadata-Version: 2.1\nName: x\nVersion: 1.0\n")
	// sha256 of the empty file.
	writeTestFile(t, filepath.Join(sp, "x-1.0.dist-info", "RECORD"), "x.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\n"+
		"x-1.0.dist-info/METADATA,,\nx-1.0.dist-info/RECORD,,\n")
	writeTestFile(t, filepath.Join(sp, "x.py"), "")
	t.Setenv("VIRTUAL_ENV", venv)
	rep, err := Env(context.Background(), EnvOptions{})
	if err != nil || rep.Failed() || rep.Packages != 1 || len(rep.Problems) != 1 || rep.Problems[0].Kind != "unhashed" {
		t.Fatalf("clean environment: %+v, %v", rep, err)
	}
	writeTestFile(t, filepath.Join(sp, "x.py"), "changed\n")
	rep, err = Env(context.Background(), EnvOptions{Venv: venv})
	if err != nil || !rep.Failed() || len(rep.Problems) != 2 {
		t.Fatalf("modified file: %+v, %v", rep, err)
	}
	rules := map[string]bool{}
	for _, f := range rep.Findings() {
		rules[f.Rule] = true
	}
	if !rules["record-modified"] || !rules["record-unhashed"] {
		t.Errorf("findings %v", rules)
	}
	if _, err := Env(context.Background(), EnvOptions{Venv: filepath.Join(venv, "none")}); err == nil {
		t.Error("a missing environment is not an error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Env(ctx, EnvOptions{Venv: venv}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// Hashes matches a wheelhouse against a requirements file's pins and fails
// on a file whose content changed.
func TestHashesEntryPoint(t *testing.T) {
	dir := t.TempDir()
	wh := filepath.Join(dir, "wh")
	whl := filepath.Join(wh, "x-1.0-py3-none-any.whl")
	writeTestFile(t, whl, "")
	req := filepath.Join(dir, "requirements.txt")
	writeTestFile(t, req, "x==1.0 --hash=sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n")
	rep, err := Hashes(context.Background(), HashesOptions{Path: wh, Lockfiles: []string{req}})
	if err != nil || rep.Failed() || len(rep.Results) != 1 || rep.Results[0].Status != "ok" {
		t.Fatalf("matching file: %+v, %v", rep, err)
	}
	writeTestFile(t, whl, "tampered")
	rep, err = Hashes(context.Background(), HashesOptions{Path: whl, Lockfiles: []string{req}})
	if err != nil || !rep.Failed() || rep.Results[0].Status != "mismatch" || len(rep.Findings) != 1 || rep.Findings[0].Rule != "hash-mismatch" {
		t.Fatalf("tampered file: %+v, %v", rep, err)
	}
	if _, err := Hashes(context.Background(), HashesOptions{Path: wh, Lockfiles: []string{filepath.Join(dir, "missing.txt")}}); err == nil {
		t.Error("a missing lockfile is not an error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Hashes(ctx, HashesOptions{Path: wh, Lockfiles: []string{req}}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
