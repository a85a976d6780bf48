package sigstore

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tstInfoOID is the DER of id-ct-TSTInfo (1.2.840.113549.1.9.16.1.4).
var tstInfoOID = []byte{0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x04}

// TestTimestampContentTypeRejected: the Rekor v2 bundle's RFC 3161 token
// with its CMS eContentType changed (first occurrence of the OID), or with
// the signed content-type attribute changed (second occurrence), is refused;
// the untouched bundle verifies.
func TestTimestampContentTypeRejected(t *testing.T) {
	base := corpusDir(t)
	var c corpusCase
	for _, x := range corpusCases {
		if x.name == "rekor v2 + TSA" {
			c = x
		}
	}
	data, err := os.ReadFile(filepath.Join(base, "sigstore", c.bundle))
	if err != nil {
		t.Fatal(err)
	}
	art, err := os.ReadFile(filepath.Join(base, "sigstore", c.artifact))
	if err != nil {
		t.Fatal(err)
	}
	r, err := LoadRootFile(filepath.Join(base, "sigstore", c.root))
	if err != nil {
		t.Fatal(err)
	}
	mutate := func(occurrence int) []byte {
		return mutateJSON(t, data, func(m map[string]any) {
			ts := obj(m, "verificationMaterial", "timestampVerificationData")["rfc3161Timestamps"].([]any)[0].(map[string]any)
			der, err := base64.StdEncoding.DecodeString(ts["signedTimestamp"].(string))
			if err != nil {
				t.Fatal(err)
			}
			at := -1
			for i := 0; i < occurrence; i++ {
				n := bytes.Index(der[at+1:], tstInfoOID)
				if n < 0 {
					t.Fatalf("OID occurrence %d not found", occurrence)
				}
				at += 1 + n
			}
			der[at+len(tstInfoOID)-1] = 0x05
			ts["signedTimestamp"] = base64.StdEncoding.EncodeToString(der)
		})
	}
	verifyData := func(d []byte) error {
		b, err := ParseBundle(d, "rekor v2")
		if err != nil {
			return err
		}
		_, err = Verify(b, r, Artifact{Reader: bytes.NewReader(art)}, []Identity{c.id})
		return err
	}
	if err := verifyData(data); err != nil {
		t.Fatalf("untouched bundle: %v", err)
	}
	for occ, want := range map[int]string{1: "eContentType", 2: "content-type attribute"} {
		err := verifyData(mutate(occ))
		if err == nil {
			t.Errorf("occurrence %d: FALSE ACCEPT of a timestamp token with another content type", occ)
			continue
		}
		if !strings.Contains(err.Error(), "invalid signed timestamp") || !strings.Contains(err.Error(), want) {
			t.Errorf("occurrence %d: %v", occ, err)
		}
	}
}

func TestCheckTimestampResponseMalformed(t *testing.T) {
	for _, in := range [][]byte{nil, {0x30}, {0x30, 0x00}, {0x30, 0x03, 0x02, 0x01, 0x00}, {0x04, 0x00}, append([]byte{0x30, 0x00}, 0x00)} {
		if err := CheckTimestampResponse(in); err == nil {
			t.Errorf("%x: accepted", in)
		}
	}
}

func FuzzCheckTimestampResponse(f *testing.F) {
	f.Add([]byte{0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x00})
	if base := os.Getenv("PYVET_CORPUS"); base != "" {
		for _, p := range []string{"sigstore/sigstore-python/staging-rekor-v2.txt.sigstore.json", "sigstore/sigstore-python/tsa/bundle.txt.sigstore"} {
			if data, err := os.ReadFile(filepath.Join(base, p)); err == nil {
				if b, err := ParseBundle(data, p); err == nil {
					for _, ts := range b.GetVerificationMaterial().GetTimestampVerificationData().GetRfc3161Timestamps() {
						f.Add(ts.GetSignedTimestamp())
					}
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		_ = CheckTimestampResponse(der)
	})
}
