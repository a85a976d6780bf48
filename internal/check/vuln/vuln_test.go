package vuln

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

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

// writeAdvisories writes OSV JSON advisories into a new directory database.
func writeAdvisories(t *testing.T, docs ...string) *advisory.DB {
	t.Helper()
	dir := t.TempDir()
	for i, d := range docs {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("a%d.json", i)), []byte(d), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db, err := advisory.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func rangeAdvisory(id, pkg, events string, versions ...string) string {
	vs, _ := json.Marshal(versions)
	return fmt.Sprintf(`{"id":%q,"modified":"2025-01-01T00:00:00Z","summary":"s","affected":[{"package":{"ecosystem":"PyPI","name":%q},`+
		`"ranges":[{"type":"ECOSYSTEM","events":%s}],"versions":%s}]}`, id, pkg, events, vs)
}

// A bound naming a build is read as its release and the finding says so; a
// range with a bound that is not a version is not used, and a note names
// the advisory.
func TestCheckBoundsThatAreNotVersions(t *testing.T) {
	db := writeAdvisories(t,
		rangeAdvisory("PYSEC-1", "torchy", `[{"introduced":"0"},{"last_affected":"2.6.0-cu124"}]`),
		rangeAdvisory("PYSEC-2", "chatty", `[{"introduced":"0"},{"last_affected":"2024-09-25"}]`),
		rangeAdvisory("PYSEC-3", "chatty", `[{"introduced":"0"},{"fixed":"2024-10-01"}]`, "20240101"),
		rangeAdvisory("PYSEC-4", "other", `[{"introduced":"0"},{"fixed":"1.0.stable1"}]`),
	)
	inv := &inventory.Inventory{Packages: []*inventory.Package{
		pkg("torchy", "2.6.0", "", true),
		pkg("torchy", "2.12.1", "", true),
		pkg("chatty", "20240101", "", true),
		pkg("chatty", "20991231", "", true),
		pkg("unrelated", "1.0", "", true),
	}}
	res := Check(inv, db)
	got := map[string]finding.Finding{}
	for _, f := range res.Findings {
		got[f.ID+" "+f.Package+"=="+f.Version] = f
	}
	if len(got) != 2 || got["PYSEC-1 torchy==2.6.0"].ID == "" || got["PYSEC-3 chatty==20240101"].ID == "" {
		t.Fatalf("findings = %v, want PYSEC-1 on torchy 2.6.0 and PYSEC-3 on chatty 20240101", got)
	}
	if ev := got["PYSEC-1 torchy==2.6.0"].Evidence["bounds"]; ev != `PYSEC-1: last_affected "2.6.0-cu124" read as 2.6.0` {
		t.Errorf("evidence = %q", ev)
	}
	if ev := got["PYSEC-3 chatty==20240101"].Evidence["bounds"]; !strings.Contains(ev, `PYSEC-3: range with fixed "2024-10-01" not used`) {
		t.Errorf("evidence = %q", ev)
	}
	// One note for both unread chatty advisories; "other" is not audited.
	if len(res.Notes) != 1 || !strings.HasPrefix(res.Notes[0], "2 advisories have a range bound that is not a version") ||
		!strings.Contains(res.Notes[0], `PYSEC-2 (chatty, last_affected "2024-09-25")`) || strings.Contains(res.Notes[0], "PYSEC-4") ||
		utf8.RuneCountInString(res.Notes[0]) > finding.MaxNote {
		t.Errorf("notes = %q", res.Notes)
	}
}

func TestUnreadNoteIsBounded(t *testing.T) {
	var us []advisory.UnreadRange
	for i := range 50 {
		us = append(us, advisory.UnreadRange{ID: fmt.Sprintf("PYSEC-2025-%d", i), Package: "p", Bound: `fixed "2024-01-01"`})
	}
	n := unreadNote(us)
	if !strings.HasSuffix(n, "and 47 more") || utf8.RuneCountInString(n) > finding.MaxNote {
		t.Errorf("note = %q", n)
	}
}
