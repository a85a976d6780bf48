// Package sigstoretest makes private Sigstore instances for tests: a
// self-made Fulcio CA, certificate-transparency log and Rekor log, the
// trusted_root.json that trusts them, and v0.1 bundles they sign (message
// signatures and DSSE envelopes, with an embedded SCT and a log entry with a
// signed entry timestamp). A bundle verifies against its instance's trusted
// root and against no other, which is what tests of trust decisions need.
package sigstoretest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"strconv"
	"testing"
	"time"
)

// Instance is a private Sigstore instance.
type Instance struct {
	caKey, ctKey, rekorKey *ecdsa.PrivateKey
	ca                     *x509.Certificate
	// TrustedRoot is the instance's trusted_root.json.
	TrustedRoot []byte
	serial      int64
}

var (
	oidIssuerV2 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 8}
	oidSCTList  = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 2}
)

func key(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pkix256(t testing.TB, k *ecdsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func logID(t testing.TB, k *ecdsa.PrivateKey) []byte {
	s := sha256.Sum256(pkix256(t, k))
	return s[:]
}

// New makes an instance with fresh keys.
func New(t testing.TB) *Instance {
	t.Helper()
	in := &Instance{caKey: key(t), ctKey: key(t), rekorKey: key(t), serial: 100}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "self-made fulcio", Organization: []string{"pyvet test"}},
		NotBefore:             time.Now().Add(-24 * time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &in.caKey.PublicKey, in.caKey)
	if err != nil {
		t.Fatal(err)
	}
	if in.ca, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-24 * time.Hour).UTC().Format(time.RFC3339)
	logInst := func(k *ecdsa.PrivateKey, url string) map[string]any {
		return map[string]any{
			"baseUrl":       url,
			"hashAlgorithm": "SHA2_256",
			"publicKey": map[string]any{
				"rawBytes":   base64.StdEncoding.EncodeToString(pkix256(t, k)),
				"keyDetails": "PKIX_ECDSA_P256_SHA_256",
				"validFor":   map[string]any{"start": start},
			},
			"logId": map[string]any{"keyId": base64.StdEncoding.EncodeToString(logID(t, k))},
		}
	}
	tr := map[string]any{
		"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
		"tlogs":     []any{logInst(in.rekorKey, "https://rekor.self-made.example")},
		"ctlogs":    []any{logInst(in.ctKey, "https://ct.self-made.example")},
		"certificateAuthorities": []any{map[string]any{
			"subject":   map[string]any{"organization": "pyvet test", "commonName": "self-made fulcio"},
			"uri":       "https://fulcio.self-made.example",
			"certChain": map[string]any{"certificates": []any{map[string]any{"rawBytes": base64.StdEncoding.EncodeToString(der)}}},
			"validFor":  map[string]any{"start": start},
		}},
		"timestampAuthorities": []any{},
	}
	if in.TrustedRoot, err = json.Marshal(tr); err != nil {
		t.Fatal(err)
	}
	return in
}

// leaf issues a short-lived code-signing certificate for identity (an email
// SAN) and issuer, with an SCT from the instance's CT log embedded.
func (in *Instance) leaf(t testing.TB, identity, issuer string, pub *ecdsa.PublicKey) *x509.Certificate {
	t.Helper()
	in.serial++
	iss, err := asn1.MarshalWithParams(issuer, "utf8")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:    big.NewInt(in.serial),
		NotBefore:       now.Add(-time.Minute),
		NotAfter:        now.Add(10 * time.Minute),
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtKeyUsage:     []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		EmailAddresses:  []string{identity},
		ExtraExtensions: []pkix.Extension{{Id: oidIssuerV2, Value: iss}},
	}
	// The SCT signs the certificate as it is without the SCT list.
	pre, err := x509.CreateCertificate(rand.Reader, tmpl, in.ca, pub, in.caKey)
	if err != nil {
		t.Fatal(err)
	}
	preCert, err := x509.ParseCertificate(pre)
	if err != nil {
		t.Fatal(err)
	}
	ts := uint64(now.UnixMilli())
	issuerKeyHash := sha256.Sum256(in.ca.RawSubjectPublicKeyInfo)
	var input bytes.Buffer
	input.Write([]byte{0, 0}) // v1, certificate_timestamp
	binary.Write(&input, binary.BigEndian, ts)
	input.Write([]byte{0, 1}) // precert_entry
	input.Write(issuerKeyHash[:])
	tbs := preCert.RawTBSCertificate
	input.Write([]byte{byte(len(tbs) >> 16), byte(len(tbs) >> 8), byte(len(tbs))})
	input.Write(tbs)
	input.Write([]byte{0, 0}) // no extensions
	h := sha256.Sum256(input.Bytes())
	sig, err := ecdsa.SignASN1(rand.Reader, in.ctKey, h[:])
	if err != nil {
		t.Fatal(err)
	}
	var sct bytes.Buffer
	sct.WriteByte(0)
	sct.Write(logID(t, in.ctKey))
	binary.Write(&sct, binary.BigEndian, ts)
	sct.Write([]byte{0, 0})
	sct.Write([]byte{4, 3}) // sha256, ecdsa
	binary.Write(&sct, binary.BigEndian, uint16(len(sig)))
	sct.Write(sig)
	var list bytes.Buffer
	binary.Write(&list, binary.BigEndian, uint16(sct.Len()+2))
	binary.Write(&list, binary.BigEndian, uint16(sct.Len()))
	list.Write(sct.Bytes())
	ext, err := asn1.Marshal(list.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, pkix.Extension{Id: oidSCTList, Value: ext})
	der, err := x509.CreateCertificate(rand.Reader, tmpl, in.ca, pub, in.caKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// entry returns a Rekor v1 log entry for body with a signed entry timestamp.
func (in *Instance) entry(t testing.TB, kind string, body []byte) map[string]any {
	t.Helper()
	b64 := base64.StdEncoding.EncodeToString(body)
	integrated := time.Now().Unix()
	const logIndex = 7
	lid := hex.EncodeToString(logID(t, in.rekorKey))
	// Canonical JSON: keys sorted, no insignificant space; the values here
	// need no escaping.
	payload := fmt.Sprintf(`{"body":%q,"integratedTime":%d,"logID":%q,"logIndex":%d}`, b64, integrated, lid, logIndex)
	h := sha256.Sum256([]byte(payload))
	set, err := ecdsa.SignASN1(rand.Reader, in.rekorKey, h[:])
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{
		"logIndex":          strconv.Itoa(logIndex),
		"logId":             map[string]any{"keyId": base64.StdEncoding.EncodeToString(logID(t, in.rekorKey))},
		"kindVersion":       map[string]any{"kind": kind, "version": "0.0.1"},
		"integratedTime":    strconv.FormatInt(integrated, 10),
		"inclusionPromise":  map[string]any{"signedEntryTimestamp": base64.StdEncoding.EncodeToString(set)},
		"canonicalizedBody": b64,
	}
}

func certPEM(c *x509.Certificate) string {
	return base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
}

func marshal(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSpace(buf.Bytes())
}

func bundle(t testing.TB, leaf *x509.Certificate, entry map[string]any, content map[string]any) []byte {
	b := map[string]any{
		"mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.1",
		"verificationMaterial": map[string]any{
			"x509CertificateChain": map[string]any{"certificates": []any{map[string]any{"rawBytes": base64.StdEncoding.EncodeToString(leaf.Raw)}}},
			"tlogEntries":          []any{entry},
		},
	}
	for k, v := range content {
		b[k] = v
	}
	return marshal(t, b)
}

// SignArtifact returns bundle JSON with a message signature over artifact by
// a certificate for identity (an email SAN) and issuer.
func (in *Instance) SignArtifact(t testing.TB, identity, issuer string, artifact []byte) []byte {
	t.Helper()
	k := key(t)
	leaf := in.leaf(t, identity, issuer, &k.PublicKey)
	digest := sha256.Sum256(artifact)
	sig, err := ecdsa.SignASN1(rand.Reader, k, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	body := marshal(t, map[string]any{
		"apiVersion": "0.0.1", "kind": "hashedrekord",
		"spec": map[string]any{
			"data":      map[string]any{"hash": map[string]any{"algorithm": "sha256", "value": hex.EncodeToString(digest[:])}},
			"signature": map[string]any{"content": base64.StdEncoding.EncodeToString(sig), "publicKey": map[string]any{"content": certPEM(leaf)}},
		},
	})
	return bundle(t, leaf, in.entry(t, "hashedrekord", body), map[string]any{
		"messageSignature": map[string]any{
			"messageDigest": map[string]any{"algorithm": "SHA2_256", "digest": base64.StdEncoding.EncodeToString(digest[:])},
			"signature":     base64.StdEncoding.EncodeToString(sig),
		},
	})
}

// SignStatement returns bundle JSON with a DSSE envelope (payload type
// application/vnd.in-toto+json) over statement, signed by a certificate for
// identity and issuer.
func (in *Instance) SignStatement(t testing.TB, identity, issuer string, statement []byte) []byte {
	t.Helper()
	k := key(t)
	leaf := in.leaf(t, identity, issuer, &k.PublicKey)
	const pt = "application/vnd.in-toto+json"
	pae := fmt.Sprintf("DSSEv1 %d %s %d %s", len(pt), pt, len(statement), statement)
	h := sha256.Sum256([]byte(pae))
	sig, err := ecdsa.SignASN1(rand.Reader, k, h[:])
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]any{
		"payload":     base64.StdEncoding.EncodeToString(statement),
		"payloadType": pt,
		"signatures":  []any{map[string]any{"sig": base64.StdEncoding.EncodeToString(sig)}},
	}
	envHash := sha256.Sum256(marshal(t, env))
	payloadHash := sha256.Sum256(statement)
	body := marshal(t, map[string]any{
		"apiVersion": "0.0.1", "kind": "dsse",
		"spec": map[string]any{
			"envelopeHash": map[string]any{"algorithm": "sha256", "value": hex.EncodeToString(envHash[:])},
			"payloadHash":  map[string]any{"algorithm": "sha256", "value": hex.EncodeToString(payloadHash[:])},
			"signatures":   []any{map[string]any{"signature": base64.StdEncoding.EncodeToString(sig), "verifier": certPEM(leaf)}},
		},
	})
	return bundle(t, leaf, in.entry(t, "dsse", body), map[string]any{"dsseEnvelope": env})
}
