package remedy

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"

	"github.com/pyvet/pyvet/internal/safeio"
)

// Write stores every changed file, all or nothing, through safeio.Create:
// a symlink's target is edited and the link kept, a hard-linked file is
// rewritten in place so every link sees the change, the file's mode is
// kept, a read-only file is refused, and each file is replaced atomically.
//
// It first prepares every file: checks that it still holds the content
// Rewrite read, opens its writer and writes the new content in full to a
// temporary file. Only when every file is ready does it commit them, in
// order. If a commit fails, the files already committed get their original
// bytes back, so the project is left as it was. The error names the file.
func Write(files []FileChange) error {
	type prepared struct {
		f FileChange
		w *safeio.Writer
	}
	var ready []prepared
	abort := func() {
		for _, p := range ready {
			p.w.Abort()
		}
	}
	targets := map[string]int{} // resolved path -> index in ready
	for _, f := range files {
		cur, err := readDependencyFile(f.Path)
		if err != nil {
			abort()
			return err
		}
		if !bytes.Equal(cur, f.Old) {
			abort()
			return fmt.Errorf("%s: changed since it was read; nothing was written, run fix again", f.Path)
		}
		w, err := safeio.Create(f.Path, 0o644)
		if err != nil {
			abort()
			return writeError(f.Path, err)
		}
		if i, dup := targets[w.Path()]; dup {
			// Two names of one file (a symlink and its target).
			w.Abort()
			if !bytes.Equal(ready[i].f.New, f.New) {
				abort()
				return fmt.Errorf("%s: the same file as %s, with different changes; nothing was written", f.Path, ready[i].f.Path)
			}
			continue
		}
		if _, err := w.Write(f.New); err != nil {
			w.Abort()
			abort()
			return writeError(f.Path, err)
		}
		targets[w.Path()] = len(ready)
		ready = append(ready, prepared{f, w})
	}
	for i, p := range ready {
		if beforeCommit != nil {
			beforeCommit(i, p.w.Path())
		}
		if err := p.w.Commit(); err != nil {
			for _, q := range ready[i+1:] {
				q.w.Abort()
			}
			var failed []string
			for _, q := range ready[:i] {
				if rerr := safeio.WriteFile(q.w.Path(), q.f.Old, 0o644); rerr != nil {
					failed = append(failed, fmt.Sprintf("%s (%v)", q.f.Path, rerr))
				}
			}
			msg := fmt.Sprintf("%s: %v; the other files were restored", p.f.Path, unwrapPathError(err))
			if len(failed) > 0 {
				msg = fmt.Sprintf("%s: %v; could not restore %v", p.f.Path, unwrapPathError(err), failed)
			}
			return errors.New(msg)
		}
	}
	return nil
}

// beforeCommit, when set (by tests), runs before each commit: the place a
// failing disk or a concurrent change would strike.
var beforeCommit func(i int, path string)

func writeError(path string, err error) error {
	var ro *safeio.ReadOnlyError
	if errors.As(err, &ro) {
		return fmt.Errorf("%s: read-only file, not rewritten; nothing was written", path)
	}
	return fmt.Errorf("%s: %v; nothing was written", path, unwrapPathError(err))
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
