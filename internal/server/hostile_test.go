package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/osvclient"
)

// fixtureDBSource is a DBSource (the real database and its answer cache)
// over the OSV files in testdata/osv.
func fixtureDBSource(t testing.TB, cacheBytes int64) *DBSource {
	t.Helper()
	db, err := advisory.OpenWith("testdata/osv", advisory.Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	src, err := NewDBSource(db, cacheBytes)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// checkShortError asserts an OSV error answer whose message quotes no more
// than an excerpt of the request.
func checkShortError(t *testing.T, what string, code int, body []byte, want int) {
	t.Helper()
	var e osvclient.Error
	if err := json.Unmarshal(body, &e); err != nil || code != want || e.Code == 0 || e.Message == "" {
		t.Fatalf("%s: %d %.300q, want %d with an OSV error", what, code, body, want)
	}
	if len(body) > 400 {
		t.Fatalf("%s: %d-byte error answer echoes the request: %.300q", what, len(body), body)
	}
}

// TestHostileVersions sends 60 queries with multi-megabyte versions, as one
// query each and in batches: every one is a short 400, nothing is
// remembered, and the server's heap does not grow with them.
func TestHostileVersions(t *testing.T) {
	src := fixtureDBSource(t, DefaultAnswerCacheBytes)
	s := New(src, Options{})
	h := s.Handler()
	do := func(path, body string) (int, []byte) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, strings.NewReader(body)))
		return rec.Code, rec.Body.Bytes()
	}
	long := strings.Repeat("1", 2<<20)
	before := heapInUse()
	for i := range 60 {
		v := strconv.Itoa(i) + long
		var body string
		switch (i / 2) % 4 {
		case 0:
			body = `{"package":{"name":"demo-pkg","ecosystem":"PyPI"},"version":"` + v + `"}`
		case 1:
			body = `{"package":{"purl":"pkg:pypi/demo-pkg@` + v + `"}}`
		case 2:
			body = `{"package":{"name":"demo-pkg` + v + `"}}`
		case 3:
			body = `{"package":{"name":"demo-pkg"},"page_token":"` + v + `"}`
		}
		if i%2 == 0 {
			code, resp := do("/v1/query", body)
			checkShortError(t, fmt.Sprintf("query %d", i), code, resp, http.StatusBadRequest)
			continue
		}
		code, resp := do("/v1/querybatch", `{"queries":[{"package":{"name":"demo-pkg"},"version":"1.0"},`+body+`]}`)
		checkShortError(t, fmt.Sprintf("batch %d", i), code, resp, http.StatusBadRequest)
		if !strings.Contains(string(resp), "query 1:") {
			t.Errorf("batch %d: the error does not name the query: %s", i, resp)
		}
	}
	if st := src.CacheStats(); st.Entries != 0 || st.Bytes != 0 {
		t.Errorf("rejected queries were remembered: %+v", st)
	}
	// The database's own queries (no HTTP validation) never remember an
	// over-long key either.
	for i := range 60 {
		src.Query("demo-pkg", strconv.Itoa(i)+long)
	}
	if st := src.CacheStats(); st.Entries != 0 {
		t.Errorf("over-long keys were remembered: %+v", st)
	}
	// 60 remembered 2 MB keys would be 120 MB.
	if grown := int64(heapInUse()) - int64(before); grown > 16<<20 {
		t.Errorf("heap grew by %d MB over 60 hostile queries", grown>>20)
	}
	runtime.KeepAlive(src)

	// A number where a string belongs: the message names the field, not the
	// number.
	code, resp := do("/v1/query", `{"package":{"name":"demo-pkg"},"version":`+long+`}`)
	checkShortError(t, "numeric version", code, resp, http.StatusBadRequest)
	if !strings.Contains(string(resp), "version") {
		t.Errorf("numeric version: the error does not name the field: %s", resp)
	}
	// The longest real version still works.
	code, resp = do("/v1/query", `{"package":{"name":"demo-pkg"},"version":"`+strings.Repeat("1", MaxVersionLen)+`"}`)
	if code != 200 {
		t.Errorf("a %d-byte version: %d %s", MaxVersionLen, code, resp)
	}
	// Long paths and methods are not echoed.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/"+strings.Repeat("x", 60000), nil))
	checkShortError(t, "long path", rec.Code, rec.Body.Bytes(), http.StatusNotFound)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(strings.Repeat("M", 10000), "/v1/query", nil))
	checkShortError(t, "long method", rec.Code, rec.Body.Bytes(), http.StatusMethodNotAllowed)
}

// TestCacheBoundedUnderDistinctQueries asks many distinct valid queries: the
// cache stays within its budget, and /metrics reports its size.
func TestCacheBoundedUnderDistinctQueries(t *testing.T) {
	const budget = 32 << 10
	src := fixtureDBSource(t, budget)
	s := New(src, Options{})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	for b := range 5 {
		var qs []string
		for i := range 1000 {
			qs = append(qs, fmt.Sprintf(`{"package":{"name":"demo-pkg"},"version":"1.%d.%d.%s"}`, b, i, strings.Repeat("9", 100)))
		}
		code, body := post(t, ts.URL+"/v1/querybatch", `{"queries":[`+strings.Join(qs, ",")+`]}`)
		if code != 200 {
			t.Fatalf("batch %d: %d %.200s", b, code, body)
		}
	}
	st := src.CacheStats()
	if st.Bytes > budget || st.MaxBytes != budget || st.Evicted == 0 || st.Entries == 0 {
		t.Fatalf("cache %+v after 5,000 distinct queries, budget %d", st, budget)
	}
	resp, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		fmt.Sprintf("pyvet_serve_answer_cache_bytes %d\n", st.Bytes),
		fmt.Sprintf("pyvet_serve_answer_cache_max_bytes %d\n", budget),
		fmt.Sprintf("pyvet_serve_answer_cache_entries %d\n", st.Entries),
		fmt.Sprintf("pyvet_serve_answer_cache_evictions_total %d\n", st.Evicted),
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// TestBatchCountedWhileDecoding sends a body of a million empty queries
// within the body limit: the answer is a 400 found after MaxBatch+1
// queries, without decoding the rest.
func TestBatchCountedWhileDecoding(t *testing.T) {
	s := New(loadFixtures(t, "testdata/osv"), Options{MaxBodyBytes: 8 << 20})
	body := `{"queries":[` + strings.Repeat(`{},`, 1_000_000) + `{}]}`
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/querybatch", strings.NewReader(body)))
	runtime.ReadMemStats(&ms1)
	checkShortError(t, "million queries", rec.Code, rec.Body.Bytes(), http.StatusBadRequest)
	if !strings.Contains(rec.Body.String(), "too many queries") {
		t.Errorf("answer %s", rec.Body.Bytes())
	}
	// Reading the 3 MB body costs about twice that; decoding a million
	// queries would cost over 50 MB.
	if alloc := ms1.TotalAlloc - ms0.TotalAlloc; alloc > 24<<20 {
		t.Errorf("a rejected batch allocated %d MB", alloc>>20)
	}
}

// TestDecodeBatch covers the streaming batch decoder's JSON handling.
func TestDecodeBatch(t *testing.T) {
	for _, tc := range []struct {
		body string
		n    int // queries, or -1 for an error
	}{
		{`{"queries":[{"commit":"a"},{"version":"1"}]}`, 2},
		{`{"Queries":[{}]}`, 1},
		{`{"other":{"x":[1,2]},"queries":[{}],"more":null}`, 1},
		{`{"queries":[{}],"queries":[{},{}]}`, 2},
		{`{"queries":null}`, 0},
		{`{}`, 0},
		{`{"queries":[{}]} x`, -1},
		{`{"queries":{}}`, -1},
		{`{"queries":[1]}`, -1},
		{`{"queries":[{}]`, -1},
		{`[]`, -1},
		{`"x"`, -1},
		{``, -1},
		{`{"queries":[{},{},{},{}]}`, -1}, // more than 3
	} {
		qs, err := decodeBatch([]byte(tc.body), 3)
		if tc.n < 0 {
			if err == nil {
				t.Errorf("%s: accepted %d queries", tc.body, len(qs))
			}
			continue
		}
		if err != nil || len(qs) != tc.n {
			t.Errorf("%s: %d queries, %v; want %d", tc.body, len(qs), err, tc.n)
		}
	}
}
