package osvclient

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// FuzzAnswers serves arbitrary bytes as every answer: the client must return
// a result or an error, never panic or loop.
func FuzzAnswers(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"vulns":[{"id":"A"}]}`, `{"vulns":[{"id":"A"}],"next_page_token":"t"}`,
		`{"results":[{"vulns":[{"id":"A","modified":"x"}],"next_page_token":"t"}]}`,
		`{"results":[]}`, `{"code":3,"message":"bad"}`, `null`, `[`, ``,
	} {
		f.Add(seed, 200)
	}
	f.Add(`{"code":5,"message":"Bug not found."}`, 404)
	var answer atomic.Value
	var status atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(status.Load()))
		_, _ = w.Write([]byte(answer.Load().(string)))
	}))
	defer ts.Close()
	c, err := New(ts.URL, WithRetries(0, 0))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body string, code int) {
		if code < 200 || code > 599 {
			code = 200
		}
		answer.Store(body)
		status.Store(int64(code))
		ctx := context.Background()
		// A server repeating a page token forever is cut off by maxPages;
		// fewer pages keep the fuzzer fast.
		_, _ = c.Query(ctx, PyPIQuery("a", "1"))
		_, _ = c.QueryBatch(ctx, []Query{PyPIQuery("a", "1")})
		if raw, err := c.Get(ctx, "A-1"); err == nil && raw == nil && code == 200 && body != "null" {
			t.Fatalf("Get of %q: no entry and no error", body)
		}
	})
}
