package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/pypi/pypitest"
)

// fix checks its plan with the resolver: the upgrade is reported as
// installable with the rest of the project when it is; when the smallest
// fix conflicts with another pin, the next safe version that installs is
// taken and the plan says why; when none does, the package is a hand edit
// with the resolver's explanation; the plan says it was not checked when
// the index cannot be read, and --no-deps skips the check.
func TestFixChecksPlanWithResolver(t *testing.T) {
	wheel := func(name, v string) []string { return []string{pypitest.Wheel(name, v, "py3-none-any")} }
	u := map[string]map[string]*pypitest.Release{
		"requests": {
			"2.19.0": {Requires: []string{"idna>=2.5"}, Files: wheel("requests", "2.19.0")},
			"2.20.1": {Requires: []string{"idna>=2.6"}, Files: wheel("requests", "2.20.1")},
			"2.21.0": {Requires: []string{"idna>=2.5,<2.7"}, Files: wheel("requests", "2.21.0")},
		},
		"idna": {
			"2.4": {Files: wheel("idna", "2.4")},
			"2.5": {Files: wheel("idna", "2.5")},
			"2.7": {Files: wheel("idna", "2.7")},
		},
	}
	srv := pypitest.New(t, pypitest.WriteUniverse(t, u, pypitest.ModeJSON))
	index := srv.URL + "/simple"
	run := func(reqs, want string, extra ...string) string {
		t.Helper()
		req := filepath.Join(t.TempDir(), "requirements.txt")
		writeFile(t, req, reqs, 0o644)
		args := append([]string{"--cache-dir", t.TempDir(), "-q"}, extra...)
		args = append(args, "fix", "--dry-run", "--db", testOSV, "--index-url", index, req)
		out, errs, code := runPyvet(t, args...)
		if code != exitFindings {
			t.Fatalf("%v: exit %d\n%s\n%s", extra, code, out, errs)
		}
		if !strings.Contains(out, want) {
			t.Errorf("%v: the plan lacks %q:\n%s", extra, want, out)
		}
		return out + errs
	}
	if got := run("requests==2.19.0\nidna==2.7\n", "+requests==2.20.1"); !strings.Contains(got, "checked: the project resolves with these upgrades") {
		t.Errorf("compatible upgrade not reported as checked:\n%s", got)
	}
	// 2.20.1 needs idna>=2.6; 2.21.0, the next safe version, installs with idna 2.5.
	got := run("requests==2.19.0\nidna==2.5\n", "+requests==2.21.0")
	if !strings.Contains(got, "upgraded further so the project resolves: requests 2.21.0 (its smallest fix, 2.20.1,") || !strings.Contains(got, "checked: the project resolves") {
		t.Errorf("the conflicting smallest fix was not replaced:\n%s", got)
	}
	// idna 2.4: no safe requests version installs with it.
	got = run("requests==2.19.0\nidna==2.4\n", "no safe version installs with the rest of the project")
	if strings.Contains(got, "+requests==") || !strings.Contains(got, "idna") || strings.Contains(got, "checked: the project resolves") {
		t.Errorf("an impossible upgrade was written or not explained:\n%s", got)
	}
	if got := run("requests==2.19.0\nidna==2.7\n", "+requests==2.20.1", "--offline"); !strings.Contains(got, "not checked against the resolver") {
		t.Errorf("offline plan claims a check:\n%s", got)
	}
	req := filepath.Join(t.TempDir(), "requirements.txt")
	writeFile(t, req, "requests==2.19.0\nidna==2.7\n", 0o644)
	out, errs, _ := runPyvet(t, "--cache-dir", t.TempDir(), "-q", "fix", "--dry-run", "--no-deps", "--db", testOSV, "--index-url", index, req)
	if strings.Contains(out+errs, "resolve") {
		t.Errorf("--no-deps still checked the plan:\n%s\n%s", out, errs)
	}
}
