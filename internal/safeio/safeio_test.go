package safeio

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"
)

func mkfifo(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	return p
}

func TestReadFileRefusesFIFOWithoutWaiting(t *testing.T) {
	p := mkfifo(t, t.TempDir())
	done := make(chan error, 1)
	go func() { _, err := ReadFile(p, 1024); done <- err }()
	select {
	case err := <-done:
		var nr *NotRegularError
		if !errors.As(err, &nr) || !errors.Is(err, ErrNotRegular) {
			t.Fatalf("err = %v, want NotRegularError", err)
		}
		if !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "FIFO") {
			t.Errorf("message %q should name the path and say FIFO", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ReadFile blocked on a FIFO")
	}
}

func TestReadFileRefusesDevicesAndDirectories(t *testing.T) {
	for _, p := range []string{"/dev/zero", "/dev/null", t.TempDir()} {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		if _, err := ReadFile(p, 1024); !errors.Is(err, ErrNotRegular) {
			t.Errorf("%s: err = %v, want ErrNotRegular", p, err)
		}
	}
	// A directory is refused even when non-regular files are allowed.
	if _, err := ReadFileOpts(t.TempDir(), Options{AllowNonRegular: true}); !errors.Is(err, ErrNotRegular) {
		t.Errorf("directory with AllowNonRegular: err = %v", err)
	}
}

func TestAllowedDeviceIsStillCapped(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	b, err := ReadFileOpts("/dev/zero", Options{Limit: 1 << 16, AllowNonRegular: true})
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Limit != 1<<16 || tl.Path != "/dev/zero" {
		t.Fatalf("err = %v, want TooLargeError for /dev/zero at 64 KiB", err)
	}
	if b != nil {
		t.Errorf("got %d bytes with the error", len(b))
	}
}

func TestReadFileLimits(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	data := bytes.Repeat([]byte("x"), 100)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadFile(p, 100); err != nil || !bytes.Equal(b, data) {
		t.Fatalf("at the limit: %d bytes, %v", len(b), err)
	}
	var tl *TooLargeError
	if _, err := ReadFile(p, 99); !errors.As(err, &tl) {
		t.Fatalf("over the limit: %v", err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(p, link); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadFile(link, 100); err != nil || len(b) != 100 {
		t.Fatalf("through a symlink: %d bytes, %v", len(b), err)
	}
	if _, err := ReadFile(filepath.Join(dir, "missing"), 10); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

func TestLimitReaderBoundary(t *testing.T) {
	for _, tc := range []struct {
		n, limit int
		ok       bool
	}{{0, 0, true}, {1, 0, false}, {10, 10, true}, {11, 10, false}, {100000, 4096, false}, {4096, 100000, true}} {
		src := strings.Repeat("a", tc.n)
		b, err := ReadAll(iotest{strings.NewReader(src)}, int64(tc.limit), "x")
		if tc.ok != (err == nil) {
			t.Errorf("n=%d limit=%d: err = %v", tc.n, tc.limit, err)
		}
		if tc.ok && len(b) != tc.n {
			t.Errorf("n=%d limit=%d: read %d", tc.n, tc.limit, len(b))
		}
		if !tc.ok && len(b) > tc.limit {
			t.Errorf("n=%d limit=%d: returned %d bytes past the limit", tc.n, tc.limit, len(b))
		}
	}
}

// iotest reads at most 7 bytes at a time, to cross the limit mid-read.
type iotest struct{ r io.Reader }

func (r iotest) Read(p []byte) (int, error) {
	if len(p) > 7 {
		p = p[:7]
	}
	return r.r.Read(p)
}

func TestExcerpt(t *testing.T) {
	if got := Excerpt("requests==2.0"); got != `"requests==2.0"` {
		t.Errorf("short: %s", got)
	}
	long := strings.Repeat("SECRET=", 1<<20)
	got := Excerpt(long)
	if n := utf8.RuneCountInString(got); n > ExcerptLen {
		t.Errorf("excerpt of 7 MB has %d characters", n)
	}
	if !strings.Contains(got, "(7340032 bytes)") || !strings.HasPrefix(got, `"SECRET=`) {
		t.Errorf("long: %s", got)
	}
	ctl := Excerpt("a\x00b\x1b[31m\xff\"é")
	if ctl != `"a\x00b\x1b[31m\xff\"é"` {
		t.Errorf("escaped: %s", ctl)
	}
	// Escapes count against the cap.
	if n := utf8.RuneCountInString(Excerpt(strings.Repeat("\x00", 1000))); n > ExcerptLen {
		t.Errorf("escaped excerpt has %d characters", n)
	}
}

func FuzzExcerpt(f *testing.F) {
	f.Add("abc", 80)
	f.Add(strings.Repeat("\x00é\"", 100), 30)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n > 1000 || n < -10 {
			return
		}
		got := ExcerptN(s, n)
		limit := n
		if limit < 24 {
			limit = 24
		}
		if c := utf8.RuneCountInString(got); c > limit {
			t.Fatalf("ExcerptN(%q, %d) = %d characters", s, n, c)
		}
		if !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8: %q", got)
		}
	})
}
