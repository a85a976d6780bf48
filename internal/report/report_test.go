package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
)

func fixture(t testing.TB) *Result {
	t.Helper()
	var inv inventory.Inventory
	var fs []finding.Finding
	for path, v := range map[string]any{"testdata/inventory.json": &inv, "testdata/findings.json": &fs} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	return &Result{
		Tool:      "pyvet audit",
		Inventory: &inv,
		Findings:  fs,
		Notes:     []string{"ignore for PYSEC-2000-1 expired on 2026-01-01 (pyvet.toml:4); it no longer applies"},
		Meta:      map[string]string{"db": "pypi-osv-2026-07-23.zip", "db_date": "2026-07-23"},
		Failed:    true,
	}
}

func render(t *testing.T, format string, res *Result, opts Options) string {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, format, res, opts); err != nil {
		t.Fatalf("%s: %v", format, err)
	}
	return b.String()
}

func TestFormats(t *testing.T) {
	want := []string{"html", "json", "markdown", "sarif", "table"}
	if got := Formats(); !reflect.DeepEqual(got, want) {
		t.Errorf("Formats() = %v, want %v", got, want)
	}
	if err := Write(&bytes.Buffer{}, "xml", fixture(t), Options{}); err == nil || !strings.Contains(err.Error(), "table") {
		t.Errorf("unknown format error = %v", err)
	}
	// Every format copes with an empty result.
	for _, f := range Formats() {
		if out := render(t, f, nil, Options{}); out == "" {
			t.Errorf("%s: empty output for an empty result", f)
		}
	}
}

func TestJSONIsPipAuditSuperset(t *testing.T) {
	out := render(t, "json", fixture(t), Options{})
	var doc struct {
		Dependencies []map[string]any `json:"dependencies"`
		Fixes        []any            `json:"fixes"`
		Findings     []map[string]any `json:"findings"`
		Summary      Summary          `json:"summary"`
		Meta         map[string]string
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Fixes == nil || len(doc.Fixes) != 0 {
		t.Errorf("fixes = %v, want []", doc.Fixes)
	}
	deps := map[string]map[string]any{}
	for _, d := range doc.Dependencies {
		name, _ := d["name"].(string)
		deps[name] = d
		_, hasVulns := d["vulns"]
		_, hasSkip := d["skip_reason"]
		if !hasVulns && !hasSkip {
			t.Errorf("dependency %s has neither vulns nor skip_reason", name)
		}
	}
	if len(deps) != 8 {
		t.Errorf("%d dependencies, want 8", len(deps))
	}
	wz := deps["werkzeug"]
	vulns, _ := wz["vulns"].([]any)
	if wz["version"] != "2.0.0" || len(vulns) != 1 {
		t.Fatalf("werkzeug = %v", wz)
	}
	v := vulns[0].(map[string]any)
	if v["id"] != "PYSEC-2023-221" || !reflect.DeepEqual(v["fix_versions"], []any{"2.3.8", "3.0.1"}) ||
		!reflect.DeepEqual(v["aliases"], []any{"CVE-2023-46136", "GHSA-hrfv-mqp8-q5rw"}) || !strings.Contains(v["description"].(string), "multipart") {
		t.Errorf("werkzeug vuln = %v", v)
	}
	if vs, _ := deps["urllib3"]["vulns"].([]any); len(vs) != 0 {
		t.Errorf("ignored urllib3 vulnerability listed under dependencies: %v", vs)
	}
	if r, _ := deps["requests"]["skip_reason"].(string); !strings.Contains(r, "not pinned (>=2.20)") {
		t.Errorf("requests skip_reason = %q", r)
	}
	if r, _ := deps["black"]["skip_reason"].(string); !strings.Contains(r, "version-control") {
		t.Errorf("black skip_reason = %q", r)
	}
	if len(doc.Findings) != 5 {
		t.Fatalf("%d findings, want 5", len(doc.Findings))
	}
	first := doc.Findings[0]
	if first["severity"] != "high" || first["owasp"] != float64(1) && first["owasp"] != float64(9) {
		t.Errorf("first finding = %v", first)
	}
	for _, f := range doc.Findings {
		if f["id"] == "GHSA-v845-jxx5-vc9f" && f["ignored"] != true {
			t.Errorf("ignored finding not marked: %v", f)
		}
	}
	if doc.Summary.Total != 4 || doc.Summary.Ignored != 1 || doc.Summary.ByRisk["unapproved-change"] != 3 || !doc.Summary.Failed {
		t.Errorf("summary = %+v", doc.Summary)
	}
	if doc.Meta["db"] != "pypi-osv-2026-07-23.zip" {
		t.Errorf("meta = %v", doc.Meta)
	}
}

func TestMarkdown(t *testing.T) {
	out := render(t, "markdown", fixture(t), Options{Desc: true, Title: "Dependency audit"})
	for _, want := range []string{"## Dependency audit", "❌ fails the policy", "| 1 | Known vulnerabilities | 1 |",
		"| 9 | Unapproved changes (mutability) | 3 |", "`PYSEC-2023-221`", "`poetry.lock:120`",
		`CPU time &lt;for&gt; "crafted" \| data.`, "> **Note:** ignore for PYSEC-2000-1"} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
	// Every table row has the same number of unescaped cell separators.
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "| ") && strings.Contains(l, "PYSEC") {
			if n := strings.Count(strings.ReplaceAll(l, `\|`, ""), "|"); n != 7 {
				t.Errorf("row has %d separators: %s", n, l)
			}
		}
	}
}

func TestSARIFValid(t *testing.T) {
	corpus := os.Getenv("PYVET_CORPUS")
	if corpus == "" {
		t.Skip("PYVET_CORPUS not set; skipping corpus test")
	}
	c := jsonschema.NewCompiler()
	sch, err := c.Compile(filepath.Join(corpus, "schemas", "sarif", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	for name, res := range map[string]*Result{"fixture": fixture(t), "empty": {}} {
		out := render(t, "sarif", res, Options{})
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(inst); err != nil {
			t.Errorf("%s: SARIF does not validate: %v", name, err)
		}
	}
	// A broken log must fail validation, so the check above means something.
	bad, _ := jsonschema.UnmarshalJSON(strings.NewReader(`{"version":"2.1.0","runs":[{"tool":{"driver":{}},"results":[{"level":"fatal"}]}]}`))
	if sch.Validate(bad) == nil {
		t.Error("an invalid SARIF log validated")
	}
}

func TestSARIFContent(t *testing.T) {
	out := render(t, "sarif", fixture(t), Options{})
	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID                   string
						Help                 struct{ Text, Markdown string }
						DefaultConfiguration struct{ Level string }
						Properties           map[string]any
					}
				}
			}
			Results []struct {
				RuleID    string
				RuleIndex int
				Level     string
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI, URIBaseID string }
						Region           *struct{ StartLine int }
					}
				}
				Suppressions []struct{ Kind, Status, Justification string }
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if len(run.Results) != 5 || len(run.Tool.Driver.Rules) != 5 {
		t.Fatalf("%d results, %d rules", len(run.Results), len(run.Tool.Driver.Rules))
	}
	for _, r := range run.Results {
		rule := run.Tool.Driver.Rules[r.RuleIndex]
		if rule.ID != r.RuleID || rule.Help.Text == "" || rule.Help.Markdown == "" || rule.Properties["security-severity"] == "" {
			t.Errorf("rule %+v for result %s", rule, r.RuleID)
		}
		if len(r.Locations) != 1 {
			t.Errorf("%s: %d locations", r.RuleID, len(r.Locations))
			continue
		}
		loc := r.Locations[0].PhysicalLocation
		switch r.RuleID {
		case "PYSEC-2023-221":
			if r.Level != "error" || loc.ArtifactLocation.URI != "poetry.lock" || loc.Region == nil || loc.Region.StartLine != 120 {
				t.Errorf("werkzeug result: level %s, location %+v %+v", r.Level, loc.ArtifactLocation, loc.Region)
			}
		case "pin-vcs-ref":
			if r.Level != "warning" || loc.ArtifactLocation.URI != "requirements.txt" || loc.Region.StartLine != 5 {
				t.Errorf("vcs result: level %s, location %+v", r.Level, loc)
			}
		case "pin-loose":
			if r.Level != "note" {
				t.Errorf("loose level %s", r.Level)
			}
		case "GHSA-v845-jxx5-vc9f":
			if len(r.Suppressions) != 1 || r.Suppressions[0].Justification != "cookies are not used" {
				t.Errorf("ignored finding not suppressed: %+v", r.Suppressions)
			}
		case "pin-extra-index":
			// No location of its own: the first input file.
			if loc.ArtifactLocation.URI != "requirements.txt" {
				t.Errorf("fallback location %+v", loc)
			}
		}
	}
}

func TestRelativePaths(t *testing.T) {
	res := fixture(t)
	base := t.TempDir()
	res.Findings[0].Location = &inventory.Location{File: filepath.Join(base, "sub", "poetry.lock"), Line: 7}
	out := render(t, "sarif", res, Options{BaseDir: base})
	if !strings.Contains(out, `"uri": "sub/poetry.lock"`) {
		t.Errorf("path not made relative to the base directory")
	}
	out = render(t, "sarif", res, Options{})
	if !strings.Contains(out, `"uri": "file://`) {
		t.Errorf("absolute path outside the base is not a file URI")
	}
}

func BenchmarkWriteFormats(b *testing.B) {
	res := fixture(b)
	for _, f := range Formats() {
		b.Run(f, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				var buf bytes.Buffer
				if err := Write(&buf, f, res, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestJSONSchema validates the JSON report against the schema published in docs/.
func TestJSONSchema(t *testing.T) {
	c := jsonschema.NewCompiler()
	sch, err := c.Compile("../../docs/report.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	for name, res := range map[string]*Result{"fixture": fixture(t), "empty": {}} {
		out := render(t, "json", res, Options{})
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(inst); err != nil {
			t.Errorf("%s: JSON report does not match docs/report.schema.json: %v", name, err)
		}
	}
	bad, _ := jsonschema.UnmarshalJSON(strings.NewReader(`{"dependencies":[{"name":"x","direct":true}],"fixes":[],"findings":[],"summary":{},"notes":[],"meta":{},"sources":[]}`))
	if sch.Validate(bad) == nil {
		t.Error("a dependency with neither vulns nor skip_reason validated")
	}
}
