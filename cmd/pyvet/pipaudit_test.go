package main

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/server"
)

// pip-audit's spellings (docs/pip-audit.md): each alias gives exactly what
// pyvet's own flag gives, and the output shows the flag took effect.
func TestPipAuditAliasesMatchPyvetFlags(t *testing.T) {
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

	vulnerable := writeReqs(t, "Foo_Bar==1.0.0\nsafe==1.0\n")
	unpinned := writeReqs(t, "foo.bar>=2.2\n")
	cache := t.TempDir()
	base := []string{"--cache-dir", cache, "-q", "audit", "--no-deps"}
	for _, tc := range []struct {
		name          string
		alias, pyvet  []string
		code          int
		stdout, stder string // what shows the flag took effect
	}{
		{"-S", []string{"--db", fixtureDB, "-r", unpinned, "-S"}, []string{"--db", fixtureDB, "-r", unpinned, "--strict"}, 1, "", "--strict: 1 package(s) could not be audited exactly"},
		{"--osv-url", []string{"--osv-url", srv.URL, "-r", vulnerable}, []string{"--service", srv.URL, "-r", vulnerable}, 1, "PYSEC-2099-1", ""},
		{"-s osv", []string{"-s", "osv", "--db", fixtureDB, "-r", vulnerable}, []string{"--db", fixtureDB, "-r", vulnerable}, 1, "PYSEC-2099-1", ""},
		{"--vulnerability-service osv", []string{"--vulnerability-service=OSV", "--db", fixtureDB, "-r", vulnerable}, []string{"--db", fixtureDB, "-r", vulnerable}, 1, "PYSEC-2099-1", ""},
		{"--desc on", []string{"--db", fixtureDB, "-r", vulnerable, "--desc", "on"}, []string{"--db", fixtureDB, "-r", vulnerable, "--desc"}, 1, "evaluates untrusted input", ""},
		{"--desc=on", []string{"--db", fixtureDB, "-r", vulnerable, "--desc=on"}, []string{"--db", fixtureDB, "-r", vulnerable, "--desc"}, 1, "evaluates untrusted input", ""},
		{"--desc on before PATH", []string{"--db", fixtureDB, "--desc", "on", vulnerable}, []string{"--db", fixtureDB, "--desc", vulnerable}, 1, "evaluates untrusted input", ""},
		{"--desc off", []string{"--db", fixtureDB, "-r", vulnerable, "--desc", "off"}, []string{"--db", fixtureDB, "-r", vulnerable}, 1, "PYSEC-2099-1", ""},
		{"--desc auto", []string{"--db", fixtureDB, "-r", vulnerable, "--desc", "auto"}, []string{"--db", fixtureDB, "-r", vulnerable}, 1, "PYSEC-2099-1", ""},
		{"--aliases on", []string{"--db", fixtureDB, "-r", vulnerable, "--aliases", "on"}, []string{"--db", fixtureDB, "-r", vulnerable, "--aliases"}, 1, "CVE-2099-0001", ""},
		{"--timeout seconds", []string{"--db", fixtureDB, "-r", vulnerable, "--timeout", "15"}, []string{"--db", fixtureDB, "-r", vulnerable, "--timeout", "15s"}, 1, "PYSEC-2099-1", ""},
		{"--disable-pip", []string{"--db", fixtureDB, "-r", vulnerable, "--disable-pip"}, []string{"--db", fixtureDB, "-r", vulnerable}, 1, "PYSEC-2099-1", ""},
		{"-d", []string{"-r", vulnerable, "-d"}, []string{"-r", vulnerable, "--dry-run"}, 0, "foo-bar", "dry run: 2 package(s) collected, none audited"},
		{"-o", []string{"--db", fixtureDB, "-r", vulnerable, "-f", "json", "-o", "-"}, []string{"--db", fixtureDB, "-r", vulnerable, "-f", "json", "--output", "-"}, 1, `"PYSEC-2099-1"`, ""},
		{"-f columns", []string{"--db", fixtureDB, "-r", vulnerable, "-f", "columns"}, []string{"--db", fixtureDB, "-r", vulnerable, "-f", "table"}, 1, "PYSEC-2099-1", ""},
		{"-f cyclonedx-json", []string{"--db", fixtureDB, "-r", vulnerable, "-f", "cyclonedx-json"}, []string{"--db", fixtureDB, "-r", vulnerable, "--format=cyclonedx-json"}, 1, `"bomFormat": "CycloneDX"`, ""},
		{"--ignore-vuln alias", []string{"--db", fixtureDB, "-r", vulnerable, "--ignore-vuln", "CVE-2099-0001"}, []string{"--db", fixtureDB, "-r", vulnerable, "--ignore-vuln", "PYSEC-2099-1"}, 0, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			aOut, aErr, aCode := runPyvet(t, append(base, tc.alias...)...)
			pOut, pErr, pCode := runPyvet(t, append(base, tc.pyvet...)...)
			if aCode != tc.code || pCode != tc.code {
				t.Fatalf("exit: alias %d, pyvet %d, want %d\nalias stderr: %s\npyvet stderr: %s", aCode, pCode, tc.code, aErr, pErr)
			}
			if aOut != pOut || aErr != pErr {
				t.Errorf("alias and pyvet differ:\n--- alias:\n%s%s\n--- pyvet:\n%s%s", aOut, aErr, pOut, pErr)
			}
			if !strings.Contains(aOut, tc.stdout) || !strings.Contains(aErr, tc.stder) {
				t.Errorf("want %q on stdout and %q on stderr:\n%s\n%s", tc.stdout, tc.stder, aOut, aErr)
			}
		})
	}
}

// --desc/--aliases off and auto: the table leaves the descriptions and
// aliases out (auto is on only for json, which always carries them).
func TestPipAuditDescAliasesOff(t *testing.T) {
	req := writeReqs(t, "Foo_Bar==1.0.0\n")
	base := []string{"--cache-dir", t.TempDir(), "-q", "audit", "--no-deps", "--db", fixtureDB, "-r", req}
	for _, args := range [][]string{{"--desc", "off", "--aliases", "off"}, {"--desc", "auto", "--aliases", "auto"}, {}} {
		out, _, code := runPyvet(t, append(base, args...)...)
		if code != 1 || !strings.Contains(out, "PYSEC-2099-1") || strings.Contains(out, "evaluates untrusted input") || strings.Contains(out, "CVE-2099-0001") {
			t.Errorf("%v: exit %d\n%s", args, code, out)
		}
	}
	out, _, _ := runPyvet(t, append(base, "-f", "json", "--desc", "off")...)
	if !strings.Contains(out, "evaluates untrusted input") || !strings.Contains(out, "CVE-2099-0001") {
		t.Errorf("json keeps descriptions and aliases:\n%s", out)
	}
}

// The pip-audit spellings pyvet does not take as they are: one line, exit 2.
func TestPipAuditRefused(t *testing.T) {
	req := writeReqs(t, "Foo_Bar==1.0.0\n")
	base := []string{"--cache-dir", t.TempDir(), "-q", "audit", "--no-deps", "--db", fixtureDB}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-r", req, "-s", "pypi"}, "pyvet does not query PyPI's JSON API for vulnerabilities"},
		{[]string{"-r", req, "--vulnerability-service", "esms"}, "pyvet does not query ecosyste.ms"},
		{[]string{"-r", req, "-s", "snyk"}, `"snyk" is not a vulnerability service pyvet knows`},
		{[]string{"-r", req, "--desc=maybe"}, `"maybe" is not one of on, off, auto`},
		{[]string{"-r", req, "--progress-spinner", "maybe"}, `"maybe" is not one of on, off`},
		{[]string{"-r", req, "--timeout", "-3"}, "want a positive number of seconds"},
		{[]string{"-r", req, "--fix", "-R"}, "--fix cannot be combined with -R/--recursive"},
		{[]string{"-r", req, "--fix", "--service", "http://127.0.0.1:1"}, "--fix cannot be combined with --service"},
		{[]string{"-r", req, "--fix", "-S"}, "--fix cannot be combined with -S/--strict"},
		{[]string{"-R", "-d", filepath.Dir(req)}, "-R cannot be combined with -d/--dry-run"},
		{[]string{"-r", req, "--fix", "-f", "cyclonedx-json"}, `unknown format "cyclonedx-json"`},
	} {
		out, errs, code := runPyvet(t, append(base, tc.args...)...)
		if code != 2 || !strings.Contains(errs, tc.want) || strings.Count(strings.TrimSpace(errs), "\n") != 0 || out != "" {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want one line with %q", tc.args, code, errs, out, tc.want)
		}
	}
}

// PIP_AUDIT_* → PYVET_*: a variable gives the flag the command line left
// unset its value; the command line wins; a bad value names the variable.
func TestPipAuditEnvironment(t *testing.T) {
	req := writeReqs(t, "Foo_Bar==1.0.0\n")
	base := []string{"--cache-dir", t.TempDir(), "-q", "audit", "--no-deps", "--db", fixtureDB, "-r", req}
	flagOut, _, _ := runPyvet(t, append(base, "--desc", "--aliases")...)

	t.Setenv("PYVET_DESC", "on")
	t.Setenv("PYVET_ALIASES", "on")
	t.Setenv("PYVET_VULNERABILITY_SERVICE", "osv")
	out, _, code := runPyvet(t, base...)
	if code != 1 || out != flagOut || !strings.Contains(out, "evaluates untrusted input") {
		t.Errorf("PYVET_DESC=on PYVET_ALIASES=on: exit %d\n%s\nwant\n%s", code, out, flagOut)
	}
	if out, _, _ := runPyvet(t, append(base, "--desc", "off")...); strings.Contains(out, "evaluates untrusted input") {
		t.Errorf("--desc off under PYVET_DESC=on:\n%s", out)
	}

	t.Setenv("PYVET_DESC", "bogus")
	_, errs, code := runPyvet(t, base...)
	if code != 2 || !strings.HasPrefix(errs, "PYVET_DESC: ") || !strings.Contains(errs, `"bogus" is not one of on, off, auto`) {
		t.Errorf("PYVET_DESC=bogus: exit %d: %s", code, errs)
	}
	t.Setenv("PYVET_DESC", "")
	t.Setenv("PYVET_VULNERABILITY_SERVICE", "pypi")
	if _, errs, code := runPyvet(t, base...); code != 2 || !strings.HasPrefix(errs, "PYVET_VULNERABILITY_SERVICE: ") {
		t.Errorf("PYVET_VULNERABILITY_SERVICE=pypi: exit %d: %s", code, errs)
	}
	t.Setenv("PYVET_VULNERABILITY_SERVICE", "")

	// PYVET_SERVICE is --service (pip-audit's PIP_AUDIT_OSV_URL).
	t.Setenv("PYVET_SERVICE", "http://127.0.0.1:1")
	if _, errs, code := runPyvet(t, "--offline", "--cache-dir", t.TempDir(), "-q", "audit", "--no-deps", "-r", req); code == 0 || !strings.Contains(errs, "--service http://127.0.0.1:1") {
		t.Errorf("PYVET_SERVICE: exit %d: %s", code, errs)
	}
	t.Setenv("PYVET_SERVICE", "")
	// PYVET_OUTPUT is the audit's: another command writes where it always
	// does; PYVET_FORMAT and PYVET_DESC apply to every command with the flag.
	t.Setenv("PYVET_DESC", "on")
	t.Setenv("PYVET_FORMAT", "cyclonedx-json")
	t.Setenv("PYVET_OUTPUT", filepath.Join(t.TempDir(), "audit.json"))
	if out, errs, code := runPyvet(t, "--cache-dir", t.TempDir(), "-q", "deps", req); code != 0 || !strings.Contains(out, `"bomFormat": "CycloneDX"`) {
		t.Errorf("deps under PYVET_FORMAT/PYVET_OUTPUT: exit %d: %s\n%s", code, errs, out)
	}
	if _, err := os.Stat(os.Getenv("PYVET_OUTPUT")); err == nil {
		t.Errorf("deps wrote to PYVET_OUTPUT")
	}
	t.Setenv("PYVET_FORMAT", "table")
	recorded := filepath.Join(t.TempDir(), "run.json")
	runPyvet(t, "--cache-dir", t.TempDir(), "-q", "audit", "--no-deps", "--db", fixtureDB, "-r", req, "-f", "json", "-o", recorded)
	if out, errs, code := runPyvet(t, "report", "convert", recorded); code != 0 || !strings.Contains(out, "PYSEC-2099-1") {
		t.Errorf("report convert under PYVET_DESC=on: exit %d: %s\n%s", code, errs, out)
	}
	// And the audit writes where PYVET_OUTPUT says, in PYVET_FORMAT.
	t.Setenv("PYVET_FORMAT", "cyclonedx-json")
	if _, errs, code := runPyvet(t, base...); code != 1 {
		t.Errorf("audit under PYVET_FORMAT/PYVET_OUTPUT: exit %d: %s", code, errs)
	}
	if b, err := os.ReadFile(os.Getenv("PYVET_OUTPUT")); err != nil || !strings.Contains(string(b), `"bomFormat": "CycloneDX"`) {
		t.Errorf("PYVET_OUTPUT file: %v\n%s", err, b)
	}
}

// --progress-spinner off silences the progress -q silences (the
// projects of audit -R), and nothing else.
func TestPipAuditProgressSpinner(t *testing.T) {
	root := recursiveTree(t)
	args := []string{"--cache-dir", t.TempDir(), "audit", "--db", fixtureDB, "-R", root}
	out, on, code := runPyvet(t, args...)
	if code != 2 || !strings.Contains(on, "pyvet: project 1/") {
		t.Fatalf("exit %d, no progress to silence:\n%s", code, on)
	}
	var kept []string
	for _, l := range strings.SplitAfter(on, "\n") {
		if !strings.HasPrefix(l, "pyvet: project ") {
			kept = append(kept, l)
		}
	}
	for _, quiet := range [][]string{{"--progress-spinner", "off"}, {"--progress-spinner=off"}, {"-q"}} {
		qOut, off, code := runPyvet(t, append(quiet, args...)...)
		if code != 2 || off != strings.Join(kept, "") || qOut != out {
			t.Errorf("%v: exit %d, stderr:\n%s\nwant:\n%s", quiet, code, off, strings.Join(kept, ""))
		}
	}
	if _, again, _ := runPyvet(t, append([]string{"--progress-spinner", "on"}, args...)...); again != on {
		t.Errorf("--progress-spinner on:\n%s\nwant\n%s", again, on)
	}
}

// audit --dry-run collects the dependencies, resolving what the audit would
// resolve, and opens no database.
func TestPipAuditDryRunCollectsOnly(t *testing.T) {
	srv := depsUniverse(t)
	req := writeReqs(t, "flask>=1.0\n")
	out, errs, code := runPyvet(t, "--cache-dir", t.TempDir(), "-q", "audit", "--dry-run", "--db", filepath.Join(t.TempDir(), "missing.zip"),
		"--index-url", srv.URL+"/simple", "-r", req, "-f", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc struct {
		Kind     string `json:"kind"`
		Packages []struct {
			Name     string `json:"name"`
			Version  string `json:"version"`
			Resolved bool   `json:"resolved"`
		} `json:"packages"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	got := map[string]string{}
	for _, p := range doc.Packages {
		got[p.Name] = p.Version
	}
	if doc.Kind != "deps" || got["flask"] != "3.0.0" || got["werkzeug"] != "3.0.1" || got["markupsafe"] != "2.1.5" || got["asgiref"] != "4.0.0" {
		t.Errorf("kind %q, packages %v", doc.Kind, got)
	}
}

// --require-hashes: pip's hash-checking mode over the requirements files.
func TestPipAuditRequireHashes(t *testing.T) {
	h := " --hash=sha256:" + strings.Repeat("a", 64)
	base := []string{"--cache-dir", t.TempDir(), "-q", "audit", "--db", fixtureDB}
	unhashed := writeReqs(t, "Foo_Bar==1.0.0"+h+"\nsafe==1.0\n")
	_, errs, code := runPyvet(t, append(base, "--require-hashes", "-r", unhashed)...)
	if code != 2 || errs != "--require-hashes: "+unhashed+":2: safe has no --hash" {
		t.Errorf("unhashed: exit %d: %q", code, errs)
	}
	ranged := writeReqs(t, "foo-bar>=1.0"+h+"\n")
	if _, errs, code := runPyvet(t, append(base, "--require-hashes", "-r", ranged)...); code != 2 || !strings.Contains(errs, "foo-bar is not pinned with == (>=1.0)") {
		t.Errorf("range: exit %d: %q", code, errs)
	}
	// Fully hashed: audited (no resolution needed), the finding reported.
	hashed := writeReqs(t, "Foo_Bar==1.0.0"+h+"\nsafe==1.0"+h+"\n")
	out, errs, code := runPyvet(t, append(base, "--require-hashes", "-r", hashed)...)
	if code != 1 || !strings.Contains(out, "PYSEC-2099-1") {
		t.Errorf("hashed: exit %d\n%s%s", code, out, errs)
	}
	// With --fix the mode is checked before anything is planned.
	if _, errs, code := runPyvet(t, append(base, "--fix", "--require-hashes", "-r", unhashed)...); code != 2 || !strings.Contains(errs, "safe has no --hash") {
		t.Errorf("--fix: exit %d: %q", code, errs)
	}
}

// -v prints the run's details; -V the version.
func TestPipAuditVerboseAndVersion(t *testing.T) {
	req := writeReqs(t, "Foo_Bar==1.0.0\n")
	_, errs, code := runPyvet(t, "--cache-dir", t.TempDir(), "-q", "audit", "--no-deps", "--db", fixtureDB, "-r", req, "-v")
	if code != 1 || !strings.Contains(errs, "pyvet: database: "+fixtureDB+"\n") || !strings.Contains(errs, "pyvet: database_advisories: ") || !strings.Contains(errs, "pyvet: fail_on: low\n") {
		t.Errorf("-v: exit %d:\n%s", code, errs)
	}
	out, _, code := runPyvet(t, "-V")
	if code != 0 || out != "pyvet "+toolVersion()+"\n" {
		t.Errorf("-V: exit %d: %q", code, out)
	}
}

// audit --fix is `pyvet fix`: the same plan, the same files written, the
// same document; -d with it is fix --dry-run.
func TestPipAuditFixIsFix(t *testing.T) {
	orig := "# app\nrequests==2.19.0  # pinned\nsix==1.10.0\n"
	run := func(args ...string) (string, string, string, int) {
		dir := t.TempDir()
		req := filepath.Join(dir, "requirements.txt")
		writeFile(t, req, orig, 0o644)
		out, errs, code := runPyvet(t, append(append([]string{"--offline", "-q", "--cache-dir", t.TempDir()}, args...), "--db", testOSV, req)...)
		return strings.ReplaceAll(out, dir, "DIR"), errs, mustRead(t, req), code
	}
	for _, tc := range []struct {
		alias, fix []string
		code       int
		file       string
	}{
		{[]string{"audit", "--fix", "-d"}, []string{"fix", "--dry-run"}, 1, orig},
		{[]string{"audit", "--fix", "--dry-run", "-f", "json"}, []string{"fix", "-d", "-f", "json"}, 1, orig},
		{[]string{"audit", "--fix"}, []string{"fix"}, 0, "# app\nrequests==2.20.1  # pinned\nsix==1.10.0\n"},
		{[]string{"audit", "--fix", "-f", "json"}, []string{"fix", "--format", "json"}, 0, "# app\nrequests==2.20.1  # pinned\nsix==1.10.0\n"},
	} {
		aOut, aErr, aFile, aCode := run(tc.alias...)
		fOut, fErr, fFile, fCode := run(tc.fix...)
		if aCode != tc.code || fCode != tc.code || aFile != tc.file || fFile != tc.file {
			t.Errorf("%v: exit %d (fix %d), file:\n%s", tc.alias, aCode, fCode, aFile)
		}
		if aOut != fOut || aErr != fErr || !strings.Contains(aOut, "2.20.1") {
			t.Errorf("%v differs from %v:\n%s%s\n---\n%s%s", tc.alias, tc.fix, aOut, aErr, fOut, fErr)
		}
	}
}

// joinOptionalValues reads `--desc on` as argparse does, and only for the
// command whose flag takes it.
func TestJoinOptionalValues(t *testing.T) {
	root := newRootCmd()
	for _, tc := range []struct{ in, want string }{
		{"audit --desc on x", "audit --desc=on x"},
		{"audit --desc OFF --aliases auto", "audit --desc=OFF --aliases=auto"},
		{"audit --desc x", "audit --desc x"},
		{"audit --desc -- on", "audit --desc -- on"},
		{"audit -- --desc on", "audit -- --desc on"},
		{"report convert --desc on", "report convert --desc=on"},
		{"deps --resolve on", "deps --resolve on"},   // a bool: `on` is a PATH
		{"audit -r --desc on", "audit -r --desc on"}, // --desc is -r's FILE
		{"audit -qr --desc on", "audit -qr --desc on"},
		{"audit --index-url --desc --desc on", "audit --index-url --desc --desc=on"},
		{"audit -rreq.txt --desc on", "audit -rreq.txt --desc=on"},
		{"audit -q --desc on", "audit -q --desc=on"},
		{"--desc on", "--desc on"},
	} {
		if got := strings.Join(joinOptionalValues(root, strings.Fields(tc.in)), " "); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.in, got, tc.want)
		}
	}
}

// pip-audit's JSON document (pip_audit/_format/json.py), as a consumer of
// `pip-audit --fix -f json` decodes it.
type pipAuditDoc struct {
	Dependencies []struct {
		Name    string `json:"name"`
		Version string `json:"version"`
		Vulns   []struct {
			ID          string   `json:"id"`
			FixVersions []string `json:"fix_versions"`
			Aliases     []string `json:"aliases"`
			Description string   `json:"description"`
		} `json:"vulns"`
		SkipReason string `json:"skip_reason"`
	} `json:"dependencies"`
	Fixes []struct {
		Name       string `json:"name"`
		OldVersion string `json:"old_version"` // a fix applied
		NewVersion string `json:"new_version"`
		Version    string `json:"version"` // a fix skipped
		SkipReason string `json:"skip_reason"`
	} `json:"fixes"`
}

// pyvetFixPlan is the part of pyvet's fix document the check below
// compares pip-audit's fixes with.
type pyvetFixPlan struct {
	Plan struct {
		Fixes []struct {
			Name    string `json:"name"`
			Targets []struct {
				From string `json:"from"`
				To   string `json:"to"`
			} `json:"targets"`
		} `json:"fixes"`
	} `json:"plan"`
	Edits []struct {
		Name    string `json:"name"`
		New     string `json:"new"`
		Skipped string `json:"skipped"`
	} `json:"edits"`
}

// writeOSVDir writes OSV advisories: id -> package, introduced, fixed
// ("" for none).
func writeOSVDir(t *testing.T, advisories map[string][3]string) string {
	t.Helper()
	dir := t.TempDir()
	for id, a := range advisories {
		events := []map[string]string{{"introduced": a[1]}}
		if a[2] != "" {
			events = append(events, map[string]string{"fixed": a[2]})
		}
		doc, _ := json.Marshal(map[string]any{"id": id, "modified": "2025-01-01T00:00:00Z", "summary": "generated " + id,
			"aliases": []string{"CVE-" + id}, "details": "details of " + id,
			"affected": []any{map[string]any{"package": map[string]string{"ecosystem": "PyPI", "name": a[0]},
				"ranges": []any{map[string]any{"type": "ECOSYSTEM", "events": events}}}}})
		writeFile(t, filepath.Join(dir, id+".json"), string(doc), 0o644)
	}
	return dir
}

// `pyvet fix -f json` and `pyvet audit --fix -f json` read as pip-audit's
// document: every dependency with its vulnerabilities, and one fix per
// planned declaration that matches the plan: applied with its target, or
// skipped with the version that stays and the reason.
func TestPipAuditFixJSONConsumer(t *testing.T) {
	db := writeOSVDir(t, map[string][3]string{
		"PYSEC-R-1": {"requests", "0", "2.20.0"},
		"PYSEC-S-1": {"setuptools", "0", "83.0.0"},
		"PYSEC-N-1": {"nofix", "0", ""},
	})
	body := "requests==2.19.0\nsix==1.10.0\nnofix==1.0\nsetuptools==81.0.0 \\\n    --hash=sha256:" + strings.Repeat("8", 64) + "\n"
	for _, cmd := range [][]string{{"fix", "--format", "json"}, {"audit", "--fix", "-f", "json"}, {"fix", "-d", "-f", "json"}, {"audit", "--fix", "-d", "-f", "json"}} {
		t.Run(strings.Join(cmd, " "), func(t *testing.T) {
			req := filepath.Join(t.TempDir(), "requirements.txt")
			writeFile(t, req, body, 0o644)
			out, errs, code := runPyvet(t, append(append([]string{"--offline", "-q", "--cache-dir", t.TempDir()}, cmd...), "--no-deps", "--db", db, req)...)
			if code != 1 { // nofix has no safe version
				t.Fatalf("exit %d: %s\n%s", code, errs, out)
			}
			var doc pipAuditDoc
			var plan pyvetFixPlan
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if err := json.Unmarshal([]byte(out), &plan); err != nil {
				t.Fatal(err)
			}

			// dependencies[]: what was audited, as pip-audit lists it.
			vulns := map[string]string{}
			for _, d := range doc.Dependencies {
				ids := []string{}
				for _, v := range d.Vulns {
					ids = append(ids, v.ID+" "+strings.Join(v.FixVersions, ","))
				}
				vulns[d.Name+" "+d.Version] = strings.Join(ids, ";")
			}
			want := map[string]string{"requests 2.19.0": "PYSEC-R-1 2.20.0", "six 1.10.0": "", "nofix 1.0": "PYSEC-N-1 ", "setuptools 81.0.0": "PYSEC-S-1 83.0.0"}
			if len(vulns) != len(want) {
				t.Errorf("dependencies = %v, want %v", vulns, want)
			}
			for k, v := range want {
				if got, ok := vulns[k]; !ok || got != v {
					t.Errorf("dependency %s: vulns %q (present %v), want %q", k, got, ok, v)
				}
			}

			// fixes[]: one per planned declaration, as the plan and the edits say.
			edited := map[string]bool{}
			for _, e := range plan.Edits {
				if e.Skipped == "" {
					edited[e.Name] = true
				}
			}
			type fixKey struct{ name, old string }
			fixes := map[fixKey]int{}
			for i, f := range doc.Fixes {
				old := f.OldVersion
				if f.SkipReason != "" {
					old = f.Version
					if f.NewVersion != "" {
						t.Errorf("fix %d: skipped with new_version %q", i, f.NewVersion)
					}
				}
				fixes[fixKey{f.Name, old}] = i
			}
			n := 0
			for _, pf := range plan.Plan.Fixes {
				for _, tg := range pf.Targets {
					n++
					i, ok := fixes[fixKey{pf.Name, strings.TrimPrefix(tg.From, "==")}]
					if !ok {
						t.Errorf("no fix for %s %s in %+v", pf.Name, tg.From, doc.Fixes)
						continue
					}
					f := doc.Fixes[i]
					switch {
					case tg.To != "" && edited[pf.Name]:
						if f.NewVersion != tg.To || f.SkipReason != "" {
							t.Errorf("%s: fix %+v, plan to %s", pf.Name, f, tg.To)
						}
					default:
						if f.SkipReason == "" || f.NewVersion != "" || f.Version == "" {
							t.Errorf("%s: fix %+v, want skipped (plan to %q)", pf.Name, f, tg.To)
						}
					}
				}
			}
			if n != 3 || len(doc.Fixes) != n {
				t.Errorf("%d planned declarations, %d fixes: %+v", n, len(doc.Fixes), doc.Fixes)
			}
			byName := map[string]int{}
			for i, f := range doc.Fixes {
				byName[f.Name] = i
			}
			if f := doc.Fixes[byName["requests"]]; f.OldVersion != "2.19.0" || f.NewVersion != "2.20.0" {
				t.Errorf("requests: %+v", f)
			}
			if f := doc.Fixes[byName["setuptools"]]; f.Version != "81.0.0" || !strings.Contains(f.SkipReason, "could not be fetched") {
				t.Errorf("setuptools: %+v", f)
			}
			if f := doc.Fixes[byName["nofix"]]; f.Version != "1.0" || f.SkipReason == "" {
				t.Errorf("nofix: %+v", f)
			}
		})
	}
}
