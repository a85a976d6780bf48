package osvclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/safeio"
)

// totalAlloc returns the bytes f allocated (in every goroutine, the test
// servers' too).
func totalAlloc(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// writeHuge writes an OSV entry of about size bytes without holding it,
// stopping when the client hangs up.
func writeHuge(w io.Writer, size int) {
	chunk := []byte(strings.Repeat("a", 64<<10))
	if _, err := io.WriteString(w, `{"id":"X-1","details":"`); err != nil {
		return
	}
	for n := 0; n < size; n += len(chunk) {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
	_, _ = io.WriteString(w, `"}`)
}

// TestOversizedAdvisory serves a 120 MB advisory, with and without a
// Content-Length: the client stops at its entry limit with an error naming
// the URL, and allocates a small multiple of the limit, not of the answer.
func TestOversizedAdvisory(t *testing.T) {
	const size = 120 << 20
	for _, declare := range []bool{false, true} {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch {
			case r.URL.Path == "/v1/querybatch":
				io.WriteString(w, `{"results":[{"vulns":[{"id":"X-1"}]}]}`)
			case strings.HasPrefix(r.URL.Path, "/v1/vulns/"):
				if declare {
					w.Header().Set("Content-Length", strconv.Itoa(size+26))
				}
				writeHuge(w, size)
			}
		}))
		c, err := New(ts.URL, WithRetries(2, time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		inv := &inventory.Inventory{Packages: []*inventory.Package{{Name: "a", Version: "1"}}}
		var auditErr error
		alloc := totalAlloc(func() { _, auditErr = Audit(context.Background(), c, inv) })
		var tl *safeio.TooLargeError
		if !errors.As(auditErr, &tl) || tl.Limit != DefaultEntryBytes || !strings.Contains(auditErr.Error(), ts.URL+"/v1/vulns/X-1") {
			t.Errorf("declared length %v: err %v, want the entry limit naming the URL", declare, auditErr)
		}
		t.Logf("declared length %v: %d KB allocated", declare, alloc>>10)
		// Reading up to the 4 MiB limit costs about 10 MB (20 MB with -race);
		// reading the answer would cost over 120 MB.
		if alloc > size/4 {
			t.Errorf("declared length %v: a 120 MB advisory cost %d MB", declare, alloc>>20)
		}
		ts.Close()
	}
}

// TestOversizedEntryInQuery: a /v1/query answer carrying an advisory above
// the entry limit is an error naming the query.
func TestOversizedEntryInQuery(t *testing.T) {
	big := `{"id":"X-1","details":"` + strings.Repeat("a", 4096) + `"}`
	ts, _ := flaky(t, 0, 0, nil, `{"vulns":[`+big+`]}`)
	c, _ := New(ts.URL, WithLimits(Limits{EntryBytes: 1024}))
	_, err := c.Query(context.Background(), PyPIQuery("demo", "1.0"))
	if err == nil || !strings.Contains(err.Error(), `"demo@1.0"`) || !strings.Contains(err.Error(), "1 KiB") {
		t.Errorf("err = %v", err)
	}
}

// pager answers every request with a page of fresh ids and a fresh token,
// forever, and counts the requests.
func pager(t *testing.T, perPage int) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page := n.Add(1)
		var b strings.Builder
		if r.URL.Path == "/v1/querybatch" {
			b.WriteString(`{"results":[{"vulns":[`)
		} else {
			b.WriteString(`{"vulns":[`)
		}
		for i := range perPage {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"id":"PYSEC-%d-%d","modified":"2024-01-01T00:00:00Z"}`, page, i)
		}
		fmt.Fprintf(&b, `],"next_page_token":"t%d"}`, page)
		if r.URL.Path == "/v1/querybatch" {
			b.WriteString(`]}`)
		}
		io.WriteString(w, b.String())
	}))
	t.Cleanup(ts.Close)
	return ts, &n
}

// TestEndlessPaging: a service that hands out new page tokens forever is cut
// off after Limits.Pages pages, with an error naming the query, and what
// was gathered until then stays small.
func TestEndlessPaging(t *testing.T) {
	ts, n := pager(t, 1000)
	c, _ := New(ts.URL, WithRetries(0, 0))
	var err error
	alloc := totalAlloc(func() { _, err = c.QueryBatch(context.Background(), []Query{PyPIQuery("demo", "1.0")}) })
	if err == nil || !strings.Contains(err.Error(), "more than 100 pages") || !strings.Contains(err.Error(), `"demo@1.0"`) {
		t.Errorf("QueryBatch: %v", err)
	}
	if n.Load() != DefaultPages {
		t.Errorf("QueryBatch: %d requests, want %d", n.Load(), DefaultPages)
	}
	t.Logf("QueryBatch: %d MB allocated over %d pages", alloc>>20, n.Load())
	// 100 pages of 1,000 refs are about 6 MB of answers.
	if alloc > 128<<20 {
		t.Errorf("QueryBatch: %d MB allocated over endless pages", alloc>>20)
	}

	n.Store(0)
	c, _ = New(ts.URL, WithRetries(0, 0), WithLimits(Limits{Pages: 7}))
	if _, err := c.Query(context.Background(), PyPIQuery("demo", "")); err == nil || !strings.Contains(err.Error(), "more than 7 pages") || n.Load() != 7 {
		t.Errorf("Query: %v after %d requests", err, n.Load())
	}
	// Fetch stops at the page limit too, before fetching any entry.
	n.Store(0)
	inv := &inventory.Inventory{Packages: []*inventory.Package{{Name: "demo", Version: "1.0"}}}
	if _, err := Fetch(context.Background(), c, inv); err == nil || n.Load() != 7 {
		t.Errorf("Fetch: %v after %d requests", err, n.Load())
	}
}

// TestTotalBytesPerRun: answers that each fit their limit but together pass
// the run's total are refused once the total is spent.
func TestTotalBytesPerRun(t *testing.T) {
	ts, n := pager(t, 1000) // about 60 KB a page
	c, _ := New(ts.URL, WithRetries(0, 0), WithLimits(Limits{TotalBytes: 1 << 20, Pages: 1000}))
	_, err := c.QueryBatch(context.Background(), []Query{PyPIQuery("demo", "1.0")})
	var tl *safeio.TooLargeError
	if !errors.As(err, &tl) || tl.Limit != 1<<20 || !strings.Contains(err.Error(), "all answers of this run") {
		t.Errorf("err = %v", err)
	}
	if got := n.Load(); got < 10 || got > 20 {
		t.Errorf("%d pages read within a 1 MiB total", got)
	}
}

// TestHostileErrorAnswers: error bodies are read only up to a small cap,
// and error messages quote an excerpt of what the service said.
func TestHostileErrorAnswers(t *testing.T) {
	huge := strings.Repeat("x", 10<<20)
	var written atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		for _, part := range []string{`{"code":3,"message":"`, huge, `"}`} {
			k, err := io.WriteString(w, part)
			written.Add(int64(k))
			if err != nil {
				return
			}
		}
	}))
	defer ts.Close()
	c, _ := New(ts.URL, WithRetries(0, 0))
	var err error
	alloc := totalAlloc(func() { _, err = c.Query(context.Background(), PyPIQuery("a", "1")) })
	var se *StatusError
	if !errors.As(err, &se) || se.Status != 400 || len(err.Error()) > 400 {
		t.Errorf("err (%d bytes) = %.300s", len(err.Error()), err)
	}
	if alloc > 4<<20 {
		t.Errorf("a 10 MB error answer cost %d MB", alloc>>20)
	}
}

// TestHostileIDs: ids no service uses are refused with a short message, and
// Fetch refuses more advisories than its limit.
func TestHostileIDs(t *testing.T) {
	for _, id := range []string{strings.Repeat("A", 1<<20), "a b", "", "x\x00y"} {
		b, _ := json.Marshal(BatchResponse{Results: []BatchResult{{Vulns: []VulnRef{{ID: id}}}}})
		ts, _ := flaky(t, 0, 0, nil, string(b))
		c, _ := New(ts.URL, WithRetries(0, 0))
		_, err := c.QueryBatch(context.Background(), []Query{PyPIQuery("a", "1")})
		if err == nil || !strings.Contains(err.Error(), "invalid advisory id") || len(err.Error()) > 300 {
			t.Errorf("id %.40q: %.300v", id, err)
		}
	}
	var refs []VulnRef
	for i := range 20 {
		refs = append(refs, VulnRef{ID: fmt.Sprintf("X-%d", i)})
	}
	b, _ := json.Marshal(BatchResponse{Results: []BatchResult{{Vulns: refs}}})
	var gets atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/querybatch" {
			w.Write(b)
			return
		}
		gets.Add(1)
		w.WriteHeader(404)
	}))
	defer ts.Close()
	c, _ := New(ts.URL, WithLimits(Limits{Advisories: 10}))
	inv := &inventory.Inventory{Packages: []*inventory.Package{{Name: "a", Version: "1"}}}
	if _, err := Fetch(context.Background(), c, inv); err == nil || !strings.Contains(err.Error(), "more than 10 advisories") || gets.Load() != 0 {
		t.Errorf("Fetch: %v after %d entry requests", err, gets.Load())
	}
}

// TestSourceWritesNoFiles: a service's answers are indexed in memory; no
// file is written, whether they are valid or not, and broken or invalid
// entries are refused naming the advisory.
func TestSourceWritesNoFiles(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	left := func(when string) {
		t.Helper()
		if files, _ := os.ReadDir(dir); len(files) != 0 {
			t.Errorf("%s: %d files left in the temporary directory (%s)", when, len(files), files[0].Name())
		}
	}
	db, err := sourceFrom("http://mirror.test", map[string]json.RawMessage{"X-1": json.RawMessage(`{"id":"X-1","affected":[]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if db.Len() != 1 || db.Meta().Source != "http://mirror.test" {
		t.Errorf("source: %d advisories from %q", db.Len(), db.Meta().Source)
	}
	db.Close()
	left("success")
	if _, err := sourceFrom("http://mirror.test", map[string]json.RawMessage{"X-2": json.RawMessage(`{"id":`)}); err == nil || !strings.Contains(err.Error(), "X-2") {
		t.Errorf("a broken entry: %v", err)
	}
	left("broken entry")
	if _, err := sourceFrom("http://mirror.test", map[string]json.RawMessage{"X-3": json.RawMessage(`{"id":"X-3","affected":[{"ranges":[{"events":[]}]}]}`)}); err == nil || !strings.Contains(err.Error(), "X-3") {
		t.Errorf("an invalid entry: %v", err)
	}
	left("invalid entry")
	empty, err := sourceFrom("http://mirror.test", nil)
	if err != nil || empty.Len() != 0 {
		t.Fatalf("no answers: %v", err)
	}
	left("no answers")
}
