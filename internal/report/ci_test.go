package report

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestActionDefinition checks the GitHub Action: a composite action that
// installs pyvet with go install, writes SARIF and uploads it.
func TestActionDefinition(t *testing.T) {
	data, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Name   string
		Inputs map[string]struct {
			Description string
			Default     string
		}
		Runs struct {
			Using string
			Steps []struct {
				Name  string
				Uses  string
				Run   string
				Shell string
				If    string
				With  map[string]string
			}
		}
	}
	if err := yaml.Unmarshal(data, &action); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if action.Runs.Using != "composite" {
		t.Errorf("runs.using = %q", action.Runs.Using)
	}
	var install, audit, upload bool
	for _, s := range action.Runs.Steps {
		if s.Run != "" && s.Shell == "" {
			t.Errorf("step %q has no shell (required in composite actions)", s.Name)
		}
		if strings.Contains(s.Run, "${{") {
			t.Errorf("step %q interpolates expressions into the script; pass them through env", s.Name)
		}
		install = install || strings.Contains(s.Run, "go install \"github.com/pyvet/pyvet/cmd/pyvet@")
		audit = audit || regexp.MustCompile(`pyvet audit .*--format sarif --output "\$PYVET_SARIF"`).MatchString(s.Run)
		if strings.HasPrefix(s.Uses, "github/codeql-action/upload-sarif@") {
			upload = s.With["sarif_file"] == "${{ inputs.sarif-file }}" && strings.Contains(s.If, "always()")
		}
	}
	if !install || !audit || !upload {
		t.Errorf("install=%v audit=%v upload=%v", install, audit, upload)
	}
	for _, in := range []string{"path", "fail-on", "sarif-file", "upload-sarif", "version"} {
		if action.Inputs[in].Description == "" {
			t.Errorf("input %s undocumented", in)
		}
	}
}

// TestPreCommitHooks checks the pre-commit hook definitions.
func TestPreCommitHooks(t *testing.T) {
	data, err := os.ReadFile("../../.pre-commit-hooks.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var hooks []struct {
		ID            string `yaml:"id"`
		Name          string `yaml:"name"`
		Entry         string `yaml:"entry"`
		Language      string `yaml:"language"`
		Files         string `yaml:"files"`
		PassFilenames *bool  `yaml:"pass_filenames"`
	}
	if err := yaml.Unmarshal(data, &hooks); err != nil {
		t.Fatal(err)
	}
	if len(hooks) < 1 || hooks[0].ID != "pyvet-audit" {
		t.Fatalf("hooks = %+v", hooks)
	}
	for _, h := range hooks {
		if h.Language != "golang" || !strings.HasPrefix(h.Entry, "pyvet audit") || h.PassFilenames == nil || *h.PassFilenames {
			t.Errorf("hook %+v", h)
		}
		re, err := regexp.Compile(h.Files)
		if err != nil {
			t.Fatalf("%s: files pattern: %v", h.ID, err)
		}
		for _, f := range []string{"requirements.txt", "requirements/dev.in", "sub/poetry.lock", "Pipfile.lock", "uv.lock", "pyproject.toml", "pylock.toml", "pylock.dev.toml", "pyvet.toml"} {
			if !re.MatchString(f) {
				t.Errorf("%s does not run for %s", h.ID, f)
			}
		}
		for _, f := range []string{"src/app.py", "README.md", "poetry.lock.bak"} {
			if re.MatchString(f) {
				t.Errorf("%s runs for %s", h.ID, f)
			}
		}
	}
}
