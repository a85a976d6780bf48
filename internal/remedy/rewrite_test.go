package remedy

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

func sha(c byte) string { return "sha256:" + strings.Repeat(string(c), 64) }

func testChanges() map[string]Change {
	m := map[string]Change{}
	for _, c := range []Change{
		{Name: "requests", To: "2.20.0", Hashes: []string{sha('a'), sha('b')}},
		{Name: "django", To: "3.2.25"},
		{Name: "urllib3", To: "1.24.2"},
		{Name: "jinja2", To: "2.10.1"},
		{Name: "pyyaml", To: "5.4"},
		{Name: "flask", To: "1.0"},
		{Name: "pillow", To: "6.2.2"},
		{Name: "werkzeug", To: "0.15.3"},
		{Name: "idna", To: "2.8"},
		{Name: "cryptography", To: "3.2"},
		{Name: "vcspkg", To: "9.9"},
		{Name: "pyjwt", To: "1.5.1"},
		{Name: "paramiko", To: "2.4.2"},
		{Name: "six", To: "1.16.0", Hashes: []string{sha('c'), sha('d')}},
		{Name: "pytest", To: "6.0"},
	} {
		m[c.Name] = c
	}
	return m
}

func rewriteFile(t *testing.T, name string, data []byte) ([]byte, []Edit) {
	t.Helper()
	if name == "Pipfile" {
		out, edits, err := RewritePipfile(name, data, testChanges())
		if err != nil {
			t.Fatal(err)
		}
		return out, edits
	}
	if strings.HasSuffix(name, ".toml") {
		out, edits, err := RewritePyproject(name, data, testChanges())
		if err != nil {
			t.Fatal(err)
		}
		return out, edits
	}
	return RewriteRequirements(name, data, testChanges())
}

// Each testdata/golden input is rewritten and compared with its .golden
// file; a second rewrite of the result must change nothing.
func TestGolden(t *testing.T) {
	inputs, _ := filepath.Glob(filepath.Join("testdata", "golden", "*"))
	n := 0
	for _, in := range inputs {
		if strings.HasSuffix(in, ".golden") {
			continue
		}
		n++
		t.Run(filepath.Base(in), func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			out, edits := rewriteFile(t, filepath.Base(in), data)
			diff := UnifiedDiff(filepath.Base(in), data, out)
			golden := in + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(diff), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if diff != string(want) {
				t.Errorf("diff mismatch:\n--- got\n%s\n--- want\n%s", diff, want)
			}
			if len(edits) == 0 {
				t.Error("no edits")
			}
			// Only edited lines differ: line count and everything else is kept.
			if bytes.Count(out, []byte("\n")) < bytes.Count(data, []byte("\n"))-2 {
				t.Error("lines lost")
			}
			// Idempotent: rewriting the result with targets now satisfied changes nothing.
			again, edits2 := rewriteFile(t, filepath.Base(in), out)
			if !bytes.Equal(again, out) {
				t.Errorf("second rewrite changed the file:\n%s", UnifiedDiff(in, out, again))
			}
			for _, e := range edits2 {
				if e.Skipped == "" {
					t.Errorf("second rewrite edit: %+v", e)
				}
			}
		})
	}
	if n < 4 {
		t.Fatalf("only %d golden inputs", n)
	}
}

func TestRequirementsEdits(t *testing.T) {
	data, _ := os.ReadFile(filepath.Join("testdata", "golden", "hashed.txt"))
	_, edits := RewriteRequirements("hashed.txt", data, testChanges())
	got := map[string]Edit{}
	for _, e := range edits {
		got[e.Name] = e
	}
	if e := got["requests"]; !e.HashesRefreshed || e.Line != 4 || e.Old != "==2.19.0" || e.New != "==2.20.0" {
		t.Errorf("requests edit = %+v", e)
	}
	// Without the new version's hashes a hashed pin is left alone: the old
	// hashes next to a new version make pip refuse the file.
	if e := got["urllib3"]; e.HashesRefreshed || e.New != "" || !strings.Contains(e.Skipped, "could not be fetched") {
		t.Errorf("urllib3 without known hashes must be skipped: %+v", e)
	}
	if out, _ := RewriteRequirements("hashed.txt", data, testChanges()); strings.Contains(string(out), "urllib3==1.24.2") {
		t.Errorf("urllib3 pin moved without its hashes:\n%s", out)
	}
	data, _ = os.ReadFile(filepath.Join("testdata", "golden", "tricky.txt"))
	_, edits = RewriteRequirements("tricky.txt", data, testChanges())
	skipped := map[string]string{}
	for _, e := range edits {
		if e.Skipped != "" {
			skipped[e.Name] = e.Skipped
		}
	}
	if skipped["cryptography"] != "direct URL reference" || len(skipped) != 1 {
		t.Errorf("skipped = %v", skipped)
	}
}

func TestRewriteSpec(t *testing.T) {
	for _, c := range []struct{ old, to, want string }{
		{"==1.0", "1.2", "==1.2"},
		{"===1.0", "1.2", "===1.2"},
		{">=1.0", "1.2", ">=1.2"},
		{">1.0,<2", "1.2", ">=1.2,<2"},
		{"<2, >=1.0", "1.2", "<2, >=1.2"},
		{"~=1.0", "1.2.3", "~=1.2.3"},
		{"~=1.0", "2", ">=2"},
		{"", "1.2", ">=1.2"},
		{"<2", "1.2", ">=1.2,<2"},
		{"!=1.1,>=1.0", "1.2", "!=1.1,>=1.2"},
		{"==1.*", "1.4", ">=1.4,==1.*"},
		{"== 1.0", "1.2", "== 1.2"},
		{"==1.3", "1.2", "==1.3"},
		{">=1.2,<2", "1.2", ">=1.2,<2"},
		{">1.5", "1.2", ">1.5"},
		{">= 1.0, < 2", "1.2", ">= 1.2, < 2"},
	} {
		got, ok := rewriteSpec(c.old, c.to)
		if !ok || got != c.want {
			t.Errorf("rewriteSpec(%q, %q) = %q, %v; want %q", c.old, c.to, got, ok, c.want)
		}
	}
	for _, c := range [][2]string{{"<1.2", "1.2"}, {"!=1.2,>=1", "1.2"}, {"==1.*", "2.0"}, {"bogus", "1"}, {">=1", "not a version"}} {
		if got, ok := rewriteSpec(c[0], c[1]); ok {
			t.Errorf("rewriteSpec(%q, %q) = %q, want failure", c[0], c[1], got)
		}
	}
}

func TestRewritePoetry(t *testing.T) {
	for _, c := range []struct{ old, to, want string }{
		{"^2.19", "2.20.0", "^2.20.0"},
		{"~5.0", "6.2.2", "~6.2.2"},
		{"1.23", "1.24.2", "1.24.2"},
		{"*", "1.0", ">=1.0"},
		{">=3.0 <6.0", "5.4", ">=5.4 <6.0"},
		{">=2.0,<4.0", "3.2", ">=3.2,<4.0"},
		{"^1.0 || ^2.0", "2.5", "^2.5"},
		{"==1.0", "1.1", "==1.1"},
		{"^3.0", "2.5", "^3.0"},
		{"2.6", "2.5", "2.6"},
	} {
		got, ok := rewritePoetry(c.old, c.to)
		if !ok || got != c.want {
			t.Errorf("rewritePoetry(%q, %q) = %q, %v; want %q", c.old, c.to, got, ok, c.want)
		}
	}
}

func TestPyprojectErrors(t *testing.T) {
	_, _, err := RewritePyproject("p/pyproject.toml", []byte("[project]\ndependencies = [\n  \"a\",\n  = oops\n"), testChanges())
	if err == nil || !strings.HasPrefix(err.Error(), "p/pyproject.toml:") || strings.Contains(err.Error(), "\n") {
		t.Errorf("error = %v", err)
	}
}

func TestUnifiedDiff(t *testing.T) {
	a := []byte("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n")
	b := []byte("1\n2\nthree\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\nfifteen\nsixteen")
	want := "--- a/f\n+++ b/f\n@@ -1,6 +1,6 @@\n 1\n 2\n-3\n+three\n 4\n 5\n 6\n@@ -12,4 +12,5 @@\n 12\n 13\n 14\n-15\n+fifteen\n+sixteen\n\\ No newline at end of file\n"
	if got := UnifiedDiff("f", a, b); got != want {
		t.Errorf("diff:\n%s\nwant:\n%s", got, want)
	}
	if UnifiedDiff("f", a, a) != "" {
		t.Error("diff of equal inputs")
	}
}

func FuzzRewriteRequirements(f *testing.F) {
	for _, name := range []string{"tricky.txt", "crlf.txt", "hashed.txt"} {
		data, err := os.ReadFile(filepath.Join("testdata", "golden", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("requests==1 --hash\nsix \\"))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, _ := RewriteRequirements("f.txt", data, testChanges())
		again, _ := RewriteRequirements("f.txt", out, testChanges())
		if !bytes.Equal(out, again) {
			t.Fatalf("not idempotent:\n%q\n%q\n%q", data, out, again)
		}
	})
}

func FuzzRewritePyproject(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", "golden", "pyproject.toml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte("[tool.poetry.dependencies]\nsix = '*'\n"))
	f.Add([]byte("[packages]\nrequests = {version = \"==2.19.0\"}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, rewrite := range []func(string, []byte, map[string]Change) ([]byte, []Edit, error){RewritePyproject, RewritePipfile} {
			out, _, err := rewrite("p.toml", data, testChanges())
			if err != nil {
				if strings.Contains(err.Error(), "\n") {
					t.Fatalf("multi-line error %q", err)
				}
				return
			}
			again, _, err := rewrite("p.toml", out, testChanges())
			if err != nil {
				t.Fatalf("rewrite made invalid TOML: %v\n%q", err, out)
			}
			if !bytes.Equal(out, again) {
				t.Fatalf("not idempotent:\n%q\n%q", out, again)
			}
		}
	})
}
