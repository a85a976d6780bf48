package pep740

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/httpx"
)

func TestIntegrityBaseFor(t *testing.T) {
	for in, want := range map[string]string{
		"https://pypi.org/simple":          "https://pypi.org",
		"https://pypi.org/simple/":         "https://pypi.org",
		"https://test.pypi.org/simple":     "https://test.pypi.org",
		"https://pkgs.example/api/private": "",
	} {
		if got := IntegrityBaseFor(in); got != want {
			t.Errorf("IntegrityBaseFor(%s) = %q, want %q", in, got, want)
		}
	}
	c := &Client{IndexURL: "https://pkgs.example/api/private"}
	if _, err := c.Provenance(context.Background(), "x", "1", "x-1.tar.gz"); !errors.Is(err, ErrNoIntegrityAPI) {
		t.Errorf("underivable integrity API: %v", err)
	}
}

func TestProvenanceFromIndexURL(t *testing.T) {
	var path atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path.Store(r.URL.Path)
		http.NotFound(w, r)
	}))
	defer srv.Close()
	c := &Client{IndexURL: srv.URL + "/simple/"}
	if _, err := c.Provenance(context.Background(), "demo", "1.0", "demo-1.0.tar.gz"); !errors.Is(err, ErrNoProvenance) {
		t.Fatalf("err = %v", err)
	}
	if p := path.Load(); p != "/integrity/demo/1.0/demo-1.0.tar.gz/provenance" {
		t.Errorf("asked %v", p)
	}
}

func TestProvenanceOfflineAndUnreachable(t *testing.T) {
	var dials atomic.Int64
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	off := &Client{IndexURL: "http://" + addr + "/simple", HTTP: httpx.New(httpx.Options{Offline: true, DialContext: dial})}
	if _, err := off.Provenance(context.Background(), "x", "1", "x-1.tar.gz"); !errors.Is(err, httpx.ErrOffline) {
		t.Errorf("offline: %v", err)
	}
	if dials.Load() != 0 {
		t.Fatalf("offline client dialled %d times", dials.Load())
	}
	dead := &Client{IndexURL: "http://" + addr + "/simple", HTTP: httpx.New(httpx.Options{DialContext: dial, Backoff: time.Millisecond})}
	for i := 0; i < 20; i++ {
		if _, err := dead.Provenance(context.Background(), "x", "1", "x-1.tar.gz"); !errors.Is(err, httpx.ErrUnreachable) {
			t.Fatalf("unreachable: %v", err)
		}
	}
	if d := dials.Load(); d != int64(httpx.DefaultBreakAfter) {
		t.Errorf("%d connection attempts for 20 files, want %d", d, httpx.DefaultBreakAfter)
	}
}
