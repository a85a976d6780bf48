package httpx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestErrNetworkMatchesEveryNetworkFailure: each way a request gets no
// usable answer matches ErrNetwork; offline mode and ordinary answers do not.
func TestErrNetworkMatchesEveryNetworkFailure(t *testing.T) {
	ctx := context.Background()
	dead := closedPort(t)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer slow.Close()
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer tlsSrv.Close()
	dnsFail := func(ctx context.Context, network, addr string) (net.Conn, error) {
		return nil, &net.DNSError{Err: "no such host", Name: "advisories.invalid", IsNotFound: true}
	}
	cases := []struct {
		name   string
		c      *Client
		url    string
		reason string
	}{
		{"dns", testClient(Options{Retries: -1, DialContext: dnsFail}), "http://advisories.invalid/x", "advisories.invalid: no such host"},
		{"connect", testClient(Options{Retries: -1}), "http://" + dead + "/x", dead + ": connection refused"},
		{"tls", testClient(Options{Retries: -1}), tlsSrv.URL, "certificate"},
		{"timeout", testClient(Options{Retries: -1, Timeout: 50 * time.Millisecond}), slow.URL, "no answer within 50ms"},
	}
	for _, tc := range cases {
		_, err := tc.c.Get(ctx, tc.url, nil, 100)
		t.Logf("%s: %v", tc.name, err)
		if !errors.Is(err, ErrNetwork) {
			t.Errorf("%s: %v does not match ErrNetwork", tc.name, err)
		}
		if err == nil || !strings.Contains(err.Error(), tc.reason) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one line with %q", tc.name, err, tc.reason)
		}
	}
	off := testClient(Options{Offline: true})
	if _, err := off.Get(ctx, "http://"+dead+"/x", nil, 100); !errors.Is(err, ErrOffline) || errors.Is(err, ErrNetwork) {
		t.Errorf("offline: %v, want ErrOffline and not ErrNetwork", err)
	}
	for status, want := range map[int]bool{503: true, 500: true, 502: true, 429: true, 404: false, 403: false, 501: false, 400: false} {
		if got := errors.Is(&StatusError{URL: "u", Status: status}, ErrNetwork); got != want {
			t.Errorf("StatusError %d: ErrNetwork %v, want %v", status, got, want)
		}
	}
	// Wrapped errors keep it.
	_, err := testClient(Options{Retries: -1}).Get(ctx, "http://"+dead+"/x", nil, 100)
	if w := errors.Join(errors.New("other"), err); !errors.Is(w, ErrNetwork) {
		t.Errorf("joined: %v", w)
	}
}

// TestOneRequestToADeadHostIsOneError: a single request stops retrying as
// soon as its host is given up on, and says why in its own error: no note.
// The first request the breaker refuses sends the one note.
func TestOneRequestToADeadHostIsOneError(t *testing.T) {
	addr := closedPort(t)
	var d countingDialer
	var mu sync.Mutex
	var notes []string
	c := testClient(Options{Retries: 5, BreakAfter: 3, DialContext: d.dial, Notes: func(s string) {
		mu.Lock()
		notes = append(notes, s)
		mu.Unlock()
	}})
	_, err := c.Get(context.Background(), "http://"+addr+"/all.zip", nil, 100)
	if got := d.n.Load(); got != 3 {
		t.Errorf("%d connection attempts, want 3 (the breaker's count, not the 6 attempts)", got)
	}
	if !errors.Is(err, ErrUnreachable) || errors.Is(err, ErrCircuitOpen) || err.Error() != addr+": connection refused" {
		t.Errorf("error %v, want the refused connection itself", err)
	}
	if len(notes) != 0 {
		t.Errorf("notes %q after one request, want none: its error says it", notes)
	}
	for i := 0; i < 3; i++ {
		if _, err := c.Get(context.Background(), "http://"+addr+"/other", nil, 100); !errors.Is(err, ErrCircuitOpen) {
			t.Errorf("later request: %v, want ErrCircuitOpen", err)
		}
	}
	if len(notes) != 1 || notes[0] != addr+": connection refused (3 failed connections); not asking it again in this run" {
		t.Errorf("notes %q, want one when a request is first refused", notes)
	}
	if d.n.Load() != 3 {
		t.Errorf("%d connection attempts, want 3", d.n.Load())
	}
}

// TestCutOffEveryTimeIsANetworkFailure: a Fetch whose every attempt is cut
// off (the callback's Transient error) returns that error, matching
// ErrNetwork; a callback's other errors do not match it.
func TestCutOffEveryTimeIsANetworkFailure(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	c := testClient(Options{Retries: 2})
	fetch := func(cb error) error {
		req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		err = c.Fetch(req, func(*http.Response) error { n++; return cb })
		if cb != nil && errors.Is(cb, errCut) && n != 3 {
			t.Errorf("%d attempts, want 3", n)
		}
		return err
	}
	err := fetch(Transient(fmt.Errorf("download truncated: %w", errCut)))
	if !errors.Is(err, ErrNetwork) || !errors.Is(err, errCut) || err.Error() != "download truncated: cut" {
		t.Errorf("cut off every time: %v, want the callback's message matching ErrNetwork", err)
	}
	if err := fetch(errors.New("not a zip")); err == nil || errors.Is(err, ErrNetwork) {
		t.Errorf("callback error: %v, want it as it is", err)
	}
}

var errCut = errors.New("cut")
