package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testCA is a private certificate authority made in the test, as an
// organisation makes one for its mirror.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t testing.TB) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "pyvet test mirror CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

func (ca *testCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// issue returns a PEM server certificate for names (DNS names or IP
// addresses) and its PEM private key.
func (ca *testCA) issue(t testing.TB, serial int64, names ...string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: names[0]},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
}

// writeCert writes a certificate and key into dir and returns their files.
func writeCert(t testing.TB, dir string, certPEM, keyPEM []byte) CertFiles {
	t.Helper()
	f := CertFiles{Cert: filepath.Join(dir, "cert.pem"), Key: filepath.Join(dir, "key.pem")}
	if err := os.WriteFile(f.Cert, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.Key, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// clientFor is an HTTPS client that trusts only ca and dials addr whatever
// host the URL names: what a hosts entry does for a client whose URL is
// fixed (osv-scanner's https://api.osv.dev).
func clientFor(ca *testCA, addr string, minVersion, maxVersion uint16) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: ca.pool(), MinVersion: minVersion, MaxVersion: maxVersion},
		ForceAttemptHTTP2: true,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
	}}
}

// runTLS runs Run with TLS on a free loopback port until the test ends and
// returns its address once /healthz answers over HTTPS.
func runTLS(t *testing.T, ca *testCA, files CertFiles, logs *lockedBuffer) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, RunOptions{Listen: addr, TLS: &files, Offline: true,
			Server: Options{Log: log.New(logs, "", 0)},
			Load:   LoadOptions{Path: "testdata/osv", CacheDir: t.TempDir()}})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	c := clientFor(ca, addr, tls.VersionTLS12, 0)
	for deadline := time.Now().Add(30 * time.Second); ; {
		resp, err := c.Get("https://localhost/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return addr
			}
		}
		select {
		case err := <-done:
			t.Fatalf("Run ended early: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no HTTPS answer: %v\n%s", err, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestTLS: `serve --tls-cert --tls-key` answers HTTPS with the certificate
// given, to a client that trusts the private CA that signed it, over HTTP/2
// and TLS 1.2 or newer; a TLS 1.1 client and a plain HTTP request are
// refused, and a client that does not trust the CA fails verification.
func TestTLS(t *testing.T) {
	ca := newTestCA(t)
	certPEM, keyPEM := ca.issue(t, 2, "localhost", "127.0.0.1", "api.osv.dev")
	var logs lockedBuffer
	addr := runTLS(t, ca, writeCert(t, t.TempDir(), certPEM, keyPEM), &logs)
	if !strings.Contains(logs.String(), "serving the OSV API on https://"+addr) ||
		!strings.Contains(logs.String(), "TLS certificate for localhost, api.osv.dev, 127.0.0.1, valid until") {
		t.Errorf("log:\n%s", logs.String())
	}

	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		c := clientFor(ca, addr, v, v)
		resp, err := c.Post("https://api.osv.dev/v1/query", "application/json",
			strings.NewReader(`{"package":{"name":"demo-pkg","ecosystem":"PyPI"},"version":"1.1"}`))
		if err != nil {
			t.Fatalf("TLS %x: %v", v, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), `"id":"PYSEC-2099-1"`) {
			t.Errorf("TLS %x: %d %s", v, resp.StatusCode, body)
		}
		if resp.TLS == nil || resp.TLS.Version != v || resp.Proto != "HTTP/2.0" {
			t.Errorf("TLS %x: connection state %+v, protocol %s", v, resp.TLS, resp.Proto)
		}
	}

	if _, err := clientFor(ca, addr, tls.VersionTLS10, tls.VersionTLS11).Get("https://localhost/healthz"); err == nil {
		t.Error("a TLS 1.1 client was served")
	}
	other := newTestCA(t)
	_, err := clientFor(other, addr, tls.VersionTLS12, 0).Get("https://localhost/healthz")
	var uae x509.UnknownAuthorityError
	if !errors.As(err, &uae) {
		t.Errorf("a client trusting another CA: %v, want an unknown authority error", err)
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP answered on the HTTPS port")
		}
	}
}

// TestTLSReload: SIGHUP reads the certificate files again; a replacement
// that cannot be used is logged and the previous certificate stays.
func TestTLSReload(t *testing.T) {
	ca := newTestCA(t)
	dir := t.TempDir()
	certPEM, keyPEM := ca.issue(t, 10, "localhost")
	files := writeCert(t, dir, certPEM, keyPEM)
	var logs lockedBuffer
	addr := runTLS(t, ca, files, &logs)
	serial := func() int64 {
		t.Helper()
		// A new connection each time: the handshake shows the certificate
		// served now.
		c := clientFor(ca, addr, tls.VersionTLS12, 0)
		defer c.CloseIdleConnections()
		resp, err := c.Get("https://localhost/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.TLS.PeerCertificates[0].SerialNumber.Int64()
	}
	if s := serial(); s != 10 {
		t.Fatalf("serial %d, want 10", s)
	}
	hup := func(wantLog string) {
		t.Helper()
		if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(30 * time.Second); !strings.Contains(logs.String(), wantLog); {
			if time.Now().After(deadline) {
				t.Fatalf("no %q in the log:\n%s", wantLog, logs.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	// A key that does not match the certificate: the old one stays.
	_, otherKey := ca.issue(t, 11, "localhost")
	if err := os.WriteFile(files.Key, otherKey, 0o600); err != nil {
		t.Fatal(err)
	}
	hup("TLS certificate not reloaded, still serving the previous one: --tls-key " + files.Key + ": the private key does not match the certificate in " + files.Cert)
	if s := serial(); s != 10 {
		t.Errorf("after a failed reload: serial %d, want 10", s)
	}

	certPEM, keyPEM = ca.issue(t, 12, "localhost")
	writeCert(t, dir, certPEM, keyPEM)
	hup("reloaded TLS certificate for localhost")
	if s := serial(); s != 12 {
		t.Errorf("after the reload: serial %d, want 12", s)
	}
}

// TestLoadCertificateErrors: each unusable certificate or key is one line
// naming the file, and Run fails with it before loading the database.
func TestLoadCertificateErrors(t *testing.T) {
	ca := newTestCA(t)
	dir := t.TempDir()
	certPEM, keyPEM := ca.issue(t, 2, "localhost")
	_, otherKey := ca.issue(t, 3, "localhost")
	good := writeCert(t, dir, certPEM, keyPEM)
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	missing := filepath.Join(dir, "missing.pem")
	for _, tc := range []struct {
		name  string
		files CertFiles
		want  string
	}{
		{"no key", CertFiles{Cert: good.Cert}, "--tls-cert and --tls-key go together"},
		{"missing certificate", CertFiles{Cert: missing, Key: good.Key}, "--tls-cert: open " + missing + ": no such file or directory"},
		{"missing key", CertFiles{Cert: good.Cert, Key: missing}, "--tls-key: open " + missing + ": no such file or directory"},
		{"mismatched key", CertFiles{Cert: good.Cert, Key: write("other.key", otherKey)}, "the private key does not match the certificate in " + good.Cert},
		{"swapped", CertFiles{Cert: good.Key, Key: good.Cert}, "--tls-cert " + good.Key + ": no PEM certificate"},
		{"certificate as key", CertFiles{Cert: good.Cert, Key: good.Cert}, "a certificate, not a private key (are --tls-cert and --tls-key swapped?)"},
		{"not PEM", CertFiles{Cert: write("garbage.pem", []byte("hello\n")), Key: good.Key}, "no PEM certificate"},
		{"a directory", CertFiles{Cert: dir, Key: good.Key}, "not a regular file"},
		{"too large", CertFiles{Cert: write("huge.pem", make([]byte, MaxPEMFile+1)), Key: good.Key}, "larger than the 1 MiB limit"},
		{"broken PEM", CertFiles{Cert: write("broken.pem", []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")), Key: good.Key}, "--tls-cert " + filepath.Join(dir, "broken.pem") + ", --tls-key " + good.Key + ":"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadCertificate(tc.files)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%v, want one line with %q", err, tc.want)
			}
		})
	}
	if c, err := LoadCertificate(good); err != nil || c.Leaf.SerialNumber.Int64() != 2 {
		t.Errorf("good files: %v", err)
	}

	// Run checks the certificate first: the database named does not exist.
	err := Run(context.Background(), RunOptions{Listen: "127.0.0.1:0", TLS: &CertFiles{Cert: good.Cert, Key: filepath.Join(dir, "other.key")},
		Load: LoadOptions{Path: missing, CacheDir: t.TempDir()}})
	if err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("Run with a mismatched key: %v", err)
	}
}

// describeCert warns of a certificate clients will refuse.
func TestDescribeCert(t *testing.T) {
	ca := newTestCA(t)
	certPEM, keyPEM := ca.issue(t, 2, "mirror.example", "10.0.0.1")
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	now := c.Leaf.NotAfter.Add(-time.Hour)
	if got := describeCert(&c, now); !strings.HasPrefix(got, "TLS certificate for mirror.example, 10.0.0.1, valid until ") || strings.Contains(got, "refuse") {
		t.Errorf("valid: %s", got)
	}
	if got := describeCert(&c, c.Leaf.NotAfter.Add(time.Hour)); !strings.Contains(got, "EXPIRED") {
		t.Errorf("expired: %s", got)
	}
	if got := describeCert(&c, c.Leaf.NotBefore.Add(-time.Hour)); !strings.Contains(got, "not valid before") {
		t.Errorf("not yet valid: %s", got)
	}
}

func TestCertNamesListFewAndEscaped(t *testing.T) {
	names := []string{"mirror.example", "*.corp.example", "10.0.0.1", "::1", "evil\x1b[31m.example", "f.example", "g.example"}
	got := certNames(names)
	want := `mirror.example, *.corp.example, 10.0.0.1, ::1, "evil\x1b[31m.example", and 2 more`
	if got != want {
		t.Errorf("certNames = %q, want %q", got, want)
	}
}
