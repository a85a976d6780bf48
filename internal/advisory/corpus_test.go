package advisory

import (
	"os"
	"path/filepath"
	"testing"
)

// corpusZip returns the corpus advisory snapshot, or skips.
func corpusZip(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("PYVET_CORPUS")
	if dir == "" {
		t.Skip("PYVET_CORPUS not set; skipping corpus test")
	}
	m, _ := filepath.Glob(filepath.Join(dir, "advisories", "*.zip"))
	if len(m) != 1 {
		t.Fatalf("want exactly one advisory zip in %s/advisories, found %v", dir, m)
	}
	return m[0]
}

func BenchmarkOpenZip(b *testing.B) {
	p := corpusZip(b)
	for b.Loop() {
		if _, err := Open(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenIndex(b *testing.B) {
	p := corpusZip(b)
	cache := b.TempDir()
	db, err := OpenWith(p, Options{CacheDir: cache})
	if err != nil {
		b.Fatal(err)
	}
	idx, _ := filepath.Glob(filepath.Join(cache, "advisories", "by-hash", "*.idx"))
	st, _ := os.Stat(idx[0])
	b.ReportMetric(float64(st.Size()), "index-bytes")
	b.ReportMetric(float64(db.matchLen), "match-bytes")
	for b.Loop() {
		db, err := Open(idx[0])
		if err != nil {
			b.Fatal(err)
		}
		db.Close()
	}
}

func BenchmarkQuery(b *testing.B) {
	p := corpusZip(b)
	db, err := Open(p)
	if err != nil {
		b.Fatal(err)
	}
	names := db.Packages()
	for b.Loop() {
		for _, n := range names[:200] {
			db.Query(n, "1.0.0")
		}
	}
}
