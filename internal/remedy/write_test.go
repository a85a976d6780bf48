package remedy

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pyvet/pyvet/internal/inventory"
)

// fixFiles plans and rewrites the requirements files at paths against the
// test advisories (offline).
func fixFiles(t *testing.T, paths ...string) *Result {
	t.Helper()
	inv, err := inventory.Load(paths, inventory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Rewrite(inv, Compute(context.Background(), inv, testDB(t), Options{}))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func readString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A symlinked requirements file: its target is edited, the link stays.
func TestFixWriteSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "shared", "base.txt")
	os.MkdirAll(filepath.Dir(target), 0o755)
	os.WriteFile(target, []byte("requests==2.19.0\n"), 0o640)
	link := filepath.Join(dir, "requirements.txt")
	if err := os.Symlink(filepath.Join("shared", "base.txt"), link); err != nil {
		t.Fatal(err)
	}
	res := fixFiles(t, link)
	if err := Write(res.Files); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v %v", st.Mode(), err)
	}
	if got := readString(t, target); got != "requests==2.20.1\n" {
		t.Errorf("target = %q", got)
	}
	if st, _ := os.Stat(target); st.Mode().Perm() != 0o640 {
		t.Errorf("mode = %v", st.Mode())
	}
}

// Line endings, a missing final newline, a UTF-8 BOM and Latin-1 bytes
// outside the edited spans stay byte for byte; the mode is kept.
func TestFixWriteKeepsBytes(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"crlf", "# app\r\nrequests==2.19.0\r\nsix==1.10.0\r\n", "# app\r\nrequests==2.20.1\r\nsix==1.10.0\r\n"},
		{"no final newline", "six==1.10.0\nrequests==2.19.0", "six==1.10.0\nrequests==2.20.1"},
		{"bom", "\xef\xbb\xbfrequests==2.19.0\nsix==1.10.0\n", "\xef\xbb\xbfrequests==2.20.1\nsix==1.10.0\n"},
		{"latin-1", "# caf\xe9 \xa9 2019\nrequests==2.19.0  # r\xe9seau\n", "# caf\xe9 \xa9 2019\nrequests==2.20.1  # r\xe9seau\n"},
		{"crlf hashed continuation kept when hashes unknown", "requests==2.19.0 \\\r\n    --hash=sha256:" + strings.Repeat("a", 64) + "\r\nurllib3==1.23\r\n", "requests==2.19.0 \\\r\n    --hash=sha256:" + strings.Repeat("a", 64) + "\r\nurllib3==1.24.2\r\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "requirements.txt")
			os.WriteFile(path, []byte(c.in), 0o600)
			var res *Result
			if strings.HasPrefix(c.in, "\xef\xbb\xbf") {
				// The inventory does not read files with a byte-order mark
				// yet: give the declarations by hand.
				inv := &inventory.Inventory{
					Sources:  []inventory.SourceFile{{Path: path, Format: "requirements"}},
					Packages: []*inventory.Package{pkg("requests", "2.19.0", "==2.19.0", path, 1), pkg("six", "1.10.0", "==1.10.0", path, 2)},
				}
				var err error
				if res, err = Rewrite(inv, Compute(context.Background(), inv, testDB(t), Options{})); err != nil {
					t.Fatal(err)
				}
			} else {
				res = fixFiles(t, path)
			}
			if err := Write(res.Files); err != nil {
				t.Fatal(err)
			}
			if got := readString(t, path); got != c.want {
				t.Errorf("got %q\nwant %q", got, c.want)
			}
			if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
				t.Errorf("mode = %v", st.Mode())
			}
		})
	}
}

// A read-only file is never rewritten: a clear error, and no file of the
// fix is changed.
func TestFixWriteReadOnly(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.txt")
	os.WriteFile(a, []byte("requests==2.19.0\n"), 0o644)
	os.WriteFile(b, []byte("urllib3==1.23\n"), 0o444)
	res := fixFiles(t, a, b)
	if len(res.Files) != 2 {
		t.Fatalf("files = %d", len(res.Files))
	}
	err := Write(res.Files)
	if err == nil || !strings.Contains(err.Error(), "b.txt: read-only file") || !strings.Contains(err.Error(), "nothing was written") {
		t.Fatalf("error = %v", err)
	}
	if readString(t, a) != "requests==2.19.0\n" || readString(t, b) != "urllib3==1.23\n" {
		t.Error("a file was written")
	}
	assertNoTemporaries(t, dir)
}

// A hard-linked file keeps its links: every name sees the new content.
func TestFixWriteHardLink(t *testing.T) {
	dir := t.TempDir()
	path, other := filepath.Join(dir, "requirements.txt"), filepath.Join(dir, "other-name.txt")
	os.WriteFile(path, []byte("requests==2.19.0\n"), 0o644)
	if err := os.Link(path, other); err != nil {
		t.Fatal(err)
	}
	if err := Write(fixFiles(t, path).Files); err != nil {
		t.Fatal(err)
	}
	if readString(t, other) != "requests==2.20.1\n" {
		t.Errorf("hard link lost: %q", readString(t, other))
	}
	var st1, st2 syscall.Stat_t
	syscall.Stat(path, &st1)
	syscall.Stat(other, &st2)
	if st1.Ino != st2.Ino || st1.Nlink != 2 {
		t.Errorf("inodes %d %d, links %d", st1.Ino, st2.Ino, st1.Nlink)
	}
}

// A commit failing midway restores the files already committed from their
// original bytes.
func TestFixWriteRollback(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i, line := range []string{"requests==2.19.0\n", "urllib3==1.23\n", "jinja2==2.9\n"} {
		p := filepath.Join(dir, string(rune('a'+i))+".txt")
		os.WriteFile(p, []byte(line), 0o644)
		paths = append(paths, p)
	}
	res := fixFiles(t, paths...)
	if len(res.Files) != 3 {
		t.Fatalf("files = %d", len(res.Files))
	}
	// The third target turns into a directory just before its commit: its
	// rename fails after two files were committed.
	beforeCommit = func(i int, path string) {
		if i == 2 {
			os.Remove(path)
			os.Mkdir(path, 0o755)
			os.WriteFile(filepath.Join(path, "keep"), nil, 0o644)
		}
	}
	defer func() { beforeCommit = nil }()
	err := Write(res.Files)
	if err == nil || !strings.Contains(err.Error(), "c.txt") || !strings.Contains(err.Error(), "restored") {
		t.Fatalf("error = %v", err)
	}
	if readString(t, paths[0]) != "requests==2.19.0\n" || readString(t, paths[1]) != "urllib3==1.23\n" {
		t.Errorf("not rolled back: %q %q", readString(t, paths[0]), readString(t, paths[1]))
	}
}

// A file changed between planning and writing is not overwritten.
func TestFixWriteChangedMeanwhile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "requirements.txt")
	os.WriteFile(path, []byte("requests==2.19.0\n"), 0o644)
	res := fixFiles(t, path)
	os.WriteFile(path, []byte("requests==2.19.0\nflask==1.0\n"), 0o644)
	if err := Write(res.Files); err == nil || !strings.Contains(err.Error(), "changed since it was read") {
		t.Fatalf("error = %v", err)
	}
	if readString(t, path) != "requests==2.19.0\nflask==1.0\n" {
		t.Error("overwritten")
	}
}

func assertNoTemporaries(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

// FuzzFixWrite writes generated content through every kind of target:
// the result is always either the whole new content or the untouched old
// one (never a mix), a symlink stays a symlink, a hard link stays shared,
// the mode is kept, a device or FIFO is never replaced, and no temporary
// file is left behind.
func FuzzFixWrite(f *testing.F) {
	f.Add([]byte("requests==2.19.0\n"), []byte("requests==2.20.1\n"), uint8(0), uint16(0o644))
	f.Add([]byte("a\r\nb"), []byte("\xef\xbb\xbfa\r\nc"), uint8(1), uint16(0o600))
	f.Add([]byte(""), []byte("x"), uint8(2), uint16(0o640))
	f.Add([]byte("x\n"), []byte("y\n"), uint8(3), uint16(0o444))
	f.Add([]byte("x\n"), []byte("y\n"), uint8(4), uint16(0o644))
	f.Add([]byte("x\n"), []byte("y\n"), uint8(5), uint16(0o644))
	f.Fuzz(func(t *testing.T, old, new []byte, kind uint8, mode uint16) {
		perm := os.FileMode(mode) & 0o777
		if len(old) > 1<<16 || len(new) > 1<<16 {
			return
		}
		dir := t.TempDir()
		target := filepath.Join(dir, "target.txt")
		path := target
		switch kind % 6 {
		case 5: // a device: Write refuses it and leaves it alone
			path = os.DevNull
			before, err := os.Stat(path)
			if err != nil || before.Mode()&os.ModeCharDevice == 0 {
				t.Skip("no /dev/null character device")
			}
			if err := Write([]FileChange{{Path: path, Old: nil, New: new}}); err == nil {
				t.Fatal("writing a device succeeded")
			}
			after, err := os.Stat(path)
			if err != nil || after.Mode() != before.Mode() {
				t.Fatalf("/dev/null changed: %v -> %v", before.Mode(), after.Mode())
			}
			return
		case 4: // a FIFO: refused, never replaced
			if err := syscall.Mkfifo(target, 0o644); err != nil {
				t.Skip(err)
			}
			if err := Write([]FileChange{{Path: target, Old: old, New: new}}); err == nil {
				t.Fatal("writing a FIFO succeeded")
			}
			if st, err := os.Lstat(target); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
				t.Fatalf("FIFO replaced: %v", st.Mode())
			}
			return
		}
		if err := os.WriteFile(target, old, 0o600); err != nil {
			t.Fatal(err)
		}
		os.Chmod(target, perm)
		var link, hard string
		switch kind % 6 {
		case 1:
			link = filepath.Join(dir, "requirements.txt")
			os.Symlink("target.txt", link)
			path = link
		case 2:
			hard = filepath.Join(dir, "hard.txt")
			os.Link(target, hard)
		case 3:
			// A stale Old: the file changed since it was read.
			old = append(append([]byte(nil), old...), '!')
		}
		err := Write([]FileChange{{Path: path, Old: old, New: new}})
		got, rerr := os.ReadFile(target)
		if rerr != nil {
			t.Fatal(rerr)
		}
		readOnly := perm&0o222 == 0
		switch {
		case kind%6 == 3 || readOnly:
			if err == nil {
				t.Fatalf("write succeeded (stale=%v, mode %v)", kind%6 == 3, perm)
			}
			if !bytes.Equal(got, old[:len(old)-boolInt(kind%6 == 3)]) {
				t.Fatalf("target changed on a refused write: %q", got)
			}
		case err != nil:
			t.Fatalf("write: %v", err)
		default:
			if !bytes.Equal(got, new) {
				t.Fatalf("target holds %q, want %q", got, new)
			}
		}
		st, _ := os.Stat(target)
		if st.Mode().Perm() != perm {
			t.Fatalf("mode %v, want %v", st.Mode().Perm(), perm)
		}
		if link != "" {
			if lst, err := os.Lstat(link); err != nil || lst.Mode()&os.ModeSymlink == 0 {
				t.Fatal("symlink replaced")
			}
		}
		if hard != "" {
			h, _ := os.ReadFile(hard)
			if !bytes.Equal(h, got) {
				t.Fatalf("hard link diverged: %q vs %q", h, got)
			}
		}
		assertNoTemporaries(t, dir)
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
