package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/osvclient"
)

// FuzzRequests sends arbitrary bodies to the query endpoints: every answer
// must be JSON with a status below 500.
func FuzzRequests(f *testing.F) {
	for _, seed := range []string{
		`{"package":{"name":"demo-pkg","ecosystem":"PyPI"},"version":"1.1"}`,
		`{"package":{"purl":"pkg:pypi/demo-pkg@1.0?a=b#c"}}`,
		`{"commit":"abc"}`,
		`{"package":{"name":"demo-pkg"},"page_token":"djE6UFlTRUMtMjA5OS0x"}`,
		`{"queries":[{"package":{"name":"demo-pkg"},"version":"1.0"},{"commit":"x"}]}`,
		`{"queries":null}`, `[]`, `{`, ``, `null`, `{"package":{"purl":"pkg:%"}}`,
		`{"package":{"name":"demo-pkg"},"version":1e999999}`,
		`{"commit":"00ff","package":{"name":"demo-pkg","ecosystem":"Debian:12"}}`,
		`{"queries":[{"package":{"name":"a","ecosystem":"npm"}},{"package":{"purl":"pkg:npm/a@1"}}]}`,
		`{"package":{"name":"demo-pkg","ecosystem":"pypi"}}`,
		`{"queries":[{"package":{"name":"demo-pkg"},"version":"` + strings.Repeat("9", 200) + `"}]}`,
	} {
		f.Add(seed)
	}
	// The real database source, with an answer cache small enough to evict.
	src := fixtureDBSource(f, 4<<10)
	s := New(src, Options{MaxBodyBytes: 1 << 16, PageSize: 2, BatchPageSize: 1, MaxBatch: 50})
	h := s.Handler()
	f.Fuzz(func(t *testing.T, body string) {
		for _, path := range []string{"/v1/query", "/v1/querybatch"} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, strings.NewReader(body)))
			if rec.Code >= 500 {
				t.Fatalf("%s %q: status %d %s", path, body, rec.Code, rec.Body.Bytes())
			}
			if !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("%s %q: answer is not JSON: %q", path, body, rec.Body.Bytes())
			}
			if rec.Code != 200 && !bytes.Contains(rec.Body.Bytes(), []byte(`"code":`)) {
				t.Fatalf("%s %q: error without an OSV error body: %s", path, body, rec.Body.Bytes())
			}
			if rec.Code != 200 && rec.Body.Len() > 400 {
				t.Fatalf("%s %q: %d-byte error answer", path, body, rec.Body.Len())
			}
		}
		if st := src.CacheStats(); st.Bytes > st.MaxBytes {
			t.Fatalf("answer cache at %d bytes, over its %d budget", st.Bytes, st.MaxBytes)
		}
	})
}

// FuzzDecodeBatch checks the streaming batch decoder against encoding/json:
// what it accepts, json.Unmarshal accepts with the same queries, and it never
// returns more than its limit.
func FuzzDecodeBatch(f *testing.F) {
	for _, seed := range []string{
		`{"queries":[{"package":{"name":"a"},"version":"1"},{"commit":"x"}]}`,
		`{"Queries":[{}],"queries":[{},{}]}`, `{"x":[{"queries":1}],"queries":null}`,
		`{"queries":[{"package":null,"page_token":"djE6QQ"}]}`, `{"queries":[1]}`, `{}`, `[]`,
		`{"queries":[{},{},{},{}]}`, `{"qu\u0065ries":[{}]}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		qs, err := decodeBatch([]byte(body), 3)
		if err != nil {
			return
		}
		if len(qs) > 3 {
			t.Fatalf("%q: %d queries past the limit of 3", body, len(qs))
		}
		var req osvclient.BatchRequest
		if err := json.Unmarshal([]byte(body), &req); err != nil {
			t.Fatalf("%q: accepted, but json.Unmarshal says %v", body, err)
		}
		if len(qs) != len(req.Queries) || (len(qs) > 0 && !reflect.DeepEqual(qs, req.Queries)) {
			t.Fatalf("%q: decoded %+v, json.Unmarshal %+v", body, qs, req.Queries)
		}
	})
}

// FuzzParsePURL checks that purl parsing never panics and that an accepted
// purl has a type and a name.
func FuzzParsePURL(f *testing.F) {
	for _, seed := range []string{"pkg:pypi/django@3.2", "pkg://pypi/a/b@1%2B2?x#y", "pkg:pypi/@", "pkg:a/%zz"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		typ, name, _, err := parsePURL(s)
		if err == nil && (typ == "" || strings.TrimSpace(name) == "") {
			t.Fatalf("parsePURL(%q) accepted with type %q name %q", s, typ, name)
		}
	})
}
