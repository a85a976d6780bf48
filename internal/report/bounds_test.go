package report

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
)

func inexactResult() *Result {
	return &Result{
		Tool:    "pyvet audit",
		Version: "v1.2.3",
		Inventory: &inventory.Inventory{Packages: []*inventory.Package{
			{Name: "django", Specifier: ">=3.0", Direct: true},
			{Name: "flask", Version: "1.0", Direct: true},
		}},
		Findings: []finding.Finding{
			{Risk: finding.RiskVulnerability, Rule: "vuln", ID: "PYSEC-1", Package: "django", Version: ">=3.0", Severity: finding.SeverityHigh, Title: "range match", Exact: false},
			{Risk: finding.RiskVulnerability, Rule: "vuln", ID: "PYSEC-2", Package: "flask", Version: "1.0", Severity: finding.SeverityLow, Title: "exact match", Exact: true},
			{Risk: finding.RiskVulnerability, Rule: "vuln", ID: "PYSEC-3", Package: "flask", Version: "1.0", Severity: finding.SeverityUnknown, Title: "unrated", Exact: true},
			{Risk: finding.RiskVulnerability, Rule: "vuln", ID: "PYSEC-4", Package: "flask", Version: "1.0", Severity: finding.SeverityMedium, Title: "medium", Exact: true},
		},
		Notes: []string{"a note"},
	}
}

func TestInexactMarkedInEveryFormat(t *testing.T) {
	res := inexactResult()
	for _, format := range []string{"table", "markdown", "html"} {
		out := render(t, format, res, Options{Color: ColorNever})
		if !strings.Contains(out, "django &gt;=3.0 (not exact)") && !strings.Contains(out, "django >=3.0 (not exact)") && !strings.Contains(out, `django &gt;=3.0 \(not exact\)`) {
			t.Errorf("%s: the inexact finding is not marked:\n%s", format, out)
		}
		if strings.Contains(out, "flask 1.0 (not exact)") {
			t.Errorf("%s: an exact finding is marked", format)
		}
		if !strings.Contains(out, "not exact: the requirement is not pinned") {
			t.Errorf("%s: the mark is not explained", format)
		}
	}
	var log struct {
		Runs []struct {
			Tool    struct{ Driver struct{ Version string } }
			Results []struct {
				RuleID     string
				Message    struct{ Text string }
				Properties map[string]any
			}
		}
	}
	if err := json.Unmarshal([]byte(render(t, "sarif", res, Options{})), &log); err != nil {
		t.Fatal(err)
	}
	if log.Runs[0].Tool.Driver.Version != "v1.2.3" {
		t.Errorf("SARIF driver version %q", log.Runs[0].Tool.Driver.Version)
	}
	for _, r := range log.Runs[0].Results {
		inexact := r.RuleID == "PYSEC-1"
		if r.Properties["exact"] != !inexact || strings.Contains(r.Message.Text, "not exact") != inexact {
			t.Errorf("SARIF %s: exact=%v message %q", r.RuleID, r.Properties["exact"], r.Message.Text)
		}
	}
	var rep JSONReport
	if err := json.Unmarshal([]byte(render(t, "json", res, Options{})), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Version != "v1.2.3" || rep.Findings[0].Exact || !rep.Findings[1].Exact {
		t.Errorf("JSON version %q, findings %+v", rep.Version, rep.Findings)
	}
}

func TestUnknownSeverityRanksWithMedium(t *testing.T) {
	out := render(t, "table", inexactResult(), Options{Color: ColorNever})
	hi, med, unk, low := strings.Index(out, "PYSEC-1"), strings.Index(out, "PYSEC-4"), strings.Index(out, "PYSEC-3"), strings.Index(out, "PYSEC-2")
	if !(hi < med && med < unk && unk < low) {
		t.Errorf("order high %d, medium %d, unknown %d, low %d:\n%s", hi, med, unk, low, out)
	}
	if !strings.Contains(out, "4 known vulnerabilities (1 high, 1 medium, 1 unknown, 1 low; 0 fixable)") {
		t.Errorf("summary line:\n%s", out)
	}
}

func TestNoNotesLeavesNotesToTheCaller(t *testing.T) {
	if out := render(t, "table", inexactResult(), Options{NoNotes: true}); strings.Contains(out, "a note") {
		t.Errorf("notes in the table:\n%s", out)
	}
	if out := render(t, "table", inexactResult(), Options{}); !strings.Contains(out, "note: a note") {
		t.Errorf("notes missing:\n%s", out)
	}
}

// TestHostileTextIsBounded feeds every free-text field a large secret-bearing
// text: no format copies it whole, and the report stays small.
func TestHostileTextIsBounded(t *testing.T) {
	secret := "AWS_SECRET_ACCESS_KEY=" + strings.Repeat("s3cr3t", 50000)
	line := strings.Repeat("root:x:0:0:root:/root:/bin/bash\n", 20000)
	res := &Result{
		Tool: "pyvet audit",
		Findings: []finding.Finding{{
			Risk: finding.RiskVulnerability, Rule: "vuln", ID: "X-" + secret, Package: "pkg", Version: "1.0",
			Title: secret, Detail: line + secret, Action: secret, IgnoreReason: secret, Ignored: true,
			Aliases: []string{secret}, Evidence: map[string]string{"line": secret}, Location: &inventory.Location{File: "requirements.txt", Line: 3},
		}},
		Notes:   []string{"requirements.txt:3: invalid requirement " + secret, line},
		Meta:    map[string]string{"database": secret},
		Skipped: map[string]string{"pkg": secret},
		Fixes:   []JSONFix{{Name: "pkg", SkipReason: secret}},
	}
	for _, format := range Formats() {
		out := render(t, format, res, Options{ShowIgnored: true, Desc: true, Color: ColorNever})
		if len(out) > 64<<10 {
			t.Errorf("%s: %d bytes from a %d-byte input", format, len(out), len(secret))
		}
		if strings.Count(out, "s3cr3t") > 5000 {
			t.Errorf("%s: %d copies of the secret's text", format, strings.Count(out, "s3cr3t"))
		}
		if strings.Count(out, "root:x:0:0") > 4*maxDetail/len("root:x:0:0:root:/root:/bin/bash\n") {
			t.Errorf("%s: %d lines of the file", format, strings.Count(out, "root:x:0:0"))
		}
	}
	if got := finding.ClipText("a\nb\x1b[31mc", 100); got != "a\nb\\x1b[31mc" {
		t.Errorf("ClipText kept an escape sequence: %q", got)
	}
}
