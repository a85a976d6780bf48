package server

import (
	"bytes"
	"context"
	"errors"
	"log"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pyvet/pyvet/internal/advisory"
)

// lockedBuffer is a bytes.Buffer safe for the server's log writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Run loads the database, serves until its context ends and then returns
// nil; a database it cannot load, a missing cached database offline and an
// address it cannot listen on are errors.
func TestRun(t *testing.T) {
	var logs lockedBuffer
	opts := Options{Log: log.New(&logs, "", 0), MaxBatch: 10, MaxBodyBytes: 1 << 20}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, RunOptions{Listen: addr, Server: opts, Offline: true, Load: LoadOptions{Path: "testdata/osv", CacheDir: t.TempDir()}})
	}()
	ok := false
	for i := 0; i < 100 && !ok; i++ {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			ok = resp.StatusCode == http.StatusOK
			resp.Body.Close()
		} else {
			time.Sleep(10 * time.Millisecond)
		}
	}
	cancel()
	if err := <-done; err != nil || !ok {
		t.Fatalf("served: %v, healthz ok %v\n%s", err, ok, logs.String())
	}
	if !strings.Contains(logs.String(), "advisories loaded") {
		t.Errorf("no load line in the log:\n%s", logs.String())
	}

	bg := context.Background()
	if err := Run(bg, RunOptions{Listen: "127.0.0.1:-1", Server: opts, Load: LoadOptions{Path: "testdata/osv", CacheDir: t.TempDir()}}); err == nil || !strings.Contains(err.Error(), "listen on 127.0.0.1:-1") {
		t.Errorf("bad address: %v", err)
	}
	if err := Run(bg, RunOptions{Listen: addr, Server: opts, Load: LoadOptions{Path: filepath.Join(t.TempDir(), "missing.zip"), CacheDir: t.TempDir()}}); err == nil {
		t.Error("a missing database is not an error")
	}
	if err := Run(bg, RunOptions{Listen: addr, Server: opts, Offline: true, Load: LoadOptions{CacheDir: t.TempDir()}}); !errors.Is(err, advisory.ErrNoDatabase) {
		t.Errorf("offline without a cached database: %v", err)
	}
}
