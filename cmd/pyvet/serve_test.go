package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the server's log writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServeCommand runs `pyvet serve` on a fixture directory on 127.0.0.1:0,
// queries it and shuts it down through its context.
func TestServeCommand(t *testing.T) {
	root := newRootCmd()
	var logs syncBuffer
	root.SetErr(&logs)
	root.SetOut(io.Discard)
	root.SetArgs([]string{"serve", "--db", "../../internal/server/testdata/osv", "--listen", "127.0.0.1:0", "--refresh", "0", "--cache-dir", t.TempDir(), "--answer-cache-bytes", "65536"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()

	addr := regexp.MustCompile(`serving the OSV API on (http://\S+)`)
	var base string
	for deadline := time.Now().Add(30 * time.Second); base == ""; {
		if m := addr.FindStringSubmatch(logs.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended early: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start:\n%s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	resp, err := http.Post(base+"/v1/query", "application/json", strings.NewReader(`{"package":{"purl":"pkg:pypi/demo-pkg@1.1"}}`))
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ Vulns []struct{ ID string } }
	err = json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if err != nil || len(got.Vulns) != 2 || got.Vulns[0].ID != "PYSEC-2099-1" || got.Vulns[1].ID != "PYSEC-2099-2" {
		t.Errorf("query: %+v %v", got, err)
	}
	// A version longer than any real one is a short 400; the cache keeps to
	// the budget the flag gives.
	resp, err = http.Post(base+"/v1/query", "application/json", strings.NewReader(`{"package":{"name":"demo-pkg"},"version":"`+strings.Repeat("9", 1<<20)+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || len(body) > 400 {
		t.Errorf("long version: %d %.300q", resp.StatusCode, body)
	}
	resp, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "pyvet_serve_answer_cache_max_bytes 65536\n") {
		t.Errorf("metrics do not show the cache budget:\n%s", body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after shutdown: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not shut down")
	}
	if !strings.Contains(logs.String(), "shutting down") {
		t.Errorf("no shutdown in the log:\n%s", logs.String())
	}
}

func TestServeBadUsage(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--max-batch", "5000", "--db", "x"},
		{"serve", "--db", "/nonexistent/advisories.zip", "--listen", "127.0.0.1:0"},
		{"serve", "extra-arg"},
		{"serve", "--max-body", "0", "--db", "x"},
		{"serve", "--max-body", "1000000000", "--db", "x"},
		{"serve", "--answer-cache-bytes", "-1", "--db", "x"},
	} {
		root := newRootCmd()
		root.SetErr(io.Discard)
		root.SetOut(io.Discard)
		root.SetArgs(args)
		err := root.Execute()
		var ex *exitError
		if err == nil || !errors.As(err, &ex) || ex.code != exitUsage {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}

// TestServeTLSUsage: a certificate without its key, a missing file and a key
// of another certificate are usage errors (exit 2) with one line naming the
// file, reported before the database is loaded.
func TestServeTLSUsage(t *testing.T) {
	dir := t.TempDir()
	writeKeyPair := func(name string) (cert, key string) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
		if err != nil {
			t.Fatal(err)
		}
		kder, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		cert, key = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
		if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
			t.Fatal(err)
		}
		return cert, key
	}
	cert, _ := writeKeyPair("mirror")
	_, otherKey := writeKeyPair("other")
	missing := filepath.Join(dir, "missing.key")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--tls-cert", cert}, "--tls-cert and --tls-key go together"},
		{[]string{"--tls-key", otherKey}, "--tls-cert and --tls-key go together"},
		{[]string{"--tls-cert", cert, "--tls-key", missing}, "--tls-key: open " + missing + ": no such file or directory"},
		{[]string{"--tls-cert", cert, "--tls-key", otherKey}, "--tls-key " + otherKey + ": the private key does not match the certificate in " + cert},
	} {
		root := newRootCmd()
		root.SetErr(io.Discard)
		root.SetOut(io.Discard)
		// The database does not exist: the certificate is checked first.
		root.SetArgs(append([]string{"serve", "--db", "/nonexistent/advisories.zip", "--listen", "127.0.0.1:0", "--cache-dir", t.TempDir()}, tc.args...))
		err := root.Execute()
		var ex *exitError
		if err == nil || !errors.As(err, &ex) || ex.code != exitUsage || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: %v, want a usage error with %q", tc.args, err, tc.want)
		}
	}
}
