package main

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestErrorLineIsBounded: whatever an error quotes, main prints one line of
// at most maxError characters.
func TestErrorLineIsBounded(t *testing.T) {
	secret := strings.Repeat("root:x:0:0:root:/root:/bin/bash\n", 100000)
	got := errorLine(errors.New("requirements.txt:1: invalid requirement " + secret))
	if utf8.RuneCountInString(got) > maxError || strings.Contains(got, "\n") {
		t.Errorf("%d characters, newline %v", utf8.RuneCountInString(got), strings.Contains(got, "\n"))
	}
	if !strings.HasPrefix(got, "requirements.txt:1: invalid requirement root:x:0:0") {
		t.Errorf("prefix lost: %.80q", got)
	}
}

// TestDepsWarningsOnStderrInEveryFormat: inventory warnings reach standard
// error with --format json too, and stay in the JSON document.
func TestDepsWarningsOnStderrInEveryFormat(t *testing.T) {
	dir := t.TempDir()
	writePolicyFile(t, filepath.Join(dir, "pyproject.toml"), "[project]\nname = \"x\"\nversion = \"1\"\ndynamic = [\"dependencies\"]\n")
	for _, format := range []string{"table", "json"} {
		out, errs, code := runPyvet(t, "deps", "--format", format, dir)
		if code != 0 || !strings.Contains(errs, "pyvet: warning: ") || !strings.Contains(errs, "dynamic") {
			t.Errorf("%s: exit %d, stderr %q", format, code, errs)
		}
		if format == "json" && !strings.Contains(out, "dynamic") {
			t.Errorf("json: warning not in the document:\n%s", out)
		}
	}
}
