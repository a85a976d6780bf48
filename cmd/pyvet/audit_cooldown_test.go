package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/pypi"
	"github.com/pyvet/pyvet/internal/pypi/pypitest"
)

// cooldownFindings runs audit and returns its cooldown findings by package.
func cooldownFindings(t *testing.T, args ...string) (map[string]map[string]any, []string, int) {
	t.Helper()
	out, errs, code := runPyvet(t, args...)
	if code == 2 {
		t.Fatalf("%v: exit 2: %s", args, errs)
	}
	var rep struct {
		Findings []map[string]any `json:"findings"`
		Notes    []string         `json:"notes"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
	got := map[string]map[string]any{}
	for _, f := range rep.Findings {
		if f["rule"] == "cooldown" {
			got[f["package"].(string)] = f
		}
	}
	return got, rep.Notes, code
}

// The cooldown check runs on a plain audit of a uv.lock, from the upload
// times uv records, and follows [checks.cooldown] days.
func TestAuditCooldownUVLock(t *testing.T) {
	dir := t.TempDir()
	now := time.Now().UTC()
	stamp := func(d time.Duration) string { return now.Add(-d).Format("2006-01-02T15:04:05.000Z") }
	lock := fmt.Sprintf(`version = 1
revision = 3
requires-python = ">=3.12"

[[package]]
name = "app"
version = "0.1.0"
source = { virtual = "." }
dependencies = [{ name = "fresh" }, { name = "seasoned" }]

[[package]]
name = "fresh"
version = "2.0"
source = { registry = "https://pypi.org/simple" }
wheels = [{ url = "https://files.pythonhosted.org/packages/aa/fresh-2.0-py3-none-any.whl", hash = "sha256:%[3]s", size = 1000, upload-time = %[1]q }]

[[package]]
name = "seasoned"
version = "1.0"
source = { registry = "https://pypi.org/simple" }
wheels = [{ url = "https://files.pythonhosted.org/packages/aa/seasoned-1.0-py3-none-any.whl", hash = "sha256:%[3]s", size = 1000, upload-time = %[2]q }]
`, stamp(50*time.Hour), stamp(60*24*time.Hour), strings.Repeat("ab", 32))
	path := filepath.Join(dir, "uv.lock")
	if err := os.WriteFile(path, []byte(lock), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"--cache-dir", t.TempDir(), "-q", "--offline", "audit", "--db", fixtureDB, path, "-f", "json"}
	got, _, code := cooldownFindings(t, base...)
	f := got["fresh"]
	if len(got) != 1 || f == nil || code != 0 {
		t.Fatalf("findings %v, exit %d; want fresh only, exit 0 (info does not fail the run)", got, code)
	}
	if f["risk"] != "compromise" || f["owasp"] != float64(2) || f["severity"] != "info" || !strings.Contains(f["title"].(string), "2 days ago") ||
		!strings.Contains(f["action"].(string), "uv lock --exclude-newer") {
		t.Errorf("finding = %v", f)
	}
	for _, c := range []struct {
		policy string
		want   string
	}{
		{"[checks.cooldown]\ndays = 0", ""},
		{"[checks.cooldown]\ndays = 90", "fresh,seasoned"},
		{"[checks.cooldown]\ndays = 1", ""},
		{"[checks.compromise]\nenabled = false", ""},
		{"[checks.cooldown]\ndays = 3", "fresh"},
	} {
		if err := os.WriteFile(filepath.Join(dir, "pyvet.toml"), []byte(c.policy+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		got, _, _ := cooldownFindings(t, base...)
		var names []string
		for _, n := range []string{"fresh", "seasoned"} {
			if got[n] != nil {
				names = append(names, n)
			}
		}
		if strings.Join(names, ",") != c.want {
			t.Errorf("%s: reported %v, want %q", c.policy, names, c.want)
		}
	}
	// A project that enforces its cooldown raises the severity to the gate.
	if err := os.WriteFile(filepath.Join(dir, "pyvet.toml"), []byte("[severity]\ncooldown = \"medium\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _, code := cooldownFindings(t, base...); code != 1 || got["fresh"] == nil || got["fresh"]["severity"] != "medium" {
		t.Errorf("enforced cooldown: findings %v, exit %d; want fresh at medium, exit 1", got, code)
	}
}

// With --all, a requirements pin without upload times is looked up on the
// index, which also names the release to pin instead.
func TestAuditCooldownIndex(t *testing.T) {
	now := time.Now().UTC()
	dir := t.TempDir()
	at := func(d time.Duration) string { return now.Add(-d).Format(time.RFC3339) }
	proj := pypi.Project{Info: pypi.Info{Name: "newpin", Version: "1.3.0"}, Releases: map[string][]pypi.File{
		"1.2.0": {{Filename: "newpin-1.2.0.tar.gz", URL: "https://files.pythonhosted.org/packages/ab/newpin-1.2.0.tar.gz", UploadTime: at(90 * 24 * time.Hour), Size: 5000}},
		"1.3.0": {{Filename: "newpin-1.3.0.tar.gz", URL: "https://files.pythonhosted.org/packages/ab/newpin-1.3.0.tar.gz", UploadTime: at(5 * time.Hour), Size: 5000}},
	}}
	b, err := json.Marshal(proj)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "newpin.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	srv := pypitest.New(t, pypitest.Layout{ProjectJSON: dir})
	cache := t.TempDir()
	reqs := writeReqs(t, "newpin==1.3.0\n")
	got, _, _ := cooldownFindings(t, "--cache-dir", cache, "-q", "audit", "--no-deps", "--db", fixtureDB, "-r", reqs, "-f", "json")
	if len(got) != 0 {
		t.Errorf("without --all: %v", got)
	}
	if _, errs, code := runPyvet(t, "--cache-dir", cache, "-q", "pypi", "popularity", "--from", filepath.Join("testdata", "popularity.json")); code != 0 {
		t.Fatalf("popularity import: exit %d: %s", code, errs)
	}
	got, notes, code := cooldownFindings(t, "--cache-dir", cache, "-q", "audit", "--no-deps", "--db", fixtureDB, "-r", reqs, "--all", "--index-url", srv.URL+"/simple", "-f", "json")
	f := got["newpin"]
	if f == nil || code != 1 { // the other --all checks find the unknown project
		t.Fatalf("--all: findings %v, exit %d, notes %q", got, code, notes)
	}
	ev, _ := f["evidence"].(map[string]any)
	if f["severity"] != "info" || ev["previous"] != "1.2.0" || ev["source"] != "the index" || !strings.Contains(f["action"].(string), "newpin==1.2.0") {
		t.Errorf("finding = %v", f)
	}
}
