package sigstore

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/verify/sigstore/sigstoretest"
)

const selfID, selfIssuer = "attacker@example.com", "https://issuer.self-made.example"

// selfMade writes a private instance's trusted root and a bundle it signed
// for artifact, and checks that the bundle verifies against that root: the
// trust decision alone must then decide whether a test accepts it.
func selfMade(t *testing.T, artifact []byte) (rootPath string, inst *sigstoretest.Instance, b *Bundle) {
	t.Helper()
	inst = sigstoretest.New(t)
	dir := t.TempDir()
	rootPath = filepath.Join(dir, "self_root.json")
	if err := os.WriteFile(rootPath, inst.TrustedRoot, 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := ParseBundle(inst.SignArtifact(t, selfID, selfIssuer, artifact), "self-made")
	if err != nil {
		t.Fatal(err)
	}
	r, err := LoadRootFile(rootPath)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Verify(b, r, Artifact{Reader: bytes.NewReader(artifact)}, []Identity{{SAN: selfID, Issuer: selfIssuer}})
	if err != nil || res.Status != StatusVerified {
		t.Fatalf("self-made bundle does not verify against its own root: %v", err)
	}
	return rootPath, inst, b
}

func TestSelfMadeInstanceIsolated(t *testing.T) {
	art := []byte("hello")
	_, _, b := selfMade(t, art)
	emb, err := EmbeddedRoot()
	if err != nil {
		t.Fatal(err)
	}
	_, err = Verify(b, emb, Artifact{Reader: bytes.NewReader(art)}, []Identity{{SAN: selfID, Issuer: selfIssuer}})
	if err == nil || !strings.Contains(err.Error(), "untrusted root") {
		t.Fatalf("self-made bundle under the embedded root: %v", err)
	}
}
