package report

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzReadJSON feeds mutated recorded documents (every golden JSON file) to
// ReadJSON: it never panics, a refused document gets a one-line error, and a
// document it reads can be written in every format.
func FuzzReadJSON(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no golden JSON files: %v", err)
	}
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := ReadJSON(bytes.NewReader(data))
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error: %q", err)
			}
			return
		}
		for _, format := range Formats() {
			if err := Write(io.Discard, format, res, Options{}); err != nil && strings.Contains(err.Error(), "\n") {
				t.Fatalf("%s: multi-line error: %q", format, err)
			}
		}
	})
}
