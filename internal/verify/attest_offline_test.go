package verify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pyvet/pyvet/internal/httpx"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/verify/pep740"
	"github.com/pyvet/pyvet/internal/verify/sigstore"
)

// lockedInventory is pkgs packages with files distribution files each, every
// file with a sha256, as a lockfile records them.
func lockedInventory(pkgs, files int) *inventory.Inventory {
	inv := &inventory.Inventory{}
	for i := 0; i < pkgs; i++ {
		p := &inventory.Package{Name: fmt.Sprintf("pkg%d", i), Version: "1.0"}
		for k := 0; k < files; k++ {
			p.Files = append(p.Files, inventory.File{
				Name:   fmt.Sprintf("pkg%d-1.0-py3-none-any-%d.whl", i, k),
				Hashes: []string{"sha256:" + strings.Repeat(fmt.Sprintf("%02x", (i+k)%256), 32)},
			})
		}
		inv.Packages = append(inv.Packages, p)
	}
	return inv
}

func embeddedRoot(t *testing.T) *sigstore.Root {
	t.Helper()
	r, err := sigstore.EmbeddedRoot()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestAttestOfflineIsOneNote: offline, no request is made, no file gets a
// finding of its own, none is attested, and one error says why for the run.
func TestAttestOfflineIsOneNote(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.NotFound(w, r)
	}))
	defer srv.Close()
	inv := lockedInventory(354, 3) // 1,062 files, as sigstore-python's uv.lock
	client := &pep740.Client{BaseURL: srv.URL, HTTP: httpx.New(httpx.Options{Offline: true})}
	fs, rs, err := AttestInventory(context.Background(), inv, AttestOptions{Client: client, Root: embeddedRoot(t)})
	if hits.Load() != 0 {
		t.Errorf("offline: %d requests reached the index", hits.Load())
	}
	if len(fs) != 0 {
		t.Errorf("offline: %d findings, want none (one note for the run); first %+v", len(fs), fs[0])
	}
	var nc *NotCheckedError
	if !errors.As(err, &nc) || !errors.Is(err, httpx.ErrOffline) || err.Error() != "attestations not checked: offline (1,062 files)" {
		t.Fatalf("offline: err = %v, want one NotCheckedError wrapping ErrOffline", err)
	}
	if len(rs) != 1062 {
		t.Fatalf("%d results, want 1062", len(rs))
	}
	for _, r := range rs {
		if r.Status != "unchecked" {
			t.Fatalf("offline result %+v, want unchecked", r)
		}
	}
	if s := AttestSummary(rs); !strings.Contains(s, "0 attested") || !strings.Contains(s, "1062 unchecked") {
		t.Errorf("summary %q", s)
	}
}

// TestAttestDeadIndexStops: an index that refuses connections is given up on
// after the circuit breaker's few attempts, not asked once per file.
func TestAttestDeadIndexStops(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	dead := srv.URL
	srv.Close() // the port now refuses connections
	var dials atomic.Int64
	hc := httpx.New(httpx.Options{Retries: -1, BreakAfter: 3,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}})
	inv := lockedInventory(200, 2)
	fs, rs, err := AttestInventory(context.Background(), inv, AttestOptions{Client: &pep740.Client{BaseURL: dead, HTTP: hc}, Root: embeddedRoot(t), Concurrency: 4})
	if len(fs) != 0 {
		t.Errorf("dead index: %d findings, want none; first %+v", len(fs), fs[0])
	}
	var nc *NotCheckedError
	if !errors.As(err, &nc) || !errors.Is(err, httpx.ErrUnreachable) || nc.Files != 400 || nc.Total != 400 ||
		!strings.Contains(err.Error(), "connection refused") || !strings.HasSuffix(err.Error(), "(400 files)") {
		t.Fatalf("dead index: err = %v", err)
	}
	if got := dials.Load(); got > 8 {
		t.Errorf("dead index: %d connection attempts for 400 files, want at most the in-flight ones", got)
	}
	for _, r := range rs {
		if r.Status != "unchecked" {
			t.Fatalf("dead index result %+v, want unchecked", r)
		}
	}
}

// TestAttestPerFileErrorStaysPerFile: a failure of one file (an HTTP error)
// is that file's finding; it does not stop the run.
func TestAttestPerFileErrorStaysPerFile(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/pkg0/") {
			http.Error(w, "boom", http.StatusForbidden)
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	inv := lockedInventory(5, 1)
	fs, rs, err := AttestInventory(context.Background(), inv, AttestOptions{Client: &pep740.Client{BaseURL: srv.URL, Retries: -1}, Root: embeddedRoot(t)})
	if err != nil {
		t.Fatalf("err = %v, want none: no failure is shared by the run", err)
	}
	rules := map[string]int{}
	for _, f := range fs {
		rules[f.Rule]++
	}
	if rules["attestation-unchecked"] != 1 || rules["attestation-missing"] != 4 || len(rs) != 5 {
		t.Errorf("findings by rule %v, results %d", rules, len(rs))
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1062: "1,062", 1234567: "1,234,567"} {
		if got := count(n); got != want {
			t.Errorf("count(%d) = %q, want %q", n, got, want)
		}
	}
}
