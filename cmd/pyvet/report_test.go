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
