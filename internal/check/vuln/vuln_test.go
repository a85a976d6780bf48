package vuln

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/check"
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
	a := &advisory.Hit{ID: "PYSEC-1", Aliases: []string{"CVE-1"}}
	b := &advisory.Hit{ID: "GHSA-1", Aliases: []string{"cve-1"}} // ids compare case-blind
	c := &advisory.Hit{ID: "PYSEC-2", Aliases: []string{"CVE-2"}}
	d := &advisory.Hit{ID: "GHSA-2", Aliases: []string{"PYSEC-2"}}
	e := &advisory.Hit{ID: "GHSA-3"}
	gs := group([]*advisory.Hit{b, c, a, e, d})
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
	if gs := group([]*advisory.Hit{e}); len(gs) != 1 || len(gs[0]) != 1 || gs[0][0] != e {
		t.Errorf("one hit: %v", gs)
	}
}

func TestSameID(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"GHSA-abcd-efgh", "ghsa-ABCD-efgh", true},
		{"CVE-1", "CVE-1", true},
		{"CVE-1", "CVE-10", false},
		{"CVE-1", "CVE-2", false},
		{"", "", true},
		{"PYSEC-@", "PYSEC-`", false}, // neighbours of the letters
		{"x-\u017f", "X-S", true},     // strings.ToUpper's mapping of long s
		{"x-\u00e9", "X-\u00c9", true},
		{"x-\u00e9", "X-E", false},
		{"x-\u0131", "X-I", true}, // dotless i: upper I, though strings.EqualFold says no
		{"CVE-1\u017f", "CVE-1", false},
		{"CVE-1", "cve-1x", false},
		{"GHSA-a\u00e9", "GHSA-b\u00e9", false},
	} {
		ua, ub := strings.ToUpper(c.a), strings.ToUpper(c.b)
		if got := sameID(c.a, c.b); got != c.want || got != (ua == ub) {
			t.Errorf("sameID(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

// TestMakeFindingOfGroup: a group's finding takes every id once, the union
// of the fixes in PEP 440 order, the highest rating, the first summary and
// details, and every advisory's bound notes; findings share nothing mutable
// with each other or with the hits.
func TestMakeFindingOfGroup(t *testing.T) {
	lead := &advisory.Hit{ID: "PYSEC-9", Aliases: []string{"GHSA-x", "CVE-9"}, Details: "Details of the lead.",
		Published: "2099-01-01T00:00:00Z", Modified: "2099-01-02T00:00:00Z", Fixed: []string{"1.10", "2.0"},
		Rating: advisory.Rating{Level: finding.SeverityMedium, Score: 5.3, Vector: "V1", Source: "CVSS_V3"}}
	other := &advisory.Hit{ID: "GHSA-x", Aliases: []string{"cve-9", "CVE-10"}, Summary: "Summary of the other",
		Fixed: []string{"1.9", "2.0.0", "1.10.0"}, Bounds: []string{"b1", "b2"},
		Rating: advisory.Rating{Level: finding.SeverityHigh, Score: 7.5, Vector: "V2", Source: "CVSS_V4"}}
	p := pkg("lib", "1.9.5", "", false, "app")
	app := pkg("app", "1.0", "", true)
	byName := map[string]*inventory.Package{"lib": p, "app": app}
	pf := newPkgFacts(p, true, byName)
	f := makeFinding(pf, []*advisory.Hit{lead, other}, "1.9.5")
	if f.ID != "PYSEC-9" || !reflect.DeepEqual(f.Aliases, []string{"CVE-10", "CVE-9", "GHSA-x"}) ||
		!reflect.DeepEqual(f.Fix, []string{"1.9", "1.10", "2.0"}) || f.Severity != finding.SeverityHigh || f.CVSS != 7.5 || f.Vector != "V2" ||
		f.Title != "Summary of the other" || f.Detail != "Details of the lead." || f.Action != "upgrade lib to 1.10 or later" ||
		!reflect.DeepEqual(f.Path, []string{"app", "lib"}) || f.Location == nil || f.Location.Line != 3 {
		t.Errorf("finding = %+v", f)
	}
	want := map[string]string{"published": "2099-01-01T00:00:00Z", "modified": "2099-01-02T00:00:00Z",
		"severity_source": "CVSS_V4", "bounds": "GHSA-x: b1; GHSA-x: b2"}
	if !reflect.DeepEqual(f.Evidence, want) {
		t.Errorf("evidence = %v", f.Evidence)
	}
	// A second finding of the same hits, then every later stage's kind of
	// change to the first: the second and the hits stay as they were.
	g := makeFinding(pf, []*advisory.Hit{lead}, "1.9.5")
	f.Evidence["resolved"] = "x"
	f.Fix[0], f.Aliases[0], f.Path[0], f.Location.Line = "changed", "changed", "changed", 99
	g2 := makeFinding(pf, []*advisory.Hit{lead}, "1.9.5")
	if !reflect.DeepEqual(g, g2) || g.Evidence["resolved"] != "" || g.Fix[0] != "1.10" || g.Path[0] != "app" || g.Location.Line != 3 {
		t.Errorf("findings share state: %+v", g)
	}
	if lead.Fixed[0] != "1.10" || other.Fixed[0] != "1.9" || lead.Aliases[0] != "GHSA-x" {
		t.Errorf("hits changed: %+v %+v", lead, other)
	}
	if !reflect.DeepEqual(g.Aliases, []string{"CVE-9", "GHSA-x"}) || !reflect.DeepEqual(g.Fix, []string{"1.10", "2.0"}) || g.Title != "Details of the lead." {
		t.Errorf("one hit: %+v", g)
	}
	// Nothing to say: no evidence map at all, no aliases, no fixes.
	bare := makeFinding(newPkgFacts(app, true, byName), []*advisory.Hit{{ID: "PYSEC-1"}}, "1.0")
	if bare.Evidence != nil || bare.Aliases != nil || bare.Fix != nil || bare.Path != nil ||
		bare.Title != "known vulnerability PYSEC-1" || bare.Action != "no fixed version is known; consider replacing app" {
		t.Errorf("bare finding = %+v", bare)
	}
	// Unpinned: the fixes are listed, the evidence says the match is inexact.
	un := makeFinding(newPkgFacts(app, false, byName), []*advisory.Hit{{ID: "PYSEC-2", Fixed: []string{"1.1", "2.1"}}}, ">=1")
	if un.Action != "pin app to a fixed version (1.1, 2.1)" || un.Evidence["inexact"] == "" || len(un.Evidence) != 1 || un.Exact {
		t.Errorf("unpinned finding = %+v", un)
	}
	mal := makeFinding(newPkgFacts(app, true, byName), []*advisory.Hit{{ID: "MAL-1", Malicious: true}}, "1.0")
	if mal.Risk != finding.RiskMalicious || mal.Rule != RuleMalicious || mal.Severity != finding.SeverityMalicious ||
		mal.Action != "remove app and treat any system that installed it as compromised" {
		t.Errorf("malicious finding = %+v", mal)
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

// TestGroupManyIDs: groups are the same whether the ids are compared pair
// by pair (few ids) or through a map (many).
func TestGroupManyIDs(t *testing.T) {
	for _, n := range []int{4, 40} {
		var hits []*advisory.Hit
		for k := range n {
			alias := fmt.Sprintf("CVE-%d", k/2)
			if k%2 == 1 {
				alias = strings.ToLower(alias)
			}
			// Listed pair by pair, the second of each pair first.
			hits = append(hits, &advisory.Hit{ID: fmt.Sprintf("GHSA-%03d", k^1), Aliases: []string{alias}})
		}
		gs := group(hits)
		if len(gs) != n/2 {
			t.Fatalf("%d hits: %d groups", n, len(gs))
		}
		for k, g := range gs {
			if len(g) != 2 || g[0].ID != fmt.Sprintf("GHSA-%03d", 2*k) || g[1].ID != fmt.Sprintf("GHSA-%03d", 2*k+1) {
				t.Errorf("%d hits: group %d = %s, %s", n, k, g[0].ID, g[len(g)-1].ID)
			}
		}
	}
}

// TestGroupAliasesFewAndMany: the alias list is the same whether the ids
// are compared pair by pair (few) or through a map (many): each id once in
// its first spelling, the lead's id left out, sorted.
func TestGroupAliasesFewAndMany(t *testing.T) {
	for _, n := range []int{3, 100} {
		lead := &advisory.Hit{ID: "PYSEC-1"}
		var want []string
		for i := range n {
			lead.Aliases = append(lead.Aliases, fmt.Sprintf("CVE-%03d", i))
			want = append(want, fmt.Sprintf("CVE-%03d", i))
		}
		lead.Aliases = append(lead.Aliases, "cve-001", "pysec-1")
		other := &advisory.Hit{ID: "GHSA-x", Aliases: []string{"CVE-002", "Pysec-1", "ghsa-X"}}
		want = append(want, "GHSA-x")
		got := groupAliases([]*advisory.Hit{lead, other})
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%d aliases: got %v, want %v", n, got, want)
		}
	}
}

// TestCheckDamagedIndexFails: when the index record of an audited package
// is damaged (one byte of its matching data changed), the advisories it
// matched cannot be read: the result says so with an error naming the index
// and the remedy, and the check fails instead of reporting a clean run.
func TestCheckDamagedIndexFails(t *testing.T) {
	cache := t.TempDir()
	if _, err := advisory.Import(cache, "../../advisory/testdata/osv"); err != nil {
		t.Fatal(err)
	}
	p := advisory.CachedPath(cache)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	// foo-bar's fix version, in its package record: 1.5.0 -> 1.9.0.
	k := strings.Index(string(data), "1.5.0")
	if k < 0 {
		t.Fatal("the fixture's fix version is not in the index")
	}
	data[k+2] = '9'
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := advisory.OpenCached(cache)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	inv := &inventory.Inventory{Packages: []*inventory.Package{pkg("foo-bar", "1.0.0", "", true)}}
	res := Check(inv, db)
	var de *DamagedError
	if err := res.Err(); !errors.As(err, &de) || len(res.Damaged) == 0 || de.Database != p ||
		!strings.HasPrefix(err.Error(), p+": ") || !strings.Contains(err.Error(), "the index is damaged: run `pyvet db update --force`") {
		t.Fatalf("damaged %v, err %v", res.Damaged, err)
	}
	if _, err := New().Run(context.Background(), &check.Input{Inventory: inv, Advisories: db}); !errors.As(err, &de) {
		t.Errorf("the check does not fail: %v", err)
	}
	// An intact index: no error.
	if err := Check(inv, fixtureDB(t)).Err(); err != nil {
		t.Errorf("intact index: %v", err)
	}
}

func TestDamagedErrorNamesFirstIDs(t *testing.T) {
	e := &DamagedError{Database: "/c/pypi.idx", IDs: []string{"A-1", "B-2", "C-3", "D-4"}}
	if got, want := e.Error(), "/c/pypi.idx: 4 advisories of the packages audited could not be read (A-1, B-2, C-3, ...); the index is damaged: run `pyvet db update --force`"; got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}
