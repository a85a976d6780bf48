package audit

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/policy"
)

var fixtureDB = filepath.Join("..", "advisory", "testdata", "osv")

func writeReqs(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "requirements.txt")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunFindsAndGates(t *testing.T) {
	now := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	reqs := writeReqs(t, "Foo_Bar==1.0.0\nflask>=2\n")
	o := Options{Paths: []string{reqs}, DBPath: fixtureDB, CacheDir: t.TempDir(), Offline: true, Now: func() time.Time { return now }}
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range res.Findings {
		if f.ID == "PYSEC-2099-1" && f.Package == "foo-bar" {
			found = true
		}
		if strings.HasPrefix(f.Rule, "pin-") {
			t.Errorf("a plain audit ran the pinning check: %+v", f)
		}
	}
	if !found || !res.Failed {
		t.Fatalf("findings %+v, failed %v", res.Findings, res.Failed)
	}
	if res.Meta["fail_on"] != "low" || res.Meta["database"] == "" || len(res.Unaudited) != 0 {
		t.Errorf("meta %v, unaudited %v", res.Meta, res.Unaudited)
	}
	if _, ok := res.Skipped["flask"]; !ok {
		t.Errorf("the unpinned flask is not reported as inexact: %v", res.Skipped)
	}

	// --strict: the inexact package fails the run; ignoring the advisory
	// alone does not pass it.
	o.Strict = true
	o.Policy = policy.Flags{Ignore: []string{"PYSEC-2099-1"}}
	res, err = Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Unaudited) != 1 || !strings.HasPrefix(res.Unaudited[0], "flask: ") || !res.Failed {
		t.Errorf("strict: unaudited %v, failed %v", res.Unaudited, res.Failed)
	}

	// --all offline: the pinning check runs and reports the loose flask.
	o.Strict, o.All = false, true
	res, err = Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	pinned := false
	for _, f := range res.Findings {
		if f.Package == "flask" && strings.HasPrefix(f.Rule, "pin-") {
			pinned = true
		}
	}
	if !pinned {
		t.Errorf("--all: no pinning finding for flask: %+v", res.Findings)
	}
}

func TestRunErrorsNameTheInput(t *testing.T) {
	reqs := writeReqs(t, "foo==1\n")
	cache := t.TempDir()
	for name, o := range map[string]Options{
		"--db":      {Paths: []string{reqs}, DBPath: filepath.Join(cache, "missing.zip"), CacheDir: cache, Offline: true},
		"no db":     {Paths: []string{reqs}, CacheDir: cache, Offline: true},
		"--service": {Paths: []string{reqs}, Service: "ftp://example.invalid", CacheDir: cache, Offline: true},
		"input":     {Paths: []string{filepath.Join(cache, "nope.txt")}, DBPath: fixtureDB, CacheDir: cache, Offline: true},
	} {
		_, err := Run(context.Background(), o)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error of several lines: %q", name, err)
		}
		if (name == "--db" || name == "--service") && !strings.HasPrefix(err.Error(), name) {
			t.Errorf("%s: error %q does not name the flag", name, err)
		}
	}
}
