package sigstore

import (
	"os"
	"path/filepath"
	"testing"
)

func BenchmarkParseBundle(b *testing.B) {
	base := corpusDir(b)
	data, err := os.ReadFile(filepath.Join(base, "sigstore", sp, "integration/Python-3.12.5.tgz.sigstore"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseBundle(data, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyCPython(b *testing.B) {
	base := corpusDir(b)
	r, err := LoadRootFile(filepath.Join(base, "sigstore", rootP))
	if err != nil {
		b.Fatal(err)
	}
	bundle, err := LoadBundle(filepath.Join(base, "sigstore", sp, "integration/Python-3.12.5.tgz.sigstore"))
	if err != nil {
		b.Fatal(err)
	}
	alg, d := parseDigest(b, cpy3125)
	for b.Loop() {
		if _, err := Verify(bundle, r, Artifact{DigestAlg: alg, Digest: d}, []Identity{idThomas}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEmbeddedRoot(b *testing.B) {
	for b.Loop() {
		if _, err := EmbeddedRoot(); err != nil {
			b.Fatal(err)
		}
	}
}
