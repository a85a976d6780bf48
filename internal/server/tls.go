package server

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pyvet/pyvet/internal/safeio"
)

// MaxPEMFile caps a certificate chain or private key file: real ones are a
// few kilobytes (a chain of four RSA-4096 certificates is under 10 KiB).
const MaxPEMFile int64 = 1 << 20

// CertFiles name a PEM certificate chain (leaf first) and its PEM private
// key, as `pyvet serve --tls-cert FILE --tls-key FILE` gives them.
type CertFiles struct {
	Cert, Key string
}

// LoadCertificate reads the certificate chain and the key of f (each at
// most MaxPEMFile bytes) and checks that they belong together. Its errors
// are one line naming the file at fault.
func LoadCertificate(f CertFiles) (*tls.Certificate, error) {
	if f.Cert == "" || f.Key == "" {
		return nil, errors.New("--tls-cert and --tls-key go together: give both files")
	}
	certPEM, err := safeio.ReadFile(f.Cert, MaxPEMFile)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert: %w", err)
	}
	keyPEM, err := safeio.ReadFile(f.Key, MaxPEMFile)
	if err != nil {
		return nil, fmt.Errorf("--tls-key: %w", err)
	}
	if !strings.Contains(string(certPEM), "-----BEGIN CERTIFICATE-----") {
		return nil, fmt.Errorf("--tls-cert %s: no PEM certificate (want a -----BEGIN CERTIFICATE----- block)", f.Cert)
	}
	if !strings.Contains(string(keyPEM), "PRIVATE KEY-----") {
		if strings.Contains(string(keyPEM), "-----BEGIN CERTIFICATE-----") {
			return nil, fmt.Errorf("--tls-key %s: a certificate, not a private key (are --tls-cert and --tls-key swapped?)", f.Key)
		}
		return nil, fmt.Errorf("--tls-key %s: no PEM private key (want a -----BEGIN ... PRIVATE KEY----- block)", f.Key)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "tls: ")
		if strings.Contains(msg, "does not match") {
			return nil, fmt.Errorf("--tls-key %s: the private key does not match the certificate in %s", f.Key, f.Cert)
		}
		return nil, fmt.Errorf("--tls-cert %s, --tls-key %s: %s", f.Cert, f.Key, firstLine(msg))
	}
	if cert.Leaf == nil {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, fmt.Errorf("--tls-cert %s: %s", f.Cert, firstLine(err.Error()))
		}
	}
	return &cert, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return safeio.ExcerptN(s, 200)
}

// describeCert is the log line of a loaded certificate: the names it serves
// and its validity, with a warning when it is expired or not yet valid.
func describeCert(c *tls.Certificate, now time.Time) string {
	l := c.Leaf
	names := l.DNSNames
	for _, ip := range l.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		names = []string{l.Subject.CommonName}
	}
	s := fmt.Sprintf("TLS certificate for %s, valid until %s", certNames(names), l.NotAfter.UTC().Format(time.RFC3339))
	switch {
	case now.After(l.NotAfter):
		s += " (EXPIRED: clients will refuse it)"
	case now.Before(l.NotBefore):
		s += " (not valid before " + l.NotBefore.UTC().Format(time.RFC3339) + ": clients will refuse it)"
	}
	return s
}

// certStore holds the certificate served, swapped whole on reload, so a
// handshake always gets one complete certificate.
type certStore struct {
	files CertFiles
	cur   atomic.Pointer[tls.Certificate]
}

func newCertStore(f CertFiles) (*certStore, error) {
	c, err := LoadCertificate(f)
	if err != nil {
		return nil, err
	}
	cs := &certStore{files: f}
	cs.cur.Store(c)
	return cs, nil
}

// reload reads the files again; on error the previous certificate stays.
func (cs *certStore) reload() (*tls.Certificate, error) {
	c, err := LoadCertificate(cs.files)
	if err != nil {
		return nil, err
	}
	cs.cur.Store(c)
	return c, nil
}

// tlsConfig serves the store's current certificate with TLS 1.2 or newer.
func (cs *certStore) tlsConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return cs.cur.Load(), nil
		},
	}
}

// maxCertNames is how many of a certificate's names its description lists.
const maxCertNames = 5

// certNames lists a certificate's names for the log: the first few, each a
// host name as it is or, when it holds anything else (a terminal escape in
// a name is a file's content reaching the administrator's terminal), a
// short escaped excerpt; the rest counted.
func certNames(names []string) string {
	out := make([]string, 0, min(len(names), maxCertNames)+1)
	for i, n := range names {
		if i == maxCertNames {
			out = append(out, fmt.Sprintf("and %d more", len(names)-maxCertNames))
			break
		}
		if !plainHostName(n) {
			n = safeio.ExcerptN(n, 80)
		}
		out = append(out, n)
	}
	return strings.Join(out, ", ")
}

// plainHostName reports whether s is a short host name, wildcard or IP
// address in plain ASCII, shown without quoting.
func plainHostName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '*' || c == ':' || c == '_') {
			return false
		}
	}
	return true
}
