package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/finding"
)

func TestSettingsAreTyped(t *testing.T) {
	p, err := Parse([]byte("[checks.example]\nratio = 2\nmode = \"slow\"\nstrict = true\n[checks.example-health]\nmax-age = \"2w\"\nexclude = \"one\"\n"), "pyvet.toml")
	if err != nil {
		t.Fatal(err)
	}
	c := p.Check("example")
	if c.Float("ratio", 0) != 2 || c.String("mode", "") != "slow" || !c.Bool("strict", false) {
		t.Errorf("example settings %#v", c.Settings)
	}
	if _, ok := c.Settings["ratio"].(float64); !ok {
		t.Errorf("an integer for a number setting is stored as %T", c.Settings["ratio"])
	}
	h := p.Check("example-health")
	if h.Duration("max-age", 0) != 14*24*time.Hour || strings.Join(h.Strings("exclude"), ",") != "one" {
		t.Errorf("example-health settings %#v", h.Settings)
	}
	for _, bad := range []struct{ doc, want string }{
		{"[checks.example]\nmode = \"quick\"\n", `pyvet.toml:2: checks.example.mode: "quick" is not one of fast, slow`},
		{"[checks.example]\nmax-distance = -1\n", "pyvet.toml:2: checks.example.max-distance: -1 is below the minimum, 0"},
		{"[checks.example]\nstrict = 1\n", "pyvet.toml:2: checks.example.strict: want a boolean, not a number"},
		{"[checks.example-health]\nexclude = [1]\n", "pyvet.toml:2: checks.example-health.exclude: want a list of strings, found a number in it"},
		{"[checks]\nexample = 3\n", "pyvet.toml:2: checks.example must be a table or a boolean, not a number"},
		{"[checks]\nnot-a-check = false\n", `pyvet.toml:2: checks.not-a-check: unknown check or rule "not-a-check"`},
		{"[tool.pyvet.checks.example]\nx = 1\n", ""}, // not under [tool.pyvet] in pyvet.toml: an unknown top-level key
	} {
		_, err := Parse([]byte(bad.doc), "pyvet.toml")
		if err == nil {
			t.Errorf("%q accepted", bad.doc)
			continue
		}
		if bad.want != "" && !strings.HasPrefix(err.Error(), bad.want) {
			t.Errorf("%q: %v, want prefix %q", bad.doc, err, bad.want)
		}
	}
	// In pyproject.toml the same schema applies under [tool.pyvet], with the line.
	dir := t.TempDir()
	pp := filepath.Join(dir, "pyproject.toml")
	if err := os.WriteFile(pp, []byte("[project]\nname = \"x\"\n\n[tool.pyvet.checks.example]\nmax-distanse = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil || !strings.HasPrefix(err.Error(), pp+":5: checks.example.max-distanse: unknown key") {
		t.Errorf("pyproject: %v", err)
	}
}

func TestShowListsEveryCheckWithDefaults(t *testing.T) {
	var b strings.Builder
	if err := Default().Show(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, spec := range Specs() {
		if !strings.Contains(out, "checks."+spec.Name+".enabled = true") {
			t.Errorf("show lacks %s:\n%s", spec.Name, out)
		}
		for _, k := range spec.Keys {
			if !strings.Contains(out, "checks."+spec.Name+"."+k.Name+" = ") {
				t.Errorf("show lacks %s.%s", spec.Name, k.Name)
			}
		}
	}
	if !strings.Contains(out, `checks.example-health.max-age = "365d"`) {
		t.Errorf("durations not shown as written:\n%s", out)
	}
	var set Entry
	p, err := Load("testdata/both")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range p.Entries() {
		if e.Key == "checks.example-health.max-age" {
			set = e
		}
	}
	if set.Value != `"730d"` || set.Default != `"365d"` || set.Origin != "testdata/both/pyvet.toml:9" || set.Doc != "how old is too old" {
		t.Errorf("entry %+v", set)
	}
}

func TestIgnoreFlagWithPackage(t *testing.T) {
	p, err := Flags{Ignore: []string{"PYSEC-1:Django_Rest", "GHSA-only"}}.Resolve(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	fs := []finding.Finding{
		{Risk: finding.RiskVulnerability, Rule: "vuln", ID: "PYSEC-1", Package: "django-rest", Severity: finding.SeverityHigh},
		{Risk: finding.RiskVulnerability, Rule: "vuln", ID: "PYSEC-1", Package: "flask", Severity: finding.SeverityHigh},
	}
	out, notes := p.Apply(fs, time.Now())
	for _, f := range out {
		if f.Ignored != (f.Package == "django-rest") {
			t.Errorf("%s ignored = %v", f.Package, f.Ignored)
		}
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "GHSA-only (--ignore-vuln) matched no finding") {
		t.Errorf("notes = %q", notes)
	}
	if p.ExitCode(out) != 1 {
		t.Error("the flask finding does not fail the run")
	}
	for _, bad := range []string{"PYSEC-1:", ":django", " "} {
		if _, err := (Flags{Ignore: []string{bad}}).Resolve(t.TempDir()); err == nil || !strings.HasPrefix(err.Error(), "--ignore-vuln") {
			t.Errorf("--ignore-vuln %q: %v", bad, err)
		}
	}
}

func TestUnmatchedIgnoreOnlyForChecksThatRan(t *testing.T) {
	p := Default()
	p.AddIgnore(Ignore{ID: "pin-loose", Reason: "r"}, "pyvet.toml:3")
	p.AddIgnore(Ignore{ID: "CVE-2000-1", Reason: "r"}, "pyvet.toml:7")
	p.AddIgnore(Ignore{ID: "CVE-2000-2", Reason: "r", Expires: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}, "pyvet.toml:9")
	_, notes := p.Apply(nil, time.Now())
	if len(notes) != 2 || !strings.Contains(strings.Join(notes, "\n"), "CVE-2000-1 (pyvet.toml:7) matched no finding") {
		t.Errorf("before the pinning check ran: %q", notes)
	}
	p.MarkRun("unapproved-change")
	_, notes = p.Apply(nil, time.Now())
	if !strings.Contains(strings.Join(notes, "\n"), "pin-loose (pyvet.toml:3) matched no finding") {
		t.Errorf("after: %q", notes)
	}
	_, notes = p.Apply([]finding.Finding{{Risk: finding.RiskUnpinned, Rule: "pin-loose"}, {ID: "X", Aliases: []string{"cve-2000-1"}}}, time.Now())
	if strings.Contains(strings.Join(notes, "\n"), "matched no finding") {
		t.Errorf("matched ignores reported: %q", notes)
	}
}

func TestDisableEnableFlags(t *testing.T) {
	p, err := Flags{Disable: []string{"example-rule,license"}, Enable: []string{"example"}}.Resolve(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if p.Enabled("example-rule") || p.Enabled("license") || !p.Enabled("example") || p.Origin("checks.license.enabled") != "--disable" {
		t.Errorf("checks %+v", p.Checks)
	}
	// A finding of a disabled rule is dropped; so is one whose check is disabled.
	out, _ := p.Apply([]finding.Finding{{Rule: "example-rule", Risk: finding.RiskNameConfusion}, {Rule: "license-unknown", Risk: finding.RiskLicense}}, time.Now())
	if len(out) != 0 {
		t.Errorf("kept %+v", out)
	}
	q := Default()
	q.SetCheck("example", false, "test")
	if out, _ := q.Apply([]finding.Finding{{Rule: "example-rule", Risk: finding.RiskNameConfusion}}, time.Now()); len(out) != 0 {
		t.Errorf("a rule of a disabled check kept: %+v", out)
	}
	_, err = Flags{Disable: []string{"licence"}}.Resolve(t.TempDir())
	if err == nil || !strings.HasPrefix(err.Error(), `--disable: unknown check or rule "licence" (did you mean license?)`) {
		t.Errorf("unknown --disable: %v", err)
	}
}

func TestUnknownSortsWithMedium(t *testing.T) {
	fs := []finding.Finding{
		{Severity: finding.SeverityLow, Package: "a"},
		{Severity: finding.SeverityUnknown, Package: "b"},
		{Severity: finding.SeverityMedium, Package: "c"},
		{Severity: finding.SeverityHigh, Package: "d"},
	}
	finding.Sort(fs)
	var got []string
	for _, f := range fs {
		got = append(got, f.Package)
	}
	if strings.Join(got, "") != "dcba" {
		t.Errorf("order %v, want high, medium, unknown, low", got)
	}
	p := Default()
	p.SetFailOn(finding.SeverityMedium, "test")
	if !p.Fails(&finding.Finding{Severity: finding.SeverityUnknown}) {
		t.Error("unknown does not fail fail-on medium")
	}
}

func TestProjectDir(t *testing.T) {
	root := t.TempDir()
	sub := filepath.Join(root, "requirements")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	req := filepath.Join(sub, "prod.txt")
	for _, f := range []string{req, filepath.Join(root, FileName)} {
		if err := os.WriteFile(f, []byte("fail-on = \"critical\"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(req, []byte("x==1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(root)
	// From a file below the current directory, the project's pyvet.toml applies.
	if got := ProjectDir([]string{"requirements/prod.txt"}); filepath.Clean(got) != "." {
		t.Errorf("ProjectDir = %q, want .", got)
	}
	p, err := LoadForPaths([]string{"requirements/prod.txt"}, Flags{})
	if err != nil || p.FailOn != finding.SeverityCritical || p.Origin("fail-on") != "pyvet.toml:1" {
		t.Fatalf("LoadForPaths: %v %v %s", p, err, p.Origin("fail-on"))
	}
	if len(p.Files) != 1 || p.Files[0] != FileName {
		t.Errorf("files %q", p.Files)
	}
	// --policy wins over discovery.
	other := filepath.Join(t.TempDir(), "strict.toml")
	if err := os.WriteFile(other, []byte("fail-on = \"info\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if p, err := LoadForPaths([]string{"requirements/prod.txt"}, Flags{File: other}); err != nil || p.FailOn != finding.SeverityInfo {
		t.Errorf("--policy: %v %v", p, err)
	}
	// A path outside the current directory never takes a policy from above it.
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(filepath.Dir(outside), FileName), []byte("fail-on = \"malicious\"\n"), 0o644); err == nil {
		defer os.Remove(filepath.Join(filepath.Dir(outside), FileName))
	}
	if got := ProjectDir([]string{filepath.Join(outside, "requirements.txt")}); got != outside {
		t.Errorf("outside: %q, want %q", got, outside)
	}
	// The search stops at a repository root.
	repo := filepath.Join(root, "vendor", "lib")
	if err := os.MkdirAll(filepath.Join(repo, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := ProjectDir([]string{"vendor/lib"}); got != "vendor/lib" {
		t.Errorf("below a repository root: %q", got)
	}
}

func TestRegisterRejectsMistakes(t *testing.T) {
	for name, s := range map[string]Spec{
		"duplicate key": {Name: "example", Keys: []Key{{Name: "ratio", Kind: KindFloat}}},
		"bad default":   {Name: "example-x", Keys: []Key{{Name: "n", Kind: KindInt, Default: "3"}}},
		"stolen rule":   {Name: "example-y", Rules: []string{"example-rule"}},
		"enabled key":   {Name: "example-z", Keys: []Key{{Name: "enabled", Kind: KindBool}}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			Register(s)
		}()
	}
}

func TestClosest(t *testing.T) {
	for in, want := range map[string]string{"max-distanse": "max-distance", "licence": "license", "zzzzzz": ""} {
		if got := closest(in, []string{"max-distance", "license", "size"}); got != want {
			t.Errorf("closest(%q) = %q, want %q", in, got, want)
		}
	}
}
