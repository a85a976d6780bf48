package sigstore

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/tuf"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"
)

type tufKey struct {
	signer signature.Signer
	key    *metadata.Key
}

func newTUFKey(t *testing.T) tufKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := signature.LoadSigner(priv, crypto.Hash(0))
	if err != nil {
		t.Fatal(err)
	}
	k, err := metadata.KeyFromPublicKey(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	return tufKey{s, k}
}

// rotatedTUFRepo writes a TUF repository whose root rotates from version 1
// (key k1) to version 2 (key k2, signed by both); timestamp, snapshot and
// targets are signed by k2 and list trustedRoot. It returns the directory
// and the version 1 root, the trust anchor.
func rotatedTUFRepo(t *testing.T, trustedRoot []byte) (string, []byte) {
	t.Helper()
	dir := t.TempDir()
	k1, k2 := newTUFKey(t), newTUFKey(t)
	exp := time.Now().Add(24 * time.Hour)
	mkRoot := func(k tufKey, version int64) *metadata.Metadata[metadata.RootType] {
		r := metadata.Root(exp)
		r.Signed.Version = version
		r.Signed.ConsistentSnapshot = false
		for _, role := range []string{"root", "targets", "snapshot", "timestamp"} {
			if err := r.Signed.AddKey(k.key, role); err != nil {
				t.Fatal(err)
			}
		}
		return r
	}
	r1 := mkRoot(k1, 1)
	r2 := mkRoot(k2, 2)
	targets := metadata.Targets(exp)
	tf, err := metadata.TargetFile().FromBytes(cachedRootName, trustedRoot, "sha256")
	if err != nil {
		t.Fatal(err)
	}
	targets.Signed.Targets[cachedRootName] = tf
	snapshot := metadata.Snapshot(exp)
	timestamp := metadata.Timestamp(exp)
	for _, f := range []func() error{
		func() error { _, err := r1.Sign(k1.signer); return err },
		func() error { _, err := r2.Sign(k1.signer); return err },
		func() error { _, err := r2.Sign(k2.signer); return err },
		func() error { _, err := targets.Sign(k2.signer); return err },
		func() error { _, err := snapshot.Sign(k2.signer); return err },
		func() error { _, err := timestamp.Sign(k2.signer); return err },
		func() error { return r1.ToFile(filepath.Join(dir, "1.root.json"), true) },
		func() error { return r2.ToFile(filepath.Join(dir, "2.root.json"), true) },
		func() error { return targets.ToFile(filepath.Join(dir, "targets.json"), true) },
		func() error { return snapshot.ToFile(filepath.Join(dir, "snapshot.json"), true) },
		func() error { return timestamp.ToFile(filepath.Join(dir, "timestamp.json"), true) },
		func() error { return os.MkdirAll(filepath.Join(dir, "targets"), 0o755) },
		func() error { return os.WriteFile(filepath.Join(dir, "targets", cachedRootName), trustedRoot, 0o644) },
	} {
		if err := f(); err != nil {
			t.Fatal(err)
		}
	}
	anchor, err := os.ReadFile(filepath.Join(dir, "1.root.json"))
	if err != nil {
		t.Fatal(err)
	}
	return dir, anchor
}

func failingMirror(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// verifySelfMade verifies the self-made bundle against whatever root LoadRoot
// picks with o.
func verifySelfMade(t *testing.T, o RootOptions, b *Bundle, art []byte) (*Root, error) {
	t.Helper()
	r, err := LoadRoot(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Verify(b, r, Artifact{Reader: bytes.NewReader(art)}, []Identity{{SAN: selfID, Issuer: selfIssuer}})
	return r, err
}

// TestPlantedTrustedRootRejected: a trusted_root.json of a self-made CA put
// in the cache directory, alone or with TUF metadata the attacker signed
// himself, is never trusted: not offline, not after a failed refresh.
func TestPlantedTrustedRootRejected(t *testing.T) {
	art := []byte("tampered artifact")
	_, inst, b := selfMade(t, art)
	_, anchor := rotatedTUFRepo(t, embeddedTrustedRoot)
	down := failingMirror(t)
	// The attacker's own TUF repository vouching for his root.
	evilRepo, _ := rotatedTUFRepo(t, inst.TrustedRoot)

	plants := map[string]func(cache, mirror string){
		"legacy cache file": func(cache, _ string) {
			writeFile(t, filepath.Join(cache, cachedRootName), inst.TrustedRoot)
		},
		"state without metadata": func(cache, mirror string) {
			writeFile(t, filepath.Join(cache, cacheStateDir, tuf.URLToPath(mirror), cachedRootName), inst.TrustedRoot)
		},
		"state with the attacker's metadata": func(cache, mirror string) {
			d := filepath.Join(cache, cacheStateDir, tuf.URLToPath(mirror))
			for _, n := range []string{"2.root.json", "timestamp.json", "snapshot.json", "targets.json"} {
				data, err := os.ReadFile(filepath.Join(evilRepo, n))
				if err != nil {
					t.Fatal(err)
				}
				writeFile(t, filepath.Join(d, n), data)
			}
			writeFile(t, filepath.Join(d, cachedRootName), inst.TrustedRoot)
		},
	}
	for name, plant := range plants {
		for _, offline := range []bool{true, false} {
			cache := t.TempDir()
			plant(cache, down.URL)
			o := RootOptions{Offline: offline, CacheDir: cache, MirrorURL: down.URL, TUFRoot: anchor, Timeout: 2 * time.Second, Retries: -1}
			r, err := verifySelfMade(t, o, b, art)
			if err == nil {
				t.Errorf("%s (offline %v): FALSE ACCEPT of a bundle from a self-made CA planted in the cache (root %q)", name, offline, r.Source)
				continue
			}
			if r.Source != EmbeddedRootSource || !strings.Contains(err.Error(), "untrusted root") {
				t.Errorf("%s (offline %v): source %q, error %v", name, offline, r.Source, err)
			}
			if name != "state without metadata" && !strings.Contains(r.Warning, "not used") && !strings.Contains(r.Warning, "ignored") {
				t.Errorf("%s (offline %v): warning %q does not say the cache was refused", name, offline, r.Warning)
			}
		}
	}
}

func writeFile(t *testing.T, p string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCachedRootChainVerifiedOffline: a refresh across a root rotation keeps
// the chain, so the cached root verifies offline from the version 1 anchor;
// replacing the cached root or dropping a chain link makes it unusable.
func TestCachedRootChainVerifiedOffline(t *testing.T) {
	art := []byte("artifact")
	_, inst, b := selfMade(t, art)
	// The legitimate repository serves the self-made root: once refreshed,
	// its bundles verify, which shows which root is in use.
	repo, anchor := rotatedTUFRepo(t, inst.TrustedRoot)
	srv := httptest.NewServer(http.FileServer(http.Dir(repo)))
	defer srv.Close()
	cache := t.TempDir()
	o := RootOptions{CacheDir: cache, MirrorURL: srv.URL, TUFRoot: anchor, Timeout: 5 * time.Second, Retries: -1}
	if r, err := verifySelfMade(t, o, b, art); err != nil || r.Warning != "" {
		t.Fatalf("online: %v (source %q, warning %q)", err, r.Source, r.Warning)
	}
	state := filepath.Join(cache, cacheStateDir, tuf.URLToPath(srv.URL))
	if _, err := os.Stat(filepath.Join(state, "2.root.json")); err != nil {
		t.Fatalf("root chain not kept: %v", err)
	}
	o.Offline = true
	r, err := verifySelfMade(t, o, b, art)
	if err != nil || !strings.Contains(r.Source, "verified offline") || !strings.Contains(r.Source, "TUF root version 2") {
		t.Fatalf("offline: %v (source %q)", err, r.Source)
	}
	// A failed refresh falls back to the same verified cache, and says so.
	o.Offline = false
	o.MirrorURL = failingMirror(t).URL
	if err := os.Rename(state, filepath.Join(cache, cacheStateDir, tuf.URLToPath(o.MirrorURL))); err != nil {
		t.Fatal(err)
	}
	state = filepath.Join(cache, cacheStateDir, tuf.URLToPath(o.MirrorURL))
	r, err = verifySelfMade(t, o, b, art)
	if err != nil || !strings.Contains(r.Warning, "TUF refresh failed") || !strings.Contains(r.Warning, "verified offline") {
		t.Fatalf("after a failed refresh: %v (source %q, warning %q)", err, r.Source, r.Warning)
	}

	// Without the version 2 root the chain breaks at the anchor.
	chain, err := os.ReadFile(filepath.Join(state, "2.root.json"))
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(state, "2.root.json"))
	o.Offline = true
	if r, err := verifySelfMade(t, o, b, art); err == nil || r.Source != EmbeddedRootSource || !strings.Contains(r.Warning, "timestamp.json") {
		t.Errorf("broken chain: %v (source %q, warning %q)", err, r.Source, r.Warning)
	}
	writeFile(t, filepath.Join(state, "2.root.json"), chain)
	// Another trusted root in place of the verified one: hashes differ.
	other := sigstoreTestRoot(t)
	writeFile(t, filepath.Join(state, cachedRootName), other)
	if r, err := verifySelfMade(t, o, b, art); err == nil || r.Source != EmbeddedRootSource || !strings.Contains(r.Warning, "does not match the length and hashes") {
		t.Errorf("swapped root: %v (source %q, warning %q)", err, r.Source, r.Warning)
	}
	// A FIFO in place of a metadata file is refused, not waited on.
	os.Remove(filepath.Join(state, "timestamp.json"))
	if err := mkfifo(filepath.Join(state, "timestamp.json")); err != nil {
		t.Skip("mkfifo:", err)
	}
	if r, _ := verifySelfMade(t, o, b, art); r.Source != EmbeddedRootSource || !strings.Contains(r.Warning, "FIFO") {
		t.Errorf("FIFO metadata: source %q, warning %q", r.Source, r.Warning)
	}
}

func sigstoreTestRoot(t *testing.T) []byte {
	t.Helper()
	return bytes.Replace(embeddedTrustedRoot, []byte("rekor.sigstore.dev"), []byte("rekor.evil.example"), 1)
}

// FuzzVerifyState feeds arbitrary cached TUF files to the offline
// verification of the cached root: it must never panic, and nothing an
// attacker writes without the repository's keys may verify.
func FuzzVerifyState(f *testing.F) {
	anchor := tuf.DefaultRoot()
	tm, err := metadata.Root().FromBytes(anchor)
	if err != nil {
		f.Fatal(err)
	}
	next := strconv.FormatInt(tm.Signed.Version+1, 10) + ".root.json"
	f.Add(anchor, []byte(`{"signed":{"_type":"timestamp"},"signatures":[]}`), []byte("{}"), []byte("{}"), embeddedTrustedRoot)
	f.Add([]byte(nil), []byte(nil), []byte(nil), []byte(nil), []byte(nil))
	f.Fuzz(func(t *testing.T, root2, timestamp, snapshot, targets, trustedRoot []byte) {
		files := map[string][]byte{"timestamp.json": timestamp, "snapshot.json": snapshot, "targets.json": targets, cachedRootName: trustedRoot}
		if len(root2) > 0 {
			files[next] = root2
		}
		read := func(name string, limit int64) ([]byte, error) {
			d, ok := files[name]
			if !ok {
				return nil, fs.ErrNotExist
			}
			if int64(len(d)) > limit {
				return nil, errors.New("too large")
			}
			return d, nil
		}
		if _, _, err := verifyState(anchor, read, time.Now()); err == nil {
			t.Fatal("forged TUF state verified")
		} else if len(err.Error()) > 2000 {
			t.Fatalf("error of %d bytes", len(err.Error()))
		}
	})
}
