package sigstore

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// tufRepo writes a one-key TUF repository whose single target is
// trusted_root.json with the given content, and returns its directory and the
// trust anchor (root.json).
func tufRepo(t *testing.T, trustedRoot []byte) (string, []byte) {
	t.Helper()
	dir := t.TempDir()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := signature.LoadSigner(priv, crypto.Hash(0))
	if err != nil {
		t.Fatal(err)
	}
	key, err := metadata.KeyFromPublicKey(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(24 * time.Hour)
	root := metadata.Root(exp)
	root.Signed.ConsistentSnapshot = false
	for _, role := range []string{"root", "targets", "snapshot", "timestamp"} {
		if err := root.Signed.AddKey(key, role); err != nil {
			t.Fatal(err)
		}
	}
	targets := metadata.Targets(exp)
	tf, err := metadata.TargetFile().FromBytes("trusted_root.json", trustedRoot, "sha256")
	if err != nil {
		t.Fatal(err)
	}
	targets.Signed.Targets["trusted_root.json"] = tf
	snapshot := metadata.Snapshot(exp)
	timestamp := metadata.Timestamp(exp)
	for _, s := range []func() error{
		func() error { _, err := root.Sign(signer); return err },
		func() error { _, err := targets.Sign(signer); return err },
		func() error { _, err := snapshot.Sign(signer); return err },
		func() error { _, err := timestamp.Sign(signer); return err },
		func() error { return root.ToFile(filepath.Join(dir, "1.root.json"), true) },
		func() error { return targets.ToFile(filepath.Join(dir, "targets.json"), true) },
		func() error { return snapshot.ToFile(filepath.Join(dir, "snapshot.json"), true) },
		func() error { return timestamp.ToFile(filepath.Join(dir, "timestamp.json"), true) },
		func() error { return os.MkdirAll(filepath.Join(dir, "targets"), 0o755) },
		func() error {
			return os.WriteFile(filepath.Join(dir, "targets", "trusted_root.json"), trustedRoot, 0o644)
		},
	} {
		if err := s(); err != nil {
			t.Fatal(err)
		}
	}
	anchor, err := os.ReadFile(filepath.Join(dir, "1.root.json"))
	if err != nil {
		t.Fatal(err)
	}
	return dir, anchor
}

func TestTUFRefreshAndOfflineCache(t *testing.T) {
	repo, anchor := tufRepo(t, embeddedTrustedRoot)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.FileServer(http.Dir(repo)).ServeHTTP(w, r)
	}))
	defer srv.Close()
	cache := t.TempDir()
	opts := RootOptions{MirrorURL: srv.URL, TUFRoot: anchor, CacheDir: cache, Timeout: 5 * time.Second}
	r, err := LoadRoot(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Source, "refreshed through TUF from "+srv.URL) || r.Warning != "" {
		t.Fatalf("source %q warning %q", r.Source, r.Warning)
	}
	if len(r.Material.RekorLogs()) == 0 {
		t.Fatal("refreshed root has no logs")
	}
	if hits.Load() == 0 {
		t.Fatal("mirror not used")
	}
	// Offline: the refreshed root comes from the cache, the mirror is not asked.
	before := hits.Load()
	opts.Offline = true
	r, err = LoadRoot(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Source, "cached trusted root") || hits.Load() != before {
		t.Fatalf("offline: source %q, %d new requests", r.Source, hits.Load()-before)
	}
}

func TestTUFRejectsTamperedTarget(t *testing.T) {
	repo, anchor := tufRepo(t, embeddedTrustedRoot)
	// Replace the target after signing: the hash in targets.json no longer matches.
	tampered := []byte(strings.Replace(string(embeddedTrustedRoot), "rekor.sigstore.dev", "rekor.evil.example", 1))
	if err := os.WriteFile(filepath.Join(repo, "targets", "trusted_root.json"), tampered, 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(repo)))
	defer srv.Close()
	_, err := RefreshRoot(context.Background(), RootOptions{MirrorURL: srv.URL, TUFRoot: anchor, Timeout: 5 * time.Second, Retries: -1})
	if err == nil {
		t.Fatal("tampered TUF target accepted")
	}
	// LoadRoot falls back to the embedded root and says why.
	r, err := LoadRoot(context.Background(), RootOptions{MirrorURL: srv.URL, TUFRoot: anchor, Timeout: 5 * time.Second, Retries: -1})
	if err != nil || r.Source != EmbeddedRootSource || !strings.Contains(r.Warning, "TUF refresh failed") {
		t.Fatalf("fallback: %v %+v", err, r)
	}
}
