package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
)

// resolvedRun is an audit of a resolved requirements file: django 3.2.0
// written down, sqlparse 0.4.1 chosen by resolution and vulnerable.
func resolvedRun() *Result {
	loc := inventory.Location{File: "requirements.txt", Line: 1}
	inv := &inventory.Inventory{
		Sources: []inventory.SourceFile{{Path: "requirements.txt", Format: "requirements"}},
		Packages: []*inventory.Package{
			{Name: "django", Version: "3.2.0", Direct: true, Requires: []string{"sqlparse"}, Locations: []inventory.Location{loc}},
			{Name: "sqlparse", Version: "0.4.1", Resolved: true, Parents: []string{"django"}},
		},
	}
	return &Result{Tool: "pyvet audit", Inventory: inv, Failed: true, Meta: map[string]string{"fail_on": "low"}, Findings: []finding.Finding{
		{Risk: finding.RiskVulnerability, Rule: "vuln", ID: "GHSA-rrqc-c2jx-6jgv", Package: "sqlparse", Version: "0.4.1", Exact: true,
			Severity: finding.SeverityHigh, Title: "sqlparse parsing heavily nested list leads to denial of service", Fix: []string{"0.5.0"},
			Path: []string{"django", "sqlparse"}, Location: &loc},
		{Risk: finding.RiskVulnerability, Rule: "vuln", ID: "PYSEC-2021-98", Package: "django", Version: "3.2.0", Exact: true, Direct: true,
			Severity: finding.SeverityMedium, Title: "Django header injection", Fix: []string{"3.2.4"}, Location: &loc},
	}}
}

func TestResolutionPathInEveryFormat(t *testing.T) {
	const via = "via django 3.2.0 → sqlparse 0.4.1"
	for _, format := range []string{"table", "markdown", "html", "sarif"} {
		var b bytes.Buffer
		if err := Write(&b, format, resolvedRun(), Options{Color: ColorNever}); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if strings.Count(out, via) != 1 {
			t.Errorf("%s: want the path %q once:\n%s", format, via, out)
		}
		if strings.Contains(out, "via django 3.2.0 →") && strings.Contains(out, "django 3.2.0"+resolvedMark) {
			t.Errorf("%s: the pinned django is marked resolved", format)
		}
		switch format {
		case "sarif":
			if !strings.Contains(out, "chosen by resolution") || !strings.Contains(out, `"resolved": true`) {
				t.Errorf("sarif: the resolved version is not said:\n%s", out)
			}
		default:
			if !strings.Contains(out, "sqlparse 0.4.1"+resolvedMark) || !strings.Contains(out, "resolved: the version was chosen") {
				t.Errorf("%s: the resolved version is not marked and explained:\n%s", format, out)
			}
		}
	}
	// Nothing resolved: no mark, no note.
	res := resolvedRun()
	res.Inventory.Packages[1].Resolved = false
	var b bytes.Buffer
	if err := Write(&b, "table", res, Options{Color: ColorNever}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "resolved") {
		t.Errorf("a pinned inventory is said to be resolved:\n%s", b.String())
	}
}

func TestPkgLabelsPath(t *testing.T) {
	inv := &inventory.Inventory{Packages: []*inventory.Package{
		{Name: "a", Version: "1.0", Direct: true}, {Name: "b", Version: "2.0"}, {Name: "b", Version: "2.1"}, {Name: "c"},
	}}
	l := newPkgLabels(inv)
	for _, tc := range []struct {
		f    finding.Finding
		want string
	}{
		{finding.Finding{Package: "b", Version: "2.1", Path: []string{"a", "b"}}, "via a 1.0 → b 2.1"},               // two versions of b: the finding's
		{finding.Finding{Package: "d", Version: "4", Path: []string{"a", "c", "b", "d"}}, "via a 1.0 → c → b → d 4"}, // unpinned c, ambiguous b
		{finding.Finding{Package: "a", Version: "1.0", Path: []string{"a"}}, ""},
		{finding.Finding{Package: "a", Version: "1.0"}, ""},
	} {
		if got := l.path(&tc.f); got != tc.want {
			t.Errorf("path(%v) = %q, want %q", tc.f.Path, got, tc.want)
		}
	}
	if got := newPkgLabels(nil).path(&finding.Finding{Package: "y", Path: []string{"x", "y"}}); got != "via x → y" {
		t.Errorf("without an inventory: %q", got)
	}
}

// treeRun is an audit over a tree of three projects: api fails its
// policy, web passes (its advisory ignored), broken could not be audited.
func treeRun() *Result {
	res := resolvedRun()
	res.Tool, res.Version = "pyvet audit", "v1.2.3"
	res.Meta = map[string]string{"fail_on": "low", "projects": "3", "root": "/src/monorepo"}
	for i := range res.Findings {
		res.Findings[i].Project = "services/api"
		l := *res.Findings[i].Location
		l.File = "/src/monorepo/services/api/requirements.txt"
		res.Findings[i].Location = &l
	}
	res.Findings = append(res.Findings, finding.Finding{Risk: finding.RiskVulnerability, Rule: "vuln", ID: "PYSEC-2021-98",
		Package: "django", Version: "3.2.0", Exact: true, Direct: true, Severity: finding.SeverityMedium, Title: "Django header injection",
		Fix: []string{"3.2.4"}, Ignored: true, IgnoreReason: "not reachable", Project: "web",
		Location: &inventory.Location{File: "/src/monorepo/web/requirements.txt", Line: 3}})
	for _, p := range res.Inventory.Packages {
		for i := range p.Locations {
			p.Locations[i].File = "/src/monorepo/services/api/requirements.txt"
		}
	}
	res.Inventory.Sources = []inventory.SourceFile{
		{Path: "/src/monorepo/services/api/requirements.txt", Format: "requirements"},
		{Path: "/src/monorepo/web/requirements.txt", Format: "requirements"},
	}
	res.Notes = []string{"services/api: requirements.txt:4: unsupported option --use-feature"}
	res.Projects = []ProjectResult{
		{Path: "broken", Error: "broken/pyproject.toml:1:9: expected ']' to close table name", Summary: Summarize(&Result{})},
		{Path: "services/api", Summary: Summary{Total: 2, ByRisk: map[string]int{"vulnerability": 2}, BySeverity: map[string]int{"high": 1, "medium": 1}, Packages: 2, Failed: true}},
		{Path: "web", Summary: Summary{Ignored: 1, ByRisk: map[string]int{}, BySeverity: map[string]int{}, Packages: 1}},
	}
	return res
}

func TestProjectsInEveryFormat(t *testing.T) {
	opts := Options{Color: ColorNever, BaseDir: "/src/monorepo"}
	outs := map[string]string{}
	for _, format := range Formats() {
		var b bytes.Buffer
		if err := Write(&b, format, treeRun(), opts); err != nil {
			t.Fatal(err)
		}
		outs[format] = b.String()
	}
	// The human formats: a section per project, in order, then the total.
	for _, format := range []string{"table", "markdown", "html"} {
		out := outs[format]
		if i := strings.Index(out, `<section class="project"`); format == "html" {
			out = out[max(i, 0):] // after the page's header, which lists the sources
		}
		ib, ia, iw := strings.Index(out, "broken"), strings.Index(out, "services/api"), strings.Index(out, "web")
		it := strings.LastIndex(out, "3 projects: 1 fails its policy, 1 could not be audited")
		if ib < 0 || ia < ib || iw < ia || it < iw {
			t.Errorf("%s: sections out of order (broken %d, api %d, web %d, total %d):\n%s", format, ib, ia, iw, it, out)
		}
		// The table's project line is its summary line (SummaryLine), the
		// documents' the count of findings.
		count := "2 findings (1 high, 1 medium) in 2 packages"
		if format == "table" {
			count = "2 of 2 packages affected by 2 known vulnerabilities (1 high, 1 medium; 2 fixable); the run fails"
		}
		for _, want := range []string{"could not be audited", "to close table name", "fails its policy", "passes its policy",
			"services/api/requirements.txt:1", count} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: no %q:\n%s", format, want, out)
			}
		}
	}
	// table: the api section holds its two findings, web's section none
	// (its one finding is ignored).
	table := outs["table"]
	api := table[strings.Index(table, "== services/api"):strings.Index(table, "== web")]
	if !strings.Contains(api, "GHSA-rrqc-c2jx-6jgv") || !strings.Contains(api, "PYSEC-2021-98") ||
		!strings.Contains(table[strings.Index(table, "== web"):], "No findings.\nNo known vulnerabilities in 1 package; the run passes; 1 ignored") {
		t.Errorf("table sections:\n%s", table)
	}

	var doc struct {
		Projects []ProjectResult `json:"projects"`
		Findings []struct {
			Project  string `json:"project"`
			Location struct {
				File string `json:"file"`
			} `json:"location"`
		} `json:"findings"`
		Summary Summary `json:"summary"`
	}
	if err := json.Unmarshal([]byte(outs["json"]), &doc); err != nil {
		t.Fatal(err)
	}
	sch, err := jsonschema.NewCompiler().Compile("../../docs/report.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(outs["json"]))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("the JSON document of a tree does not match docs/report.schema.json: %v", err)
	}
	if len(doc.Projects) != 3 || doc.Projects[0].Error == "" || !doc.Projects[1].Summary.Failed || doc.Projects[2].Summary.Ignored != 1 {
		t.Errorf("json projects %+v", doc.Projects)
	}
	if len(doc.Findings) != 3 || doc.Findings[0].Project != "services/api" || doc.Findings[0].Location.File != "services/api/requirements.txt" {
		t.Errorf("json findings %+v", doc.Findings)
	}
	if doc.Summary.Total != 2 || doc.Summary.Ignored != 1 || !doc.Summary.Failed {
		t.Errorf("json total %+v", doc.Summary)
	}

	var sarif struct {
		Runs []struct {
			Results []struct {
				Properties map[string]any `json:"properties"`
				Locations  []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
			Properties map[string]any `json:"properties"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(outs["sarif"]), &sarif); err != nil {
		t.Fatal(err)
	}
	if len(sarif.Runs) != 1 || len(sarif.Runs[0].Results) != 3 {
		t.Fatalf("sarif: %d runs", len(sarif.Runs))
	}
	for _, r := range sarif.Runs[0].Results {
		p, _ := r.Properties["project"].(string)
		if uri := r.Locations[0].PhysicalLocation.ArtifactLocation.URI; p == "" || !strings.HasPrefix(uri, p+"/") {
			t.Errorf("sarif result of project %q at %q", p, uri)
		}
	}
	if ps, _ := sarif.Runs[0].Properties["projects"].([]any); len(ps) != 3 {
		t.Errorf("sarif run properties %v", sarif.Runs[0].Properties)
	}
}
