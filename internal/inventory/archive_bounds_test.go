package inventory

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"testing"
)

const boundsPkgInfo = "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n"

// tarGz builds a .tar.gz from members written in order; body nil with a
// size writes that many zero bytes.
type tarMember struct {
	name string
	typ  byte
	body []byte
	size int64
	link string
}

func tarGz(t testing.TB, members ...tarMember) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	tw := tar.NewWriter(gz)
	for _, m := range members {
		h := &tar.Header{Name: m.name, Typeflag: m.typ, Mode: 0o644, Linkname: m.link}
		if m.typ == tar.TypeReg {
			h.Size = int64(len(m.body))
			if m.body == nil {
				h.Size = m.size
			}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if m.typ == tar.TypeReg {
			if m.body != nil {
				tw.Write(m.body)
			} else if _, err := io.CopyN(tw, zeroReader{}, m.size); err != nil {
				t.Fatal(err)
			}
		}
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestSdistBounds(t *testing.T) {
	defer func(total int64, entries int) { maxArchiveTotal, maxArchiveEntries = total, entries }(maxArchiveTotal, maxArchiveEntries)
	maxArchiveTotal, maxArchiveEntries = 4<<20, 1000

	ok := tarGz(t, tarMember{name: "demo-1.0/PKG-INFO", typ: tar.TypeReg, body: []byte(boundsPkgInfo)})
	if inv, err := ParseArchive("demo-1.0.tar.gz", ok, Options{}); err != nil || len(inv.Packages) != 1 || inv.Packages[0].Name != "demo" {
		t.Fatalf("plain sdist: %v", err)
	}

	for _, tc := range []struct {
		name    string
		data    []byte
		wantMsg string
	}{
		{"bomb before PKG-INFO", tarGz(t,
			tarMember{name: "demo-1.0/big", typ: tar.TypeReg, size: 8 << 20},
			tarMember{name: "demo-1.0/PKG-INFO", typ: tar.TypeReg, body: []byte(boundsPkgInfo)}),
			"no PKG-INFO in the first 4 MiB of the decompressed archive"},
		{"huge PKG-INFO", tarGz(t, tarMember{name: "demo-1.0/PKG-INFO", typ: tar.TypeReg, size: maxMetadataSize + 1}),
			"larger than the"},
		{"symlinked PKG-INFO", tarGz(t, tarMember{name: "demo-1.0/PKG-INFO", typ: tar.TypeSymlink, link: "/etc/passwd"}),
			"is a symbolic link"},
		{"device PKG-INFO", tarGz(t, tarMember{name: "demo-1.0/PKG-INFO", typ: tar.TypeChar}),
			"is a device"},
		{"FIFO PKG-INFO", tarGz(t, tarMember{name: "demo-1.0/PKG-INFO", typ: tar.TypeFifo}),
			"is a FIFO"},
		{"too many members", func() []byte {
			var ms []tarMember
			for i := range 1500 {
				ms = append(ms, tarMember{name: fmt.Sprintf("demo-1.0/f%d", i), typ: tar.TypeReg, body: []byte{}})
			}
			return tarGz(t, append(ms, tarMember{name: "demo-1.0/PKG-INFO", typ: tar.TypeReg, body: []byte(boundsPkgInfo)})...)
		}(), "no PKG-INFO in the first 1000 members"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "huge PKG-INFO" {
				maxArchiveTotal = 64 << 20
				defer func() { maxArchiveTotal = 4 << 20 }()
			}
			_, err := ParseArchive("demo-1.0.tar.gz", tc.data, Options{})
			if err == nil || !strings.Contains(err.Error(), tc.wantMsg) || !strings.HasPrefix(err.Error(), "demo-1.0.tar.gz: ") {
				t.Fatalf("err = %v, want one naming the file and saying %q", err, tc.wantMsg)
			}
			if strings.Contains(err.Error(), "\n") || len(err.Error()) > 300 {
				t.Errorf("error is not one short line: %q", err)
			}
		})
	}
}

func wheel(t testing.TB, n int, meta func(*zip.Writer)) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := range n {
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("demo/f%d.py", i), Method: zip.Store})
		w.Write(nil)
	}
	meta(zw)
	zw.Close()
	return buf.Bytes()
}

func TestWheelBounds(t *testing.T) {
	defer func(entries int) { maxArchiveEntries = entries }(maxArchiveEntries)
	maxArchiveEntries = 100
	plain := func(zw *zip.Writer) {
		w, _ := zw.Create("demo-1.0.dist-info/METADATA")
		io.WriteString(w, boundsPkgInfo)
	}
	if inv, err := ParseArchive("demo-1.0-py3-none-any.whl", wheel(t, 10, plain), Options{}); err != nil || inv.Packages[0].Name != "demo" {
		t.Fatalf("plain wheel: %v", err)
	}
	for _, tc := range []struct {
		name, want string
		data       []byte
	}{
		{"too many members", "members, more than the 100 allowed", wheel(t, 200, plain)},
		{"symlinked METADATA", "is a symbolic link", wheel(t, 1, func(zw *zip.Writer) {
			h := &zip.FileHeader{Name: "demo-1.0.dist-info/METADATA"}
			h.SetMode(fs.ModeSymlink | 0o777)
			w, _ := zw.CreateHeader(h)
			io.WriteString(w, "/etc/passwd")
		})},
		{"METADATA bomb", "larger than the 16 MiB limit", wheel(t, 1, func(zw *zip.Writer) {
			w, _ := zw.CreateHeader(&zip.FileHeader{Name: "demo-1.0.dist-info/METADATA", Method: zip.Deflate})
			io.CopyN(w, zeroReader{}, maxMetadataSize+1)
		})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseArchive("demo-1.0-py3-none-any.whl", tc.data, Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "demo-1.0-py3-none-any.whl: ") {
				t.Fatalf("err = %v, want one naming the file and saying %q", err, tc.want)
			}
		})
	}
}

// TestWheelBombSizeLies: a member whose header claims a small size but
// inflates to more than the cap is still cut at the cap.
func TestWheelBombSizeLies(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "demo-1.0.dist-info/METADATA", Method: zip.Deflate})
	io.CopyN(w, zeroReader{}, maxMetadataSize+1)
	zw.Close()
	data := buf.Bytes()
	// Patch the central directory's uncompressed size (offset 24 of the
	// central header) to 10 bytes.
	cd := bytes.LastIndex(data, []byte("PK\x01\x02"))
	copy(data[cd+24:], []byte{10, 0, 0, 0})
	if _, err := ParseArchive("demo-1.0-py3-none-any.whl", data, Options{}); err == nil || !strings.HasPrefix(err.Error(), "demo-1.0-py3-none-any.whl: ") {
		t.Fatalf("err = %v, want an error naming the wheel", err)
	}
}

// FuzzArchiveMembers builds sdists and wheels from fuzzed member names,
// types and contents: reading them returns a package or one short line
// naming the archive, within the caps.
func FuzzArchiveMembers(f *testing.F) {
	f.Add("demo-1.0/PKG-INFO", byte(tar.TypeReg), []byte(boundsPkgInfo), "", true)
	f.Add("demo-1.0/PKG-INFO", byte(tar.TypeSymlink), []byte{}, "/etc/passwd", false)
	f.Add("demo-1.0.dist-info/METADATA", byte(tar.TypeReg), []byte(boundsPkgInfo), "", false)
	f.Add("./demo-1.0/PKG-INFO\n\x00", byte(tar.TypeChar), []byte("Name: \xff\n"), "x", true)
	f.Fuzz(func(t *testing.T, name string, typ byte, body []byte, link string, sdist bool) {
		var data []byte
		file := "demo-1.0-py3-none-any.whl"
		if sdist {
			file = "demo-1.0.tar.gz"
			var buf bytes.Buffer
			gz := gzip.NewWriter(&buf)
			tw := tar.NewWriter(gz)
			h := &tar.Header{Name: name, Typeflag: typ, Mode: 0o644, Linkname: link}
			if typ == tar.TypeReg {
				h.Size = int64(len(body))
			}
			if tw.WriteHeader(h) != nil {
				return
			}
			if typ == tar.TypeReg {
				tw.Write(body)
			}
			tw.Close()
			gz.Close()
			data = buf.Bytes()
		} else {
			var buf bytes.Buffer
			zw := zip.NewWriter(&buf)
			h := &zip.FileHeader{Name: name, Method: zip.Deflate}
			if typ == tar.TypeSymlink {
				h.SetMode(fs.ModeSymlink | 0o777)
			}
			w, err := zw.CreateHeader(h)
			if err != nil {
				return
			}
			w.Write(body)
			zw.Close()
			data = buf.Bytes()
		}
		inv, err := ParseArchive(file, data, fuzzOpts)
		checkResult(t, file, inv, err)
		if err != nil && len(err.Error()) > 1024 {
			t.Fatalf("error of %d bytes", len(err.Error()))
		}
	})
}
