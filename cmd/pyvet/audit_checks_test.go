package main

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/server"
)

// auditFindings runs audit with args and returns the (rule, package) pairs of
// its JSON findings and the exit status.
func auditFindings(t *testing.T, args ...string) (map[[2]string]bool, int) {
	t.Helper()
	out, errs, code := runPyvet(t, args...)
	var rep struct {
		Findings []struct {
			Rule    string `json:"rule"`
			ID      string `json:"id"`
			Package string `json:"package"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %v\nstdout: %s\nstderr: %s", args, err, out, errs)
	}
	got := map[[2]string]bool{}
	for _, f := range rep.Findings {
		key := f.Rule
		if f.ID != "" {
			key = f.ID
		}
		got[[2]string{key, f.Package}] = true
	}
	return got, code
}

func TestAuditAllRunsEveryOfflineCheck(t *testing.T) {
	cache := t.TempDir()
	if _, errs, code := runPyvet(t, "--cache-dir", cache, "-q", "pypi", "popularity", "--from", filepath.Join("testdata", "popularity.json")); code != 0 {
		t.Fatalf("popularity import: exit %d: %s", code, errs)
	}
	reqs := writeReqs(t, "Foo_Bar==1.0.0\nreqeusts==2.0\nflask>=2\n")
	base := []string{"--cache-dir", cache, "-q", "--offline", "audit", "--no-deps", "--db", fixtureDB, "-r", reqs, "-f", "json"}

	plain, code := auditFindings(t, base...)
	if code != 1 || !plain[[2]string{"PYSEC-2099-1", "foo-bar"}] {
		t.Fatalf("plain audit: exit %d, findings %v", code, plain)
	}
	if plain[[2]string{"typosquat", "reqeusts"}] || plain[[2]string{"pin-loose", "flask"}] {
		t.Errorf("plain audit ran checks only --all asks for: %v", plain)
	}

	all, code := auditFindings(t, append(base, "--all")...)
	if code != 1 {
		t.Errorf("--all: exit %d", code)
	}
	for _, want := range [][2]string{{"PYSEC-2099-1", "foo-bar"}, {"typosquat", "reqeusts"}} {
		if !all[want] {
			t.Errorf("--all: missing %v in %v", want, all)
		}
	}
	pinned := false
	for k := range all {
		if k[1] == "flask" && len(k[0]) > 4 && k[0][:4] == "pin-" {
			pinned = true
		}
	}
	if !pinned {
		t.Errorf("--all: no mutable-reference finding for the unpinned flask: %v", all)
	}
}

func TestAuditServiceMatchesLocal(t *testing.T) {
	db, err := advisory.Open(fixtureDB)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	src, err := server.NewDBSource(db, 0)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(src, server.Options{}).Handler())
	defer srv.Close()

	reqs := writeReqs(t, "Foo_Bar==1.0.0\nevil-pkg==0.1\nsafe==1.0\n")
	cache := t.TempDir()
	local, lcode := auditFindings(t, "--cache-dir", cache, "-q", "audit", "--no-deps", "--db", fixtureDB, "-r", reqs, "-f", "json")
	remote, rcode := auditFindings(t, "--cache-dir", cache, "-q", "audit", "--no-deps", "--service", srv.URL, "-r", reqs, "-f", "json")
	if lcode != 1 || rcode != 1 || len(local) == 0 {
		t.Fatalf("exit local %d remote %d; local findings %v", lcode, rcode, local)
	}
	if len(local) != len(remote) {
		t.Fatalf("local %v != remote %v", local, remote)
	}
	for k := range local {
		if !remote[k] {
			t.Errorf("remote misses %v", k)
		}
	}
	w := &waitRecorder{}
	if _, errs, code := runPyvetApp(t, &app{httpSleep: w.sleep}, "-q", "audit", "--no-deps", "--service", "http://127.0.0.1:1", "-r", reqs); code != exitNetwork || errs == "" || w.count() == 0 {
		t.Errorf("unreachable service: exit %d, stderr %q", code, errs)
	}
}

func TestAuditEnforcesRequiredAttestations(t *testing.T) {
	dir := t.TempDir()
	reqs := filepath.Join(dir, "requirements.txt")
	pol := filepath.Join(dir, "pyvet.toml")
	if err := os.WriteFile(reqs, []byte("safe==1.0\nother==2.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pol, []byte("[verify]\nrequire-attestations = [\"safe\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, code := auditFindings(t, "--cache-dir", t.TempDir(), "-q", "--offline", "audit", "--no-deps", "--db", fixtureDB, dir, "-f", "json")
	if code != 1 || !got[[2]string{"attestation-required-unchecked", "safe"}] {
		t.Fatalf("exit %d, findings %v", code, got)
	}
	if got[[2]string{"attestation-required-unchecked", "other"}] {
		t.Errorf("a package the policy does not name was required: %v", got)
	}
	// Without the requirement the same project passes.
	if err := os.WriteFile(pol, []byte("fail-on = \"high\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, code := auditFindings(t, "--cache-dir", t.TempDir(), "-q", "--offline", "audit", "--no-deps", "--db", fixtureDB, dir, "-f", "json"); code != 0 || len(got) != 0 {
		t.Errorf("no requirement: exit %d, findings %v", code, got)
	}
}

// TestAuditOfflineAttestationsNotChecked: offline, the attestations of a
// lockfile's files are one warning for the run, not a finding per file; not
// checked is never passed as attested when the policy requires attestations.
func TestAuditOfflineAttestationsNotChecked(t *testing.T) {
	dir := t.TempDir()
	var lock strings.Builder
	lock.WriteString("version = 1\nrequires-python = \">=3.9\"\n")
	for i, name := range []string{"safe", "other"} {
		fmt.Fprintf(&lock, "\n[[package]]\nname = %q\nversion = \"1.0\"\nsource = { registry = \"https://pypi.org/simple\" }\n", name)
		fmt.Fprintf(&lock, "sdist = { url = \"https://files.example/%s-1.0.tar.gz\", hash = \"sha256:%s\", size = 10 }\n", name, strings.Repeat(fmt.Sprintf("%x", i+1), 64))
		fmt.Fprintf(&lock, "wheels = [{ url = \"https://files.example/%s-1.0-py3-none-any.whl\", hash = \"sha256:%s\", size = 10 }]\n", name, strings.Repeat(fmt.Sprintf("%x", i+3), 64))
	}
	if err := os.WriteFile(filepath.Join(dir, "uv.lock"), []byte(lock.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func() (map[[2]string]bool, string, int) {
		t.Helper()
		out, errs, code := runPyvet(t, "--cache-dir", t.TempDir(), "--offline", "audit", "--db", fixtureDB, "--attestations", filepath.Join(dir, "uv.lock"), "-f", "json")
		var rep struct {
			Findings []struct{ Rule, Package string } `json:"findings"`
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("%v\nstdout: %s\nstderr: %s", err, out, errs)
		}
		got := map[[2]string]bool{}
		for _, f := range rep.Findings {
			got[[2]string{f.Rule, f.Package}] = true
		}
		return got, errs, code
	}
	got, errs, code := run()
	if code != 0 || len(got) != 0 || !strings.Contains(errs, "attestations not checked: offline (4 files)") {
		t.Errorf("no requirement: exit %d, findings %v, stderr %q", code, got, errs)
	}
	if err := os.WriteFile(filepath.Join(dir, "pyvet.toml"), []byte("[verify]\nrequire-attestations = [\"safe\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, errs, code = run()
	if code != 1 || len(got) != 1 || !got[[2]string{"attestation-required-unchecked", "safe"}] || !strings.Contains(errs, "attestations not checked: offline (4 files)") {
		t.Errorf("safe required: exit %d, findings %v, stderr %q", code, got, errs)
	}
}
