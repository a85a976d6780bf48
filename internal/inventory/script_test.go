package inventory

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const scriptWithDeps = `#!/usr/bin/env -S uv run --script
# /// script
# requires-python = ">=3.11"
# dependencies = [
#   "requests==2.31.0",
#   "rich>=13",
# ]
# ///

import requests
`

func writeScript(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParseScript(t *testing.T) {
	p := writeScript(t, "fetch.py", scriptWithDeps)
	if got := Detect(p); got != FormatScript {
		t.Fatalf("Detect = %q", got)
	}
	inv, err := ParseFile(p, FormatUnknown, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		spec string
		line int
	}{"requests": {"", 5}, "rich": {">=13", 6}}
	if len(inv.Packages) != len(want) {
		t.Fatalf("packages %+v", inv.Packages)
	}
	for _, pk := range inv.Packages {
		w, ok := want[pk.Name]
		if !ok || pk.Specifier != w.spec || !pk.Direct || len(pk.Locations) != 1 || pk.Locations[0] != (Location{File: p, Line: w.line}) {
			t.Errorf("package %+v, want %+v", pk, w)
		}
	}
	if pk := inv.Packages[0]; pk.Name != "requests" || pk.Version != "2.31.0" {
		t.Errorf("pinned requests: %+v", pk)
	}
	if len(inv.Sources) != 1 || inv.Sources[0].Format != string(FormatScript) {
		t.Errorf("sources %+v", inv.Sources)
	}
	if ff := SourceFormat(inv.Sources[0]); ff == nil || ff.Kind != KindManifest || ff.Lock != nil || ff.ProjectFiles != nil {
		t.Errorf("format %+v", ff)
	}
	b := scriptFormat.Python([]byte(scriptWithDeps))
	if len(b) != 1 || b[0].What != "requires-python >=3.11" || len(b[0].Specs) != 1 || b[0].Specs[0] != ">=3.11" {
		t.Errorf("Python = %+v", b)
	}
	// A script without an extension is recognised by its block.
	bare := writeScript(t, "fetch", scriptWithDeps)
	if got := Detect(bare); got != FormatScript {
		t.Errorf("Detect(extensionless script) = %q", got)
	}
	// CRLF line ends read as LF.
	crlf := writeScript(t, "crlf.py", strings.ReplaceAll(scriptWithDeps, "\n", "\r\n"))
	inv, err = ParseFile(crlf, FormatUnknown, Options{})
	if err != nil || len(inv.Packages) != 2 {
		t.Errorf("CRLF script: %v %+v", err, inv)
	}
}

func TestParseScriptErrors(t *testing.T) {
	for _, c := range []struct {
		name, content, want string
	}{
		{"no block", "import sys\n# /// script\n# ///\n", ":  the file has no `# /// script` block"},
		{"unclosed", "# /// script\n# dependencies = []\nprint(1)\n", ": the file has no `# /// script` block"},
		{"two blocks", "# /// script\n# dependencies = []\n# ///\nx = 1\n# /// script\n# requires-python = \">=3.9\"\n# ///\n", ":5: a second `# /// script` block (the first is at line 1)"},
		{"bad TOML", "import os\n\n# /// script\n# dependencies = [\"a\",\n# requires-python = 3\n# ///\n", ":5: invalid TOML"},
		{"bad requirement", "# /// script\n# dependencies = [\n#  \"ok==1\",\n#  \"bad >=<\",\n# ]\n# ///\n", `:4: invalid requirement "bad >=<"`},
		{"wrong type", "# /// script\n# dependencies = \"requests\"\n# ///\n", ":2: toml: cannot decode"},
	} {
		p := writeScript(t, "s.py", c.content)
		_, err := ParseFile(p, FormatUnknown, Options{})
		want := strings.Replace(c.want, ":  the", ": the", 1)
		if err == nil || !strings.Contains(err.Error(), p+want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want %q", c.name, err, p+want)
		}
	}
}

func TestScriptBlockOfOtherTypeIgnored(t *testing.T) {
	src := "# /// pyproject\n# [project]\n# dependencies = [\"evil==1\"]\n# ///\n\n# /// script\n# dependencies = [\"good==2\"]\n# ///\n"
	inv, err := ParseScript("s.py", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Packages) != 1 || inv.Packages[0].Name != "good" || inv.Packages[0].Locations[0].Line != 7 {
		t.Errorf("packages %+v", inv.Packages)
	}
	// Only another type: no script block.
	if _, err := ParseScript("s.py", []byte(src[:strings.Index(src, "\n\n")+1]), Options{}); err == nil || !strings.Contains(err.Error(), "no `# /// script` block") {
		t.Errorf("error %v", err)
	}
}

// TestScriptBlocksAsTheSpecRegex: the line scanner finds the blocks the
// specification's regular expression finds, with the same content.
func TestScriptBlocksAsTheSpecRegex(t *testing.T) {
	re := regexp.MustCompile(`(?m)^# /// ([a-zA-Z0-9-]+)$\s((?:^#(?:| .*)$\s)+)^# ///$`)
	for _, src := range []string{
		scriptWithDeps,
		"# /// script\n# a = 1\n# ///\n# b = 2\n# ///\nx\n# ///\n",
		"# /// script\n# ///\n",
		"# /// script\n# ///\n# ///\n",
		"# /// a\n# /// b\n# x\n# ///",
		"# /// a\n# x\n#\n# ///\n# /// b\n# y\n# ///\n",
		"# /// a b\n# x\n# ///\n",
		"#/// a\n# x\n# ///\n",
		"# /// script \n# x\n# ///\n",
		"# /// script\n#x\n# ///\n",
		"# /// s\n# x\n# ///\n\n# /// t\n# y\n# ///\n",
	} {
		checkAgainstRegex(t, re, src)
	}
}

func checkAgainstRegex(t *testing.T, re *regexp.Regexp, src string) {
	t.Helper()
	ms := re.FindAllStringSubmatch(src, -1)
	bs := scriptBlocks([]byte(src))
	if len(ms) != len(bs) {
		t.Fatalf("%q: regex finds %d blocks, scanner %d", src, len(ms), len(bs))
	}
	for i, m := range ms {
		var want strings.Builder
		for _, l := range strings.SplitAfter(m[2], "\n") {
			if strings.HasPrefix(l, "# ") {
				want.WriteString(l[2:])
			} else if l != "" {
				want.WriteString(l[1:])
			}
		}
		got := strings.TrimLeft(string(bs[i].toml()), "\n")
		if bs[i].Type != m[1] || strings.TrimLeft(want.String(), "\n") != got {
			t.Errorf("%q: block %d: scanner %q %q, regex %q %q", src, i, bs[i].Type, got, m[1], want.String())
		}
	}
}

// TestProjectScanSkipsScripts: a project directory's .py files are not
// read, even one with a script block.
func TestProjectScanSkipsScripts(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tool.py"), []byte(scriptWithDeps), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "requirements.txt"), []byte("flask==3.0.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	inv, err := Load([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range inv.Sources {
		if s.Format == string(FormatScript) {
			t.Errorf("project scan read %s", s.Path)
		}
	}
	if len(inv.Packages) != 1 || inv.Packages[0].Name != "flask" {
		t.Errorf("packages %+v", inv.Packages)
	}
}

// TestScriptBlocksLinear: openers without closers, and many blocks, are
// read in time linear in the script.
func TestScriptBlocksLinear(t *testing.T) {
	for _, unit := range []string{"# /// a\n", "# /// a\n# x\n# ///\n", "# /// script\n# x\n"} {
		small := []byte(strings.Repeat(unit, 2000))
		big := []byte(strings.Repeat(unit, 64000))
		ts, tb := timeIt(func() { scriptBlocks(small) }), timeIt(func() { scriptBlocks(big) })
		if tb > 200*ts+50*time.Millisecond {
			t.Errorf("%q: 2,000 units %v, 64,000 units %v: not linear", unit, ts, tb)
		}
		if _, err := ParseScript("s.py", big, Options{}); err == nil && unit != "# /// a\n# x\n# ///\n" {
			t.Errorf("%q: no error", unit)
		}
	}
}

func timeIt(f func()) time.Duration {
	start := time.Now()
	f()
	return time.Since(start)
}

func FuzzScriptBlock(f *testing.F) {
	for _, s := range []string{scriptWithDeps, "# /// script\n# ///\n# ///\n", "# /// a\n# /// b\n# x\n# ///", "#\n# ///\n"} {
		f.Add(s)
	}
	re := regexp.MustCompile(`(?m)^# /// ([a-zA-Z0-9-]+)$\s((?:^#(?:| .*)$\s)+)^# ///$`)
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 1<<16 {
			return
		}
		if !strings.Contains(src, "\r") {
			checkAgainstRegex(t, re, src)
		}
		_, _ = ParseScript("s.py", []byte(src), Options{})
	})
}
