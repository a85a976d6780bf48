package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/httpx"
)

// runExit runs pyvet as main does: the exit status and the message main
// prints come from exitStatus. Waits between attempts are not spent.
func runExit(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	a := &app{httpSleep: func(context.Context, time.Duration) error { return nil }}
	root := a.rootCmd()
	var out, errb bytes.Buffer
	a.httpNotes = &errb
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(args)
	code, msg := exitStatus(root.Execute())
	if msg != nil {
		errb.WriteString("pyvet: " + errorLine(msg) + "\n")
	}
	return out.String(), errb.String(), code
}

// deadAddr is an address nothing listens on.
func deadAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// unavailable is a server answering every request with 503; it counts them.
func unavailable(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// oneLine reports whether s is exactly one line.
func oneLine(s string) bool {
	s = strings.TrimSuffix(s, "\n")
	return s != "" && !strings.Contains(s, "\n")
}

// TestNetworkFailureExitStatus: every command that needs the network exits
// 3 when a host is dead or a server answers 503 after the retries, with one
// line naming the host or URL and the cause (and, where one exists, the
// remedy without network).
func TestNetworkFailureExitStatus(t *testing.T) {
	deadHost := deadAddr(t)
	dead := "http://" + deadHost
	srv, hits := unavailable(t)
	reqs := writeReqs(t, "foo-bar==1.0.0\n")
	unlocked := writeReqs(t, "foo-bar>=1.0\n")
	incomplete := "pyvet: " + unlocked + ": resolution incomplete: 1 project(s) could not be read from the index: foo-bar "
	noDB := "; run `pyvet db update` (or `pyvet db update --from FILE` without network), or pass --db PATH"
	fromHint := "; without network, " + fromRemedy
	popHint := "; without network, install a copy with `pyvet pypi popularity --from FILE`"
	for _, tc := range []struct {
		name string
		args []string
		// Parts of the message against the dead port and the 503 server.
		dead, down []string
		// hint is a line said after the message.
		hint string
	}{
		{"db update", []string{"db", "update", "--url", "{base}/all.zip"},
			[]string{"pyvet: advisory update from {base}/all.zip: connection refused" + fromHint + "\n"},
			[]string{"pyvet: advisory update from {base}/all.zip: HTTP 503 Service Unavailable" + fromHint + "\n"}, ""},
		{"audit, first run", []string{"audit", "--no-deps", "-r", reqs},
			[]string{"(the download failed: advisory update from {base}/all.zip: connection refused)" + noDB + "\n"},
			[]string{"(the download failed: advisory update from {base}/all.zip: HTTP 503 Service Unavailable)" + noDB + "\n"}, ""},
		{"serve, first run", []string{"serve", "--listen", "127.0.0.1:0"},
			[]string{"(the download failed: advisory update from {base}/all.zip: connection refused)" + noDB + "\n"},
			[]string{"(the download failed: advisory update from {base}/all.zip: HTTP 503 Service Unavailable)" + noDB + "\n"}, ""},
		{"audit --service", []string{"audit", "--no-deps", "--service", "{base}", "-r", reqs},
			[]string{"pyvet: --service {base}: " + deadHost + ": connection refused\n"},
			[]string{"pyvet: --service {base}: {base}/v1/querybatch: HTTP 503"}, ""},
		{"pypi popularity", []string{"pypi", "popularity", "--url", "{base}/top.json"},
			[]string{"pyvet: popularity list: " + deadHost + ": connection refused" + popHint + "\n"},
			[]string{"pyvet: popularity list: {base}/top.json: HTTP 503 Service Unavailable" + popHint + "\n"}, ""},
		{"pypi info", []string{"pypi", "info", "--index-url", "{base}/simple", "flask"},
			[]string{"pyvet: " + deadHost + ": connection refused\n"},
			[]string{"pyvet: {base}/pypi/flask/json: HTTP 503 Service Unavailable\n"}, ""},
		{"audit of an unlocked input", []string{"audit", "--db", fixtureDB, "--index-url", "{base}/simple", "-r", unlocked},
			[]string{incomplete + "(" + deadHost + ": connection refused)\n"},
			[]string{incomplete + "({base}/simple/foo-bar/: HTTP 503 Service Unavailable)\n"}, "pyvet: " + noDepsHint + "\n"},
		{"deps --resolve", []string{"deps", "--resolve", "--index-url", "{base}/simple", unlocked},
			[]string{incomplete + "(" + deadHost + ": connection refused)\n"},
			[]string{incomplete + "({base}/simple/foo-bar/: HTTP 503 Service Unavailable)\n"}, ""},
	} {
		for _, side := range []struct {
			base  string
			parts []string
		}{{dead, tc.dead}, {srv.URL, tc.down}} {
			if side.parts == nil {
				continue
			}
			t.Setenv(advisory.EnvURL, side.base+"/all.zip")
			args := []string{"--cache-dir", t.TempDir(), "-q"}
			for _, a := range tc.args {
				args = append(args, strings.ReplaceAll(a, "{base}", side.base))
			}
			n0 := hits.Load()
			out, errs, code := runExit(t, args...)
			if tc.hint != "" {
				var ok bool
				if errs, ok = strings.CutSuffix(errs, tc.hint); !ok {
					t.Errorf("%s against %s: no hint %q after the message:\n%s", tc.name, side.base, tc.hint, errs)
				}
			}
			if code != exitNetwork || out != "" || !oneLine(errs) {
				t.Errorf("%s against %s: exit %d, want 3 and one line on stderr:\n%s%s", tc.name, side.base, code, out, errs)
				continue
			}
			for _, p := range side.parts {
				if p = strings.ReplaceAll(p, "{base}", side.base); !strings.Contains(errs, p) {
					t.Errorf("%s against %s: %q does not say %q", tc.name, side.base, errs, p)
				}
			}
			if side.base == srv.URL && hits.Load()-n0 < 2 {
				t.Errorf("%s: %d requests to the 503 server, want the retries", tc.name, hits.Load()-n0)
			}
		}
	}
}

// TestOfflineIsNotANetworkFailure: --offline refuses what needs the network
// with status 2 and says what to do instead; it never exits 3.
func TestOfflineIsNotANetworkFailure(t *testing.T) {
	reqs := writeReqs(t, "foo-bar==1.0.0\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"db", "update"}, "pyvet: db update needs the network, but --offline was given; " + fromRemedy + "\n"},
		{[]string{"audit", "--no-deps", "-r", reqs}, "; run `pyvet db update` (or `pyvet db update --from FILE` without network), or pass --db PATH\n"},
		{[]string{"pypi", "info", "flask"}, "not cached (offline mode"},
	} {
		_, errs, code := runExit(t, append([]string{"--cache-dir", t.TempDir(), "-q", "--offline"}, tc.args...)...)
		if code != exitUsage || !oneLine(errs) || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, want 2 and one line with %q:\n%s", tc.args, code, tc.want, errs)
		}
	}
}

// TestExitStatusMapping: the one mapping keeps 0 and 1, turns 2 into 3 for
// a network failure anywhere in the chain, printed or not.
func TestExitStatusMapping(t *testing.T) {
	netErr := &httpx.StatusError{URL: "https://pypi.org/simple/x/", Status: 503}
	for _, tc := range []struct {
		err  error
		code int
		msg  bool
	}{
		{nil, exitOK, false},
		{errors.New("bad file"), exitUsage, true},
		{fmt.Errorf("resolving: %w", netErr), exitNetwork, true},
		{exitWith(exitUsage, fmt.Errorf("x: %w", netErr)), exitNetwork, true},
		{exitWith(exitFindings, netErr), exitFindings, true},
		{exitWith(exitFindings, nil), exitFindings, false},
		{exitWith(exitUsage, nil), exitUsage, false},
		{exitPrinted(errors.Join(errors.New("a"), netErr)), exitNetwork, false},
		{exitPrinted(errors.New("no solution")), exitUsage, false},
		{&httpx.StatusError{URL: "u", Status: 404}, exitUsage, true},
	} {
		code, msg := exitStatus(tc.err)
		if code != tc.code || (msg != nil) != tc.msg {
			t.Errorf("%v: exit %d (message %v), want %d (message: %v)", tc.err, code, msg, tc.code, tc.msg)
		}
	}
}

// TestNetworkNeverReplacesFindings: fix plans from the advisory database;
// a dead index only leaves the plan unchecked by the resolver, with a note
// naming the cause, and the run keeps its status (1: the dry run would
// change something), not 3.
func TestNetworkNeverReplacesFindings(t *testing.T) {
	dead := deadAddr(t)
	reqs := writeReqs(t, "foo-bar==1.0.0\n")
	out, errs, code := runExit(t, "--cache-dir", t.TempDir(), "-q", "fix", "--dry-run", "--db", fixtureDB, "--index-url", "http://"+dead+"/simple", reqs)
	if code != exitFindings || !strings.Contains(out, "+foo-bar==1.5.0") || !strings.Contains(out, dead+": connection refused") {
		t.Errorf("exit %d, want 1, the plan and a note naming the cause:\n%s%s", code, out, errs)
	}
}
