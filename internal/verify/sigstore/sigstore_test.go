package sigstore

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestLoadBundleErrors(t *testing.T) {
	cases := []struct {
		file  string
		input bool
		want  string
	}{
		{"testdata/missing.sigstore", true, "no such file"},
		{"testdata", true, "a directory, not a regular file"},
		{"testdata/notjson.sigstore", true, "not a Sigstore bundle"},
		{"testdata/v04.sigstore.json", true, "unsupported bundle version v0.4"},
		{"testdata/nocontent.sigstore.json", false, "invalid bundle"},
	}
	for _, c := range cases {
		_, err := LoadBundle(c.file)
		if err == nil {
			t.Errorf("%s: no error", c.file)
			continue
		}
		if IsInputError(err) != c.input {
			t.Errorf("%s: input error %v, want %v (%v)", c.file, IsInputError(err), c.input, err)
		}
		if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.file) {
			t.Errorf("%s: error %q does not name the file and %q", c.file, err, c.want)
		}
	}
}

func TestPublicKeyBundleHasNoIdentity(t *testing.T) {
	b, err := LoadBundle("testdata/pubkey.sigstore.json")
	if err != nil {
		t.Fatal(err)
	}
	r, err := EmbeddedRoot()
	if err != nil {
		t.Fatal(err)
	}
	_, err = Verify(b, r, Artifact{DigestAlg: "sha256", Digest: make([]byte, 32)}, []Identity{{SAN: "a@b", Issuer: "https://x"}})
	if err == nil || IsInputError(err) || !strings.Contains(err.Error(), "public key") {
		t.Fatalf("want a failure naming the public key, got %v", err)
	}
}

func TestVerifyRequestErrors(t *testing.T) {
	b, err := LoadBundle("testdata/pubkey.sigstore.json")
	if err != nil {
		t.Fatal(err)
	}
	r, _ := EmbeddedRoot()
	for _, ids := range [][]Identity{nil, {{SAN: "a@b"}}, {{Issuer: "https://x"}}, {{SANRegexp: "(", Issuer: "https://x"}}} {
		if _, err := Verify(b, r, Artifact{DigestAlg: "sha256", Digest: make([]byte, 32)}, ids); !IsInputError(err) {
			t.Errorf("identities %+v: want input error, got %v", ids, err)
		}
	}
}

func TestEmbeddedRoot(t *testing.T) {
	r, err := EmbeddedRoot()
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Material.FulcioCertificateAuthorities()) == 0 || len(r.Material.RekorLogs()) == 0 || len(r.Material.CTLogs()) == 0 {
		t.Fatalf("embedded root is incomplete: %+v", r)
	}
	// The production Rekor log key id.
	if _, ok := r.Material.RekorLogs()["c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d"]; !ok {
		t.Error("production Rekor key missing from the embedded root")
	}
}

func TestLoadRootFileErrors(t *testing.T) {
	for _, f := range []string{"testdata/nope.json", "testdata/badroot.json", "testdata/notjson.sigstore"} {
		_, err := LoadRootFile(f)
		if !IsInputError(err) || !strings.Contains(err.Error(), f) {
			t.Errorf("%s: want input error naming the file, got %v", f, err)
		}
	}
}

func TestLoadRootOfflineUsesCacheThenEmbedded(t *testing.T) {
	dir := t.TempDir()
	r, err := LoadRoot(context.Background(), RootOptions{Offline: true, CacheDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if r.Source != EmbeddedRootSource || r.Warning != "" {
		t.Fatalf("offline without cache: source %q warning %q", r.Source, r.Warning)
	}
	if err := os.WriteFile(filepath.Join(dir, cachedRootName), embeddedTrustedRoot, 0o644); err != nil {
		t.Fatal(err)
	}
	// A trusted_root.json without the TUF metadata that vouches for it is
	// ignored, even with the right content, and the warning says so.
	r, err = LoadRoot(context.Background(), RootOptions{Offline: true, CacheDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if r.Source != EmbeddedRootSource || !strings.Contains(r.Warning, "no verified TUF metadata vouches for it") {
		t.Fatalf("offline with a bare cache file: source %q warning %q", r.Source, r.Warning)
	}
}

func TestLoadRootFallsBackWhenMirrorFails(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	r, err := LoadRoot(context.Background(), RootOptions{MirrorURL: srv.URL, CacheDir: t.TempDir(), Timeout: 2 * time.Second, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	if r.Source != EmbeddedRootSource || !strings.Contains(r.Warning, "TUF refresh failed") {
		t.Fatalf("source %q warning %q", r.Source, r.Warning)
	}
	if hits.Load() == 0 {
		t.Error("mirror was never asked")
	}
}

func FuzzParseBundle(f *testing.F) {
	for _, p := range []string{"testdata/v04.sigstore.json", "testdata/pubkey.sigstore.json", "testdata/nocontent.sigstore.json"} {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle+json;version=0.1","verificationMaterial":{"x509CertificateChain":{"certificates":[{"rawBytes":"AAAA"}]},"tlogEntries":[{"logIndex":"1","inclusionProof":{"logIndex":"1"},"inclusionPromise":{"signedEntryTimestamp":"AAAA"}}]},"messageSignature":{"signature":"AAAA"}}`))
	r, err := EmbeddedRoot()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBundle(data, "fuzz")
		if err != nil {
			return
		}
		// Nothing a fuzzer writes can carry a valid signature from the
		// production instance: verification must fail, never panic.
		if res, err := Verify(b, r, Artifact{DigestAlg: "sha256", Digest: make([]byte, 32)}, []Identity{{SANRegexp: ".*", IssuerRegexp: ".*"}}); err == nil {
			t.Fatalf("fuzzed bundle verified: %+v", res)
		}
	})
}
