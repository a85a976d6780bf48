package sigstore

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBundleAndRootFilesBounded: FIFOs and devices are refused without
// waiting for a writer, and files over the cap are refused by their size.
func TestBundleAndRootFilesBounded(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "b.sigstore")
	if err := mkfifo(fifo); err != nil {
		t.Skip("mkfifo:", err)
	}
	big := filepath.Join(dir, "big.json")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: no disk space, but a size past the cap.
	if err := f.Truncate(MaxBundleSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	cases := []struct {
		path, want string
	}{{fifo, "a FIFO, not a regular file"}, {"/dev/zero", "not a regular file"}, {big, "larger than the 64 MiB limit"}}
	for _, c := range cases {
		if _, err := os.Stat(c.path); err != nil {
			continue
		}
		_, err := LoadBundle(c.path)
		if !IsInputError(err) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.path) {
			t.Errorf("bundle %s: %v", c.path, err)
		}
		_, err = LoadRootFile(c.path)
		if !IsInputError(err) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.path) {
			t.Errorf("root %s: %v", c.path, err)
		}
	}
}

// TestParseErrorsBounded: a bundle whose unknown field or media type is a
// megabyte long yields an error of bounded length.
func TestParseErrorsBounded(t *testing.T) {
	long := strings.Repeat("A", 1<<20)
	for _, data := range []string{
		`{"mediaType":"` + long + `"}`,
		`{"` + long + `":1}`,
		`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"certificate":{"rawBytes":"` + long + `"}}}`,
	} {
		_, err := ParseBundle([]byte(data), "b.json")
		if err == nil {
			t.Fatal("accepted")
		}
		if n := len(err.Error()); n > 600 {
			t.Errorf("error is %d bytes long: %.120s", n, err)
		}
	}
}
