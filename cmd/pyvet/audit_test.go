package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/advisory"
)

// fixtureDB is the advisory package's test database (foo-bar: PYSEC-2099-1 /
// GHSA-aaaa-bbbb-cccc below 1.5, PYSEC-2099-2 for 2.0-2.3; evil-pkg: MAL-2099-7;
// rangey: PYSEC-2099-4).
var fixtureDB = filepath.Join("..", "..", "internal", "advisory", "testdata", "osv")

// runPyvet runs pyvet with args and returns stdout, stderr and the exit status.
func runPyvet(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return runPyvetApp(t, &app{}, args...)
}

// runPyvetApp is runPyvet with the run's shared state (test hooks) given.
func runPyvetApp(t *testing.T, a *app, args ...string) (string, string, int) {
	t.Helper()
	root := a.rootCmd()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(joinOptionalValues(root, args))
	// The one mapping main uses: the tests see what users get.
	code, msg := exitStatus(root.Execute())
	if msg != nil {
		errb.WriteString(msg.Error())
	}
	return out.String(), errb.String(), code
}

func writeReqs(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "requirements.txt")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAuditExitCodesAndFlags(t *testing.T) {
	cache := t.TempDir()
	vulnerable := writeReqs(t, "Foo_Bar==1.0.0\nsafe==1.0\n")
	clean := writeReqs(t, "foo-bar==1.5\n")
	unpinned := writeReqs(t, "foo.bar>=2.2\n")
	base := []string{"--cache-dir", cache, "-q", "audit", "--no-deps", "--db", fixtureDB}

	out, _, code := runPyvet(t, append(base, "-r", vulnerable, "-f", "json")...)
	if code != 1 {
		t.Fatalf("vulnerable: exit %d\n%s", code, out)
	}
	var rep struct {
		Dependencies []struct {
			Name  string `json:"name"`
			Vulns []struct {
				ID          string   `json:"id"`
				FixVersions []string `json:"fix_versions"`
				Aliases     []string `json:"aliases"`
			} `json:"vulns"`
		} `json:"dependencies"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	found := false
	for _, d := range rep.Dependencies {
		if d.Name == "foo-bar" {
			found = len(d.Vulns) == 1 && d.Vulns[0].ID == "PYSEC-2099-1" && strings.Join(d.Vulns[0].FixVersions, ",") == "1.5" && len(d.Vulns[0].Aliases) == 2
		}
	}
	if !found {
		t.Errorf("foo-bar not reported once as PYSEC-2099-1 with its aliases:\n%s", out)
	}

	if _, _, code := runPyvet(t, append(base, "-r", clean)...); code != 0 {
		t.Errorf("clean: exit %d", code)
	}
	// Ignoring by an alias ignores the group.
	if _, _, code := runPyvet(t, append(base, "-r", vulnerable, "--ignore-vuln", "CVE-2099-0001")...); code != 0 {
		t.Errorf("--ignore-vuln: exit %d", code)
	}
	// PYSEC-2099-1 is critical (9.8): a critical gate still fails, malicious does not.
	if _, _, code := runPyvet(t, append(base, "-r", vulnerable, "--fail-on", "critical")...); code != 1 {
		t.Errorf("--fail-on critical: exit %d", code)
	}
	if _, _, code := runPyvet(t, append(base, "-r", vulnerable, "--fail-on", "malicious")...); code != 0 {
		t.Errorf("--fail-on malicious: exit %d", code)
	}
	// Unpinned: reported as not exact; --strict fails even when ignored.
	out, _, code = runPyvet(t, append(base, "-r", unpinned, "-f", "json")...)
	if code != 1 || !strings.Contains(out, "PYSEC-2099-2") || !strings.Contains(out, `"exact": false`) {
		t.Errorf("unpinned: exit %d\n%s", code, out)
	}
	_, errs, code := runPyvet(t, append(base, "-r", unpinned, "--ignore-vuln", "PYSEC-2099-2", "--strict")...)
	if code != 1 || !strings.Contains(errs, "--strict") || !strings.Contains(errs, "foo-bar") {
		t.Errorf("--strict: exit %d, stderr %q", code, errs)
	}
	// -o writes the report to a file.
	outFile := filepath.Join(t.TempDir(), "report.md")
	if _, _, code := runPyvet(t, append(base, "-r", vulnerable, "-f", "markdown", "-o", outFile)...); code != 1 {
		t.Errorf("-o: exit %d", code)
	}
	if b, err := os.ReadFile(outFile); err != nil || !strings.Contains(string(b), "PYSEC-2099-1") {
		t.Errorf("-o file: %v\n%s", err, b)
	}
	// Bad usage and bad input exit 2 and say why.
	for _, args := range [][]string{
		append(base, "-r", vulnerable, "-f", "yaml"),
		append(base, "-r", vulnerable, "--fail-on", "severe"),
		append(base, "-r", filepath.Join(t.TempDir(), "missing.txt")),
		{"--cache-dir", cache, "-q", "audit", "--no-deps", "--db", filepath.Join(t.TempDir(), "none.zip"), "-r", vulnerable},
	} {
		if _, errs, code := runPyvet(t, args...); code != 2 || errs == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
		}
	}
}

func TestAuditCachedDatabase(t *testing.T) {
	cache := t.TempDir()
	reqs := writeReqs(t, "evil_pkg==0.1\n")
	_, errs, code := runPyvet(t, "--cache-dir", cache, "--offline", "-q", "audit", "--no-deps", "-r", reqs)
	if code != 2 || !strings.Contains(errs, "pyvet db update") {
		t.Fatalf("no database, offline: exit %d, stderr %q", code, errs)
	}
	if out, errs, code := runPyvet(t, "--cache-dir", cache, "-q", "db", "update", "--from", fixtureDB); code != 0 {
		t.Fatalf("db update --from: exit %d %s %s", code, out, errs)
	}
	out, _, code := runPyvet(t, "--cache-dir", cache, "--offline", "-q", "audit", "--no-deps", "-r", reqs)
	if code != 1 || !strings.Contains(out, "MAL-2099-7") || !strings.Contains(out, "malicious") {
		t.Errorf("cached database: exit %d\n%s", code, out)
	}
	out, _, code = runPyvet(t, "--cache-dir", cache, "db", "status")
	if code != 0 || !strings.Contains(out, "Advisories:  6 (1 withdrawn), 3 packages") {
		t.Errorf("db status: exit %d\n%s", code, out)
	}
}

// zipFixture writes the fixture database as an OSV export zip and returns its bytes.
func zipFixture(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	err := filepath.WalkDir(fixtureDB, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		w, err := zw.Create(filepath.Base(p))
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestAuditRefreshesStaleDatabase(t *testing.T) {
	data := zipFixture(t)
	var requests atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("ETag", fmt.Sprintf(`"%d"`, requests.Load()))
		w.Write(data)
	}))
	defer ts.Close()
	t.Setenv(advisory.EnvURL, ts.URL+"/PyPI/all.zip")
	cache := t.TempDir()
	old := time.Now().Add(-3 * 24 * time.Hour)
	if _, err := advisory.Update(context.Background(), advisory.UpdateOptions{CacheDir: cache, Now: func() time.Time { return old }}); err != nil {
		t.Fatal(err)
	}
	reqs := writeReqs(t, "evil_pkg==0.1\n")
	// --offline: the stale database is used as it is.
	if _, _, code := runPyvet(t, "--cache-dir", cache, "--offline", "-q", "audit", "--no-deps", "-r", reqs); code != 1 || requests.Load() != 1 {
		t.Fatalf("offline: exit %d, %d requests", code, requests.Load())
	}
	// Online: it is refreshed first.
	if _, _, code := runPyvet(t, "--cache-dir", cache, "-q", "audit", "--no-deps", "-r", reqs); code != 1 || requests.Load() != 2 {
		t.Fatalf("online: exit %d, %d requests", code, requests.Load())
	}
	m, err := advisory.Status(cache)
	if err != nil || m.ETag != `"2"` || m.Age(time.Now()) > time.Hour {
		t.Errorf("after refresh: %+v, %v", m, err)
	}
	// Fresh now: no request.
	if _, _, code := runPyvet(t, "--cache-dir", cache, "-q", "audit", "--no-deps", "-r", reqs); code != 1 || requests.Load() != 2 {
		t.Errorf("fresh: exit %d, %d requests", code, requests.Load())
	}
}
