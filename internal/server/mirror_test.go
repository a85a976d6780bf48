package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/osvclient"
)

// TestOnlyPyPI: what osv.dev rejects is a 400 here too, and a valid query
// for data this mirror does not hold (a commit, another ecosystem) is a 400
// saying the mirror holds only PyPI, never a silent empty answer.
func TestOnlyPyPI(t *testing.T) {
	_, ts, _ := newTestServer(t, Options{})
	const hash = "0123456789abcdef0123456789abcdef01234567"
	for _, tc := range []struct {
		name, body, want string
	}{
		{"commit", `{"commit":"` + hash + `"}`, "only PyPI advisories"},
		{"commit and package", `{"commit":"` + hash + `","package":{"name":"demo-pkg","ecosystem":"PyPI"}}`, "does not match commits"},
		{"commit with a bad ecosystem", `{"commit":"` + hash + `","package":{"ecosystem":"pypi"}}`, "case-sensitive"},
		{"non-hex commit", `{"commit":"v1.2.3"}`, "Invalid hash"},
		{"odd-length commit", `{"commit":"abc"}`, "Invalid hash"},
		{"commit and version", `{"commit":"` + hash + `","version":"1.0"}`, "not both"},
		{"other ecosystem", `{"package":{"name":"demo-pkg","ecosystem":"npm"},"version":"1.1"}`, `not the "npm" ecosystem`},
		{"release-scoped ecosystem", `{"package":{"name":"python3","ecosystem":"Debian:12"},"version":"1"}`, `not the "Debian:12" ecosystem`},
		{"other purl type", `{"package":{"purl":"pkg:npm/demo-pkg@1.1"}}`, `not purl type "npm"`},
		{"lower-case ecosystem", `{"package":{"name":"demo-pkg","ecosystem":"pypi"},"version":"1.1"}`, `use "PyPI"`},
		{"upper-case ecosystem", `{"package":{"name":"demo-pkg","ecosystem":"PYPI"}}`, "case-sensitive"},
		{"unknown ecosystem", `{"package":{"name":"demo-pkg","ecosystem":"Snakes"}}`, `Invalid ecosystem "Snakes"`},
		{"PyPI with a suffix", `{"package":{"name":"demo-pkg","ecosystem":"PyPI:3"}}`, "Invalid ecosystem"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := post(t, ts.URL+"/v1/query", tc.body)
			var e osvclient.Error
			if err := json.Unmarshal(body, &e); err != nil || code != http.StatusBadRequest || e.Code != osvclient.CodeInvalidArgument || !strings.Contains(e.Message, tc.want) {
				t.Errorf("%d %s, want 400 with %q", code, body, tc.want)
			}
		})
	}
}

// TestBatchPerQuery: in a batch, queries this mirror holds no data for are
// answered empty and named in a Warning header, while the PyPI queries
// beside them are answered; input osv.dev rejects fails the batch, naming
// the query, as osv.dev does.
func TestBatchPerQuery(t *testing.T) {
	s, ts, _ := newTestServer(t, Options{})
	body := `{"queries":[
		{"package":{"name":"demo-pkg","ecosystem":"PyPI"},"version":"1.1"},
		{"commit":"0123456789abcdef0123456789abcdef01234567","package":{"name":"demo-pkg","ecosystem":"PyPI"}},
		{"package":{"name":"left-pad","ecosystem":"npm"},"version":"1.0.0"},
		{"package":{"purl":"pkg:golang/example.com/m@v1.0.0"}},
		{"package":{"purl":"pkg:pypi/other-lib@2.0"}}]}`
	resp, err := http.Post(ts.URL+"/v1/querybatch", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var got osvclient.BatchResponse
	err = json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || len(got.Results) != 5 {
		t.Fatalf("%d %+v %v", resp.StatusCode, got, err)
	}
	if len(got.Results[0].Vulns) != 2 || len(got.Results[4].Vulns) != 1 || got.Results[4].Vulns[0].ID != "PYSEC-2099-3" {
		t.Errorf("PyPI queries: %+v", got.Results)
	}
	for _, i := range []int{1, 2, 3} {
		if len(got.Results[i].Vulns) != 0 {
			t.Errorf("query %d: %+v, want an empty result", i, got.Results[i])
		}
	}
	if w := resp.Header.Get("Warning"); !strings.HasPrefix(w, `299 pyvet "queries 1, 2, 3 (3 of 5) answered empty: this mirror holds only PyPI advisories`) {
		t.Errorf("Warning: %q", w)
	}
	if n := s.metrics.unserved.Load(); n != 3 {
		t.Errorf("unserved queries counted: %d, want 3", n)
	}
	many := make([]int, 25)
	for i := range many {
		many[i] = i
	}
	if w := unservedWarning(many, 30); !strings.Contains(w, "queries 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 and 15 more (25 of 30)") {
		t.Errorf("long warning: %q", w)
	}
	for _, tc := range []struct{ body, want string }{
		{`{"queries":[{"package":{"name":"demo-pkg","ecosystem":"PyPI"}},{"commit":"xyz"}]}`, "query 1: Invalid hash"},
		{`{"queries":[{"package":{"name":"demo-pkg","ecosystem":"pypi"}}]}`, "query 0: Invalid ecosystem"},
	} {
		code, b := post(t, ts.URL+"/v1/querybatch", tc.body)
		if code != 400 || !strings.Contains(string(b), tc.want) {
			t.Errorf("%s: %d %s, want 400 with %q", tc.body, code, b, tc.want)
		}
	}
}

// TestVulnExactID: GET /v1/vulns/{id} serves the entry with exactly that
// id; an alias or a differently cased id is 404, never another entry.
func TestVulnExactID(t *testing.T) {
	src := fixtureDBSource(t, 0)
	ts := httptest.NewServer(New(src, Options{}).Handler())
	defer ts.Close()
	get := func(id string) (int, string) {
		resp, err := http.Get(ts.URL + "/v1/vulns/" + id)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e struct{ ID string }
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return resp.StatusCode, e.ID
	}
	for _, id := range src.DB.IDs() {
		if code, got := get(id); code != 200 || got != id {
			t.Errorf("%s: %d, entry %q", id, code, got)
		}
	}
	// The database itself knows these as another entry's alias or id: the
	// message says which id to ask for.
	for id, want := range map[string]string{
		"CVE-2099-0001":       `Bug not found. Advisories are served by their own id only, as on osv.dev: \"CVE-2099-0001\" is an alias of PYSEC-2099-1.`,
		"GHSA-aaaa-bbbb-0001": `is an alias of PYSEC-2099-1.`,
		"pysec-2099-1":        `Bug not found. Ids are case-sensitive, as on osv.dev: the advisory is PYSEC-2099-1.`,
		"Pysec-2099-1":        `the advisory is PYSEC-2099-1.`,
		"PYSEC-2099-999":      `{"code":5,"message":"Bug not found."}`,
	} {
		if code, got := get(id); code != 404 {
			t.Errorf("%s: %d with entry %q, want 404", id, code, got)
		}
		resp, err := http.Get(ts.URL + "/v1/vulns/" + id)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		resp.Body.Close()
		if !strings.Contains(b.String(), want) || !strings.HasPrefix(b.String(), `{"code":5,"message":"Bug not found.`) {
			t.Errorf("%s: %s, want %s", id, b.String(), want)
		}
	}
}

// TestAsOSVDev: requests osv.dev answers without an error are answered
// here too (fields it does not know are ignored, as its gateway drops them;
// the page token may be spelled page_token or pageToken, as protobuf JSON
// reads it), and a package without a version or an ecosystem is a 400, as
// osv.dev's "Invalid query."
func TestAsOSVDev(t *testing.T) {
	_, ts, _ := newTestServer(t, Options{PageSize: 1})
	tok := encodePageToken("PYSEC-2099-2")
	for _, tc := range []struct {
		name, body string
		code       int
		want       string
	}{
		{"unknown fields", `{"package":{"name":"demo-pkg","ecosystem":"PyPI","flavour":"x"},"version":"1.1","extra":[1,{}]}`, 200, `"id":"PYSEC-2099-1"`},
		{"page_token", `{"package":{"name":"demo-pkg","ecosystem":"PyPI"},"page_token":"` + tok + `"}`, 200, `"id":"PYSEC-2099-5"`},
		{"pageToken", `{"package":{"name":"demo-pkg","ecosystem":"PyPI"},"pageToken":"` + tok + `"}`, 200, `"id":"PYSEC-2099-5"`},
		{"both spellings, same token", `{"package":{"name":"demo-pkg","ecosystem":"PyPI"},"page_token":"` + tok + `","pageToken":"` + tok + `"}`, 200, `"id":"PYSEC-2099-5"`},
		{"both spellings, two tokens", `{"package":{"name":"demo-pkg","ecosystem":"PyPI"},"page_token":"` + tok + `","pageToken":"djE6QQ"}`, 400, "given twice"},
		{"bad pageToken", `{"package":{"name":"demo-pkg","ecosystem":"PyPI"},"pageToken":"!!"}`, 400, "invalid page_token"},
		{"no ecosystem, no version", `{"package":{"name":"demo-pkg"}}`, 400, "Invalid query: a package without a version needs its ecosystem"},
		{"no ecosystem, a version", `{"package":{"name":"demo-pkg"},"version":"1.1"}`, 200, `"id":"PYSEC-2099-1"`},
		{"empty query", `{}`, 400, "invalid query"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := post(t, ts.URL+"/v1/query", tc.body)
			var compact bytes.Buffer
			_ = json.Compact(&compact, body)
			if code != tc.code || !strings.Contains(compact.String(), tc.want) {
				t.Errorf("%d %s, want %d with %q", code, body, tc.code, tc.want)
			}
			if code == 400 && !strings.HasPrefix(string(body), `{"code":3,"message":`) {
				t.Errorf("error shape: %s", body)
			}
		})
	}
	// In a batch, a query by pageToken too.
	code, body := post(t, ts.URL+"/v1/querybatch", `{"queries":[{"package":{"name":"demo-pkg","ecosystem":"PyPI"},"pageToken":"`+tok+`"}]}`)
	if code != 200 || !strings.Contains(string(body), `"id":"PYSEC-2099-5"`) || strings.Contains(string(body), `PYSEC-2099-1`) {
		t.Errorf("batch with pageToken: %d %s", code, body)
	}
	code, body = post(t, ts.URL+"/v1/querybatch", `{"queries":[{"package":{"name":"demo-pkg","ecosystem":"PyPI"},"page_token":"`+tok+`","pageToken":"djE6QQ"}]}`)
	if code != 400 || !strings.Contains(string(body), "query 0: the page token is given twice") {
		t.Errorf("batch with two tokens: %d %s", code, body)
	}
}

// TestDBSourceRaw: the source serves each advisory's JSON from the index
// and remembers the ones served within the answer cache's budget, counted
// in its size; without a cache every request reads the index.
func TestDBSourceRaw(t *testing.T) {
	src := fixtureDBSource(t, 1<<20)
	a, ok := src.Raw("PYSEC-2099-1")
	if !ok || !json.Valid(a) || !bytes.Contains(a, []byte(`"PYSEC-2099-1"`)) {
		t.Fatalf("Raw: %s %v", a, ok)
	}
	st := src.CacheStats()
	if st.Entries != 1 || st.Bytes < int64(len(a)) {
		t.Errorf("after one entry: %+v", st)
	}
	if b, _ := src.Raw("PYSEC-2099-1"); &b[0] != &a[0] {
		t.Error("a remembered entry was read from the index again")
	}
	if st2 := src.CacheStats(); st2 != st {
		t.Errorf("a remembered entry changed the cache: %+v, then %+v", st, st2)
	}
	for _, id := range []string{"pysec-2099-1", "CVE-2099-0001", ""} {
		if _, ok := src.Raw(id); ok {
			t.Errorf("Raw(%q) served an entry", id)
		}
	}
	if st := src.CacheStats(); st.Entries != 1 {
		t.Errorf("ids not served were remembered: %+v", st)
	}
	off := fixtureDBSource(t, 0)
	if b, ok := off.Raw("PYSEC-2099-1"); !ok || !bytes.Equal(b, a) {
		t.Errorf("without a cache: %s %v", b, ok)
	}
	if refs := off.Query("Demo_Pkg", ""); len(refs) != 4 || !slices.IsSortedFunc(refs, cmpRef) {
		t.Errorf("every advisory of the package, sorted: %v", refs)
	}
}

// TestPipAuditShape sends pip-audit's OSV query as pip-audit sends it (a
// POST of json.dumps(query) with no Content-Type, the canonical name, the
// "PyPI" ecosystem) and reads the answer as pip-audit does: "vulns", each
// with "id", "details", "aliases", and the "fixed" events of the ECOSYSTEM
// ranges of the affected entry naming the package in PyPI. An empty answer
// is {} (pip-audit's "no vulnerabilities"), and a query the mirror cannot
// answer is an HTTP error (pip-audit's ServiceError), never {}.
func TestPipAuditShape(t *testing.T) {
	src := fixtureDBSource(t, 1<<20)
	ts := httptest.NewServer(New(src, Options{}).Handler())
	defer ts.Close()
	ask := func(body string) (int, map[string]any) {
		req, err := http.NewRequest(http.MethodPost, ts.URL+"/v1/query", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Del("Content-Type")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, v
	}
	code, v := ask(`{"package": {"name": "demo-pkg", "ecosystem": "PyPI"}, "version": "1.1"}`)
	if code != 200 {
		t.Fatalf("%d %v", code, v)
	}
	type result struct {
		id, details string
		aliases     []any
		fixed       []string
	}
	var got []result
	for _, x := range v["vulns"].([]any) {
		vuln := x.(map[string]any)
		r := result{id: vuln["id"].(string), details: vuln["details"].(string), aliases: vuln["aliases"].([]any)}
		for _, a := range vuln["affected"].([]any) {
			pkg := a.(map[string]any)["package"].(map[string]any)
			if pkg["name"] != "demo-pkg" || pkg["ecosystem"] != "PyPI" {
				continue
			}
			for _, rg := range a.(map[string]any)["ranges"].([]any) {
				if rg.(map[string]any)["type"] != "ECOSYSTEM" {
					continue
				}
				for _, ev := range rg.(map[string]any)["events"].([]any) {
					if f, ok := ev.(map[string]any)["fixed"]; ok {
						r.fixed = append(r.fixed, f.(string))
					}
				}
			}
		}
		got = append(got, r)
	}
	if len(got) != 2 || got[0].id != "PYSEC-2099-1" || got[0].details == "" || len(got[0].aliases) != 2 ||
		!slices.Equal(got[0].fixed, []string{"1.2"}) || got[1].id != "PYSEC-2099-2" {
		t.Errorf("as pip-audit reads it: %+v", got)
	}
	if code, v := ask(`{"package": {"name": "demo-pkg", "ecosystem": "PyPI"}, "version": "9.9"}`); code != 200 || len(v) != 0 {
		t.Errorf("no vulnerabilities: %d %v, want 200 {}", code, v)
	}
	if code, v := ask(`{"package": {"name": "demo-pkg", "ecosystem": "npm"}, "version": "1.1"}`); code != 400 || v["code"] != float64(3) {
		t.Errorf("another ecosystem: %d %v, want 400", code, v)
	}
}
