package inventory

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestLargeWheelReadInPlace: a wheel larger than the text-file cap (a real
// torch wheel is GiBs) is read in place: its metadata and sha256 come out,
// and reading it allocates a small fraction of its size.
func TestLargeWheelReadInPlace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "demo-1.0-py3-none-any.whl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	w, _ := zw.Create("demo-1.0.dist-info/METADATA")
	io.WriteString(w, "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n")
	w, _ = zw.CreateHeader(&zip.FileHeader{Name: "demo/blob.bin", Method: zip.Store})
	chunk := make([]byte, 1<<20)
	for range 40 {
		w.Write(chunk)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	want := "sha256:" + hex.EncodeToString(sum[:])
	var inv *Inventory
	allocated := allocatedBytes(func() { inv, err = ParseFile(path, FormatUnknown, Options{}) })
	if err != nil {
		t.Fatal(err)
	}
	p := inv.Packages[0]
	if p.Name != "demo" || p.Version != "1.0" || len(p.Hashes) != 1 || p.Hashes[0] != want || p.Files[0].Size != int64(len(raw)) {
		t.Errorf("package %+v, want demo 1.0 with %s", p, want)
	}
	if allocated > 8<<20 {
		t.Errorf("reading a %d-byte wheel allocated %d bytes", len(raw), allocated)
	}
}
