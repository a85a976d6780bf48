package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writePolicyFile(t *testing.T, path, body string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestAuditIgnoreVulnWithPackage: --ignore-vuln ID:package ignores the
// advisory for that package only, and an ignore that matches nothing is
// reported on standard error.
func TestAuditIgnoreVulnWithPackage(t *testing.T) {
	reqs := writeReqs(t, "foo-bar==1.0.0\n")
	base := []string{"--cache-dir", t.TempDir(), "-q", "audit", "--no-deps", "--db", fixtureDB, "-r", reqs}
	if _, errs, code := runPyvet(t, append(base, "--ignore-vuln", "PYSEC-2099-1:Foo_Bar")...); code != 0 {
		t.Errorf("ID:package: exit %d\n%s", code, errs)
	}
	if _, _, code := runPyvet(t, append(base, "--ignore-vuln", "GHSA-aaaa-bbbb-cccc:foo-bar")...); code != 0 {
		t.Errorf("alias:package: exit %d", code)
	}
	_, errs, code := runPyvet(t, append(base, "--ignore-vuln", "PYSEC-2099-1:other-pkg")...)
	if code != 1 || !strings.Contains(errs, "warning: ignore for PYSEC-2099-1 in other-pkg (--ignore-vuln) matched no finding") {
		t.Errorf("ignore for another package: exit %d\n%s", code, errs)
	}
	if _, errs, code := runPyvet(t, append(base, "--ignore-vuln", "PYSEC-2099-1:")...); code != 2 || !strings.Contains(errs, "--ignore-vuln") {
		t.Errorf("empty package: exit %d\n%s", code, errs)
	}
}

// TestAuditPolicyFlags: --policy, --disable and --enable exist on audit, and
// a bad policy is exit status 2 with file:line.
func TestAuditPolicyFlags(t *testing.T) {
	reqs := writeReqs(t, "foo-bar==1.0.0\n")
	dir := t.TempDir()
	base := []string{"--cache-dir", t.TempDir(), "-q", "audit", "--no-deps", "--db", fixtureDB, "-r", reqs}
	if _, _, code := runPyvet(t, append(base, "--disable", "vulnerability")...); code != 0 {
		t.Errorf("--disable vulnerability: exit %d", code)
	}
	if _, _, code := runPyvet(t, append(base, "--disable", "vuln", "--enable", "vuln")...); code != 1 {
		t.Errorf("--enable after --disable: exit %d", code)
	}
	if _, errs, code := runPyvet(t, append(base, "--disable", "vulnerabilty")...); code != 2 || !strings.Contains(errs, "did you mean vulnerability?") {
		t.Errorf("unknown check: exit %d\n%s", code, errs)
	}
	lenient := writePolicyFile(t, filepath.Join(dir, "lenient.toml"), "fail-on = \"malicious\"\n")
	if _, _, code := runPyvet(t, append(base, "--policy", lenient)...); code != 0 {
		t.Errorf("--policy fail-on malicious: exit %d", code)
	}
	bad := writePolicyFile(t, filepath.Join(dir, "bad.toml"), "fail-on = \"low\"\n\n[checks.unmaintained]\nmax-age = \"730d\"\n")
	_, errs, code := runPyvet(t, append(base, "--policy", bad)...)
	if code != 2 || !strings.Contains(errs, bad+":4: checks.unmaintained.max-age: unknown key \"max-age\"") {
		t.Errorf("documented-but-unread key: exit %d\n%s", code, errs)
	}
	wrong := writePolicyFile(t, filepath.Join(dir, "wrong.toml"), "[checks.typosquat]\nmin-length = \"five\"\n")
	if _, errs, code := runPyvet(t, append(base, "--policy", wrong)...); code != 2 || !strings.Contains(errs, wrong+":2: checks.typosquat.min-length: want an integer, not a string") {
		t.Errorf("wrong type: exit %d\n%s", code, errs)
	}
}

// TestAuditFindsTheProjectPolicy: a requirements file below the project
// directory is audited under the project's pyvet.toml.
func TestAuditFindsTheProjectPolicy(t *testing.T) {
	root := t.TempDir()
	writePolicyFile(t, filepath.Join(root, "pyvet.toml"), "[[ignore]]\nid = \"PYSEC-2099-1\"\nreason = \"not reachable\"\n")
	writePolicyFile(t, filepath.Join(root, "requirements", "prod.txt"), "foo-bar==1.0.0\n")
	cache := t.TempDir()
	db, err := filepath.Abs(fixtureDB)
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(root)
	out, errs, code := runPyvet(t, "--cache-dir", cache, "-q", "audit", "--no-deps", "--db", db, "-r", "requirements/prod.txt", "-f", "json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	var rep struct {
		Meta map[string]string `json:"meta"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Meta["policy"] != "pyvet.toml" {
		t.Errorf("meta %v, %v", rep.Meta, err)
	}
}

// TestAuditWarningsOnStderr: notes go to standard error in every format and
// stay in the JSON and SARIF documents.
func TestAuditWarningsOnStderr(t *testing.T) {
	reqs := writeReqs(t, "foo-bar==1.0.0\n")
	for _, format := range []string{"json", "sarif", "table", "markdown"} {
		out, errs, _ := runPyvet(t, "--cache-dir", t.TempDir(), "-q", "audit", "--no-deps", "--db", fixtureDB, "-r", reqs, "-f", format, "--ignore-vuln", "NOPE-1")
		const note = "ignore for NOPE-1 (--ignore-vuln) matched no finding"
		if !strings.Contains(errs, "pyvet: warning: "+note) {
			t.Errorf("%s: no warning on stderr: %q", format, errs)
		}
		inDoc := strings.Contains(out, note)
		if (format == "json" || format == "sarif" || format == "markdown") != inDoc {
			t.Errorf("%s: note in the document = %v", format, inDoc)
		}
	}
}

// TestAuditVersionAndInexact: the version is in the JSON report and the
// SARIF driver; an unpinned requirement's findings are marked in the table.
func TestAuditVersionAndInexact(t *testing.T) {
	version = "v0.0.0-test"
	defer func() { version = "" }()
	reqs := writeReqs(t, "foo.bar>=2.2\n")
	base := []string{"--cache-dir", t.TempDir(), "-q", "audit", "--no-deps", "--db", fixtureDB, "-r", reqs}
	out, _, _ := runPyvet(t, append(base, "-f", "json")...)
	var rep struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Version != "v0.0.0-test" {
		t.Errorf("JSON version %q, %v", rep.Version, err)
	}
	out, _, _ = runPyvet(t, append(base, "-f", "sarif")...)
	var log struct {
		Runs []struct {
			Tool struct{ Driver struct{ Version string } }
		}
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil || log.Runs[0].Tool.Driver.Version != "v0.0.0-test" {
		t.Errorf("SARIF version: %v", err)
	}
	out, _, _ = runPyvet(t, base...)
	if !strings.Contains(out, "foo-bar >=2.2 (not exact)") || !strings.Contains(out, "not exact: the requirement is not pinned") {
		t.Errorf("table does not mark the range match:\n%s", out)
	}
}

func TestVersionCommandAndFlag(t *testing.T) {
	version = "v1.2.3"
	defer func() { version = "" }()
	out, _, code := runPyvet(t, "--version")
	if code != 0 || out != "pyvet v1.2.3\n" {
		t.Errorf("--version: %q, exit %d", out, code)
	}
	out, _, code = runPyvet(t, "version")
	if code != 0 || !strings.HasPrefix(out, "pyvet v1.2.3 (go") {
		t.Errorf("version: %q, exit %d", out, code)
	}
	version = ""
	if v := toolVersion(); v != "devel" && !strings.HasPrefix(v, "v") {
		t.Errorf("default version %q", v)
	}
}

func TestSbomVersionAndPolicy(t *testing.T) {
	version = "v1.2.3"
	defer func() { version = "" }()
	req := writeReqs(t, "foo-bar==1.0.0\n")
	out, _, code := runPyvet(t, "--cache-dir", t.TempDir(), "sbom", "--with-vulns", "--db", fixtureDB, req)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var bom struct {
		Metadata struct {
			Tools struct {
				Components []struct{ Name, Version string }
			}
		}
		Vulnerabilities []struct{ ID string }
	}
	if err := json.Unmarshal([]byte(out), &bom); err != nil {
		t.Fatal(err)
	}
	if c := bom.Metadata.Tools.Components; len(c) != 1 || c[0].Version != "v1.2.3" {
		t.Errorf("tools %+v", c)
	}
	if len(bom.Vulnerabilities) == 0 {
		t.Fatal("no vulnerability in the SBOM")
	}
	_, errs, code := runPyvet(t, "--cache-dir", t.TempDir(), "sbom", "--with-vulns", "--db", fixtureDB, "--ignore-vuln", "PYSEC-2099-1", "--disable", "nothing-at-all", req)
	if code != 2 || !strings.Contains(errs, "--disable") {
		t.Errorf("sbom --disable unknown: exit %d %q", code, errs)
	}
	out, _, code = runPyvet(t, "--cache-dir", t.TempDir(), "sbom", "--with-vulns", "--db", fixtureDB, "--ignore-vuln", "PYSEC-2099-1", req)
	if code != 0 || strings.Contains(out, "PYSEC-2099-1") {
		t.Errorf("sbom --ignore-vuln: exit %d\n%s", code, out)
	}
}

func TestPolicyShowEveryCheck(t *testing.T) {
	dir := t.TempDir()
	writePolicyFile(t, filepath.Join(dir, "pyvet.toml"), "[checks.unmaintained]\nafter = \"3w\"\n")
	out, errs, code := runPyvet(t, "policy", "show", dir)
	if code != 0 {
		t.Fatalf("exit %d %s", code, errs)
	}
	for _, want := range []string{
		"checks.outdated.min-behind = 1", "checks.typosquat.min-length = 5", "checks.size.max-transitive = 40",
		"checks.license.copyleft = true", "checks.unapproved-change.skip-loose = false", "checks.immature.age = \"90d\"",
		`checks.unmaintained.after = "21d"`, `pyvet.toml:2 (default "730d")`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("policy show lacks %q:\n%s", want, out)
		}
	}
	out, _, _ = runPyvet(t, "policy", "show", "--json", dir)
	var es []struct{ Key, Value, Default, Origin string }
	if err := json.Unmarshal([]byte(out), &es); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range es {
		if e.Key == "checks.unmaintained.after" {
			found = e.Value == `"21d"` && e.Default == `"730d"` && strings.HasSuffix(e.Origin, "pyvet.toml:2")
		}
	}
	if !found {
		t.Errorf("JSON entries lack the setting with its default: %s", out)
	}
}
