package inventory

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"strings"
)

// maxMetadataSize bounds what is read from one archive member.
const maxMetadataSize = 16 << 20

// ParseArchive reads the metadata of a wheel (.whl), an egg (.egg) or an sdist
// (.tar.gz, .tar.bz2, .tgz, .tar, .zip) from data without unpacking it to
// disk. A wheel's RECORD is kept in Package.Record; the archive's own sha256
// is recorded in Hashes and Files.
func ParseArchive(file string, data []byte, opts Options) (*Inventory, error) {
	lower := strings.ToLower(file)
	var (
		p   *Package
		err error
	)
	format := "sdist"
	switch {
	case strings.HasSuffix(lower, ".whl"):
		format = "wheel"
		p, err = readZipMetadata(file, data, true)
	case strings.HasSuffix(lower, ".egg"):
		format = "egg"
		p, err = readZipMetadata(file, data, false)
	case strings.HasSuffix(lower, ".zip"):
		p, err = readZipMetadata(file, data, false)
	default:
		p, err = readTarMetadata(file, data)
	}
	if err != nil {
		return nil, err
	}
	p.Direct = true
	p.Locations = []Location{{File: file}}
	p.Source = Source{Kind: SourcePath, Path: file}
	sum := sha256.Sum256(data)
	h := "sha256:" + hex.EncodeToString(sum[:])
	p.Hashes = []string{h}
	p.Files = []File{{Name: path.Base(filepath.ToSlash(file)), Hashes: []string{h}, Size: int64(len(data))}}
	return finish(&Inventory{Sources: []SourceFile{{Path: file, Format: format}}, Packages: []*Package{p}}, opts), nil
}

func readLimited(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxMetadataSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxMetadataSize {
		return nil, fmt.Errorf("metadata file larger than %d bytes", maxMetadataSize)
	}
	return b, nil
}

// readZipMetadata finds <name>.dist-info/METADATA (wheels) or EGG-INFO/PKG-INFO
// / <top>/PKG-INFO (eggs, zip sdists) at the top of a zip archive.
func readZipMetadata(file string, data []byte, wheel bool) (*Package, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, errf(file, 0, "not a zip archive: %v", err)
	}
	var meta, record *zip.File
	for _, f := range zr.File {
		dir, base := path.Split(f.Name)
		depth := strings.Count(strings.TrimSuffix(dir, "/"), "/")
		switch {
		case wheel && base == "METADATA" && strings.HasSuffix(dir, ".dist-info/") && depth == 0:
			meta = f
		case wheel && base == "RECORD" && strings.HasSuffix(dir, ".dist-info/") && depth == 0:
			record = f
		case !wheel && base == "PKG-INFO" && depth == 0 && dir != "" && meta == nil:
			meta = f
		}
	}
	if meta == nil {
		return nil, errf(file, 0, "no metadata in archive (expected %s)", map[bool]string{true: "NAME.dist-info/METADATA", false: "PKG-INFO"}[wheel])
	}
	read := func(f *zip.File) ([]byte, error) {
		rc, err := f.Open()
		if err != nil {
			return nil, errf(file, 0, "%s: %v", f.Name, err)
		}
		defer rc.Close()
		b, err := readLimited(rc)
		if err != nil {
			return nil, errf(file, 0, "%s: %v", f.Name, err)
		}
		return b, nil
	}
	b, err := read(meta)
	if err != nil {
		return nil, err
	}
	md, err := ParseMetadata(file+"!"+meta.Name, b)
	if err != nil {
		return nil, err
	}
	p := packageFromMetadata(md, nil)
	p.MetadataDir = path.Dir(meta.Name)
	if record != nil {
		rb, err := read(record)
		if err != nil {
			return nil, err
		}
		if p.Record, err = ParseRecord(file+"!"+record.Name, rb); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// readTarMetadata finds <top>/PKG-INFO in a (compressed) tar sdist.
func readTarMetadata(file string, data []byte) (*Package, error) {
	var r io.Reader = bytes.NewReader(data)
	lower := strings.ToLower(file)
	switch {
	case strings.HasSuffix(lower, ".gz") || strings.HasSuffix(lower, ".tgz"):
		gz, err := gzip.NewReader(r)
		if err != nil {
			return nil, errf(file, 0, "not a gzip archive: %v", err)
		}
		defer gz.Close()
		r = gz
	case strings.HasSuffix(lower, ".bz2"):
		r = bzip2.NewReader(r)
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errf(file, 0, "invalid tar archive: %v", err)
		}
		name := strings.TrimPrefix(h.Name, "./")
		dir, base := path.Split(name)
		if base != "PKG-INFO" || dir == "" || strings.Count(strings.TrimSuffix(dir, "/"), "/") != 0 {
			continue
		}
		b, err := readLimited(tr)
		if err != nil {
			return nil, errf(file, 0, "%s: %v", h.Name, err)
		}
		md, err := ParseMetadata(file+"!"+h.Name, b)
		if err != nil {
			return nil, err
		}
		p := packageFromMetadata(md, nil)
		p.MetadataDir = strings.TrimSuffix(dir, "/")
		return p, nil
	}
	return nil, errf(file, 0, "no PKG-INFO at the top of the sdist")
}
