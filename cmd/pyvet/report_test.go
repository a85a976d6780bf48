package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runReport runs a command tree with the report command added (root.go
// wires it into pyvet's own tree).
func runReport(t *testing.T, args ...string) (string, error) {
	t.Helper()
	a := &app{}
	root := a.rootCmd()
	root.AddCommand(newReportCmd(a))
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&bytes.Buffer{})
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

// A recorded JSON run of deps converts to exactly what deps prints in every
// other format.
func TestReportConvertDeps(t *testing.T) {
	demo := filepath.Join("..", "..", "examples", "demo")
	rec := filepath.Join(t.TempDir(), "deps.json")
	if _, err := runReport(t, "deps", "-q", "-f", "json", "-o", rec, demo); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"table", "markdown", "html", "sarif", "json"} {
		want, err := runReport(t, "deps", "-q", "-f", format, demo)
		if err != nil {
			t.Fatal(err)
		}
		got, err := runReport(t, "report", "convert", "-f", format, rec)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if got != want {
			t.Errorf("%s: converted output differs:\n%s\nwant:\n%s", format, got, want)
		}
	}
	if out, _ := runReport(t, "report", "convert", rec); !strings.Contains(out, "packages (") {
		t.Errorf("default table: %s", out)
	}
}

// Bad recorded input: one-line errors naming the file, exit 2.
func TestReportConvertBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"schema_version": "9.0", "kind": "audit"}`), 0o644)
	for _, args := range [][]string{{bad}, {filepath.Join(dir, "missing.json")}, {"-f", "xml", bad}} {
		_, err := runReport(t, append([]string{"report", "convert"}, args...)...)
		if exitCode(err) != exitUsage || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: exit %d (%v)", args, exitCode(err), err)
		}
	}
	if _, err := runReport(t, "report", "convert", bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("error does not name the file: %v", err)
	}
}

// version writes through the layer: the same line as before, and JSON.
func TestVersionFormats(t *testing.T) {
	out, err := runReport(t, "version")
	if err != nil || !strings.HasPrefix(out, "pyvet ") || !strings.Contains(out, "/") {
		t.Fatalf("%v: %q", err, out)
	}
	js, err := runReport(t, "version", "-f", "json")
	if err != nil || !strings.Contains(js, `"kind": "version"`) || !strings.Contains(js, `"schema_version": "1.1"`) {
		t.Fatalf("%v: %s", err, js)
	}
}

// Every command that reports through the layer: -f json -o FILE records the
// run (nothing on standard output, the same exit status), and the recorded
// run converts to exactly the table the command prints.
func TestCommandsRecordAndConvert(t *testing.T) {
	dir := t.TempDir()
	cache := filepath.Join(dir, "cache")
	sp := filepath.Join(dir, "venv", "lib", "python3.12", "site-packages")
	writeFile(t, filepath.Join(sp, "x-1.0.dist-info", "METADATA"), "Metadata-Version: 2.1\nName: x\nVersion: 1.0\n", 0o644)
	writeFile(t, filepath.Join(sp, "x-1.0.dist-info", "RECORD"), "x.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\nx-1.0.dist-info/RECORD,,\n", 0o644)
	writeFile(t, filepath.Join(sp, "x.py"), "changed\n", 0o644)
	req := filepath.Join(dir, "proj", "requirements.txt")
	writeFile(t, req, "requests==2.19.0\n", 0o644)
	writeFile(t, filepath.Join(dir, "proj", "pyvet.toml"), "fail-on = \"medium\"\n", 0o644)
	if _, errs, code := runPyvet(t, "--cache-dir", cache, "-q", "db", "update", "--from", testOSV); code != 0 {
		t.Fatalf("db update: exit %d %s", code, errs)
	}
	pop := filepath.Join("..", "..", "internal", "check", "typosquat", "testdata", "popular.json")
	for _, tc := range []struct {
		args []string
		code int
		want string // in the table
	}{
		{[]string{"verify", "env", filepath.Join(dir, "venv")}, 1, "modified    x.py  [x]"},
		{[]string{"fix", "--dry-run", "--db", testOSV, req}, 1, "+requests==2.20.1"},
		{[]string{"db", "status"}, 0, "Advisories:  5 (0 withdrawn), 4 packages"},
		{[]string{"db", "update", "--force", "--from", testOSV}, 0, "Imported 5 advisories (4 packages) from " + testOSV},
		{[]string{"policy", "show", filepath.Join(dir, "proj")}, 0, `fail-on = "medium"`},
		{[]string{"pypi", "popularity", "--from", pop}, 0, "Installed the popularity list ("},
	} {
		pre := []string{"--cache-dir", cache, "--offline", "-q"}
		table, errs, code := runPyvet(t, append(append([]string{}, pre...), tc.args...)...)
		if code != tc.code || !strings.Contains(table, tc.want) {
			t.Fatalf("%v: exit %d, want %d and %q:\n%s%s", tc.args, code, tc.code, tc.want, table, errs)
		}
		rec := filepath.Join(dir, "run.json")
		out, errs, code := runPyvet(t, append(append(append([]string{}, pre...), tc.args...), "-f", "json", "-o", rec)...)
		if code != tc.code || out != "" {
			t.Fatalf("%v -f json -o: exit %d, stdout %q, %s", tc.args, code, out, errs)
		}
		if doc, err := os.ReadFile(rec); err != nil || !bytes.Contains(doc, []byte(`"schema_version": "1.1"`)) {
			t.Fatalf("%v: recorded %s, %v", tc.args, doc, err)
		}
		got, err := runReport(t, "report", "convert", rec, "-f", "table")
		if err != nil || got != table {
			t.Errorf("%v: converted table differs (%v):\n%s\nwant:\n%s", tc.args, err, got, table)
		}
	}
}
