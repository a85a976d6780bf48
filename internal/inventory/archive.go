package inventory

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"strings"

	"github.com/pyvet/pyvet/internal/safeio"
)

// archiveFormat is a wheel, egg or sdist.
var archiveFormat = FileFormat{
	Name:    FormatArchive,
	Aliases: []string{"wheel", "egg", "sdist"},
	Match: func(p string) bool {
		return hasSuffixFold(filepath.Base(p), ".whl", ".egg", ".tar.gz", ".tgz", ".tar.bz2", ".zip")
	},
	Parse:     ParseArchive,
	ParsePath: parseArchiveFile,
}

// maxMetadataSize bounds what is read from one archive member.
const maxMetadataSize = 16 << 20

// Bounds on what reading an archive may cost, whatever the archive says
// (variables so tests can lower them).
var (
	// maxArchiveEntries bounds the members of an archive (the largest real
	// wheels have tens of thousands).
	maxArchiveEntries = 200_000
	// maxArchiveTotal bounds the decompressed bytes read from a compressed
	// tar stream while looking for its metadata: a decompression bomb
	// ahead of PKG-INFO is an error, not minutes of inflating.
	maxArchiveTotal int64 = 512 << 20
)

// decompressedStream names the decompressed tar stream in the
// *safeio.TooLargeError its cap returns.
const decompressedStream = "\x00decompressed archive"

// ParseArchive reads the metadata of a wheel (.whl), an egg (.egg) or an sdist
// (.tar.gz, .tar.bz2, .tgz, .tar, .zip) from data without unpacking it to
// disk. A wheel's RECORD is kept in Package.Record; the archive's own sha256
// is recorded in Hashes and Files.
func ParseArchive(file string, data []byte, opts Options) (*Inventory, error) {
	return parseArchive(file, bytes.NewReader(data), int64(len(data)), opts)
}

// maxArchiveFile caps the size of a wheel or sdist read from disk (the
// largest real wheels are a few GiB); it is read in place, never whole into
// memory.
const maxArchiveFile int64 = 8 << 30

// maxZipDirectory caps the bytes zip.NewReader may read to list an
// archive's members (the central directory): listing a hostile archive
// costs at most that much memory.
const maxZipDirectory int64 = 64 << 20

// parseArchiveFile reads the archive at path (a regular file) in place.
func parseArchiveFile(path string, opts Options) (*Inventory, error) {
	f, err := safeio.Open(path, maxArchiveFile)
	if err != nil {
		return nil, errf(path, 0, "%s", readProblem(path, err))
	}
	defer f.Close()
	size := f.Stat().Size()
	if size > maxArchiveFile {
		return nil, errf(path, 0, "larger than the %s limit", safeio.HumanBytes(maxArchiveFile))
	}
	return parseArchive(path, f.OS(), size, opts)
}

// budgetReaderAt fails reads once more than budget bytes were read while
// active is set.
type budgetReaderAt struct {
	r      io.ReaderAt
	active bool
	budget int64
}

func (b *budgetReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if b.active {
		if b.budget -= int64(len(p)); b.budget < 0 {
			return 0, errors.New("the list of members is larger than " + safeio.HumanBytes(maxZipDirectory))
		}
	}
	return b.r.ReadAt(p, off)
}

func parseArchive(file string, r io.ReaderAt, size int64, opts Options) (*Inventory, error) {
	lower := strings.ToLower(file)
	var (
		p   *Package
		err error
	)
	format := "sdist"
	switch {
	case strings.HasSuffix(lower, ".whl"):
		format = "wheel"
		p, err = readZipMetadata(file, r, size, true)
	case strings.HasSuffix(lower, ".egg"):
		format = "egg"
		p, err = readZipMetadata(file, r, size, false)
	case strings.HasSuffix(lower, ".zip"):
		p, err = readZipMetadata(file, r, size, false)
	default:
		p, err = readTarMetadata(file, io.NewSectionReader(r, 0, size))
	}
	if err != nil {
		return nil, err
	}
	p.Direct = true
	p.Locations = []Location{{File: file}}
	p.Source = Source{Kind: SourcePath, Path: file}
	sum := sha256.New()
	if _, err := io.Copy(sum, io.NewSectionReader(r, 0, size)); err != nil {
		return nil, errf(file, 0, "%s", readProblem(file, err))
	}
	h := "sha256:" + hex.EncodeToString(sum.Sum(nil))
	p.Hashes = []string{h}
	p.Files = []File{{Name: path.Base(filepath.ToSlash(file)), Hashes: []string{h}, Size: size}}
	return finish(&Inventory{Sources: []SourceFile{{Path: file, Format: format}}, Packages: []*Package{p}}, opts), nil
}

// readMember reads one archive member of file, at most maxMetadataSize
// decompressed bytes.
func readMember(file, member string, r io.Reader) ([]byte, error) {
	b, err := safeio.ReadAll(r, maxMetadataSize, member)
	if err != nil {
		return nil, archiveError(file, member, err)
	}
	return b, nil
}

// archiveError is a problem with a member of an archive, naming both; the
// member's name is quoted as a short excerpt.
func archiveError(file, member string, err error) error {
	var tl *safeio.TooLargeError
	if errors.As(err, &tl) {
		if tl.Path == decompressedStream {
			return errf(file, 0, "no PKG-INFO in the first %s of the decompressed archive", safeio.HumanBytes(tl.Limit))
		}
		return errf(file, 0, "%s: larger than the %s limit", safeio.Excerpt(member), safeio.HumanBytes(tl.Limit))
	}
	return errf(file, 0, "%s: %s", safeio.Excerpt(member), boundedError(err))
}

// specialMember says why an archive member cannot be metadata (a link or a
// device instead of a file), or "" when it is a regular file.
func specialMember(mode fs.FileMode) string {
	switch {
	case mode&fs.ModeSymlink != 0:
		return "a symbolic link"
	case mode&(fs.ModeDevice|fs.ModeCharDevice) != 0:
		return "a device"
	case mode&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case !mode.IsRegular():
		return "not a regular file"
	}
	return ""
}

// readZipMetadata finds <name>.dist-info/METADATA (wheels) or EGG-INFO/PKG-INFO
// / <top>/PKG-INFO (eggs, zip sdists) at the top of a zip archive.
func readZipMetadata(file string, r io.ReaderAt, size int64, wheel bool) (*Package, error) {
	br := &budgetReaderAt{r: r, active: true, budget: maxZipDirectory}
	zr, err := zip.NewReader(br, size)
	br.active = false
	if err != nil {
		return nil, errf(file, 0, "not a zip archive: %s", boundedError(err))
	}
	if len(zr.File) > maxArchiveEntries {
		return nil, errf(file, 0, "archive has %d members, more than the %d allowed", len(zr.File), maxArchiveEntries)
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
		if why := specialMember(f.Mode()); why != "" {
			return nil, errf(file, 0, "%s is %s", safeio.Excerpt(f.Name), why)
		}
		if f.UncompressedSize64 > maxMetadataSize {
			return nil, archiveError(file, f.Name, &safeio.TooLargeError{Path: f.Name, Limit: maxMetadataSize})
		}
		rc, err := f.Open()
		if err != nil {
			return nil, archiveError(file, f.Name, err)
		}
		defer rc.Close()
		return readMember(file, f.Name, rc)
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
func readTarMetadata(file string, r io.Reader) (*Package, error) {
	lower := strings.ToLower(file)
	switch {
	case strings.HasSuffix(lower, ".gz") || strings.HasSuffix(lower, ".tgz"):
		gz, err := gzip.NewReader(r)
		if err != nil {
			return nil, errf(file, 0, "not a gzip archive: %s", boundedError(err))
		}
		defer gz.Close()
		r = gz
	case strings.HasSuffix(lower, ".bz2"):
		r = bzip2.NewReader(r)
	}
	tr := tar.NewReader(safeio.LimitReader(r, maxArchiveTotal, decompressedStream))
	for n := 0; ; n++ {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var tl *safeio.TooLargeError
			if errors.As(err, &tl) {
				return nil, archiveError(file, "", err)
			}
			return nil, errf(file, 0, "invalid tar archive: %s", boundedError(err))
		}
		if n >= maxArchiveEntries {
			return nil, errf(file, 0, "no PKG-INFO in the first %d members of the archive", maxArchiveEntries)
		}
		name := strings.TrimPrefix(h.Name, "./")
		dir, base := path.Split(name)
		if base != "PKG-INFO" || dir == "" || strings.Count(strings.TrimSuffix(dir, "/"), "/") != 0 {
			continue
		}
		if why := specialMember(h.FileInfo().Mode()); why != "" {
			return nil, errf(file, 0, "%s is %s", safeio.Excerpt(h.Name), why)
		}
		b, err := readMember(file, h.Name, tr)
		if err != nil {
			return nil, err
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
