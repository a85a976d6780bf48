package safeio

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func write(t *testing.T, p, s string, mode fs.FileMode) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWriteFileKeepsModeAndIsAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "requirements.txt")
	write(t, p, "old\n", 0o640)
	before, _ := os.Stat(p)
	if err := WriteFile(p, []byte("new\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(p)
	if read(t, p) != "new\n" || after.Mode().Perm() != 0o640 {
		t.Fatalf("content %q mode %v", read(t, p), after.Mode())
	}
	if os.SameFile(before, after) {
		t.Error("regular file rewritten in place; want an atomic rename")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporaries left: %v", entries)
	}
}

func TestWriteFileNewFileUsesPerm(t *testing.T) {
	p := filepath.Join(t.TempDir(), "new.json")
	if err := WriteFile(p, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(p)
	if info.Mode().Perm() != 0o644&^umask {
		t.Errorf("mode %v", info.Mode())
	}
}

func TestWriteThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.txt")
	link := filepath.Join(dir, "link.txt")
	write(t, target, "old", 0o644)
	if err := os.Symlink("real.txt", link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(link, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatal("symlink replaced by a file")
	}
	if read(t, target) != "new" {
		t.Fatalf("target = %q", read(t, target))
	}
	// A dangling link gets its target created.
	dangling := filepath.Join(dir, "dangling")
	if err := os.Symlink("sub-missing.txt", dangling); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(dangling, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(dangling); fi.Mode()&fs.ModeSymlink == 0 || read(t, filepath.Join(dir, "sub-missing.txt")) != "x" {
		t.Fatal("dangling symlink not followed")
	}
	// A loop is an error, not a hang.
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.Symlink(b, a)
	os.Symlink(a, b)
	if err := WriteFile(a, []byte("x"), 0o644); err == nil || !strings.Contains(err.Error(), "symbolic links") {
		t.Fatalf("loop: %v", err)
	}
}

func TestWriteKeepsHardLinks(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.txt")
	q := filepath.Join(dir, "b.txt")
	write(t, p, "old", 0o644)
	if err := os.Link(p, q); err != nil {
		t.Skip(err)
	}
	if err := WriteFile(p, []byte("new content"), 0o644); err != nil {
		t.Fatal(err)
	}
	if read(t, q) != "new content" {
		t.Fatalf("other link reads %q", read(t, q))
	}
	pi, _ := os.Stat(p)
	qi, _ := os.Stat(q)
	if !os.SameFile(pi, qi) {
		t.Fatal("hard link broken")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("temporaries left: %v", entries)
	}
}

func TestWriteRefusesReadOnly(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ro.txt")
	write(t, p, "keep", 0o444)
	var ro *ReadOnlyError
	if err := WriteFile(p, []byte("new"), 0o644); !errors.As(err, &ro) {
		t.Fatalf("err = %v, want ReadOnlyError", err)
	}
	if read(t, p) != "keep" {
		t.Fatal("read-only file changed")
	}
}

func TestWriteDeviceNotReplaced(t *testing.T) {
	before, err := os.Stat("/dev/null")
	if err != nil || before.Mode()&fs.ModeCharDevice == 0 {
		t.Skip("no /dev/null")
	}
	if err := WriteFile("/dev/null", []byte("report"), 0o644); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat("/dev/null")
	if err != nil || after.Mode()&fs.ModeCharDevice == 0 || !os.SameFile(before, after) {
		t.Fatalf("/dev/null replaced: %v %v", after.Mode(), err)
	}
}

func TestWriteFIFOStreams(t *testing.T) {
	p := mkfifo(t, t.TempDir())
	got := make(chan string, 1)
	go func() {
		b, _ := os.ReadFile(p)
		got <- string(b)
	}()
	if err := WriteFile(p, []byte("to the pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		if s != "to the pipe" {
			t.Fatalf("reader got %q", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("reader got nothing")
	}
	if fi, _ := os.Lstat(p); fi.Mode()&fs.ModeNamedPipe == 0 {
		t.Fatal("FIFO replaced")
	}
}

func TestAbortLeavesTargetUnchanged(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	write(t, p, "old", 0o644)
	w, err := Create(p, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("half"))
	if read(t, p) != "old" {
		t.Fatal("target changed before commit")
	}
	w.Abort()
	if read(t, p) != "old" {
		t.Fatal("target changed by abort")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporaries left: %v", entries)
	}
	if err := w.Commit(); err == nil {
		t.Error("commit after abort succeeded")
	}
}

func TestWriteDirectoryRefused(t *testing.T) {
	if err := WriteFile(t.TempDir(), []byte("x"), 0o644); !errors.Is(err, ErrNotRegular) {
		t.Fatalf("err = %v", err)
	}
}

func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, ".download-1.zip")
	fresh := filepath.Join(dir, ".download-2.zip")
	other := filepath.Join(dir, "index.bin")
	for _, p := range []string{old, fresh, other} {
		write(t, p, "x", 0o644)
	}
	past := time.Now().Add(-2 * time.Hour)
	os.Chtimes(old, past, past)
	os.Chtimes(other, past, past)
	if n := RemoveStale(dir, ".download-*.zip", time.Hour); n != 1 {
		t.Fatalf("removed %d", n)
	}
	for p, want := range map[string]bool{old: false, fresh: true, other: true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s exists=%v", p, err == nil)
		}
	}
}

// FuzzWriteFile checks the writer's promises over random contents and
// starting states: the result is exactly the new content or, on error, the
// old one; links stay links; no temporary is left.
func FuzzWriteFile(f *testing.F) {
	f.Add([]byte("old"), []byte("new"), uint8(0))
	f.Add([]byte{}, []byte("x\r\ny"), uint8(1))
	f.Add([]byte("a"), []byte{}, uint8(2))
	f.Fuzz(func(t *testing.T, old, data []byte, kind uint8) {
		dir := t.TempDir()
		target := filepath.Join(dir, "t")
		if err := os.WriteFile(target, old, 0o640); err != nil {
			t.Fatal(err)
		}
		path := target
		switch kind % 4 {
		case 1:
			path = filepath.Join(dir, "link")
			os.Symlink("t", path)
		case 2:
			os.Link(target, filepath.Join(dir, "hard"))
		case 3:
			os.Chmod(target, 0o440)
		}
		err := WriteFile(path, data, 0o644)
		got, _ := os.ReadFile(target)
		if kind%4 == 3 {
			if err == nil || string(got) != string(old) {
				t.Fatalf("read-only target: err=%v content=%q", err, got)
			}
		} else if err != nil || string(got) != string(data) {
			t.Fatalf("err=%v content=%q want %q", err, got, data)
		}
		if kind%4 == 1 {
			if fi, _ := os.Lstat(path); fi.Mode()&fs.ModeSymlink == 0 {
				t.Fatal("link replaced")
			}
		}
		if kind%4 == 2 {
			h, _ := os.ReadFile(filepath.Join(dir, "hard"))
			if string(h) != string(data) {
				t.Fatal("hard link broken")
			}
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.Contains(e.Name(), ".tmp-") {
				t.Fatalf("temporary left: %s", e.Name())
			}
		}
		if fi, _ := os.Stat(target); kind%4 != 3 && fi.Mode().Perm() != 0o640 {
			t.Fatalf("mode changed to %v", fi.Mode())
		}
	})
}

func TestCreateNamesPathNotTemporary(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "missing", "out.json")
	_, err := Create(target, 0o644)
	if err == nil {
		t.Fatal("Create under a missing directory succeeded")
	}
	want := target + ": the directory " + filepath.Join(dir, "missing") + " does not exist"
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v does not match fs.ErrNotExist", err)
	}
}
