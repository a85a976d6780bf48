package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pyvet/pyvet/internal/pypi/pypitest"
)

// TestAuditAllDeadIndexIsBounded: with the index unreachable, audit --all on
// 200 packages opens a bounded number of connections, returns, and says so in
// one line per check and one note on standard error.
func TestAuditAllDeadIndexIsBounded(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var dials atomic.Int64
	var notes strings.Builder
	hooks := &app{httpNotes: &notes, httpDial: func(ctx context.Context, network, a string) (net.Conn, error) {
		dials.Add(1)
		return (&net.Dialer{}).DialContext(ctx, network, a)
	}}
	var reqs strings.Builder
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&reqs, "package-%03d==1.0\n", i)
	}
	out, errs, code := runPyvetApp(t, hooks, "--cache-dir", t.TempDir(), "-q", "audit", "--no-deps", "--db", fixtureDB, "-r", writeReqs(t, reqs.String()),
		"--all", "--index-url", "http://"+addr+"/simple", "--timeout", "5s", "-f", "json")
	if code == 2 {
		t.Fatalf("exit 2: %s", errs)
	}
	var rep struct {
		Notes []string `json:"notes"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	cause := addr + ": connection refused"
	n := 0
	for _, note := range rep.Notes {
		if strings.Contains(note, cause) {
			n++
			if !strings.Contains(note, "200 package(s)") || !strings.Contains(note, "and 197 more") || len(note) > 200 {
				t.Errorf("note %q: want the count and three names", note)
			}
		}
	}
	if n != 4 { // cooldown, health, license, size
		t.Errorf("%d notes name the cause, want 4: %q", n, rep.Notes)
	}
	if c := strings.Count(notes.String(), "not asking it again"); c != 1 || !strings.Contains(notes.String(), cause) {
		t.Errorf("stderr says %d times that the host is given up on, want once: %s", c, notes.String())
	}
	t.Logf("%d connection attempts for 200 packages", dials.Load())
	// Three failures open the breaker; at most one more per parallel lookup.
	if d := dials.Load(); d > 3+8 {
		t.Errorf("%d connection attempts to the dead index, want at most 11", d)
	}
}

// TestOfflineNeverDials: --offline reaches every network path; nothing is dialled.
func TestOfflineNeverDials(t *testing.T) {
	var dials atomic.Int64
	hooks := &app{httpDial: func(ctx context.Context, network, a string) (net.Conn, error) {
		dials.Add(1)
		return nil, fmt.Errorf("dialled %s offline", a)
	}}
	reqs := writeReqs(t, "flask==2.0.0 --hash=sha256:"+strings.Repeat("a", 64)+"\n")
	_, errs, code := runPyvetApp(t, hooks, "--cache-dir", t.TempDir(), "-q", "--offline", "audit", "--no-deps", "--db", fixtureDB, "-r", reqs, "--all", "--attestations", "-f", "json")
	if code == 2 {
		t.Fatalf("exit 2: %s", errs)
	}
	if dials.Load() != 0 {
		t.Errorf("%d connections opened with --offline", dials.Load())
	}
}

// TestAuditIndexURLDerivation: --index-url is a Simple API base; an index
// whose JSON API cannot be derived from it says so, and --json-url sets it.
func TestAuditIndexURLDerivation(t *testing.T) {
	srv := pypitest.New(t, pypitest.Layout{ProjectJSON: filepath.Join("..", "..", "internal", "pypi", "testdata", "pypi")})
	reqs := writeReqs(t, "demo==1.0.0\n")
	notes := func(extra ...string) []string {
		args := append([]string{"--cache-dir", t.TempDir(), "-q", "audit", "--no-deps", "--db", fixtureDB, "-r", reqs, "--all", "-f", "json"}, extra...)
		out, errs, code := runPyvet(t, args...)
		if code == 2 {
			t.Fatalf("%v: exit 2: %s", extra, errs)
		}
		var rep struct {
			Notes []string `json:"notes"`
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		return rep.Notes
	}
	joined := strings.Join(notes("--index-url", srv.URL+"/private"), "\n")
	if !strings.Contains(joined, "JSON API of this index is unknown") {
		t.Errorf("underivable JSON API not reported: %s", joined)
	}
	for _, n := range notes("--index-url", srv.URL+"/private", "--json-url", srv.URL+"/pypi") {
		if strings.Contains(n, "health:") {
			t.Errorf("with --json-url: %s", n)
		}
	}
	for _, n := range notes("--index-url", srv.URL+"/simple") {
		if strings.Contains(n, "health:") {
			t.Errorf("derived from /simple: %s", n)
		}
	}
	if srv.Requests.Load() == 0 {
		t.Error("the index was never asked")
	}
}
