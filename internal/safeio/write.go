package safeio

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// ReadOnlyError reports a target the writer refuses to replace because it
// is not writable.
type ReadOnlyError struct{ Path string }

func (e *ReadOnlyError) Error() string {
	return fmt.Sprintf("%s: read-only file, not rewritten", e.Path)
}

// umask is the process's file mode creation mask, read once.
var umask = func() fs.FileMode {
	u := syscall.Umask(0)
	syscall.Umask(u)
	return fs.FileMode(u)
}()

// writeMode is how a Writer delivers its bytes.
type writeMode int

const (
	modeRename  writeMode = iota // temporary file renamed over the target
	modeInPlace                  // temporary file copied into the target's inode (hard links)
	modeDirect                   // straight to the target (devices, FIFOs)
)

// Writer writes one file safely. Bytes go to a temporary file beside the
// target (or straight to a device or FIFO); Commit makes them the target's
// content, Abort discards them. A Writer is not safe for concurrent use.
type Writer struct {
	path   string // the target after following symlinks
	mode   writeMode
	perm   fs.FileMode
	tmp    *os.File // modeRename, modeInPlace
	direct *os.File // modeDirect
	done   bool
	err    error // first write error
}

// Create prepares a safe write of path:
//   - a symlink is followed to its final target, which is written (the link
//     stays a link, also a dangling one: its target is created);
//   - an existing device, FIFO or socket is written directly, never replaced;
//   - an existing regular file is replaced atomically (temporary file in the
//     same directory, fsync, rename, directory fsync) keeping its mode;
//   - a regular file with several hard links is rewritten in place, after
//     the new content was written in full to a temporary file, so every link
//     sees the new content;
//   - a file without write permission is refused with *ReadOnlyError;
//   - a new file gets perm less the process umask.
func Create(path string, perm fs.FileMode) (*Writer, error) {
	target, err := resolve(path)
	if err != nil {
		return nil, err
	}
	w := &Writer{path: target, perm: perm &^ umask}
	info, err := os.Stat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		w.mode = modeRename
	case err != nil:
		return nil, err
	case info.IsDir():
		return nil, &NotRegularError{Path: path, Mode: info.Mode()}
	case !info.Mode().IsRegular():
		w.mode = modeDirect
		f, err := os.OpenFile(target, os.O_WRONLY, 0)
		if err != nil {
			return nil, err
		}
		w.direct = f
		return w, nil
	default:
		if info.Mode().Perm()&0o222 == 0 || syscall.Access(target, 2 /* W_OK */) != nil {
			return nil, &ReadOnlyError{Path: path}
		}
		w.perm = info.Mode().Perm()
		w.mode = modeRename
		if st, ok := info.Sys().(*syscall.Stat_t); ok && st.Nlink > 1 {
			w.mode = modeInPlace
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".tmp-*")
	if err != nil {
		return nil, createError(path, filepath.Dir(target), err)
	}
	w.tmp = tmp
	if info != nil && w.mode == modeRename {
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			_ = tmp.Chown(int(st.Uid), int(st.Gid)) // best effort: keep the owner
		}
	}
	if err := tmp.Chmod(w.perm); err != nil {
		w.Abort()
		return nil, err
	}
	return w, nil
}

// resolve follows symlinks to the final target, which need not exist.
func resolve(path string) (string, error) {
	p := path
	for hops := 0; hops < 40; hops++ {
		info, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return p, nil
		}
		if err != nil {
			return "", err
		}
		if info.Mode()&fs.ModeSymlink == 0 {
			return p, nil
		}
		link, err := os.Readlink(p)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(filepath.Dir(p), link)
		}
		p = link
	}
	return "", fmt.Errorf("%s: too many levels of symbolic links", path)
}

// Path returns the file the Writer writes: the target after symlinks.
func (w *Writer) Path() string { return w.path }

// Write writes p to the pending content.
func (w *Writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, fmt.Errorf("%s: write after commit or abort", w.path)
	}
	if w.err != nil {
		return 0, w.err
	}
	var n int
	var err error
	if w.mode == modeDirect {
		n, err = w.direct.Write(p)
	} else {
		n, err = w.tmp.Write(p)
	}
	if err != nil {
		w.err = err
	}
	return n, err
}

// Commit makes the written bytes the target's content. On error the target
// is unchanged (for renames and in-place rewrites, as far as the copy into
// the target did not start).
func (w *Writer) Commit() error {
	if w.done {
		return fmt.Errorf("%s: already committed or aborted", w.path)
	}
	w.done = true
	if w.err != nil {
		w.cleanup()
		return w.err
	}
	switch w.mode {
	case modeDirect:
		return w.direct.Close()
	case modeInPlace:
		defer w.cleanup()
		if err := w.tmp.Sync(); err != nil {
			return err
		}
		if _, err := w.tmp.Seek(0, io.SeekStart); err != nil {
			return err
		}
		dst, err := os.OpenFile(w.path, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			return err
		}
		if _, err := io.Copy(dst, w.tmp); err != nil {
			dst.Close()
			return err
		}
		if err := dst.Sync(); err != nil {
			dst.Close()
			return err
		}
		return dst.Close()
	}
	if err := w.tmp.Sync(); err != nil {
		w.cleanup()
		return err
	}
	if err := w.tmp.Close(); err != nil {
		os.Remove(w.tmp.Name())
		return err
	}
	if err := os.Rename(w.tmp.Name(), w.path); err != nil {
		os.Remove(w.tmp.Name())
		return err
	}
	if d, err := os.Open(filepath.Dir(w.path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// Abort discards the pending content; the target is unchanged (bytes
// already written to a device or FIFO cannot be taken back). It is safe to
// call after Commit, where it does nothing.
func (w *Writer) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	if w.mode == modeDirect {
		return w.direct.Close()
	}
	w.cleanup()
	return nil
}

func (w *Writer) cleanup() {
	if w.tmp != nil {
		w.tmp.Close()
		os.Remove(w.tmp.Name())
	}
	if w.direct != nil {
		w.direct.Close()
	}
}

// WriteFile writes data to path as Create describes.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	w, err := Create(path, perm)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		w.Abort()
		return err
	}
	return w.Commit()
}

// RemoveStale removes the regular files in dir matching the glob pattern
// whose modification time is older than olderThan: the temporaries a killed
// run left behind. It returns how many it removed.
func RemoveStale(dir, pattern string, olderThan time.Duration) int {
	matches, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		return 0
	}
	cutoff := time.Now().Add(-olderThan)
	n := 0
	for _, m := range matches {
		info, err := os.Lstat(m)
		if err != nil || !info.Mode().IsRegular() || info.ModTime().After(cutoff) {
			continue
		}
		if os.Remove(m) == nil {
			n++
		}
	}
	return n
}

// createError says why a file could not be created at path in dir, naming
// path (the temporary file's own name means nothing to the user); the cause
// stays in the chain for errors.Is.
func createError(path, dir string, err error) error {
	cause := err
	var pe *fs.PathError
	if errors.As(err, &pe) {
		cause = pe.Err
	}
	msg := fmt.Sprintf("%s: cannot create a file in %s: %v", path, dir, cause)
	switch {
	case errors.Is(cause, fs.ErrNotExist):
		msg = fmt.Sprintf("%s: the directory %s does not exist", path, dir)
	case errors.Is(cause, fs.ErrPermission):
		msg = fmt.Sprintf("%s: permission denied (cannot create a file in %s)", path, dir)
	}
	return &wrapped{msg: msg, err: err}
}

// wrapped is an error with its own message that unwraps to its cause.
type wrapped struct {
	msg string
	err error
}

func (e *wrapped) Error() string { return e.msg }
func (e *wrapped) Unwrap() error { return e.err }
