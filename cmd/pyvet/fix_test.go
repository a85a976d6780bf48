package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/pypi/pypitest"
)

// waitRecorder is an app's httpSleep that records the waits between two
// attempts of a request instead of spending them, so retry tests run at once.
type waitRecorder struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (w *waitRecorder) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.waits = append(w.waits, d)
	return ctx.Err()
}

// count is the number of waits recorded.
func (w *waitRecorder) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.waits)
}

// runCmd runs `pyvet args...` offline with a private cache and returns stdout and the error.
func runCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&bytes.Buffer{})
	root.SetArgs(append([]string{"--offline", "--quiet", "--cache-dir", t.TempDir()}, args...))
	err := root.Execute()
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

// runOnline runs `pyvet args...` with the network allowed (for httptest
// servers) and a private cache.
func runOnline(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return runOnlineApp(t, &app{}, args...)
}

// runOnlineApp is runOnline with the run's test hooks given.
func runOnlineApp(t *testing.T, a *app, args ...string) (string, error) {
	t.Helper()
	root := a.rootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&bytes.Buffer{})
	root.SetArgs(append([]string{"--quiet", "--cache-dir", t.TempDir()}, args...))
	err := root.Execute()
	return out.String(), err
}

func writeFile(t *testing.T, path, content string, perm os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), perm); err != nil {
		t.Fatal(err)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// writeAdvisories writes generated OSV advisories ("introduced:fixed") for
// one package into a new directory.
func writeAdvisories(t *testing.T, name string, advisories map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for id, r := range advisories {
		intro, fixed, _ := strings.Cut(r, ":")
		doc := fmt.Sprintf(`{"id": %q, "modified": "2025-01-01T00:00:00Z", "summary": "generated", "affected": [{"package": {"ecosystem": "PyPI", "name": %q}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": %q}, {"fixed": %q}]}]}]}`, id, name, intro, fixed)
		writeFile(t, filepath.Join(dir, id+".json"), doc, 0o644)
	}
	return dir
}

// Offline, a hashed pin whose new hashes cannot be fetched is left as it
// is: the run exits 1 and names the line (it used to write
// setuptools==83.0.0 followed by 81.0.0's hashes, which pip refuses).
func TestFixHashedPinOffline(t *testing.T) {
	db := writeAdvisories(t, "setuptools", map[string]string{"PYSEC-S-1": "0:83.0.0"})
	req := filepath.Join(t.TempDir(), "requirements.txt")
	orig := "setuptools==81.0.0 \\\n    --hash=sha256:" + strings.Repeat("8", 64) + "\n"
	writeFile(t, req, orig, 0o644)
	out, err := runCmd(t, "fix", "--db", db, req)
	if exitCode(err) != exitFindings {
		t.Fatalf("exit = %v\n%s", err, out)
	}
	if !strings.Contains(out, "requirements.txt:1: setuptools:") || !strings.Contains(out, "could not be fetched") {
		t.Errorf("output does not name the line:\n%s", out)
	}
	if got := mustRead(t, req); got != orig {
		t.Errorf("file changed:\n%s", got)
	}
}

// The same with an index that fails (HTTP 500 on every request).
func TestFixHashedPinIndexFails(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "index down", http.StatusInternalServerError)
	}))
	defer srv.Close()
	db := writeAdvisories(t, "setuptools", map[string]string{"PYSEC-S-1": "0:83.0.0"})
	req := filepath.Join(t.TempDir(), "requirements.txt")
	orig := "--index-url " + srv.URL + "/simple\nsetuptools==81.0.0 \\\n    --hash=sha256:" + strings.Repeat("8", 64) + "\n"
	writeFile(t, req, orig, 0o644)
	w := &waitRecorder{}
	out, err := runOnlineApp(t, &app{httpSleep: w.sleep}, "fix", "--timeout", "2s", "--db", db, req)
	if exitCode(err) != exitFindings || !strings.Contains(out, "requirements.txt:2: setuptools:") {
		t.Fatalf("exit = %v\n%s", err, out)
	}
	if w.count() == 0 {
		t.Error("the index's 500 answers were not retried")
	}
	if got := mustRead(t, req); got != orig {
		t.Errorf("file changed:\n%s", got)
	}
}

// A project for Python 3.9 gets the next safe Django 4.2 release, not 6.0.7
// (which needs Python 3.12), in its pinned requirements line and in its
// pyproject range.
func TestFixRequiresPython(t *testing.T) {
	idx := t.TempDir()
	type rel struct{ v, py string }
	rels := []rel{{"4.2.0", ">=3.8"}, {"4.2.17", ">=3.8"}, {"5.0.0", ">=3.10"}, {"5.0.9", ">=3.10"}, {"6.0.7", ">=3.12"}}
	var parts []string
	for _, r := range rels {
		fn := "django-" + r.v + "-py3-none-any.whl"
		parts = append(parts, fmt.Sprintf(`%q: [{"filename": %q, "url": "https://files.example/%s", "requires_python": %q, "digests": {"sha256": %q}, "yanked": false}]`,
			r.v, fn, fn, r.py, strings.Repeat(r.v[:1], 64)))
	}
	writeFile(t, filepath.Join(idx, "django.json"), `{"info": {"name": "django", "version": "6.0.7"}, "releases": {`+strings.Join(parts, ", ")+`}}`, 0o644)
	srv := pypitest.New(t, pypitest.Layout{ProjectJSON: idx})
	db := writeAdvisories(t, "django", map[string]string{"PYSEC-D-1": "0:4.2.17", "PYSEC-D-2": "5.0.0:5.0.9"})
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "pyproject.toml"), "[project]\nname = \"app\"\nrequires-python = \">=3.9\"\ndependencies = [\"django>=4.2\"]\n", 0o644)
	writeFile(t, filepath.Join(dir, "requirements.txt"), "--index-url "+srv.URL+"/simple\ndjango==4.2.0\n", 0o644)
	// The index serves the JSON API only: the resolver check is left out.
	out, err := runOnline(t, "fix", "--no-deps", "--db", db, dir)
	if err != nil {
		t.Fatalf("fix: %v\n%s", err, out)
	}
	if got := mustRead(t, filepath.Join(dir, "requirements.txt")); !strings.HasSuffix(got, "\ndjango==4.2.17\n") {
		t.Errorf("requirements.txt:\n%s", got)
	}
	if got := mustRead(t, filepath.Join(dir, "pyproject.toml")); !strings.Contains(got, `"django>=4.2.17"`) {
		t.Errorf("pyproject.toml:\n%s", got)
	}
}

// fix reads audit's policy: an ignored advisory is neither fixed nor fails
// the run, in agreement with audit; fail-on decides the exit status.
func TestFixPolicy(t *testing.T) {
	dir := t.TempDir()
	req := filepath.Join(dir, "requirements.txt")
	orig := "requests==2.19.0\n"
	writeFile(t, req, orig, 0o644)
	writeFile(t, filepath.Join(dir, "pyvet.toml"), "[[ignore]]\nid = \"CVE-PYSEC-T-1\"\nreason = \"not reachable\"\n", 0o644)
	if _, err := runCmd(t, "audit", "--no-deps", "--db", testOSV, dir); err != nil {
		t.Fatalf("audit: %v", err)
	}
	out, err := runCmd(t, "fix", "--dry-run", "--db", testOSV, dir)
	if err != nil || strings.Contains(out, "+requests") || !strings.Contains(out, "ignored by the policy: requests 2.19.0 PYSEC-T-1") {
		t.Fatalf("fix --dry-run: %v\n%s", err, out)
	}
	if out, err := runCmd(t, "fix", "--db", testOSV, dir); err != nil || mustRead(t, req) != orig {
		t.Fatalf("fix rewrote an ignored advisory: %v\n%s", err, out)
	}
	// The same with --ignore-vuln ID:package and no policy file.
	os.Remove(filepath.Join(dir, "pyvet.toml"))
	if out, err := runCmd(t, "fix", "--dry-run", "--db", testOSV, "--ignore-vuln", "PYSEC-T-1:requests", dir); err != nil || strings.Contains(out, "+requests") {
		t.Fatalf("--ignore-vuln: %v\n%s", err, out)
	}
	// Below fail-on: the upgrade is still shown, the dry run exits 0.
	out, err = runCmd(t, "fix", "--dry-run", "--db", testOSV, "--fail-on", "critical", dir)
	if err != nil || !strings.Contains(out, "+requests==2.20.1") {
		t.Fatalf("--fail-on critical: %v\n%s", err, out)
	}
	if _, err := runCmd(t, "fix", "--dry-run", "--db", testOSV, dir); exitCode(err) != exitFindings {
		t.Fatalf("default fail-on: exit = %v", err)
	}
	// A broken policy is bad input.
	writeFile(t, filepath.Join(dir, "pyvet.toml"), "fail-on = 3\n", 0o644)
	if _, err := runCmd(t, "fix", "--dry-run", "--db", testOSV, dir); exitCode(err) != exitUsage {
		t.Fatalf("bad policy: exit = %v", err)
	}
}

// A read-only requirements file is not rewritten: exit 2, and no file of
// the fix changes.
func TestFixReadOnly(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "requirements.txt"), filepath.Join(dir, "requirements-dev.txt")
	writeFile(t, a, "requests==2.19.0\n", 0o644)
	writeFile(t, b, "urllib3==1.23\n", 0o444)
	_, err := runCmd(t, "fix", "--db", testOSV, dir)
	if exitCode(err) != exitUsage || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("exit = %v", err)
	}
	if mustRead(t, a) != "requests==2.19.0\n" || mustRead(t, b) != "urllib3==1.23\n" {
		t.Error("a file was written")
	}
}
