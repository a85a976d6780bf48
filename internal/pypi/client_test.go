package pypi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/httpx"
	"github.com/pyvet/pyvet/internal/pypi/pypitest"
)

func fixtureServer(t *testing.T, cacheControl string) *pypitest.Server {
	return pypitest.New(t, pypitest.Layout{ProjectJSON: filepath.Join("testdata", "pypi"), CacheControl: cacheControl})
}

func newTestClient(srv *httptest.Server, cache string) *Client {
	return New(Options{JSONURL: srv.URL + "/pypi", SimpleURL: srv.URL + "/simple", CacheDir: cache, Backoff: time.Millisecond, Timeout: 2 * time.Second})
}

func TestProjectFixture(t *testing.T) {
	srv := fixtureServer(t, "")
	c := newTestClient(srv.Server, t.TempDir())
	p, err := c.Project(context.Background(), "DEMO")
	if err != nil {
		t.Fatal(err)
	}
	if p.Info.Name != "Demo" || p.Info.Version != "2.0.0" {
		t.Fatalf("info = %+v", p.Info)
	}
	rels := map[string]Release{}
	for _, r := range p.ReleaseList() {
		rels[r.Version] = r
	}
	if len(rels) != 3 {
		t.Fatalf("releases with files = %d, want 3 (1.1.0 has none)", len(rels))
	}
	if r := rels["0.9.0"]; !r.Yanked || r.YankedReason != "broken build" {
		t.Errorf("0.9.0 = %+v, want yanked with reason", r)
	}
	r := rels["1.0.0"]
	if r.Yanked || r.Size != 5000 || !r.Uploaded.Equal(time.Date(2021, 5, 31, 23, 0, 0, 0, time.UTC)) {
		t.Errorf("1.0.0 = yanked %v size %d uploaded %v", r.Yanked, r.Size, r.Uploaded)
	}
}

func TestMissingFieldsAndBadJSON(t *testing.T) {
	srv := fixtureServer(t, "")
	c := newTestClient(srv.Server, "")
	p, err := c.Project(context.Background(), "bare")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.ReleaseList()) != 0 || p.Info.License != "" || p.Info.Classifiers != nil {
		t.Errorf("bare = %+v", p)
	}
	_, err = c.Project(context.Background(), "broken")
	if err == nil || !strings.Contains(err.Error(), "/pypi/broken/json") {
		t.Errorf("broken JSON: err = %v, want one naming the URL", err)
	}
}

func TestNotFoundIsCached(t *testing.T) {
	srv := fixtureServer(t, "")
	c := newTestClient(srv.Server, t.TempDir())
	for range 2 {
		if _, err := c.Project(context.Background(), "no-such-project"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	}
	if n := srv.Requests.Load(); n != 1 {
		t.Errorf("requests = %d, want 1 (404 cached)", n)
	}
	ok, err := c.Exists(context.Background(), srv.URL+"/simple", "no-such-project")
	if ok || err != nil {
		t.Errorf("Exists = %v, %v", ok, err)
	}
}

func TestCacheFreshRevalidateOffline(t *testing.T) {
	dir := t.TempDir()
	srv := fixtureServer(t, "max-age=0")
	c := newTestClient(srv.Server, dir)
	ctx := context.Background()
	if _, err := c.Project(ctx, "demo"); err != nil {
		t.Fatal(err)
	}
	// max-age=0: the second call revalidates with the ETag and gets a 304.
	if _, err := c.Project(ctx, "demo"); err != nil {
		t.Fatal(err)
	}
	if srv.Requests.Load() != 2 || srv.NotModified.Load() != 1 {
		t.Fatalf("requests=%d notModified=%d, want 2 and 1", srv.Requests.Load(), srv.NotModified.Load())
	}
	// A fresh response (default lifetime) is served from the cache without a request.
	srv2 := fixtureServer(t, "")
	c2 := newTestClient(srv2.Server, t.TempDir())
	for range 3 {
		if _, err := c2.Project(ctx, "demo"); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv2.Requests.Load(); n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}
	// Offline: cached entries are used whatever their age; others are "not cached".
	off := New(Options{JSONURL: srv.URL + "/pypi", CacheDir: dir, Offline: true})
	before := srv.Requests.Load()
	if p, err := off.Project(ctx, "demo"); err != nil || p.Info.Name != "Demo" {
		t.Fatalf("offline cached: %v %v", p, err)
	}
	if _, err := off.Project(ctx, "bare"); !errors.Is(err, ErrNotCached) {
		t.Errorf("offline uncached: err = %v, want ErrNotCached", err)
	}
	if srv.Requests.Load() != before {
		t.Error("offline client made a request")
	}
}

func TestRetryAfter500(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(`{"info":{"name":"x","version":"1"}}`))
	}))
	defer srv.Close()
	c := newTestClient(srv, "")
	p, err := c.Project(context.Background(), "x")
	if err != nil || p.Info.Name != "x" {
		t.Fatalf("got %v, %v", p, err)
	}
	if n.Load() != 2 {
		t.Errorf("requests = %d, want 2", n.Load())
	}
}

func TestRetriesExhaustedAndClientError(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if strings.Contains(r.URL.Path, "forbidden") {
			http.Error(w, "no", http.StatusForbidden)
			return
		}
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	defer srv.Close()
	c := New(Options{JSONURL: srv.URL, Retries: 2, Backoff: time.Millisecond})
	_, err := c.Project(context.Background(), "x")
	var he *HTTPError
	if !errors.As(err, &he) || he.Status != 500 || n.Load() != 3 {
		t.Fatalf("err = %v after %d requests, want HTTP 500 after 3", err, n.Load())
	}
	n.Store(0)
	_, err = c.Project(context.Background(), "forbidden")
	if !errors.As(err, &he) || he.Status != 403 || n.Load() != 1 {
		t.Fatalf("err = %v after %d requests, want HTTP 403 without retry", err, n.Load())
	}
}

func TestSlowServerTimesOut(t *testing.T) {
	release := make(chan struct{})
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c := New(Options{JSONURL: srv.URL, Timeout: 50 * time.Millisecond, Retries: 1, Backoff: time.Millisecond})
	_, err := c.Project(context.Background(), "slow")
	var he *httpx.Error
	if !errors.As(err, &he) || !he.Timeout() || n.Load() != 2 {
		t.Fatalf("err = %v after %d requests, want a timeout after 2", err, n.Load())
	}
}

func TestUnreachableIndexFailsFastWithOneCause(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var dials atomic.Int64
	hc := httpx.New(httpx.Options{Backoff: time.Millisecond, BreakAfter: 3, DialContext: func(ctx context.Context, network, a string) (net.Conn, error) {
		dials.Add(1)
		return (&net.Dialer{}).DialContext(ctx, network, a)
	}})
	c := New(Options{SimpleURL: "http://" + addr + "/simple", HTTP: hc, Concurrency: 8})
	names := make([]string, 200)
	for i := range names {
		names[i] = fmt.Sprintf("pkg-%d", i)
	}
	res, err := c.Projects(context.Background(), names)
	if err != nil {
		t.Fatal(err)
	}
	causes := map[string]int{}
	for _, r := range res {
		causes[r.Err.Error()]++
	}
	want := addr + ": connection refused"
	if len(res) != 200 || causes[want] != 200 {
		t.Errorf("causes %v, want all 200 as %q", causes, want)
	}
	if d := dials.Load(); d > 3+8 {
		t.Errorf("%d connection attempts for 200 projects, want at most 11", d)
	}
}

func TestStaleCacheUsedWhenIndexFails(t *testing.T) {
	dir := t.TempDir()
	var fail atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		w.Header().Set("Cache-Control", "max-age=0")
		_, _ = w.Write([]byte(`{"info":{"name":"x","version":"1"}}`))
	}))
	defer srv.Close()
	c := New(Options{JSONURL: srv.URL, CacheDir: dir, Retries: -1})
	if _, err := c.Project(context.Background(), "x"); err != nil {
		t.Fatal(err)
	}
	fail.Store(true)
	if p, err := c.Project(context.Background(), "x"); err != nil || p.Info.Version != "1" {
		t.Fatalf("stale fallback: %v %v", p, err)
	}
}

func TestProjectsBatch(t *testing.T) {
	srv := fixtureServer(t, "")
	c := newTestClient(srv.Server, "")
	res, err := c.Projects(context.Background(), []string{"demo", "Demo", "bare", "missing"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 {
		t.Fatalf("results = %d, want 3 (names normalized)", len(res))
	}
	if res["demo"].Project == nil || res["bare"].Project == nil || !errors.Is(res["missing"].Err, ErrNotFound) {
		t.Errorf("results = %+v", res)
	}
}

func TestForIndexes(t *testing.T) {
	c := New(Options{})
	p, extras := c.ForIndexes("https://example.org/root/pypi/+simple/", []string{"https://pypi.org/simple", "https://example.org/root/pypi/+simple"})
	if p.Options().SimpleURL != "https://example.org/root/pypi/+simple" || p.Options().JSONURL != "https://example.org/root/pypi" {
		t.Errorf("primary = %+v", p.Options())
	}
	if len(extras) != 1 || extras[0] != "https://pypi.org/simple" {
		t.Errorf("extras = %v", extras)
	}
	for in, want := range map[string]string{
		"https://art.example/api/pypi/pypi-remote/simple": "https://art.example/api/pypi/pypi-remote/pypi",
		"https://pypi.org/simple/":                        "https://pypi.org/pypi",
		"https://example.org/root/pypi/+simple":           "https://example.org/root/pypi",
		"https://pkgs.example/private":                    "",
	} {
		if got := JSONURLFor(in); got != want {
			t.Errorf("JSONURLFor(%s) = %q, want %q", in, got, want)
		}
	}
	// An index whose JSON API cannot be derived says so instead of guessing.
	other := New(Options{SimpleURL: "https://pkgs.example/private", Offline: true})
	if _, err := other.Project(context.Background(), "x"); !errors.Is(err, ErrNoJSONAPI) {
		t.Errorf("underivable JSON API: %v", err)
	}
}
