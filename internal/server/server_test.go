package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/osvclient"
)

func newTestServer(t *testing.T, opts Options) (*Server, *httptest.Server, *osvclient.Client) {
	t.Helper()
	s := New(loadFixtures(t, "testdata/osv"), opts)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	c, err := osvclient.New(ts.URL, osvclient.WithRetries(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return s, ts, c
}

func post(t *testing.T, url, body string) (int, []byte) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("POST %s %s: Content-Type %q", url, body, ct)
	}
	return resp.StatusCode, b
}

func ids(t *testing.T, raws []json.RawMessage) []string {
	t.Helper()
	var out []string
	for _, r := range raws {
		var v struct{ ID string }
		if err := json.Unmarshal(r, &v); err != nil {
			t.Fatalf("entry is not JSON: %v", err)
		}
		out = append(out, v.ID)
	}
	return out
}

func TestQuery(t *testing.T) {
	_, _, c := newTestServer(t, Options{})
	ctx := context.Background()
	cases := []struct {
		name string
		q    osvclient.Query
		want []string
	}{
		{"name and version", osvclient.PyPIQuery("demo-pkg", "1.1"), []string{"PYSEC-2099-1", "PYSEC-2099-2"}},
		{"unnormalized name", osvclient.PyPIQuery("Demo_PKG", "1.0"), []string{"GHSA-aaaa-bbbb-0003", "PYSEC-2099-1", "PYSEC-2099-5"}},
		{"no ecosystem", osvclient.Query{Version: "2.0", Package: &osvclient.Package{Name: "other-lib"}}, []string{"PYSEC-2099-3"}},
		{"purl", osvclient.Query{Package: &osvclient.Package{PURL: "pkg:pypi/demo-pkg@1.1"}}, []string{"PYSEC-2099-1", "PYSEC-2099-2"}},
		{"purl with qualifiers", osvclient.Query{Package: &osvclient.Package{PURL: "pkg:pypi/demo-pkg@1.1?repository_url=x#sub"}}, []string{"PYSEC-2099-1", "PYSEC-2099-2"}},
		{"purl and query version", osvclient.Query{Version: "2.0", Package: &osvclient.Package{PURL: "pkg:pypi/other_lib"}}, []string{"PYSEC-2099-3"}},
		{"no version: all of the package", osvclient.PyPIQuery("demo-pkg", ""), []string{"GHSA-aaaa-bbbb-0003", "PYSEC-2099-1", "PYSEC-2099-2", "PYSEC-2099-5"}},
		{"unaffected version", osvclient.PyPIQuery("demo-pkg", "1.2"), nil},
		{"unknown package", osvclient.PyPIQuery("nope", "1.0"), nil},
		{"withdrawn is not served", osvclient.PyPIQuery("demo-pkg", "9.9"), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.Query(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if g := ids(t, got); !slices.Equal(g, tc.want) {
				t.Errorf("got %v, want %v", g, tc.want)
			}
		})
	}
}

func TestQueryReturnsEntriesAsStored(t *testing.T) {
	_, ts, _ := newTestServer(t, Options{})
	code, body := post(t, ts.URL+"/v1/query", `{"package":{"name":"demo-pkg","ecosystem":"PyPI"},"version":"1.1"}`)
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	var resp struct{ Vulns []json.RawMessage }
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatal(err)
	}
	if len(resp.Vulns) != 2 {
		t.Fatalf("got %d vulns", len(resp.Vulns))
	}
	for _, v := range resp.Vulns {
		var e struct{ ID string }
		_ = json.Unmarshal(v, &e)
		want, err := os.ReadFile("testdata/osv/" + e.ID + ".json")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(bytes.TrimSpace(v), bytes.TrimSpace(want)) {
			t.Errorf("%s: served entry differs from the stored file", e.ID)
		}
	}
	// No match is the empty object, as osv.dev answers.
	code, body = post(t, ts.URL+"/v1/query", `{"package":{"name":"demo-pkg","ecosystem":"PyPI"},"version":"7"}`)
	if code != 200 || string(body) != "{}" {
		t.Errorf("empty answer: %d %q, want 200 {}", code, body)
	}
}

func TestQueryPagination(t *testing.T) {
	_, ts, c := newTestServer(t, Options{PageSize: 1})
	got, err := c.Query(context.Background(), osvclient.PyPIQuery("demo-pkg", ""))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"GHSA-aaaa-bbbb-0003", "PYSEC-2099-1", "PYSEC-2099-2", "PYSEC-2099-5"}
	if g := ids(t, got); !slices.Equal(g, want) {
		t.Errorf("paged: got %v, want %v", g, want)
	}
	// The first page carries a token and exactly one entry.
	_, body := post(t, ts.URL+"/v1/query", `{"package":{"name":"demo-pkg","ecosystem":"PyPI"}}`)
	var page osvclient.QueryResponse
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Vulns) != 1 || page.NextPageToken == "" {
		t.Fatalf("first page: %d vulns, token %q", len(page.Vulns), page.NextPageToken)
	}
	// The last page has no token.
	q := fmt.Sprintf(`{"package":{"name":"demo-pkg","ecosystem":"PyPI"},"page_token":%q}`, encodePageToken("PYSEC-2099-2"))
	_, body = post(t, ts.URL+"/v1/query", q)
	page = osvclient.QueryResponse{}
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatal(err)
	}
	if g := ids(t, page.Vulns); !slices.Equal(g, []string{"PYSEC-2099-5"}) || page.NextPageToken != "" {
		t.Errorf("last page: %v token %q", g, page.NextPageToken)
	}
}

func TestBatch(t *testing.T) {
	_, ts, c := newTestServer(t, Options{})
	queries := []osvclient.Query{
		osvclient.PyPIQuery("demo-pkg", "1.1"),
		osvclient.PyPIQuery("nothing-here", "1.0"),
		{Package: &osvclient.Package{PURL: "pkg:pypi/other-lib@1.0"}},
		{Commit: "abcd"},
		osvclient.PyPIQuery("demo.pkg", "1.0"),
	}
	got, err := c.QueryBatch(context.Background(), queries)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]osvclient.VulnRef{
		{{ID: "PYSEC-2099-1", Modified: "2099-01-02T03:04:05Z"}, {ID: "PYSEC-2099-2", Modified: "2099-02-01T00:00:00.123456Z"}},
		nil,
		{{ID: "PYSEC-2099-3", Modified: "2099-03-01T00:00:00Z"}},
		nil,
		{{ID: "GHSA-aaaa-bbbb-0003", Modified: "2099-04-01T00:00:00Z"}, {ID: "PYSEC-2099-1", Modified: "2099-01-02T03:04:05Z"}, {ID: "PYSEC-2099-5", Modified: "2099-06-01T00:00:00Z"}},
	}
	if len(got) != len(want) {
		t.Fatalf("%d results, want %d", len(got), len(want))
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("query %d: got %v, want %v", i, got[i], want[i])
		}
	}
	// The wire format: ids and modified only, {} for no match.
	code, body := post(t, ts.URL+"/v1/querybatch", `{"queries":[{"package":{"name":"other-lib","ecosystem":"PyPI"},"version":"2.0"},{"package":{"name":"x","ecosystem":"PyPI"},"version":"1"}]}`)
	wantBody := `{"results":[{"vulns":[{"id":"PYSEC-2099-3","modified":"2099-03-01T00:00:00Z"}]},{}]}`
	if code != 200 || string(body) != wantBody {
		t.Errorf("got %d %s\nwant %s", code, body, wantBody)
	}
}

func TestBatchPagination(t *testing.T) {
	_, _, c := newTestServer(t, Options{BatchPageSize: 1})
	c.BatchSize = 2 // three queries: two requests per page round
	got, err := c.QueryBatch(context.Background(), []osvclient.Query{
		osvclient.PyPIQuery("demo-pkg", ""),
		osvclient.PyPIQuery("other-lib", "2.0"),
		osvclient.PyPIQuery("demo-pkg", "1.1"),
	})
	if err != nil {
		t.Fatal(err)
	}
	refIDs := func(rs []osvclient.VulnRef) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	want := [][]string{
		{"GHSA-aaaa-bbbb-0003", "PYSEC-2099-1", "PYSEC-2099-2", "PYSEC-2099-5"},
		{"PYSEC-2099-3"},
		{"PYSEC-2099-1", "PYSEC-2099-2"},
	}
	for i := range want {
		if g := refIDs(got[i]); !slices.Equal(g, want[i]) {
			t.Errorf("query %d: got %v, want %v", i, g, want[i])
		}
	}
}

func TestGetVuln(t *testing.T) {
	_, ts, c := newTestServer(t, Options{})
	raw, err := c.Get(context.Background(), "GHSA-aaaa-bbbb-0003")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile("testdata/osv/GHSA-aaaa-bbbb-0003.json")
	if !bytes.Equal(bytes.TrimSpace(raw), bytes.TrimSpace(want)) {
		t.Errorf("entry differs from the stored file")
	}
	// Withdrawn entries are still served by id, as osv.dev does.
	if _, err := c.Get(context.Background(), "PYSEC-2099-4"); err != nil {
		t.Errorf("withdrawn entry by id: %v", err)
	}
	_, err = c.Get(context.Background(), "PYSEC-0000-0")
	if !errors.Is(err, osvclient.ErrNotFound) {
		t.Errorf("unknown id: %v, want ErrNotFound", err)
	}
	resp, err := http.Get(ts.URL + "/v1/vulns/NOPE")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e osvclient.Error
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || resp.StatusCode != 404 || e.Code != osvclient.CodeNotFound {
		t.Errorf("unknown id: %d %+v %v", resp.StatusCode, e, err)
	}
}

func TestBadRequests(t *testing.T) {
	_, ts, _ := newTestServer(t, Options{MaxBodyBytes: 4096, MaxBatch: 3})
	many := `{"queries":[` + strings.Repeat(`{"package":{"name":"a"},"version":"1"},`, 3) + `{"package":{"name":"a"},"version":"1"}]}`
	cases := []struct {
		name, path, body string
		status           int
	}{
		{"empty body", "/v1/query", "", 400},
		{"not JSON", "/v1/query", "{", 400},
		{"trailing data", "/v1/query", `{"package":{"name":"a"}} {}`, 400},
		{"array", "/v1/query", `[]`, 400},
		{"wrong type", "/v1/query", `{"version":1}`, 400},
		{"no package", "/v1/query", `{"version":"1.0"}`, 400},
		{"empty package", "/v1/query", `{"package":{}}`, 400},
		{"null package", "/v1/query", `{"package":null,"version":"1"}`, 400},
		{"commit and version", "/v1/query", `{"commit":"abcd","version":"1"}`, 400},
		{"odd-length commit", "/v1/query", `{"commit":"abc","package":{"name":"a"}}`, 400},
		{"ecosystem case", "/v1/query", `{"package":{"name":"a","ecosystem":"pypi"},"version":"1"}`, 400},
		{"purl and name", "/v1/query", `{"package":{"purl":"pkg:pypi/a@1","name":"a"}}`, 400},
		{"version twice", "/v1/query", `{"package":{"purl":"pkg:pypi/a@1"},"version":"2"}`, 400},
		{"bad purl", "/v1/query", `{"package":{"purl":"pypi/a@1"}}`, 400},
		{"purl without name", "/v1/query", `{"package":{"purl":"pkg:pypi/@1"}}`, 400},
		{"bad escape in purl", "/v1/query", `{"package":{"purl":"pkg:pypi/a%zz@1"}}`, 400},
		{"bad page token", "/v1/query", `{"package":{"name":"a"},"page_token":"!!"}`, 400},
		{"too large", "/v1/query", `{"package":{"name":"` + strings.Repeat("a", 5000) + `"}}`, 413},
		{"too many queries", "/v1/querybatch", many, 400},
		{"bad query in batch", "/v1/querybatch", `{"queries":[{"package":{"name":"a"}},{"version":"1"}]}`, 400},
		{"batch not an object", "/v1/querybatch", `"x"`, 400},
		{"unknown path", "/v2/query", `{}`, 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, body := post(t, ts.URL+tc.path, tc.body)
			var e osvclient.Error
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("error body is not JSON: %q", body)
			}
			if code != tc.status || e.Code == 0 || e.Message == "" {
				t.Errorf("got %d %s, want %d with an OSV error", code, body, tc.status)
			}
		})
	}
	resp, err := http.Get(ts.URL + "/v1/query")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" {
		t.Errorf("GET /v1/query: %d Allow=%q", resp.StatusCode, resp.Header.Get("Allow"))
	}
}

func TestHealthAndMetrics(t *testing.T) {
	s := New(nil, Options{})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	resp, err := http.Get(ts.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Errorf("healthz without a database: %d", resp.StatusCode)
	}
	if code, _ := post(t, ts.URL+"/v1/query", `{"package":{"name":"a","ecosystem":"PyPI"}}`); code != 503 {
		t.Errorf("query without a database: %d", code)
	}
	s.Swap(loadFixtures(t, "testdata/osv"))
	resp, err = http.Get(ts.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var h struct {
		Status     string
		Advisories int
	}
	_ = json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if resp.StatusCode != 200 || h.Status != "ok" || h.Advisories != 6 {
		t.Errorf("healthz: %d %+v", resp.StatusCode, h)
	}
	post(t, ts.URL+"/v1/querybatch", `{"queries":[{"package":{"name":"a","ecosystem":"PyPI"}},{"package":{"name":"b"},"version":"1"}]}`)
	post(t, ts.URL+"/v1/query", `{`)
	resp, err = http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`pyvet_serve_requests_total{endpoint="querybatch",code="200"} 1`,
		`pyvet_serve_requests_total{endpoint="query",code="400"} 1`,
		`pyvet_serve_requests_total{endpoint="query",code="503"} 1`,
		`pyvet_serve_requests_total{endpoint="healthz",code="200"} 1`,
		`pyvet_serve_request_duration_seconds_count{endpoint="querybatch"} 1`,
		`pyvet_serve_request_duration_seconds_bucket{endpoint="querybatch",le="+Inf"} 1`,
		`pyvet_serve_queries_total 2`,
		`pyvet_serve_advisories 6`,
		"# TYPE pyvet_serve_request_duration_seconds histogram",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// constSource answers every query with the same one advisory.
type constSource struct{ id string }

func (c constSource) Query(string, string) []osvclient.VulnRef {
	return []osvclient.VulnRef{{ID: c.id, Modified: "2099-01-01T00:00:00Z"}}
}
func (c constSource) Raw(id string) ([]byte, bool) {
	if id != c.id {
		return nil, false
	}
	return []byte(`{"id":"` + c.id + `"}`), true
}
func (c constSource) Len() int { return 1 }

// TestSwapUnderLoad swaps two databases while clients send batches: every
// answer must come wholly from one database.
func TestSwapUnderLoad(t *testing.T) {
	a, b := constSource{"A-1"}, constSource{"B-1"}
	s := New(a, Options{})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	c, _ := osvclient.New(ts.URL, osvclient.WithRetries(0, 0))
	queries := make([]osvclient.Query, 200)
	for i := range queries {
		queries[i] = osvclient.PyPIQuery(fmt.Sprintf("p%d", i), "1")
	}
	ctx, cancel := context.WithCancel(context.Background())
	var swaps atomic.Int64
	go func() {
		for i := 0; ctx.Err() == nil; i++ {
			if i%2 == 0 {
				s.Swap(b)
			} else {
				s.Swap(a)
			}
			swaps.Add(1)
			time.Sleep(50 * time.Microsecond)
		}
	}()
	var wg sync.WaitGroup
	seen := [2]atomic.Int64{}
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 40 {
				res, err := c.QueryBatch(ctx, queries)
				if err != nil {
					t.Error(err)
					return
				}
				first := res[0][0].ID
				for i, r := range res {
					if len(r) != 1 || r[0].ID != first {
						t.Errorf("result %d is %v, but result 0 is %s: a mix of databases", i, r, first)
						return
					}
				}
				if first == "A-1" {
					seen[0].Add(1)
				} else {
					seen[1].Add(1)
				}
				raws, err := c.Query(ctx, osvclient.PyPIQuery("x", "1"))
				if err != nil || len(raws) != 1 {
					t.Errorf("query during swaps: %d entries, %v", len(raws), err)
					return
				}
			}
		}()
	}
	wg.Wait()
	cancel()
	t.Logf("%d swaps; answers from A %d, from B %d", swaps.Load(), seen[0].Load(), seen[1].Load())
}

func TestRefresh(t *testing.T) {
	s := New(constSource{"A-1"}, Options{})
	ctx := context.Background()
	if err := s.Refresh(ctx, func(context.Context) (Source, error) { return nil, errors.New("corrupt download") }); err == nil {
		t.Error("failed load reported no error")
	}
	if got := s.Source().(constSource).id; got != "A-1" {
		t.Errorf("failed refresh replaced the database with %s", got)
	}
	trigger := make(chan struct{})
	loaded := make(chan struct{}, 1)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go s.RunRefresher(rctx, func(context.Context) (Source, error) {
		defer func() { loaded <- struct{}{} }()
		return constSource{"B-1"}, nil
	}, 0, trigger)
	trigger <- struct{}{}
	<-loaded
	// The swap happens right after the loader returns.
	deadline := time.Now().Add(5 * time.Second)
	for s.Source().(constSource).id != "B-1" {
		if time.Now().After(deadline) {
			t.Fatal("triggered refresh did not swap the database")
		}
		time.Sleep(time.Millisecond)
	}
	if m := string(s.metrics.expose()); !strings.Contains(m, `pyvet_serve_database_refreshes_total{result="ok"} 1`) ||
		!strings.Contains(m, `pyvet_serve_database_refreshes_total{result="error"} 1`) {
		t.Errorf("refresh metrics:\n%s", m)
	}
}

// blockingSource blocks queries until release is closed.
type blockingSource struct {
	constSource
	started chan struct{}
	release chan struct{}
}

func (b blockingSource) Query(n, v string) []osvclient.VulnRef {
	close(b.started)
	<-b.release
	return b.constSource.Query(n, v)
}

func TestGracefulShutdown(t *testing.T) {
	src := blockingSource{constSource{"A-1"}, make(chan struct{}), make(chan struct{})}
	s := New(src, Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	type result struct {
		code int
		body []byte
		err  error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := http.Post("http://"+ln.Addr().String()+"/v1/query", "application/json", strings.NewReader(`{"package":{"name":"a"},"version":"1"}`))
		if err != nil {
			res <- result{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		res <- result{resp.StatusCode, b, err}
	}()
	<-src.started
	cancel() // shutdown begins with the request in flight
	time.Sleep(50 * time.Millisecond)
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("new connections still accepted during shutdown")
	}
	close(src.release)
	r := <-res
	if r.err != nil || r.code != 200 || !strings.Contains(string(r.body), "A-1") {
		t.Errorf("request in flight: %d %s %v", r.code, r.body, r.err)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

type panicSource struct{ constSource }

func (panicSource) Query(string, string) []osvclient.VulnRef { panic("broken index") }

func TestPanicBecomes500(t *testing.T) {
	s := New(panicSource{constSource{"A-1"}}, Options{})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	code, body := post(t, ts.URL+"/v1/query", `{"package":{"name":"a","ecosystem":"PyPI"}}`)
	var e osvclient.Error
	if code != 500 || json.Unmarshal(body, &e) != nil || e.Code != osvclient.CodeInternal {
		t.Errorf("got %d %s", code, body)
	}
	// Also when the panic happens in a worker answering a large batch.
	big := `{"queries":[` + strings.TrimSuffix(strings.Repeat(`{"package":{"name":"a"},"version":"1"},`, 500), ",") + `]}`
	code, body = post(t, ts.URL+"/v1/querybatch", big)
	if code != 500 || json.Unmarshal(body, &e) != nil || e.Code != osvclient.CodeInternal {
		t.Errorf("batch: got %d %s", code, body)
	}
	// The server keeps answering.
	resp, err := http.Get(ts.URL + "/v1/vulns/A-1")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("after a panic: %v %v", resp, err)
	}
	resp.Body.Close()
}

func TestParsePURL(t *testing.T) {
	cases := []struct{ in, typ, name, version string }{
		{"pkg:pypi/django@3.2", "pypi", "django", "3.2"},
		{"pkg:PyPI/Django_Rest@1.0rc1", "pypi", "Django_Rest", "1.0rc1"},
		{"pkg://pypi/requests", "pypi", "requests", ""},
		{"PKG:pypi/zope.interface@5.0%2Blocal?x=1#a/b", "pypi", "zope.interface", "5.0+local"},
		{"pkg:maven/org.apache/commons@1.0", "maven", "commons", "1.0"},
	}
	for _, c := range cases {
		typ, name, version, err := parsePURL(c.in)
		if err != nil || typ != c.typ || name != c.name || version != c.version {
			t.Errorf("parsePURL(%q) = %q %q %q %v", c.in, typ, name, version, err)
		}
	}
	for _, bad := range []string{"", "pypi/x", "pkg:", "pkg:pypi", "pkg:pypi/", "pkg:pypi/x@", "pkg:/x@1"} {
		if _, _, _, err := parsePURL(bad); err == nil {
			t.Errorf("parsePURL(%q) accepted", bad)
		}
	}
}

// closingSource counts Close calls.
type closingSource struct {
	blockingSource
	closed *atomic.Int64
}

func (c closingSource) Close() error { c.closed.Add(1); return nil }

// TestRetiredSourceClosedAfterLastRequest swaps the database while a request
// still uses the old one: the old one is closed only when that request ends.
func TestRetiredSourceClosedAfterLastRequest(t *testing.T) {
	var closed atomic.Int64
	old := closingSource{blockingSource{constSource{"A-1"}, make(chan struct{}), make(chan struct{})}, &closed}
	s := New(old, Options{})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	done := make(chan []byte, 1)
	go func() {
		_, body := post(t, ts.URL+"/v1/query", `{"package":{"name":"a"},"version":"1"}`)
		done <- body
	}()
	<-old.started
	s.Swap(constSource{"B-1"})
	if code, body := post(t, ts.URL+"/v1/query", `{"package":{"name":"a"},"version":"1"}`); code != 200 || !strings.Contains(string(body), "B-1") {
		t.Errorf("after swap: %d %s", code, body)
	}
	if closed.Load() != 0 {
		t.Fatal("old database closed while a request used it")
	}
	close(old.release)
	if body := <-done; !strings.Contains(string(body), "A-1") {
		t.Errorf("request in flight answered %s, want the old database", body)
	}
	// The handler releases the database just after the answer is sent.
	deadline := time.Now().Add(5 * time.Second)
	for closed.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if closed.Load() != 1 {
		t.Errorf("old database closed %d times after its last request, want 1", closed.Load())
	}
}

func TestAnswerCache(t *testing.T) {
	if newAnswerCache(0) != nil {
		t.Error("size 0 should disable the cache")
	}
	var off *answerCache
	off.put("a", nil)
	if _, ok := off.get("a"); ok {
		t.Error("disabled cache answered")
	}
	if off.stats() != (CacheStats{}) {
		t.Error("disabled cache reports a size")
	}
	one := answerCost("a", []osvclient.VulnRef{{ID: "A"}}, nil)
	c := newAnswerCache(3 * one)
	c.put("a", []osvclient.VulnRef{{ID: "A"}})
	c.put("b", nil)
	if r, ok := c.get("a"); !ok || len(r) != 1 || r[0].ID != "A" {
		t.Errorf("get a = %v %v", r, ok)
	}
	if r, ok := c.get("b"); !ok || r != nil {
		t.Errorf("an empty answer must be remembered too: %v %v", r, ok)
	}
	// a was last used before b, so d (with c, one entry too many) pushes out a.
	c.put("c", []osvclient.VulnRef{{ID: "C"}})
	c.put("d", []osvclient.VulnRef{{ID: "D"}})
	if _, ok := c.get("a"); ok {
		t.Error("least recently used answer kept past the budget")
	}
	for _, k := range []string{"b", "c", "d"} {
		if _, ok := c.get(k); !ok {
			t.Errorf("answer %s lost", k)
		}
	}
	c.put("d", []osvclient.VulnRef{{ID: "D"}}) // replacing counts once
	if st := c.stats(); st.Bytes > 3*one || st.Entries != 3 || st.Evicted != 1 {
		t.Errorf("stats %+v, want 3 entries within %d bytes, 1 eviction", st, 3*one)
	}
	long := strings.Repeat("v", MaxCacheKey+1)
	c.put(long, nil)
	if _, ok := c.get(long); ok {
		t.Error("a key above MaxCacheKey was remembered")
	}
	huge := make([]osvclient.VulnRef, 100)
	c.put("huge", huge)
	if _, ok := c.get("huge"); ok {
		t.Error("an answer larger than the whole budget was remembered")
	}
	if st := c.stats(); st.Bytes > st.MaxBytes {
		t.Errorf("cache holds %d bytes, over its %d budget", st.Bytes, st.MaxBytes)
	}
}

// TestAnswerCacheBytesBounded fills the cache with many distinct keys: its
// size stays within the budget, evicting the oldest answers.
func TestAnswerCacheBytesBounded(t *testing.T) {
	c := newAnswerCache(64 << 10)
	for i := range 10_000 {
		c.put(fmt.Sprintf("pkg-%d\x00%d.0", i, i), []osvclient.VulnRef{{ID: fmt.Sprintf("PYSEC-%d", i), Modified: "2024-01-01T00:00:00Z"}})
		if st := c.stats(); st.Bytes > st.MaxBytes {
			t.Fatalf("after %d answers: %d bytes, over the %d budget", i+1, st.Bytes, st.MaxBytes)
		}
	}
	st := c.stats()
	if st.Entries == 0 || st.Evicted == 0 || st.Entries+int(st.Evicted) != 10_000 {
		t.Errorf("stats %+v", st)
	}
	if _, ok := c.get("pkg-9999\x009999.0"); !ok {
		t.Error("the latest answer was evicted")
	}
}
