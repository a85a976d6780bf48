package typosquat

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func FuzzParsePopularity(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "popular.json")); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"rows":[{"project":"","download_count":1}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePopularity(bytes.NewReader(data), "fuzz")
		if err != nil {
			return
		}
		for i := 0; i < p.Len() && i < 20; i++ {
			p.Lookup(p.Name(i)+"x", DefaultConfig())
		}
	})
}

func FuzzDistance(f *testing.F) {
	f.Add("requests", "reqeusts", 2)
	f.Fuzz(func(t *testing.T, a, b string, max int) {
		if max < 0 || max > 3 || len(a) > 40 || len(b) > 40 {
			return
		}
		d := distance(a, b, max, nil)
		if d != distance(b, a, max, nil) {
			t.Fatalf("distance not symmetric for %q %q", a, b)
		}
		if want := min(osa(a, b), max+1); d != want {
			t.Fatalf("distance(%q,%q,%d) = %d, want %d", a, b, max, d, want)
		}
	})
}

// osa is the plain full-matrix optimal-string-alignment distance.
func osa(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
