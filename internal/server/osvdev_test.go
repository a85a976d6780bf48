package server

import (
	"context"
	"crypto/tls"
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/ossf/osv-schema/bindings/go/osvschema"
	"osv.dev/bindings/go/api"
	"osv.dev/bindings/go/osvdev"
)

// serveAsOSVDev serves the fixtures over HTTPS on loopback with a
// certificate for api.osv.dev signed by a private CA, and returns osv.dev's
// own Go client (the one osv-scanner uses) left at its fixed base URL,
// https://api.osv.dev: the client trusts the CA and its connections reach
// the loopback server, as a hosts entry "127.0.0.1 api.osv.dev" and the CA
// in the system's trust store make them do for an unmodified osv-scanner.
func serveAsOSVDev(t *testing.T, opts Options) *osvdev.OSVClient {
	t.Helper()
	ca := newTestCA(t)
	certPEM, keyPEM := ca.issue(t, 2, "api.osv.dev")
	certs, err := newCertStore(writeCert(t, t.TempDir(), certPEM, keyPEM))
	if err != nil {
		t.Fatal(err)
	}
	opts.TLS = certs.tlsConfig()
	s := New(loadFixtures(t, "testdata/osv"), opts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	c := osvdev.DefaultClient()
	c.HTTPClient = clientFor(ca, ln.Addr().String(), tls.VersionTLS12, 0)
	c.Config.MaxRetryAttempts = 1
	if c.BaseHostURL != "https://api.osv.dev" {
		t.Fatalf("osvdev's base URL is %s", c.BaseHostURL)
	}
	return c
}

func pypi(name, version string) *api.Query {
	q := &api.Query{Package: &osvschema.Package{Name: name, Ecosystem: "PyPI"}}
	if version != "" {
		q.Param = &api.Query_Version{Version: version}
	}
	return q
}

func vulnIDs(vs []*osvschema.Vulnerability) []string {
	var ids []string
	for _, v := range vs {
		ids = append(ids, v.GetId())
	}
	return ids
}

// TestOSVDevClient: osv.dev's Go client, which reads answers with protojson
// (unknown fields are an error there), queries the mirror through its
// fixed https://api.osv.dev URL: single queries with full entries, paging
// (it sends "pageToken"), batches whose commit and npm queries get empty
// results beside the answered PyPI ones, and lookups by exact id only.
func TestOSVDevClient(t *testing.T) {
	ctx := context.Background()
	c := serveAsOSVDev(t, Options{PageSize: 1})

	got, err := c.Query(ctx, pypi("demo-pkg", "1.1"))
	if err != nil {
		t.Fatal(err)
	}
	// The first of two pages: one full entry per page here.
	if ids := vulnIDs(got.GetVulns()); !slices.Equal(ids, []string{"PYSEC-2099-1"}) || got.GetVulns()[0].GetModified() == nil ||
		got.GetVulns()[0].GetDetails() == "" || got.GetNextPageToken() == "" {
		t.Errorf("query: %v", got)
	}

	// Paging: the client sends the token back as "pageToken".
	var all []string
	q := pypi("demo-pkg", "")
	for range 10 {
		page, err := c.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, vulnIDs(page.GetVulns())...)
		if page.GetNextPageToken() == "" {
			break
		}
		q = pypi("demo-pkg", "")
		q.PageToken = page.GetNextPageToken()
	}
	if want := []string{"GHSA-aaaa-bbbb-0003", "PYSEC-2099-1", "PYSEC-2099-2", "PYSEC-2099-5"}; !slices.Equal(all, want) {
		t.Errorf("paged: %v, want %v", all, want)
	}

	batch, err := c.QueryBatch(ctx, []*api.Query{
		pypi("demo-pkg", "1.1"),
		{Package: &osvschema.Package{Name: "demo-pkg", Ecosystem: "PyPI"}, Param: &api.Query_Commit{Commit: "0123456789abcdef0123456789abcdef01234567"}},
		{Package: &osvschema.Package{Name: "left-pad", Ecosystem: "npm"}, Param: &api.Query_Version{Version: "1.0.0"}},
		{Package: &osvschema.Package{Purl: "pkg:pypi/other-lib@2.0"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	rs := batch.GetResults()
	if len(rs) != 4 || !slices.Equal(vulnIDs(rs[0].GetVulns()), []string{"PYSEC-2099-1", "PYSEC-2099-2"}) ||
		len(rs[1].GetVulns()) != 0 || len(rs[2].GetVulns()) != 0 ||
		!slices.Equal(vulnIDs(rs[3].GetVulns()), []string{"PYSEC-2099-3"}) {
		t.Errorf("batch: %v", batch)
	}

	v, err := c.GetVulnByID(ctx, "PYSEC-2099-1")
	if err != nil || v.GetId() != "PYSEC-2099-1" || v.GetAffected()[0].GetPackage().GetName() == "" {
		t.Fatalf("vulns/PYSEC-2099-1: %v %v", v, err)
	}
	for _, id := range []string{"pysec-2099-1", "CVE-2099-0001"} {
		if v, err := c.GetVulnByID(ctx, id); err == nil || !strings.Contains(err.Error(), "404") {
			t.Errorf("vulns/%s: %v %v, want a 404", id, v, err)
		}
	}

	// What osv.dev rejects is a client error the client does not retry.
	_, err = c.Query(ctx, &api.Query{Package: &osvschema.Package{Name: "demo-pkg", Ecosystem: "pypi"}, Param: &api.Query_Version{Version: "1.1"}})
	if err == nil || !strings.Contains(err.Error(), `client error: status="400 Bad Request"`) || !strings.Contains(err.Error(), `"code":3`) {
		t.Errorf("lower-case ecosystem: %v", err)
	}
}

// TestOSVDevEntries: every fixture entry the mirror serves decodes with
// protojson into osv.dev's Vulnerability message, strictly.
func TestOSVDevEntries(t *testing.T) {
	c := serveAsOSVDev(t, Options{})
	src := loadFixtures(t, "testdata/osv")
	for id := range src.raw {
		if v, err := c.GetVulnByID(context.Background(), id); err != nil || v.GetId() != id {
			t.Errorf("%s: %v", id, err)
		}
	}
}
