package httpx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/safeio"
)

// countingDialer counts the connections a client opens.
type countingDialer struct{ n atomic.Int64 }

func (d *countingDialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d.n.Add(1)
	return (&net.Dialer{}).DialContext(ctx, network, addr)
}

// closedPort returns an address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func testClient(o Options) *Client {
	if o.Backoff == 0 {
		o.Backoff = time.Millisecond
	}
	return New(o)
}

func TestRetryAfterHonoured(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	var waits, slept []time.Duration
	c := testClient(Options{
		OnRetry: func(i RetryInfo) { waits = append(waits, i.Wait) },
		Sleep:   func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil },
	})
	res, err := c.Get(context.Background(), srv.URL, nil, 100)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != 200 || string(res.Body) != "ok" || hits.Load() != 2 {
		t.Fatalf("status %d body %q after %d requests", res.Status, res.Body, hits.Load())
	}
	if len(waits) != 1 || waits[0] != time.Second {
		t.Errorf("waits %v, want the server's 1s instead of the 1ms backoff", waits)
	}
	if len(slept) != 1 || slept[0] != time.Second {
		t.Errorf("slept %v, want the announced 1s", slept)
	}
}

// TestSleepEndsWithContext: the default wait between attempts returns the
// context's error as soon as it ends, and a failing Sleep ends the request.
func TestSleepEndsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sleep after cancel: %v", err)
	}
	if err := Sleep(context.Background(), time.Microsecond); err != nil {
		t.Fatalf("Sleep: %v", err)
	}
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	stop := errors.New("stop waiting")
	c := testClient(Options{Retries: 5, Sleep: func(context.Context, time.Duration) error { return stop }})
	if _, err := c.Get(context.Background(), srv.URL, nil, 100); !errors.Is(err, stop) {
		t.Fatalf("Get: %v, want the Sleep error", err)
	}
	if hits.Load() != 1 {
		t.Errorf("%d requests, want 1: no attempt after a failed wait", hits.Load())
	}
}

func TestRetryAfterLongerThanMaxIsFinal(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, "slow down")
	}))
	defer srv.Close()
	c := testClient(Options{MaxBackoff: time.Second})
	res, err := c.Get(context.Background(), srv.URL, nil, 100)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != http.StatusTooManyRequests || string(res.Body) != "slow down" || hits.Load() != 1 {
		t.Errorf("status %d body %q after %d requests, want the 429 answer after one", res.Status, res.Body, hits.Load())
	}
}

func TestRetryAfterDate(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if got := retryAfter(now.Add(90*time.Second).Format(http.TimeFormat), now); got != 90*time.Second {
		t.Errorf("date Retry-After: %v", got)
	}
	for _, v := range []string{"", "-3", "soon", now.Add(-time.Hour).Format(http.TimeFormat)} {
		if got := retryAfter(v, now); got != 0 {
			t.Errorf("retryAfter(%q) = %v, want 0", v, got)
		}
	}
}

func TestRetries5xxThenReturnsLastAnswer(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer srv.Close()
	c := testClient(Options{Retries: 2})
	res, err := c.Get(context.Background(), srv.URL, nil, 100)
	if err != nil || res.Status != http.StatusBadGateway || hits.Load() != 3 {
		t.Fatalf("res %+v err %v after %d requests, want 502 after 3", res, err, hits.Load())
	}
	// 404 is an answer, not a failure: asked once.
	hits.Store(0)
	srv404 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.NotFound(w, r)
	}))
	defer srv404.Close()
	res, err = c.Get(context.Background(), srv404.URL, nil, 100)
	if err != nil || res.Status != 404 || hits.Load() != 1 {
		t.Errorf("404: res %+v err %v after %d requests", res, err, hits.Load())
	}
}

func TestOnlyIdempotentRequestsAreRetried(t *testing.T) {
	var hits atomic.Int64
	var sawKey atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if _, ok := r.Header["Idempotency-Key"]; ok {
			sawKey.Store(true)
		}
		b, _ := io.ReadAll(r.Body)
		if string(b) != "query" {
			t.Errorf("attempt %d sent body %q", hits.Load(), b)
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	c := testClient(Options{Retries: 2})
	post := func(idem bool) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader([]byte("query")))
		if idem {
			req.Header["Idempotency-Key"] = nil
		}
		res, err := c.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	if res := post(false); res.StatusCode != 503 || hits.Load() != 1 {
		t.Errorf("plain POST: %d requests, want 1", hits.Load())
	}
	hits.Store(0)
	if res := post(true); res.StatusCode != 503 || hits.Load() != 3 {
		t.Errorf("POST marked idempotent: %d requests, want 3", hits.Load())
	}
	if sawKey.Load() {
		t.Error("an empty Idempotency-Key was sent on the wire")
	}
}

func TestBreakerOpensAfterConnectionFailures(t *testing.T) {
	addr := closedPort(t)
	var d countingDialer
	var notes []string
	var mu sync.Mutex
	c := testClient(Options{Retries: 2, BreakAfter: 3, DialContext: d.dial, Notes: func(s string) {
		mu.Lock()
		notes = append(notes, s)
		mu.Unlock()
	}})
	var errs []error
	for i := 0; i < 50; i++ {
		_, err := c.Get(context.Background(), fmt.Sprintf("http://%s/simple/pkg%d/", addr, i), nil, 100)
		errs = append(errs, err)
	}
	if got := d.n.Load(); got != 3 {
		t.Errorf("%d connection attempts for 50 requests with 2 retries each, want 3", got)
	}
	want := addr + ": connection refused"
	for i, err := range errs {
		if !errors.Is(err, ErrUnreachable) || err.Error() != want {
			t.Fatalf("request %d: %v, want %q", i, err, want)
		}
		var e *Error
		if !errors.As(err, &e) || e.Host != addr {
			t.Fatalf("request %d: %T %v", i, err, err)
		}
	}
	if !errors.Is(errs[0], ErrUnreachable) || errors.Is(errs[0], ErrCircuitOpen) {
		t.Errorf("first request: %v should be a refused connection, not the breaker", errs[0])
	}
	for _, err := range errs[1:] {
		if !errors.Is(err, ErrCircuitOpen) {
			t.Fatalf("after the breaker opened: %v is not ErrCircuitOpen", err)
		}
	}
	if len(notes) != 1 || !strings.Contains(notes[0], addr+": connection refused") {
		t.Errorf("notes %q, want one naming the host", notes)
	}
	// Derived clients share the breaker; another host is still asked.
	if _, err := c.Tune(Tuning{Retries: -1}).Get(context.Background(), "http://"+addr+"/x", nil, 10); !errors.Is(err, ErrCircuitOpen) {
		t.Errorf("derived client: %v", err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "up") }))
	defer srv.Close()
	if res, err := c.Get(context.Background(), srv.URL, nil, 10); err != nil || string(res.Body) != "up" {
		t.Errorf("other host: %v", err)
	}
}

func TestBreakerBoundsConcurrentRequests(t *testing.T) {
	addr := closedPort(t)
	var d countingDialer
	c := testClient(Options{Retries: 3, BreakAfter: 3, DialContext: d.dial})
	const workers, requests = 8, 200
	var wg sync.WaitGroup
	jobs := make(chan int)
	var failed atomic.Int64
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if _, err := c.Get(context.Background(), fmt.Sprintf("http://%s/p/%d", addr, i), nil, 10); errors.Is(err, ErrUnreachable) {
					failed.Add(1)
				}
			}
		}()
	}
	for i := 0; i < requests; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if failed.Load() != requests {
		t.Errorf("%d of %d requests failed as unreachable", failed.Load(), requests)
	}
	// At most BreakAfter failures plus one in flight per other worker.
	if got := d.n.Load(); got > 3+workers {
		t.Errorf("%d connection attempts, want at most %d", got, 3+workers)
	}
}

func TestOfflineNeverDials(t *testing.T) {
	var d countingDialer
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { t.Error("request reached the server") }))
	defer srv.Close()
	c := testClient(Options{Offline: true, DialContext: d.dial})
	_, err := c.Get(context.Background(), srv.URL, nil, 10)
	if !errors.Is(err, ErrOffline) {
		t.Errorf("Get: %v, want ErrOffline", err)
	}
	_, err = c.HTTPClient().Get(srv.URL)
	if !errors.Is(err, ErrOffline) {
		t.Errorf("HTTPClient: %v, want ErrOffline", err)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("x"))
	if err := c.Fetch(req, func(*http.Response) error { t.Error("read called offline"); return nil }); !errors.Is(err, ErrOffline) {
		t.Errorf("Fetch: %v", err)
	}
	if !c.Tune(Tuning{Timeout: time.Second}).Offline() {
		t.Error("derived client is online")
	}
	if d.n.Load() != 0 {
		t.Errorf("%d connections opened offline", d.n.Load())
	}
}

func TestBodyCap(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write(bytes.Repeat([]byte("a"), 2000))
	}))
	defer srv.Close()
	c := testClient(Options{})
	_, err := c.Get(context.Background(), srv.URL, nil, 1000)
	var tl *safeio.TooLargeError
	if !errors.As(err, &tl) || tl.Limit != 1000 || tl.Path != srv.URL {
		t.Fatalf("err %v, want a TooLargeError naming the URL", err)
	}
	if hits.Load() != 1 {
		t.Errorf("a body over the cap was asked for %d times", hits.Load())
	}
	res, err := c.Get(context.Background(), srv.URL, nil, 2000)
	if err != nil || len(res.Body) != 2000 {
		t.Errorf("at the cap: %v, %d bytes", err, len(res.Body))
	}
}

func TestCutBodyIsRetried(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			w.Header().Set("Content-Length", "100")
			w.WriteHeader(200)
			w.Write([]byte("partial"))
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		w.Write(bytes.Repeat([]byte("b"), 100))
	}))
	defer srv.Close()
	res, err := testClient(Options{}).Get(context.Background(), srv.URL, nil, 1000)
	if err != nil || len(res.Body) != 100 || hits.Load() != 2 {
		t.Fatalf("err %v, %d requests", err, hits.Load())
	}
}

func TestAttemptTimeoutIsRetried(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			<-r.Context().Done() // never answers the first attempt
			return
		}
		w.Header().Set("X-Agent", r.Header.Get("User-Agent"))
		fmt.Fprint(w, "late")
	}))
	defer srv.Close()
	c := testClient(Options{Timeout: 200 * time.Millisecond})
	res, err := c.Get(context.Background(), srv.URL, nil, 100)
	if err != nil || string(res.Body) != "late" || hits.Load() != 2 {
		t.Fatalf("err %v after %d requests", err, hits.Load())
	}
	if ua := res.Header.Get("X-Agent"); ua != DefaultUserAgent {
		t.Errorf("User-Agent %q", ua)
	}
	// Without retries the timeout is the answer.
	hits.Store(0)
	_, err = c.Tune(Tuning{Retries: -1}).Get(context.Background(), srv.URL, nil, 100)
	var e *Error
	if !errors.As(err, &e) || !e.Timeout() || hits.Load() != 1 {
		t.Errorf("no retries: %v after %d requests", err, hits.Load())
	}
}

func TestFetchTransientCallbackError(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, hits.Add(1))
	}))
	defer srv.Close()
	c := testClient(Options{Retries: 2})
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	err := c.Fetch(req, func(res *http.Response) error {
		b, _ := io.ReadAll(res.Body)
		if string(b) != "3" {
			return Transient(fmt.Errorf("attempt %s is not good enough", b))
		}
		return nil
	})
	if err != nil || hits.Load() != 3 {
		t.Errorf("err %v after %d requests", err, hits.Load())
	}
	hits.Store(0)
	permanent := errors.New("bad format")
	if err := c.Fetch(req, func(*http.Response) error { return permanent }); err != permanent || hits.Load() != 1 {
		t.Errorf("permanent error: %v after %d requests", err, hits.Load())
	}
	hits.Store(0)
	err = c.Fetch(req, func(*http.Response) error { return Transient(permanent) })
	if !errors.Is(err, permanent) || err.Error() != permanent.Error() || hits.Load() != 3 {
		t.Errorf("transient until the end: %v (want the callback's error, its message unchanged) after %d requests", err, hits.Load())
	}
}

func TestCancelledContextStopsRetries(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	c := testClient(Options{Retries: 5, Backoff: time.Hour, MaxBackoff: time.Hour, OnRetry: func(RetryInfo) { cancel() }})
	_, err := c.Get(ctx, srv.URL, nil, 10)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
}

func TestDefault(t *testing.T) {
	old := defaultClient.Load()
	defer defaultClient.Store(old)
	c := New(Options{Offline: true})
	SetDefault(c)
	if Default() != c || Or(nil) != c {
		t.Error("SetDefault not used")
	}
	other := New(Options{})
	if Or(other) != other {
		t.Error("Or ignored its argument")
	}
}

func TestErrorsHidePasswords(t *testing.T) {
	addr := closedPort(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(bytes.Repeat([]byte("x"), 100)) }))
	defer srv.Close()
	c := testClient(Options{Retries: -1})
	for _, u := range []string{"http://user:s3cret@" + addr + "/simple/", strings.Replace(srv.URL, "http://", "http://user:s3cret@", 1)} {
		_, err := c.Get(context.Background(), u, nil, 10)
		var e *Error
		if err == nil || strings.Contains(err.Error(), "s3cret") || (errors.As(err, &e) && strings.Contains(e.URL, "s3cret")) {
			t.Errorf("%v (%+v) shows the password", err, e)
		}
	}
}

func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"0", "1", "120", "-1", "99999999999999999999", "Wed, 21 Oct 2015 07:28:00 GMT", "", " 5 "} {
		f.Add(s)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		if d := retryAfter(s, now); d < 0 || d > 24*time.Hour {
			t.Errorf("retryAfter(%q) = %v", s, d)
		}
	})
}
