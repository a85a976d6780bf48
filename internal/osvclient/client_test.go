package osvclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/httpx"
)

// flaky answers the first fails requests with status, then echoes a fixed
// answer.
func flaky(t *testing.T, fails int64, status int, header map[string]string, answer string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("POST without JSON content type")
		}
		if n.Add(1) <= fails {
			for k, v := range header {
				w.Header().Set(k, v)
			}
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"code":14,"message":"try later %d"}`, n.Load())
			return
		}
		io.WriteString(w, answer)
	}))
	t.Cleanup(ts.Close)
	return ts, &n
}

func TestRetries(t *testing.T) {
	ts, n := flaky(t, 2, http.StatusServiceUnavailable, nil, `{"vulns":[{"id":"X-1"}]}`)
	c, err := New(ts.URL, WithRetries(3, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Query(context.Background(), PyPIQuery("a", "1"))
	if err != nil || len(got) != 1 || n.Load() != 3 {
		t.Fatalf("got %d entries, %v after %d requests", len(got), err, n.Load())
	}
}

func TestRetriesExhausted(t *testing.T) {
	ts, n := flaky(t, 100, http.StatusBadGateway, nil, `{}`)
	c, _ := New(ts.URL, WithRetries(2, time.Millisecond))
	_, err := c.Query(context.Background(), PyPIQuery("a", "1"))
	var se *StatusError
	if !errors.As(err, &se) || se.Status != http.StatusBadGateway || !strings.Contains(err.Error(), "try later 3") || n.Load() != 3 {
		t.Fatalf("err %v after %d requests", err, n.Load())
	}
	// The server's failure is a failure of the network for the exit status.
	if !errors.Is(err, httpx.ErrNetwork) {
		t.Errorf("HTTP 502 after the retries is not httpx.ErrNetwork: %v", err)
	}
}

func TestNoRetryOnBadRequest(t *testing.T) {
	ts, n := flaky(t, 100, http.StatusBadRequest, nil, `{}`)
	c, _ := New(ts.URL, WithRetries(5, time.Millisecond))
	_, err := c.Query(context.Background(), PyPIQuery("a", "1"))
	var se *StatusError
	if !errors.As(err, &se) || se.Status != 400 || se.Body.Code != 14 || n.Load() != 1 {
		t.Fatalf("err %v after %d requests", err, n.Load())
	}
	// An answer about the query, not a failure of the network.
	if errors.Is(err, httpx.ErrNetwork) {
		t.Errorf("HTTP 400 is httpx.ErrNetwork: %v", err)
	}
}

func TestRetryAfter(t *testing.T) {
	ts, n := flaky(t, 1, http.StatusTooManyRequests, map[string]string{"Retry-After": "1"}, `{}`)
	// The client's waits are recorded, not spent: the test asserts the
	// wait the server asked for without sleeping through it.
	var waits []time.Duration
	h := httpx.New(httpx.Options{Sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }})
	c, _ := New(ts.URL, WithRetries(1, time.Millisecond), WithHTTPClient(h))
	if _, err := c.Query(context.Background(), PyPIQuery("a", "1")); err != nil {
		t.Fatal(err)
	}
	if n.Load() != 2 || len(waits) != 1 || waits[0] < time.Second {
		t.Errorf("%d requests after waits %v; want the retry after the server's 1 s", n.Load(), waits)
	}
}

func TestTimeoutIsRetried(t *testing.T) {
	var n atomic.Int64
	// The first answer never comes; the handler ends when the test does,
	// so closing the server does not wait for it.
	release := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		io.WriteString(w, `{"vulns":[{"id":"X-1"}]}`)
	}))
	defer ts.Close()
	defer close(release)
	c, _ := New(ts.URL, WithTimeout(100*time.Millisecond), WithRetries(1, time.Millisecond))
	got, err := c.Query(context.Background(), PyPIQuery("a", "1"))
	if err != nil || len(got) != 1 {
		t.Fatalf("got %d, %v", len(got), err)
	}
}

func TestContextCancelStopsRetries(t *testing.T) {
	ts, n := flaky(t, 100, http.StatusServiceUnavailable, nil, `{}`)
	c, _ := New(ts.URL, WithRetries(100, 50*time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Millisecond)
	defer cancel()
	_, err := c.Query(ctx, PyPIQuery("a", "1"))
	if err == nil || n.Load() > 10 {
		t.Fatalf("err %v after %d requests", err, n.Load())
	}
}

func TestBadAnswers(t *testing.T) {
	for _, answer := range []string{`not json`, `{"vulns":"x"}`, `{"results":[]}`} {
		ts, _ := flaky(t, 0, 0, nil, answer)
		c, _ := New(ts.URL, WithRetries(0, 0))
		_, err1 := c.Query(context.Background(), PyPIQuery("a", "1"))
		_, err2 := c.QueryBatch(context.Background(), []Query{PyPIQuery("a", "1")})
		if err1 == nil && err2 == nil {
			t.Errorf("answer %q accepted by both Query and QueryBatch", answer)
		}
	}
}

func TestNewValidatesURL(t *testing.T) {
	for _, u := range []string{"ftp://x", "localhost:8080", "http://", "::"} {
		if _, err := New(u); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
	c, err := New("http://127.0.0.1:1/osv/")
	if err != nil || c.BaseURL != "http://127.0.0.1:1/osv" {
		t.Errorf("New: %v %v", c, err)
	}
}

// TestBatchChunksAndPages checks that QueryBatch splits queries into batches
// of BatchSize and follows per-query page tokens, against a server that pages
// one id at a time.
func TestBatchChunksAndPages(t *testing.T) {
	var maxSeen atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req BatchRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			w.WriteHeader(400)
			return
		}
		if int64(len(req.Queries)) > maxSeen.Load() {
			maxSeen.Store(int64(len(req.Queries)))
		}
		var resp BatchResponse
		for _, q := range req.Queries {
			// Package "pN" has N vulnerabilities, served one per page; the
			// token is the index of the next one.
			var n, next int
			fmt.Sscanf(q.Package.Name, "p%d", &n)
			fmt.Sscanf(q.PageToken, "%d", &next)
			var res BatchResult
			if next < n {
				res.Vulns = []VulnRef{{ID: fmt.Sprintf("%s-%d", q.Package.Name, next)}}
				if next+1 < n {
					res.NextPageToken = fmt.Sprint(next + 1)
				}
			}
			resp.Results = append(resp.Results, res)
		}
		_ = json.NewEncoder(w).Encode(resp)
	}))
	defer ts.Close()
	c, _ := New(ts.URL, WithBatchSize(3))
	var qs []Query
	for i := range 7 {
		qs = append(qs, PyPIQuery(fmt.Sprintf("p%d", i), "1"))
	}
	got, err := c.QueryBatch(context.Background(), qs)
	if err != nil {
		t.Fatal(err)
	}
	for i, refs := range got {
		if len(refs) != i {
			t.Errorf("p%d: %d refs", i, len(refs))
		}
		for j, r := range refs {
			if want := fmt.Sprintf("p%d-%d", i, j); r.ID != want {
				t.Errorf("p%d ref %d = %s, want %s", i, j, r.ID, want)
			}
		}
	}
	if maxSeen.Load() != 3 {
		t.Errorf("largest batch %d, want 3", maxSeen.Load())
	}
}

func TestRepeatedPageToken(t *testing.T) {
	for _, answer := range []string{`{"vulns":[{"id":"A"}],"next_page_token":"same"}`, `{"results":[{"vulns":[{"id":"A"}],"next_page_token":"same"}]}`} {
		ts, n := flaky(t, 0, 0, nil, answer)
		c, _ := New(ts.URL, WithRetries(0, 0))
		_, err1 := c.Query(context.Background(), PyPIQuery("a", "1"))
		_, err2 := c.QueryBatch(context.Background(), []Query{PyPIQuery("a", "1")})
		if err := errors.Join(err1, err2); err == nil || !strings.Contains(err.Error(), "repeated page token") || n.Load() > 4 {
			t.Errorf("answer %s: %v after %d requests", answer, err, n.Load())
		}
	}
}
