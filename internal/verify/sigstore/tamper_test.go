package sigstore

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// okCases are the corpus cases expected to verify.
func okCases() []corpusCase {
	var out []corpusCase
	for _, c := range corpusCases {
		if c.ok {
			out = append(out, c)
		}
	}
	return out
}

func TestTamperedArtifactRejected(t *testing.T) {
	base := corpusDir(t)
	for _, c := range okCases() {
		switch {
		case c.artifact != "":
			data, err := os.ReadFile(filepath.Join(base, "sigstore", c.artifact))
			if err != nil {
				t.Fatal(err)
			}
			for _, pos := range []int{0, len(data) / 2, len(data) - 1} {
				mod := bytes.Clone(data)
				mod[pos] ^= 0x01
				r, _ := LoadRootFile(filepath.Join(base, "sigstore", c.root))
				b, err := LoadBundle(filepath.Join(base, "sigstore", c.bundle))
				if err != nil {
					t.Fatal(err)
				}
				if res, err := Verify(b, r, Artifact{Reader: bytes.NewReader(mod)}, []Identity{c.id}); err == nil {
					t.Errorf("%s: FALSE ACCEPT of artifact with byte %d flipped: %+v", c.name, pos, res)
				}
			}
		case c.digest != "":
			alg, d := parseDigest(t, c.digest)
			d[len(d)-1] ^= 0x80
			r, _ := LoadRootFile(filepath.Join(base, "sigstore", c.root))
			b, err := LoadBundle(filepath.Join(base, "sigstore", c.bundle))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Verify(b, r, Artifact{DigestAlg: alg, Digest: d}, []Identity{c.id}); err == nil {
				t.Errorf("%s: FALSE ACCEPT of a changed digest", c.name)
			} else if !strings.Contains(err.Error(), "digest") && !strings.Contains(err.Error(), "signature") {
				t.Errorf("%s: reason %q names neither digest nor signature", c.name, err)
			}
		}
	}
}

func TestSwappedIdentityRejected(t *testing.T) {
	base := corpusDir(t)
	swaps := []Identity{
		{SAN: "attacker@example.com", Issuer: ghOAuth},
		{SAN: "thomas@python.org", Issuer: ghOAuth},
		{SANRegexp: "^https://github.com/evil/", Issuer: ghActions},
	}
	for _, c := range okCases() {
		for _, id := range swaps {
			if id.SAN == c.id.SAN && id.Issuer == c.id.Issuer {
				continue
			}
			cc := c
			cc.id = id
			if res, err := runCase(t, base, cc); err == nil {
				t.Errorf("%s: FALSE ACCEPT with identity %s: %+v", c.name, id, res)
			} else if !strings.Contains(err.Error(), "wrong identity") {
				t.Errorf("%s: reason %q does not say wrong identity", c.name, err)
			}
		}
		// The right SAN with the wrong issuer must fail too.
		if c.id.SAN != "" {
			cc := c
			cc.id = Identity{SAN: c.id.SAN, Issuer: "https://issuer.example.com"}
			if _, err := runCase(t, base, cc); err == nil {
				t.Errorf("%s: FALSE ACCEPT with the wrong issuer", c.name)
			}
		}
	}
}

func TestTruncatedBundleIsInputError(t *testing.T) {
	base := corpusDir(t)
	for _, c := range okCases() {
		data, err := os.ReadFile(filepath.Join(base, "sigstore", c.bundle))
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{0, 1, len(data) / 3, len(data) - 2} {
			_, err := ParseBundle(data[:n], "truncated")
			if err == nil {
				t.Errorf("%s: bundle truncated to %d bytes parsed", c.name, n)
				continue
			}
			if !IsInputError(err) {
				t.Errorf("%s: truncated to %d: want input error, got %v", c.name, n, err)
			}
		}
	}
}

// mutateJSON decodes a bundle, applies f and re-encodes it.
func mutateJSON(t *testing.T, data []byte, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func flipB64(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x01
	return base64.StdEncoding.EncodeToString(b)
}

func obj(m map[string]any, path ...string) map[string]any {
	for _, p := range path {
		m = m[p].(map[string]any)
	}
	return m
}

func TestTamperedBundleRejected(t *testing.T) {
	base := corpusDir(t)
	c := corpusCases[14] // CPython 3.12.5, verified through the signed entry timestamp
	if c.bundle != sp+"integration/Python-3.12.5.tgz.sigstore" {
		t.Fatal("case table changed")
	}
	data, err := os.ReadFile(filepath.Join(base, "sigstore", c.bundle))
	if err != nil {
		t.Fatal(err)
	}
	tlog := func(m map[string]any) map[string]any {
		return obj(m, "verificationMaterial")["tlogEntries"].([]any)[0].(map[string]any)
	}
	mutations := map[string]func(m map[string]any){
		"signature": func(m map[string]any) {
			ms := obj(m, "messageSignature")
			ms["signature"] = flipB64(t, ms["signature"].(string))
		},
		"signed entry timestamp": func(m map[string]any) {
			p := obj(tlog(m), "inclusionPromise")
			p["signedEntryTimestamp"] = flipB64(t, p["signedEntryTimestamp"].(string))
		},
		"integrated time": func(m map[string]any) {
			e := tlog(m)
			e["integratedTime"] = "1700000000"
		},
		"log index": func(m map[string]any) {
			e := tlog(m)
			e["logIndex"] = "1"
		},
		"canonicalized body": func(m map[string]any) {
			e := tlog(m)
			e["canonicalizedBody"] = flipB64(t, e["canonicalizedBody"].(string))
		},
		"no promise": func(m map[string]any) {
			delete(tlog(m), "inclusionPromise")
		},
		"certificate": func(m map[string]any) {
			vm := obj(m, "verificationMaterial")
			chain := obj(vm, "x509CertificateChain")["certificates"].([]any)
			c0 := chain[0].(map[string]any)
			c0["rawBytes"] = flipB64(t, c0["rawBytes"].(string))
		},
	}
	alg, d := parseDigest(t, c.digest)
	r, err := LoadRootFile(filepath.Join(base, "sigstore", c.root))
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range mutations {
		mod := mutateJSON(t, data, f)
		b, err := ParseBundle(mod, name)
		if err != nil {
			t.Logf("%s: rejected at load: %v", name, err)
			continue
		}
		if res, err := Verify(b, r, Artifact{DigestAlg: alg, Digest: d}, []Identity{c.id}); err == nil {
			t.Errorf("%s: FALSE ACCEPT of tampered bundle: %+v", name, res.Evidence)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

// TestUncheckpointedProofMustBeConsistent: the 3.12.5 bundle's proof has no
// checkpoint; a changed proof hash or root hash must still be caught.
func TestUncheckpointedProofMustBeConsistent(t *testing.T) {
	base := corpusDir(t)
	data, err := os.ReadFile(filepath.Join(base, "sigstore", sp, "integration/Python-3.12.5.tgz.sigstore"))
	if err != nil {
		t.Fatal(err)
	}
	proof := func(m map[string]any) map[string]any {
		e := obj(m, "verificationMaterial")["tlogEntries"].([]any)[0].(map[string]any)
		return obj(e, "inclusionProof")
	}
	for name, f := range map[string]func(m map[string]any){
		"proof hash": func(m map[string]any) {
			hs := proof(m)["hashes"].([]any)
			hs[0] = flipB64(t, hs[0].(string))
		},
		"root hash": func(m map[string]any) {
			p := proof(m)
			p["rootHash"] = flipB64(t, p["rootHash"].(string))
		},
		"tree size": func(m map[string]any) { proof(m)["treeSize"] = "5" },
	} {
		_, err := ParseBundle(mutateJSON(t, data, f), name)
		if err == nil || !strings.Contains(err.Error(), "inconsistent") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
