package server

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode"

	"github.com/pyvet/pyvet/internal/osvclient"
)

// loadWithin runs LoadCertificate and fails the test if it has not
// returned after a minute (a read that blocks on a FIFO would hang the
// server's start for ever).
func loadWithin(t *testing.T, f CertFiles) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := LoadCertificate(f)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Minute):
		t.Fatalf("LoadCertificate(%v) blocks", f)
		return nil
	}
}

// Key and certificate files that are not files: a FIFO nobody writes, a
// device, a 1 GB sparse file, a symlink loop, a symlink to a device. Each
// is refused at once with one line naming the flag and the file, without
// reading it whole.
func TestHostile2TLSFilesThatAreNotFiles(t *testing.T) {
	ca := newTestCA(t)
	dir := t.TempDir()
	certPEM, keyPEM := ca.issue(t, 2, "localhost")
	good := writeCert(t, dir, certPEM, keyPEM)
	fifo := filepath.Join(dir, "fifo.pem")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sparse := filepath.Join(dir, "sparse.pem")
	f, err := os.Create(sparse)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(1 << 30)
	f.Close()
	loop := filepath.Join(dir, "loop.pem")
	os.Symlink(loop, loop)
	devLink := filepath.Join(dir, "zero.pem")
	os.Symlink("/dev/zero", devLink)
	for _, bad := range []string{fifo, "/dev/zero", "/dev/stdin", sparse, loop, devLink, dir} {
		for _, flag := range []string{"--tls-key", "--tls-cert"} {
			files := CertFiles{Cert: good.Cert, Key: bad}
			if flag == "--tls-cert" {
				files = CertFiles{Cert: bad, Key: good.Key}
			}
			before := heapInUse()
			err := loadWithin(t, files)
			if err == nil || strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), flag) ||
				!strings.Contains(err.Error(), bad) && !strings.Contains(err.Error(), "/dev/zero") {
				t.Errorf("%s %s: %v, want one line naming %s and the file", flag, bad, err, flag)
			}
			if grown := int64(heapInUse()) - int64(before); grown > 16<<20 {
				t.Errorf("%s %s: heap grew by %d bytes", flag, bad, grown)
			}
		}
	}
}

// issueWith is ca.issue with the certificate's validity and subject given.
func issueWith(t *testing.T, ca *testCA, cn string, dns []string, notBefore, notAfter time.Time) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(77),
		Subject:      pkix.Name{CommonName: cn},
		DNSNames:     dns,
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
}

// An expired certificate loads (the administrator may be replacing it) but
// its log line says clients will refuse it; an encrypted key or a key in
// an unknown PEM block is one line naming the key file.
func TestHostile2TLSExpiredAndOddKeys(t *testing.T) {
	ca := newTestCA(t)
	dir := t.TempDir()
	now := time.Now()
	certPEM, keyPEM := issueWith(t, ca, "localhost", []string{"localhost"}, now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	files := writeCert(t, dir, certPEM, keyPEM)
	c, err := LoadCertificate(files)
	if err != nil {
		t.Fatalf("expired certificate: %v", err)
	}
	if d := describeCert(c, now); !strings.Contains(d, "EXPIRED") {
		t.Errorf("describeCert of an expired certificate: %s", d)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o600)
		return p
	}
	c3, k3 := ca.issue(t, 3, "localhost")
	good := writeCert(t, t.TempDir(), c3, k3)
	for name, key := range map[string][]byte{
		"encrypted.pem": []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n"),
		"legacy.pem":    []byte("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00000000000000000000000000000000\n\nAAAA\n-----END RSA PRIVATE KEY-----\n"),
		"binary.pem":    append([]byte("PRIVATE KEY-----\x1b[2J\x00\xff"), bytes.Repeat([]byte{0xff}, 4096)...),
	} {
		p := write(name, key)
		err := loadWithin(t, CertFiles{Cert: good.Cert, Key: p})
		if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), p) || hasControl(err.Error()) || len(err.Error()) > 600 {
			t.Errorf("%s: %q, want one short escaped line naming the key", name, err)
		}
	}
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || r == unicode.ReplacementChar })
}

// A certificate whose names hold terminal escapes: the log line that
// describes it must not write them to the administrator's terminal.
func TestHostile2TLSCertNamesEscaped(t *testing.T) {
	ca := newTestCA(t)
	now := time.Now()
	certPEM, keyPEM := issueWith(t, ca, "evil\x1b[2J\x1b]0;owned\x07cn", []string{"evil\x1b[31m.example"}, now.Add(-time.Hour), now.Add(time.Hour))
	files := writeCert(t, t.TempDir(), certPEM, keyPEM)
	c, err := LoadCertificate(files)
	if err != nil {
		t.Skipf("the certificate is refused: %v", err)
	}
	if d := describeCert(c, now); hasControl(d) {
		t.Errorf("describeCert writes control characters: %q", d)
	}
	c.Leaf.DNSNames = nil
	if d := describeCert(c, now); hasControl(d) {
		t.Errorf("describeCert writes control characters of the common name: %q", d)
	}
}

// Malformed queries get a short OSV 400 (413 for a body over the limit):
// deep nesting, a batch of 100,000 queries, a body of 9 MiB, invalid UTF-8
// and control characters in names, NUL bytes, numbers where strings go.
// No answer echoes more than an excerpt, and none carries raw control
// characters of the request.
func TestHostile2MalformedQueries(t *testing.T) {
	src := fixtureDBSource(t, DefaultAnswerCacheBytes)
	h := New(src, Options{}).Handler()
	do := func(path, body string) (int, []byte) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, strings.NewReader(body)))
		return rec.Code, rec.Body.Bytes()
	}
	var many strings.Builder
	many.WriteString(`{"queries":[`)
	for i := range 100_000 {
		if i > 0 {
			many.WriteByte(',')
		}
		fmt.Fprintf(&many, `{"package":{"name":"p%d","ecosystem":"PyPI"},"version":"1"}`, i)
	}
	many.WriteString(`]}`)
	deep := strings.Repeat("[", 1_000_000) + strings.Repeat("]", 1_000_000)
	for _, tc := range []struct {
		name, path, body string
		want             int
	}{
		{"deep nesting in a query", "/v1/query", `{"package":` + deep + `}`, 400},
		{"deep nesting in a batch", "/v1/querybatch", `{"queries":` + deep + `}`, 400},
		{"deep nesting in an unknown member", "/v1/querybatch", `{"x":` + deep + `,"queries":[]}`, 400},
		{"deep object nesting", "/v1/query", strings.Repeat(`{"a":`, 500_000) + "1" + strings.Repeat("}", 500_000), 400},
		{"100,000 queries", "/v1/querybatch", many.String(), 400},
		{"9 MiB body", "/v1/query", `{"package":{"name":"` + strings.Repeat("a", 9<<20) + `"}}`, 413},
		{"invalid UTF-8 name", "/v1/query", "{\"package\":{\"name\":\"\xff\xfe\x1b[2J" + strings.Repeat("\xff", 300) + "\",\"ecosystem\":\"PyPI\"},\"version\":\"1\"}", 400},
		{"control characters in the ecosystem", "/v1/query", "{\"package\":{\"name\":\"x\",\"ecosystem\":\"\\u001b[2J\\u0007evil\"},\"version\":\"1\"}", 400},
		{"NUL in the purl", "/v1/query", `{"package":{"purl":"pkg:\u0000pypi/x@1\u001b[2J"}}`, 400},
		{"number as name", "/v1/query", `{"package":{"name":` + strings.Repeat("9", 1<<20) + `}}`, 400},
		{"commit with escapes", "/v1/query", `{"commit":"zz\u001b[2J"}`, 400},
		{"batch member a string", "/v1/querybatch", `{"queries":["` + strings.Repeat("\\u001b", 1000) + `"]}`, 400},
		{"truncated batch", "/v1/querybatch", `{"queries":[{"package":{"name":"x"`, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := do(tc.path, tc.body)
			var e osvclient.Error
			if code != tc.want || json.Unmarshal(body, &e) != nil || e.Code == 0 || e.Message == "" {
				t.Fatalf("%d %.300q, want %d with an OSV error", code, body, tc.want)
			}
			if len(body) > 600 {
				t.Errorf("a %d-byte answer echoes the request: %.300q", len(body), body)
			}
			if hasControl(e.Message) {
				t.Errorf("the message carries control characters of the request: %q", e.Message)
			}
		})
	}
}
