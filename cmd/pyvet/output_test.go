package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"
)

// TestMain runs the tests without the shell's COLUMNS: the tables the tests read are the 100 columns of a run off a terminal, whatever
// terminal the tests are started from (tests that want a width set it).
func TestMain(m *testing.M) {
	os.Unsetenv("COLUMNS")
	os.Exit(m.Run())
}

func auditRequirements(t *testing.T) string {
	t.Helper()
	req := filepath.Join(t.TempDir(), "requirements.txt")
	if err := os.WriteFile(req, []byte("requests==2.19.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return req
}

func assertReport(t *testing.T, data []byte) {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil || !strings.Contains(string(data), "PYSEC-T-1") {
		t.Fatalf("not the JSON report (%v): %.200q", err, data)
	}
}

// -o through a symlink writes the link's target and keeps the link.
func TestOutputSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "reports", "audit.json")
	os.MkdirAll(filepath.Dir(target), 0o755)
	os.WriteFile(target, []byte("old"), 0o600)
	link := filepath.Join(dir, "latest.json")
	if err := os.Symlink(filepath.Join("reports", "audit.json"), link); err != nil {
		t.Fatal(err)
	}
	_, err := runCmd(t, "audit", "--no-deps", "--db", testOSV, "-f", "json", "-o", link, auditRequirements(t))
	if exitCode(err) != exitFindings {
		t.Fatalf("exit = %v", err)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("symlink replaced: %v", err)
	}
	b, _ := os.ReadFile(target)
	assertReport(t, b)
	if st, _ := os.Stat(target); st.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v", st.Mode())
	}
	entries, _ := os.ReadDir(filepath.Dir(target))
	if len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}

// -o to a FIFO writes into it: the reader gets the report and the FIFO
// stays a FIFO.
func TestOutputFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "report.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	got := make(chan []byte, 1)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- nil
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(io.LimitReader(f, 1<<20))
		got <- b
	}()
	if _, err := runCmd(t, "audit", "--no-deps", "--db", testOSV, "-f", "json", "-o", fifo, auditRequirements(t)); exitCode(err) != exitFindings {
		t.Fatalf("exit = %v", err)
	}
	assertReport(t, <-got)
	if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("FIFO replaced: %v %v", st.Mode(), err)
	}
}

// -o /dev/null discards the report and /dev/null stays the character
// device it was (a rename over it would replace it with a regular file).
func TestOutputDevNull(t *testing.T) {
	before, err := os.Lstat(os.DevNull)
	if err != nil || before.Mode()&os.ModeCharDevice == 0 {
		t.Skip("no /dev/null character device")
	}
	var b, a syscall.Stat_t
	syscall.Stat(os.DevNull, &b)
	if _, err := runCmd(t, "audit", "--no-deps", "--db", testOSV, "-f", "json", "-o", os.DevNull, auditRequirements(t)); exitCode(err) != exitFindings {
		t.Fatalf("exit = %v", err)
	}
	after, err := os.Lstat(os.DevNull)
	if err != nil || after.Mode() != before.Mode() || after.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("/dev/null changed: %v -> %v (%v)", before.Mode(), after.Mode(), err)
	}
	syscall.Stat(os.DevNull, &a)
	if a.Rdev != b.Rdev || a.Ino != b.Ino {
		t.Fatal("device number changed")
	}
}

// A read-only report file is refused (exit 2) and left as it was.
func TestOutputReadOnlyKeepsFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report.json")
	os.WriteFile(out, []byte("previous"), 0o444)
	_, err := runCmd(t, "audit", "--no-deps", "--db", testOSV, "-f", "json", "-o", out, auditRequirements(t))
	if exitCode(err) != exitUsage || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("exit = %v", err)
	}
	if b, _ := os.ReadFile(out); string(b) != "previous" {
		t.Errorf("report file = %q", b)
	}
}

// sbom -o writes through a symlink too, and --with-vulns reads audit's
// policy: an ignored advisory is left out of the document.
func TestOutputSBOMSymlinkAndPolicy(t *testing.T) {
	dir := t.TempDir()
	req := filepath.Join(dir, "requirements.txt")
	os.WriteFile(req, []byte("requests==2.19.0\n"), 0o644)
	target := filepath.Join(dir, "out", "bom.json")
	os.MkdirAll(filepath.Dir(target), 0o755)
	link := filepath.Join(dir, "bom.json")
	os.Symlink(filepath.Join("out", "bom.json"), link)
	if _, err := runCmd(t, "sbom", "--with-vulns", "--db", testOSV, "-o", link, req); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Fatal("symlink replaced")
	}
	if b, _ := os.ReadFile(target); !strings.Contains(string(b), "PYSEC-T-1") {
		t.Fatalf("advisory missing:\n%.300s", b)
	}
	os.WriteFile(filepath.Join(dir, "pyvet.toml"), []byte("[[ignore]]\nid = \"PYSEC-T-1\"\nreason = \"accepted\"\n"), 0o644)
	if _, err := runCmd(t, "sbom", "--with-vulns", "--db", testOSV, "-o", link, req); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(target); strings.Contains(string(b), "PYSEC-T-1") {
		t.Error("ignored advisory in the SBOM")
	}
}

// transcriptProject writes a project whose audit has one package with
// three advisories (long titles, fixed in two versions and not at all) and
// one with one, against a database of those four, and makes it the
// current directory: the table names files relative to it.
func transcriptProject(t *testing.T) (db string) {
	t.Helper()
	dir := t.TempDir()
	db = filepath.Join(dir, "osv")
	now := time.Now().UTC().Format(time.RFC3339)
	adv := func(id, pkg, vector, summary, fixed string) {
		events := `[{"introduced": "0"}`
		if fixed != "" {
			events += `, {"fixed": "` + fixed + `"}`
		}
		events += "]"
		writeFile(t, filepath.Join(db, id+".json"), `{"id": "`+id+`", "modified": "`+now+`", "summary": "`+summary+`",
 "affected": [{"package": {"ecosystem": "PyPI", "name": "`+pkg+`"}, "ranges": [{"type": "ECOSYSTEM", "events": `+events+`}]}],
 "severity": [{"type": "CVSS_V3", "score": "`+vector+`"}]}`, 0o644)
	}
	adv("PYSEC-2018-28", "requests", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", "Requests sends an HTTP Authorization header to an http URI upon receiving a same-hostname https-to-http redirect", "2.20.0")
	adv("PYSEC-2023-74", "requests", "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:N/A:N", "Requests is a HTTP library. Since Requests 2.3.0, Requests has been leaking Proxy-Authorization headers to destination servers", "2.31.0")
	adv("GHSA-9wx4-h78v-vm56", "requests", "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", "Requests Session object does not verify requests after making first request with verify=False", "")
	adv("PYSEC-2019-132", "urllib3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CRLF injection in urllib3 before 1.24.2 via the request parameter", "1.24.2")
	proj := filepath.Join(dir, "app")
	writeFile(t, filepath.Join(proj, "requirements.txt"), "requests==2.19.0\nurllib3==1.24\nidna==3.7\n", 0o644)
	t.Chdir(proj)
	return db
}

// The audit table at 80 and 120 columns (COLUMNS, as a terminal of that
// width sets it): every line fits, one row per package, the fix, the
// file relative to the current directory, the digest and the summary.
func TestAuditTableTranscript(t *testing.T) {
	db := transcriptProject(t)
	want := map[string]string{
		"80": `SEVERITY  PACKAGE       FIX     ADVISORY             TITLE
critical  urllib3 1.24  1.24.2  PYSEC-2019-132       CRLF injection in urllib3
                                                     before 1.24.2 via the…
          requirements.txt:2
high      requests      2.31.0  PYSEC-2018-28        Requests sends an HTTP
          2.19.0                                     Authorization header to an…
medium                          PYSEC-2023-74        Requests is a HTTP library.
                                                     Since Requests 2.3.0,…
low                             GHSA-9wx4-h78v-vm56  Requests Session object
                                                     does not verify requests…
          requirements.txt:1; no fix yet for 1 of its advisories
Fix these first (pyvet fix makes the upgrades):
  requests  2.19.0 → 2.31.0  clears 2 advisories (high)
  urllib3   1.24 → 1.24.2    clears 1 advisory (critical)
2 of 3 packages affected by 4 known vulnerabilities (1 critical, 1 high, 1
  medium, 1 low; 3 fixable); 4 findings at or above low fail the run
`,
		"120": `SEVERITY  PACKAGE          FIX     ADVISORY             TITLE
critical  urllib3 1.24     1.24.2  PYSEC-2019-132       CRLF injection in urllib3 before 1.24.2 via the request
                                                        parameter
          requirements.txt:2
high      requests 2.19.0  2.31.0  PYSEC-2018-28        Requests sends an HTTP Authorization header to an http URI upon
                                                        receiving a same-hostname https-to-http redirect
medium                             PYSEC-2023-74        Requests is a HTTP library. Since Requests 2.3.0, Requests has
                                                        been leaking Proxy-Authorization headers to destination servers
low                                GHSA-9wx4-h78v-vm56  Requests Session object does not verify requests after making
                                                        first request with verify=False
          requirements.txt:1; no fix yet for 1 of its advisories
Fix these first (pyvet fix makes the upgrades):
  requests  2.19.0 → 2.31.0  clears 2 advisories (high)
  urllib3   1.24 → 1.24.2    clears 1 advisory (critical)
2 of 3 packages affected by 4 known vulnerabilities (1 critical, 1 high, 1 medium, 1 low; 3 fixable); 4 findings at or
  above low fail the run
`,
	}
	for _, cols := range []string{"80", "120"} {
		t.Setenv("COLUMNS", cols)
		out, errs, code := runPyvet(t, "--offline", "audit", "--no-deps", "--db", db, "requirements.txt")
		if code != exitFindings || errs != "" {
			t.Fatalf("COLUMNS=%s: exit %d, stderr %q", cols, code, errs)
		}
		if out != want[cols] {
			t.Errorf("COLUMNS=%s:\n%s\nwant:\n%s", cols, out, want[cols])
		}
		// -f columns is pip-audit's name of the table.
		if alias, _, _ := runPyvet(t, "--offline", "audit", "--no-deps", "--db", db, "-f", "columns", "requirements.txt"); alias != out {
			t.Errorf("-f columns differs from the table:\n%s", alias)
		}
	}
}

// The summary line reaches standard error when the report goes to a file
// or is a document on standard output, and not with -q; the table on
// standard output ends with it and standard error stays quiet.
func TestAuditSummaryOnStderr(t *testing.T) {
	db := transcriptProject(t)
	t.Setenv("COLUMNS", "")
	const line = "2 of 3 packages affected by 4 known vulnerabilities (1 critical, 1 high, 1 medium, 1 low; 3 fixable); 4 findings at or above low fail the run\n"
	for _, tc := range []struct {
		args       []string
		stdout     string // a prefix
		stderr     string
		reportFile string // a prefix
	}{
		{args: []string{"-f", "json"}, stdout: "{", stderr: line},
		{args: []string{"-f", "sarif", "-o", "out.sarif"}, stderr: line, reportFile: "{"},
		{args: []string{"-o", "out.txt"}, stderr: line, reportFile: "SEVERITY"},
		{args: []string{"-q", "-f", "json"}, stdout: "{"},
		{args: []string{"-q", "-o", "out.txt"}, reportFile: "SEVERITY"},
		{args: []string{}, stdout: "SEVERITY"},
		{args: []string{"-f", "markdown"}, stdout: "## pyvet report", stderr: line},
	} {
		os.Remove("out.txt")
		os.Remove("out.sarif")
		args := append([]string{"--offline", "audit", "--no-deps", "--db", db}, tc.args...)
		out, errs, code := runPyvet(t, append(args, "requirements.txt")...)
		if code != exitFindings || !strings.HasPrefix(out, tc.stdout) || (tc.stdout == "" && out != "") || errs != tc.stderr {
			t.Errorf("%v: exit %d\nstdout %.80q\nstderr %q, want %q", tc.args, code, out, errs, tc.stderr)
		}
		if tc.reportFile != "" {
			name := "out.txt"
			if strings.Contains(strings.Join(tc.args, " "), "sarif") {
				name = "out.sarif"
			}
			if b, err := os.ReadFile(name); err != nil || !strings.HasPrefix(string(b), tc.reportFile) {
				t.Errorf("%v: report file %.80q (%v)", tc.args, b, err)
			}
		}
	}
	// The table ends with the line, wrapped to the width (100 columns off a terminal).
	out, _, _ := runPyvet(t, "--offline", "audit", "--no-deps", "--db", db, "requirements.txt")
	if words := strings.Join(strings.Fields(out), " "); !strings.HasSuffix(words, strings.TrimSpace(line)) {
		t.Errorf("the table does not end with the summary line:\n%s", out)
	}
}

// A format that does not exist fails before any work with one line, exit 2.
func TestBadFormat(t *testing.T) {
	db := transcriptProject(t)
	_, errs, code := runPyvet(t, "--offline", "audit", "--no-deps", "--db", db, "-f", "xml", "requirements.txt")
	if code != exitUsage || !strings.Contains(errs, `unknown format "xml"`) || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Errorf("exit %d: %q", code, errs)
	}
}

// PYVET_FORMAT and PYVET_OUTPUT are the defaults of -f and -o: the flag
// beats the variable, a bad value is one line naming the variable (exit
// 2, before any work), and -o stdout is standard output as in pip-audit.
func TestReportEnvironment(t *testing.T) {
	db := transcriptProject(t)
	t.Setenv("COLUMNS", "")
	audit := func(args ...string) (string, string, int) {
		return runPyvet(t, append(append([]string{"--offline", "audit", "--no-deps", "--db", db}, args...), "requirements.txt")...)
	}
	t.Setenv("PYVET_FORMAT", "json")
	if out, errs, code := audit(); code != exitFindings || !strings.HasPrefix(out, "{") || !strings.Contains(errs, "2 of 3 packages affected") {
		t.Errorf("PYVET_FORMAT=json: exit %d, %.40q, %q", code, out, errs)
	}
	if out, _, code := audit("-f", "table"); code != exitFindings || !strings.HasPrefix(out, "SEVERITY") {
		t.Errorf("-f table under PYVET_FORMAT=json: exit %d, %.40q", code, out)
	}
	t.Setenv("PYVET_OUTPUT", "report.json")
	if out, errs, code := audit(); code != exitFindings || out != "" || !strings.Contains(errs, "2 of 3 packages affected") {
		t.Errorf("PYVET_OUTPUT: exit %d, stdout %.40q, %q", code, out, errs)
	}
	if b, err := os.ReadFile("report.json"); err != nil || !strings.Contains(string(b), `"PYSEC-2019-132"`) {
		t.Errorf("report.json: %.80q %v", b, err)
	}
	if out, errs, code := audit("-o", "stdout"); code != exitFindings || !strings.HasPrefix(out, "{") || !strings.Contains(errs, "affected") {
		t.Errorf("-o stdout: exit %d, %.40q, %q", code, out, errs)
	}
	t.Setenv("PYVET_OUTPUT", "")
	t.Setenv("PYVET_FORMAT", "columns")
	if out, _, _ := audit(); !strings.HasPrefix(out, "SEVERITY") {
		t.Errorf("PYVET_FORMAT=columns: %.40q", out)
	}
	t.Setenv("PYVET_FORMAT", "xml")
	out, errs, code := audit()
	if code != exitUsage || out != "" || !strings.HasPrefix(errs, "PYVET_FORMAT: ") || !strings.Contains(errs, `unknown format "xml"`) || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Errorf("PYVET_FORMAT=xml: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// audit -f cyclonedx-json / cyclonedx-xml (pip-audit's) is internal/sbom's
// bill of materials with the run's vulnerabilities as VEX, ignored ones
// left out; deps -f cyclonedx-json is the same without vulnerabilities;
// commands whose run lists no packages refuse the format before any work.
func TestAuditCycloneDX(t *testing.T) {
	db := transcriptProject(t)
	t.Setenv("COLUMNS", "")
	out, errs, code := runPyvet(t, "--offline", "audit", "--no-deps", "--db", db, "-f", "cyclonedx-json", "requirements.txt")
	var bom struct {
		BOMFormat  string `json:"bomFormat"`
		Components []struct {
			PURL string `json:"purl"`
		} `json:"components"`
		Vulnerabilities []struct {
			ID      string `json:"id"`
			Affects []struct {
				Ref string `json:"ref"`
			} `json:"affects"`
		} `json:"vulnerabilities"`
	}
	if err := json.Unmarshal([]byte(out), &bom); err != nil || code != exitFindings || bom.BOMFormat != "CycloneDX" {
		t.Fatalf("exit %d, %v:\n%.300s", code, err, out)
	}
	ids := map[string]bool{}
	for _, v := range bom.Vulnerabilities {
		ids[v.ID] = len(v.Affects) > 0
	}
	if len(ids) != 4 || !ids["PYSEC-2019-132"] || !ids["GHSA-9wx4-h78v-vm56"] || len(bom.Components) != 3 {
		t.Errorf("vulnerabilities %v, %d components", ids, len(bom.Components))
	}
	if !strings.Contains(errs, "2 of 3 packages affected by 4 known vulnerabilities") {
		t.Errorf("no summary line on standard error: %q", errs)
	}
	// The same document sbom --with-vulns writes.
	sbomOut, _, code := runPyvet(t, "--offline", "sbom", "--with-vulns", "--db", db, "requirements.txt")
	if code != 0 || sbomOut != out {
		t.Errorf("audit's document differs from sbom --with-vulns (exit %d):\n%.300s\n%.300s", code, out, sbomOut)
	}
	writeFile(t, "pyvet.toml", "[[ignore]]\nid = \"PYSEC-2019-132\"\nreason = \"not reachable\"\n", 0o644)
	xml, _, code := runPyvet(t, "--offline", "audit", "--no-deps", "--db", db, "-f", "cyclonedx-xml", "-o", "bom.xml", "requirements.txt")
	b, _ := os.ReadFile("bom.xml")
	if code != exitFindings || xml != "" || !strings.Contains(string(b), "<bom") || !strings.Contains(string(b), "PYSEC-2018-28") || strings.Contains(string(b), "PYSEC-2019-132") {
		t.Errorf("cyclonedx-xml -o: exit %d, stdout %q:\n%.400s", code, xml, b)
	}
	deps, _, code := runPyvet(t, "--offline", "deps", "-f", "cyclonedx-json", "requirements.txt")
	if code != 0 || !strings.Contains(deps, `"bomFormat": "CycloneDX"`) || strings.Contains(deps, "vulnerabilities") {
		t.Errorf("deps -f cyclonedx-json: exit %d:\n%.300s", code, deps)
	}
	if _, errs, code := runPyvet(t, "--offline", "db", "status", "-f", "cyclonedx-json"); code != exitUsage || !strings.Contains(errs, `unknown format "cyclonedx-json"`) {
		t.Errorf("db status -f cyclonedx-json: exit %d %q", code, errs)
	}
}

// The table fits 80 and 120 columns on every real project of the corpus
// (its uv.lock files, poetry, Pipfile and pylock lockfiles, warehouse's
// and airflow's pinned requirements) against the corpus advisory
// snapshot, audited from the project's own directory; the summary line
// counts the packages the JSON document lists as affected.
func TestAuditTableCorpusWidths(t *testing.T) {
	corpus := os.Getenv("PYVET_CORPUS")
	if corpus == "" {
		t.Skip("PYVET_CORPUS not set; skipping corpus test")
	}
	corpus, _ = filepath.Abs(corpus)
	cache := t.TempDir()
	if _, errs, code := runPyvet(t, "--cache-dir", cache, "-q", "db", "update", "--from", filepath.Join(corpus, "advisories", "pypi-osv-2026-07-23.zip")); code != 0 {
		t.Fatalf("db update: exit %d %s", code, errs)
	}
	lf := filepath.Join(corpus, "lockfiles")
	files, _ := filepath.Glob(filepath.Join(lf, "uv", "test", "ecosystem", "*", "uv.lock"))
	for _, f := range []string{"real/poetry-2022-09-18.poetry.lock", "real/poetry.poetry.lock", "pipenv/Pipfile.lock", "pipenv/pylock.toml",
		"warehouse/requirements/main.txt", "uv/test/requirements/airflow2-constraints.txt"} {
		files = append(files, filepath.Join(lf, f))
	}
	affected := 0
	for _, f := range files {
		t.Chdir(filepath.Dir(f))
		for _, cols := range []int{80, 120} {
			t.Setenv("COLUMNS", strconv.Itoa(cols))
			out, errs, code := runPyvet(t, "--cache-dir", cache, "--offline", "-q", "audit", "--no-deps", filepath.Base(f))
			if code > exitFindings {
				t.Fatalf("%s: exit %d %s", f, code, errs)
			}
			for _, l := range strings.Split(out, "\n") {
				if n := utf8.RuneCountInString(l); n > cols {
					t.Errorf("%s at %d columns: a line of %d: %q", f, cols, n, l)
				}
			}
			if strings.Contains(out, corpus) {
				t.Errorf("%s: absolute path in the table", f)
			}
		}
		js, _, _ := runPyvet(t, "--cache-dir", cache, "--offline", "-q", "audit", "--no-deps", "-f", "json", filepath.Base(f))
		var doc struct {
			Findings []struct{ Package, Version, Risk string } `json:"findings"`
		}
		if err := json.Unmarshal([]byte(js), &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		pkgs := map[string]bool{}
		for _, x := range doc.Findings {
			if x.Risk == "vulnerability" {
				pkgs[x.Package+" "+x.Version] = true
			}
		}
		t.Setenv("COLUMNS", "")
		_, line, _ := runPyvet(t, "--cache-dir", cache, "--offline", "audit", "--no-deps", "-f", "json", "-o", os.DevNull, filepath.Base(f))
		if len(pkgs) > 0 && !strings.HasPrefix(line, fmt.Sprintf("%d of ", len(pkgs))) && !strings.Contains(line, fmt.Sprintf("\n%d of ", len(pkgs))) {
			t.Errorf("%s: %d packages affected, summary %q", f, len(pkgs), line)
		}
		affected += len(pkgs)
	}
	if len(files) < 25 || affected < 100 {
		t.Errorf("%d files, %d affected packages: the corpus is not the one expected", len(files), affected)
	}
}

// refuseOutputOver (for fix, before it writes) names the input -o would
// replace, through a symlink too; other outputs pass.
func TestRefuseOutputOver(t *testing.T) {
	dir := t.TempDir()
	req := filepath.Join(dir, "requirements.txt")
	writeFile(t, req, "requests==2.19.0\n", 0o644)
	link := filepath.Join(dir, "link.txt")
	os.Symlink(req, link)
	for _, o := range []string{req, link} {
		rf := reportFlags{output: o}
		if err := rf.refuseOutputOver([]string{req}); exitCode(err) != exitUsage || !strings.Contains(err.Error(), "a file the run reads") {
			t.Errorf("-o %s: %v", o, err)
		}
	}
	for _, o := range []string{"", "-", "stdout", filepath.Join(dir, "report.json")} {
		rf := reportFlags{output: o}
		if err := rf.refuseOutputOver([]string{req}); err != nil {
			t.Errorf("-o %q: %v", o, err)
		}
	}
}
