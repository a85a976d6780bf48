package inventory

import (
	"os"
	"path/filepath"
	"testing"
)

func benchFile(b *testing.B, rel string, parse func(string, []byte, Options) (*Inventory, error)) {
	path := filepath.Join(corpusDir(b), "lockfiles", rel)
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := parse(path, data, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUVLockTransformers parses the largest uv.lock of the corpus (392 packages, 2.1 MB).
func BenchmarkUVLockTransformers(b *testing.B) {
	benchFile(b, "uv/test/ecosystem/transformers/uv.lock", ParseUVLock)
}

// BenchmarkRequirementsWarehouse parses a hashed requirements file (184 pins, 2,089 hashes).
func BenchmarkRequirementsWarehouse(b *testing.B) {
	benchFile(b, "warehouse/requirements/main.txt", ParseRequirements)
}

// BenchmarkRequirementsHomeAssistant parses 1,010 requirement lines with markers.
func BenchmarkRequirementsHomeAssistant(b *testing.B) {
	benchFile(b, "uv/test/requirements/home-assistant.in", ParseRequirements)
}

// BenchmarkPylockPipenv parses a 103-package pylock.toml.
func BenchmarkPylockPipenv(b *testing.B) {
	benchFile(b, "pipenv/pylock.toml", ParsePylock)
}

// BenchmarkPoetryLock parses a poetry.lock 2.1 (78 packages).
func BenchmarkPoetryLock(b *testing.B) {
	benchFile(b, "real/poetry.poetry.lock", ParsePoetryLock)
}
