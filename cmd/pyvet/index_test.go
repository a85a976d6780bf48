package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/pypi/pypitest"
	"github.com/pyvet/pyvet/internal/report"
)

func runPypi(t *testing.T, cache string, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&bytes.Buffer{})
	root.SetArgs(append([]string{"--quiet", "--cache-dir", cache, "pypi"}, args...))
	err := root.Execute()
	return out.String(), err
}

func TestPypiInfo(t *testing.T) {
	srv := pypitest.New(t, pypitest.Layout{ProjectJSON: filepath.Join("..", "..", "internal", "pypi", "testdata", "pypi")})
	cache := t.TempDir()
	out, err := runPypi(t, cache, "info", "--json", "--index-url", srv.URL+"/simple", "Demo")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Package report.PackageInfo `json:"package"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	s := doc.Package
	if s.Name != "Demo" || s.Releases != 3 || len(s.Yanked) != 1 || s.Yanked[0] != "0.9.0" || s.License != "MIT" || s.FirstRelease != "2020-01-02" {
		t.Errorf("summary = %+v", s)
	}
	// The table form, then offline from the cache.
	out, err = runPypi(t, cache, "--offline", "info", "--index-url", srv.URL+"/simple", "demo")
	if err != nil || !strings.Contains(out, "MIT (permissive, from License)") {
		t.Errorf("offline table: %v\n%s", err, out)
	}
	if _, err := runPypi(t, cache, "info", "--index-url", srv.URL+"/simple", "no-such-thing"); exitCode(err) != exitFindings {
		t.Errorf("missing package: exit %d (%v)", exitCode(err), err)
	}
	if _, err := runPypi(t, cache, "info", "==1.0"); exitCode(err) != exitUsage {
		t.Errorf("empty name: exit %d", exitCode(err))
	}
}

func TestPypiPopularityImport(t *testing.T) {
	cache := t.TempDir()
	out, err := runPypi(t, cache, "popularity", "--from", filepath.Join("..", "..", "internal", "check", "typosquat", "testdata", "popular.json"))
	if err != nil || !strings.Contains(out, "10 packages") {
		t.Fatalf("%v: %s", err, out)
	}
	if _, err := runPypi(t, cache, "popularity", "--from", "index_test.go"); exitCode(err) != exitUsage {
		t.Errorf("bad file: exit %d", exitCode(err))
	}
	if _, err := runPypi(t, cache, "--offline", "popularity"); exitCode(err) != exitUsage {
		t.Errorf("offline download: exit %d", exitCode(err))
	}
}
