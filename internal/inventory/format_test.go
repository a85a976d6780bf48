package inventory

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestFormatsDeclareThemselves: every registered format has a name, a
// parser and a name matcher; names and aliases are unique; a format a
// project scan reads gives examples, which its ProjectFiles finds in a
// project and its Match (and FormatByName, the registry's order) names.
func TestFormatsDeclareThemselves(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range Formats() {
		if f.Name == "" || f.Parse == nil || f.Match == nil {
			t.Errorf("format %q: incomplete declaration", f.Name)
		}
		for _, n := range append([]string{string(f.Name)}, f.Aliases...) {
			if seen[n] {
				t.Errorf("format name %q registered twice", n)
			}
			seen[n] = true
			if FormatOf(n) != f {
				t.Errorf("FormatOf(%q) is not %s", n, f.Name)
			}
		}
		if (f.Lock != nil) != (f.Kind == KindLock) {
			t.Errorf("%s: Kind %v but Lock %v", f.Name, f.Kind, f.Lock)
		}
		if f.Lock != nil && f.Lock.Upgrade == nil {
			t.Errorf("%s: a lockfile format without an upgrade command", f.Name)
		}
		if f.ProjectFiles == nil {
			continue
		}
		if len(f.Examples) == 0 {
			t.Errorf("%s: read by project scans but no Examples", f.Name)
		}
		dir := t.TempDir()
		for _, e := range f.Examples {
			p := filepath.Join(dir, e)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		found := f.ProjectFiles(dir)
		for _, e := range f.Examples {
			p := filepath.Join(dir, e)
			if !slices.Contains(found, p) {
				t.Errorf("%s: ProjectFiles does not find example %s (found %v)", f.Name, e, found)
			}
			if got := FormatByName(p); got != f {
				t.Errorf("%s: example %s is named %v", f.Name, e, got)
			}
		}
	}
}

// TestSniffersDisagreeInOrder: sniffers are asked by strength, and no two
// share one (their order would then be the registry's by accident).
func TestSniffersDisagreeInOrder(t *testing.T) {
	strengths := map[int]Format{}
	for _, f := range Formats() {
		if f.Sniff == nil {
			continue
		}
		if g, dup := strengths[f.SniffStrength]; dup {
			t.Errorf("%s and %s have sniff strength %d", f.Name, g, f.SniffStrength)
		}
		strengths[f.SniffStrength] = f.Name
	}
	for i := 1; i < len(sniffers); i++ {
		if sniffers[i-1].SniffStrength < sniffers[i].SniffStrength {
			t.Errorf("sniffers out of order: %s before %s", sniffers[i-1].Name, sniffers[i].Name)
		}
	}
}

// TestPreCommitHooksSeeEveryFormat: the files: pattern of every hook in
// .pre-commit-hooks.yaml matches every example file of every format a
// project scan reads, at the top of a repository and below it, so a new
// format the hook would not run on fails here.
func TestPreCommitHooksSeeEveryFormat(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", ".pre-commit-hooks.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var hooks []struct {
		ID    string `yaml:"id"`
		Files string `yaml:"files"`
	}
	if err := yaml.Unmarshal(data, &hooks); err != nil {
		t.Fatal(err)
	}
	if len(hooks) == 0 {
		t.Fatal("no hooks")
	}
	n := 0
	for _, h := range hooks {
		re, err := regexp.Compile(h.Files)
		if err != nil {
			t.Fatalf("hook %s: files: %v", h.ID, err)
		}
		for _, f := range Formats() {
			for _, e := range f.Examples {
				for _, p := range []string{e, "services/api/" + e} {
					n++
					if !re.MatchString(p) {
						t.Errorf("hook %s does not run when %s (%s) changes", h.ID, p, f.Name)
					}
				}
			}
		}
		for _, p := range []string{"README.md", "src/app.py", "docs/requirements.md"} {
			if re.MatchString(p) {
				t.Errorf("hook %s runs when %s changes", h.ID, p)
			}
		}
	}
	if n < 20 {
		t.Fatalf("only %d example paths checked", n)
	}
}
