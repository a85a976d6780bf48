// Package safeio holds the program's one implementation of bounded reads and
// safe writes. Every reader of user-supplied or downloaded data goes through
// it: regular files only unless the caller asks otherwise, a size cap on
// every read, and errors that name the file. Every writer of a user's file
// goes through it too: symlinks are followed to their target, devices and
// FIFOs are written, never replaced, regular files are replaced atomically
// with their mode kept, and hard links survive.
package safeio

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// Size caps shared by the readers of the program.
const (
	// MaxTextFile caps dependency files, policy files and other text inputs.
	MaxTextFile int64 = 32 << 20
	// MaxJSON caps JSON documents: bundles, attestations, API answers, SBOMs.
	MaxJSON int64 = 64 << 20
)

// ErrNotRegular is wrapped by the errors returned for inputs that are not
// regular files (directories, devices, FIFOs, sockets).
var ErrNotRegular = errors.New("not a regular file")

// TooLargeError reports an input larger than the cap its reader allows.
type TooLargeError struct {
	Path  string // the file, URL or entry name
	Limit int64  // the cap in bytes
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s: larger than the %s limit", e.Path, HumanBytes(e.Limit))
}

// NotRegularError reports an input that is not a regular file. It wraps
// ErrNotRegular.
type NotRegularError struct {
	Path string
	Mode fs.FileMode
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s: %s, not a regular file", e.Path, describeMode(e.Mode))
}

// Unwrap returns ErrNotRegular.
func (e *NotRegularError) Unwrap() error { return ErrNotRegular }

func describeMode(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeIrregular != 0:
		return "an irregular file"
	}
	return "a " + m.Type().String() + " file"
}

// HumanBytes formats n bytes as a short human-readable size.
func HumanBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Options tunes Open and ReadFile.
type Options struct {
	// Limit is the most bytes a read may return; 0 means MaxTextFile.
	Limit int64
	// AllowNonRegular accepts FIFOs, devices and other non-regular files
	// (never directories). Reads stay capped by Limit.
	AllowNonRegular bool
}

func (o Options) limit() int64 {
	if o.Limit <= 0 {
		return MaxTextFile
	}
	return o.Limit
}

// File is an opened input whose reads are capped. Reading past the cap
// returns a *TooLargeError.
type File struct {
	f    *os.File
	r    io.Reader
	info fs.FileInfo
}

// Open opens a regular file (symlinks followed) for reading at most limit
// bytes.
func Open(path string, limit int64) (*File, error) {
	return OpenOpts(path, Options{Limit: limit})
}

// OpenOpts opens path as Options say. A FIFO is never waited on unless
// AllowNonRegular is set: the file is opened without blocking and checked
// before any read.
func OpenOpts(path string, o Options) (*File, error) {
	// O_NONBLOCK makes opening a FIFO return at once instead of waiting for
	// a writer; it has no effect on regular files.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !info.Mode().IsRegular() {
		if info.IsDir() || !o.AllowNonRegular {
			f.Close()
			return nil, &NotRegularError{Path: path, Mode: info.Mode()}
		}
		// Reopen in blocking mode: the caller asked for a stream.
		f.Close()
		if f, err = os.Open(path); err != nil {
			return nil, err
		}
	}
	return &File{f: f, r: LimitReader(f, o.limit(), path), info: info}, nil
}

// Read reads from the file, failing with *TooLargeError past the cap.
func (f *File) Read(p []byte) (int, error) { return f.r.Read(p) }

// Close closes the file.
func (f *File) Close() error { return f.f.Close() }

// Stat returns the file's information as of opening it.
func (f *File) Stat() fs.FileInfo { return f.info }

// Name returns the path the file was opened with.
func (f *File) Name() string { return f.f.Name() }

// OS returns the underlying file, for callers that need ReadAt or Seek
// (zip archives); they must respect the file's size themselves.
func (f *File) OS() *os.File { return f.f }

// ReadFile reads a whole regular file of at most limit bytes.
func ReadFile(path string, limit int64) ([]byte, error) {
	return ReadFileOpts(path, Options{Limit: limit})
}

// ReadFileOpts reads a whole file as Options say.
func ReadFileOpts(path string, o Options) ([]byte, error) {
	f, err := OpenOpts(path, o)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if f.info.Mode().IsRegular() {
		if f.info.Size() > o.limit() {
			return nil, &TooLargeError{Path: path, Limit: o.limit()}
		}
		buf := make([]byte, 0, f.info.Size()+1)
		for {
			n, err := f.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			if err == io.EOF {
				return buf, nil
			}
			if err != nil {
				return nil, err
			}
			if len(buf) == cap(buf) {
				// The file grew while being read.
				buf = append(buf, 0)[:len(buf)]
			}
		}
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// ReadAll reads r to its end, failing with *TooLargeError (naming name)
// when it holds more than limit bytes.
func ReadAll(r io.Reader, limit int64, name string) ([]byte, error) {
	b, err := io.ReadAll(LimitReader(r, limit, name))
	if err != nil {
		return nil, err
	}
	return b, nil
}

// LimitReader returns a reader of at most limit bytes from r. Unlike
// io.LimitReader it does not pretend the input ended at the cap: a read past
// it returns *TooLargeError naming name.
func LimitReader(r io.Reader, limit int64, name string) io.Reader {
	return &limitReader{r: r, left: limit, limit: limit, name: name}
}

type limitReader struct {
	r     io.Reader
	left  int64 // bytes still allowed; -1 once the cap was passed
	limit int64
	name  string
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, &TooLargeError{Path: l.name, Limit: l.limit}
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n - 1, &TooLargeError{Path: l.name, Limit: l.limit}
	}
	return n, err
}
