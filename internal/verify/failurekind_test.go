package verify

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/pyvet/pyvet/internal/verify/sigstore"
	"github.com/pyvet/pyvet/internal/verify/sigstore/sigstoretest"
)

// TestVerifyArtifactFailureKinds: each way a verification can fail gives its
// own failure kind, the result is never "verified" when it fails, the error
// maps to the same kind (sigstore.KindOf), and the one good case is the only
// verified one.
func TestVerifyArtifactFailureKinds(t *testing.T) {
	inst := sigstoretest.New(t)
	other := sigstoretest.New(t)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const who, iss = "release@example.org", "https://issuer.example"
	art := []byte("the artifact\n")
	artPath := write("pkg.tar.gz", art)
	bundle := write("pkg.tar.gz.sigstore.json", inst.SignArtifact(t, who, iss, art))
	root := write("root.json", inst.TrustedRoot)
	otherRoot := write("other-root.json", other.TrustedRoot)
	tampered := write("tampered.tar.gz", []byte("another artifact\n"))
	garbage := write("garbage.sigstore.json", []byte(`{"mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.1"}`))
	id := sigstore.Identity{SAN: who, Issuer: iss}

	cases := []struct {
		name string
		o    ArtifactOptions
		want sigstore.FailureKind
	}{
		{"verified", ArtifactOptions{Path: artPath, Bundle: bundle, Identity: id, Root: sigstore.RootOptions{File: root}}, sigstore.FailNone},
		{"other signer", ArtifactOptions{Path: artPath, Bundle: bundle, Identity: sigstore.Identity{SAN: "someone@example.org", Issuer: iss}, Root: sigstore.RootOptions{File: root}}, sigstore.FailIdentity},
		// A message signature over another artifact simply does not verify.
		{"other artifact", ArtifactOptions{Path: tampered, Bundle: bundle, Identity: id, Root: sigstore.RootOptions{File: root}}, sigstore.FailSignature},
		{"untrusted root", ArtifactOptions{Path: artPath, Bundle: bundle, Identity: id, Root: sigstore.RootOptions{File: otherRoot}}, sigstore.FailUntrustedRoot},
		{"no identity policy", ArtifactOptions{Path: artPath, Bundle: bundle, Root: sigstore.RootOptions{File: root}}, sigstore.FailInput},
		{"missing artifact", ArtifactOptions{Path: filepath.Join(dir, "absent"), Bundle: bundle, Identity: id, Root: sigstore.RootOptions{File: root}}, sigstore.FailInput},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := VerifyArtifact(context.Background(), c.o)
			if res == nil {
				t.Fatal("nil result")
			}
			if res.Failure != c.want {
				t.Errorf("failure %q, want %q (err %v)", res.Failure, c.want, err)
			}
			verified := res.Status.Verified()
			if c.want == sigstore.FailNone {
				if err != nil || !verified {
					t.Fatalf("status %s, err %v; want verified", res.Status, err)
				}
				return
			}
			if err == nil || verified {
				t.Fatalf("status %s, err %v; want a failure", res.Status, err)
			}
			if k := sigstore.KindOf(err); k != c.want {
				t.Errorf("KindOf(err) = %q, want %q", k, c.want)
			}
		})
	}
	// A bundle that is no bundle is never verified, whatever kind it gets.
	res, err := VerifyArtifact(context.Background(), ArtifactOptions{Path: artPath, Bundle: garbage, Identity: id, Root: sigstore.RootOptions{File: root}})
	if err == nil || res.Status.Verified() || res.Failure == sigstore.FailNone {
		t.Errorf("garbage bundle: status %s failure %q err %v", res.Status, res.Failure, err)
	}
}
