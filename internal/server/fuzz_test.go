package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
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
	} {
		f.Add(seed)
	}
	s := New(loadFixtures(f, "testdata/osv"), Options{MaxBodyBytes: 1 << 16, PageSize: 2, BatchPageSize: 1})
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
