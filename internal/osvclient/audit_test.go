package osvclient_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/check/vuln"
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/osvclient"
	"github.com/pyvet/pyvet/internal/server"
	"github.com/pyvet/pyvet/pep440"
)

const fixtures = "../server/testdata/osv"

func serveFixtures(t *testing.T) (*advisory.DB, *osvclient.Client) {
	t.Helper()
	db, err := advisory.Open(fixtures)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	src, err := server.NewDBSource(db, server.DefaultAnswerCacheBytes)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(server.New(src, server.Options{}).Handler())
	t.Cleanup(ts.Close)
	c, err := osvclient.New(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	return db, c
}

func idx(p inventory.Package) *inventory.Package {
	p.Source = inventory.Source{Kind: inventory.SourceIndex}
	return &p
}

func TestAuditSameAsLocal(t *testing.T) {
	db, c := serveFixtures(t)
	inv := &inventory.Inventory{Packages: []*inventory.Package{
		idx(inventory.Package{Name: "demo-pkg", Version: "1.1", Direct: true, Locations: []inventory.Location{{File: "requirements.txt", Line: 3}}}),
		idx(inventory.Package{Name: "app", Version: "1.0", Direct: true, Requires: []string{"other-lib"}}),
		idx(inventory.Package{Name: "other-lib", Specifier: ">=1.0", Parents: []string{"app"}}),
		idx(inventory.Package{Name: "demo-pkg", Version: "1.0"}),
		idx(inventory.Package{Name: "demo-pkg", Version: "not a version"}),
		idx(inventory.Package{Name: "nope", Version: "1.0"}),
	}}
	remote, err := osvclient.Audit(context.Background(), c, inv)
	if err != nil {
		t.Fatal(err)
	}
	local := vuln.Check(inv, db)
	if !reflect.DeepEqual(remote, local) {
		t.Errorf("through the service:\n%+v\nlocally:\n%+v", remote, local)
	}
	// Facts read from the fixture files.
	byKey := map[string]finding.Finding{}
	for _, f := range remote.Findings {
		byKey[f.Package+" "+f.Version+" "+f.ID] = f
	}
	f, ok := byKey["demo-pkg 1.1 PYSEC-2099-1"]
	if !ok || !slices.Equal(f.Aliases, []string{"CVE-2099-0001", "GHSA-aaaa-bbbb-0001"}) || !slices.Equal(f.Fix, []string{"1.2"}) ||
		f.Severity != finding.SeverityCritical || f.CVSS != 9.8 || !f.Exact || f.Location == nil || f.Location.Line != 3 {
		t.Errorf("demo-pkg 1.1 PYSEC-2099-1: %+v", f)
	}
	if f := byKey["demo-pkg 1.1 PYSEC-2099-2"]; !slices.Equal(f.Fix, []string{"1.1.1"}) {
		t.Errorf("demo-pkg 1.1 PYSEC-2099-2: %+v", f)
	}
	if f := byKey["demo-pkg 1.0 PYSEC-2099-5"]; !slices.Equal(f.Aliases, []string{"CVE-2099-0005"}) || !slices.Equal(f.Fix, []string{"1.0.2"}) {
		t.Errorf("demo-pkg 1.0 PYSEC-2099-5: %+v", f)
	}
	if f := byKey["other-lib >=1.0 PYSEC-2099-3"]; f.Exact || !slices.Equal(f.Path, []string{"app", "other-lib"}) {
		t.Errorf("other-lib: %+v", f)
	}
	if _, ok := byKey["demo-pkg 1.0 PYSEC-2099-4"]; ok {
		t.Error("withdrawn advisory reported")
	}
}

func TestAuditNothingFound(t *testing.T) {
	db, c := serveFixtures(t)
	inv := &inventory.Inventory{Packages: []*inventory.Package{
		idx(inventory.Package{Name: "nope", Version: "1.0"}),
		idx(inventory.Package{Name: "demo-pkg", Version: "5.0"}),
	}}
	remote, err := osvclient.Audit(context.Background(), c, inv)
	if err != nil {
		t.Fatal(err)
	}
	if len(remote.Findings) != 0 || remote.Audited != 2 {
		t.Errorf("got %+v", remote)
	}
	if local := vuln.Check(inv, db); !reflect.DeepEqual(remote, local) {
		t.Errorf("through the service %+v, locally %+v", remote, local)
	}
}

// TestAuditBadEntry: a service answering an entry that is not OSV makes the
// audit fail with the id named, never report a partial result.
func TestAuditBadEntry(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/querybatch" {
			io.WriteString(w, `{"results":[{"vulns":[{"id":"X-1"}]}]}`)
			return
		}
		io.WriteString(w, `{"id":"X-1","affected":[{"package":{"name":"a","ecosystem":"PyPI"},"ranges":[{"events":[]}]}]}`)
	}))
	defer ts.Close()
	c, _ := osvclient.New(ts.URL)
	inv := &inventory.Inventory{Packages: []*inventory.Package{idx(inventory.Package{Name: "a", Version: "1"})}}
	_, err := osvclient.Audit(context.Background(), c, inv)
	if err == nil || !strings.Contains(err.Error(), "X-1") {
		t.Errorf("err = %v", err)
	}
}

// TestSourceHits: the service's answers give the same hits as the local
// database's entries, for pinned versions and for specifiers.
func TestSourceHits(t *testing.T) {
	db, c := serveFixtures(t)
	inv := &inventory.Inventory{Packages: []*inventory.Package{
		idx(inventory.Package{Name: "demo-pkg", Version: "1.0"}),
		idx(inventory.Package{Name: "Other_Lib", Specifier: ">=1.0"}),
	}}
	src, err := osvclient.NewSource(context.Background(), c, inv)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	hits, err := src.MatchHits("Demo_Pkg", "1.0")
	if err != nil {
		t.Fatal(err)
	}
	es, _ := db.Match("demo-pkg", "1.0")
	if want := advisory.HitsOf(es, "demo-pkg"); len(hits) == 0 || !reflect.DeepEqual(hits, want) {
		t.Errorf("MatchHits = %+v, want %+v", hits, want)
	}
	byID := map[string]*advisory.Hit{}
	for _, h := range hits {
		byID[h.ID] = h
	}
	// Facts read from the fixture files.
	if h := byID["PYSEC-2099-5"]; h == nil || !slices.Equal(h.Fixed, []string{"1.0.2"}) || !slices.Equal(h.Aliases, []string{"CVE-2099-0005"}) {
		t.Errorf("PYSEC-2099-5: %+v", h)
	}
	if _, ok := byID["PYSEC-2099-4"]; ok {
		t.Error("withdrawn advisory among the hits")
	}
	if _, err := src.MatchHits("demo-pkg", "not a version"); err == nil {
		t.Error("no error for a version that is not PEP 440")
	}
	spec, _ := pep440.ParseSpecifierSet(">=1.0")
	sh := src.QuerySpecHits("other-lib", spec)
	if want := advisory.HitsOf(db.QuerySpec("other-lib", spec), "other-lib"); len(sh) == 0 || !reflect.DeepEqual(sh, want) {
		t.Errorf("QuerySpecHits = %+v, want %+v", sh, want)
	}
	if got := src.QuerySpecHits("nope", spec); got != nil {
		t.Errorf("QuerySpecHits of an unknown package = %+v", got)
	}
}
