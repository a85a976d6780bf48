package vuln

import (
	"reflect"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
)

// The advisory package's fixture database: foo-bar (PYSEC-2099-1 and its
// alias GHSA-aaaa-bbbb-cccc below 1.5, PYSEC-2099-2 for 2.0-2.3, a withdrawn
// one), evil-pkg (MAL-2099-7) and rangey (PYSEC-2099-4).
func fixtureDB(t *testing.T) *advisory.DB {
	t.Helper()
	db, err := advisory.Open("../../advisory/testdata/osv")
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func pkg(name, version, spec string, direct bool, parents ...string) *inventory.Package {
	return &inventory.Package{
		Name: name, Version: version, Specifier: spec, Direct: direct, Parents: parents,
		Source:    inventory.Source{Kind: inventory.SourceIndex},
		Locations: []inventory.Location{{File: "requirements.txt", Line: 3}},
	}
}

func TestCheckFindings(t *testing.T) {
	db := fixtureDB(t)
	inv := &inventory.Inventory{Packages: []*inventory.Package{
		pkg("app", "1.0", "", true),
		pkg("foo-bar", "1.0.0", "", false, "middle"),
		pkg("middle", "2.0", "", false, "app"),
		pkg("evil-pkg", "0.1", "", true),
		pkg("rangey", "", ">=2.0,<3.0.1", true),
		pkg("safe", "1.0", "", true),
		pkg("rangey", "2.5", "", false, "app"), // same name, other version: audited separately
	}}
	res := Check(inv, db)
	type row struct {
		ID, Package, Version string
		Risk                 finding.Risk
		Severity             finding.Severity
		Exact                bool
	}
	var got []row
	for _, f := range res.Findings {
		got = append(got, row{f.ID, f.Package, f.Version, f.Risk, f.Severity, f.Exact})
	}
	want := []row{
		{"MAL-2099-7", "evil-pkg", "0.1", finding.RiskMalicious, finding.SeverityMalicious, true},
		{"PYSEC-2099-1", "foo-bar", "1.0.0", finding.RiskVulnerability, finding.SeverityCritical, true},
		{"PYSEC-2099-4", "rangey", ">=2.0,<3.0.1", finding.RiskVulnerability, finding.SeverityMedium, false},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("findings:\n got %+v\nwant %+v", got, want)
	}
	f := res.Findings[1]
	if !reflect.DeepEqual(f.Aliases, []string{"CVE-2099-0001", "GHSA-aaaa-bbbb-cccc"}) {
		t.Errorf("aliases = %v", f.Aliases)
	}
	if !reflect.DeepEqual(f.Fix, []string{"1.5"}) || f.Action != "upgrade foo-bar to 1.5 or later" {
		t.Errorf("fix = %v, action = %q", f.Fix, f.Action)
	}
	if f.CVSS != 9.8 || !strings.HasPrefix(f.Vector, "CVSS:3.1/") || f.Title != "Remote code execution in Foo_Bar" {
		t.Errorf("cvss = %v %q, title %q", f.CVSS, f.Vector, f.Title)
	}
	if f.Direct || !reflect.DeepEqual(f.Path, []string{"app", "middle", "foo-bar"}) {
		t.Errorf("direct = %v, path = %v", f.Direct, f.Path)
	}
	if f.Location == nil || f.Location.File != "requirements.txt" || f.Location.Line != 3 {
		t.Errorf("location = %+v", f.Location)
	}
	if m := res.Findings[0]; m.Rule != RuleMalicious || !strings.Contains(m.Action, "remove evil-pkg") {
		t.Errorf("malicious finding = %+v", m)
	}
	if res.Audited != 7 || res.Inexact != 1 || !strings.Contains(res.Skipped["rangey"], "unpinned") {
		t.Errorf("audited %d, inexact %d, skipped %v", res.Audited, res.Inexact, res.Skipped)
	}
}

func TestCheckUnauditable(t *testing.T) {
	db := fixtureDB(t)
	vcs := pkg("foo-bar", "", "", true)
	vcs.Source = inventory.Source{Kind: inventory.SourceVCS, URL: "https://example.invalid/foo-bar.git"}
	inv := &inventory.Inventory{Packages: []*inventory.Package{
		vcs,
		pkg("rangey", "", "=>1", true),
		pkg("evil-pkg", "not-a-version", "", true),
	}}
	res := Check(inv, db)
	if len(res.Findings) != 0 {
		t.Errorf("findings = %+v", res.Findings)
	}
	for _, k := range []string{"foo-bar", "rangey", "evil-pkg"} {
		if res.Skipped[k] == "" {
			t.Errorf("no skip reason for %s: %v", k, res.Skipped)
		}
	}
}

func TestGroupKeepsUnrelatedApart(t *testing.T) {
	a := &advisory.Entry{ID: "PYSEC-1", Aliases: []string{"CVE-1"}}
	b := &advisory.Entry{ID: "GHSA-1", Aliases: []string{"CVE-1"}}
	c := &advisory.Entry{ID: "PYSEC-2", Aliases: []string{"CVE-2"}}
	d := &advisory.Entry{ID: "GHSA-2", Aliases: []string{"PYSEC-2"}}
	e := &advisory.Entry{ID: "GHSA-3"}
	gs := group([]*advisory.Entry{b, c, a, e, d})
	var got [][]string
	for _, g := range gs {
		var ids []string
		for _, x := range g {
			ids = append(ids, x.ID)
		}
		got = append(got, ids)
	}
	want := [][]string{{"PYSEC-1", "GHSA-1"}, {"PYSEC-2", "GHSA-2"}, {"GHSA-3"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("groups = %v, want %v", got, want)
	}
}
