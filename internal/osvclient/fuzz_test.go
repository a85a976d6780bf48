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
	// A service repeating a page forever is cut off after 5 pages; small
	// limits let the fuzzer reach them.
	c, err := New(ts.URL, WithRetries(0, 0), WithLimits(Limits{Pages: 5, ResponseBytes: 1 << 12, EntryBytes: 1 << 10, TotalBytes: 1 << 14}))
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
		short := func(what string, err error) {
			if err != nil && len(err.Error()) > 600 {
				t.Fatalf("%s: %d-byte error echoes the answer: %.200s", what, len(err.Error()), err)
			}
		}
		raws, err := c.Query(ctx, PyPIQuery("a", "1"))
		short("Query", err)
		for _, raw := range raws {
			if len(raw) > 1<<10 {
				t.Fatalf("Query returned a %d-byte entry past the 1 KiB limit", len(raw))
			}
		}
		res, err := c.QueryBatch(ctx, []Query{PyPIQuery("a", "1")})
		short("QueryBatch", err)
		if err == nil {
			if len(res) != 1 {
				t.Fatalf("QueryBatch: %d results for 1 query", len(res))
			}
			for _, r := range res[0] {
				if checkID("", r.ID) != nil {
					t.Fatalf("QueryBatch returned invalid id %q", r.ID)
				}
			}
		}
		raw, err := c.Get(ctx, "A-1")
		short("Get", err)
		if err == nil && raw == nil && code == 200 && body != "null" {
			t.Fatalf("Get of %q: no entry and no error", body)
		}
	})
}
