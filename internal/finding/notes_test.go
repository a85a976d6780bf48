package finding

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClip(t *testing.T) {
	if got := Clip("short note", 80); got != "short note" {
		t.Errorf("short: %q", got)
	}
	if got := Clip("a\nb\x00c\td\xff", 80); got != `a\nb\x00c d\xff` {
		t.Errorf("escapes: %q", got)
	}
	long := strings.Repeat("SECRET=x ", 100000)
	got := Clip(long, 80)
	if utf8.RuneCountInString(got) > 80 || !strings.HasSuffix(got, fmt.Sprintf("… (%d bytes)", len(long))) {
		t.Errorf("long: %d characters: %q", utf8.RuneCountInString(got), got)
	}
	// A cut never splits an escape.
	got = Clip(strings.Repeat("\x01", 100), 40)
	if strings.Count(got, `\x01`)*4+len("… (100 bytes)") > 40+2 || strings.Contains(strings.TrimSuffix(got, "… (100 bytes)"), `\x0…`) {
		t.Errorf("escape split: %q", got)
	}
}

func TestFailuresGroupByCause(t *testing.T) {
	f := NewFailures("health: %d package(s) not checked")
	dns := errors.New("dial tcp: lookup pypi.org: no such host")
	for i := 0; i < 949; i++ {
		name := fmt.Sprintf("pkg%03d", i)
		var err error = &url.Error{Op: "Get", URL: "https://pypi.org/pypi/" + name + "/json", Err: dns}
		if i%100 == 0 {
			err = fmt.Errorf("%s: not on the index (%s)", name, name)
		}
		f.Add(name, err)
	}
	f.Add("pkg001", &url.Error{Op: "Get", URL: "https://pypi.org/pypi/pkg001/json", Err: dns}) // twice: counted once
	lines := f.Lines()
	if len(lines) != 2 {
		t.Fatalf("%d lines: %q", len(lines), lines)
	}
	if want := "health: 939 package(s) not checked: dial tcp: lookup pypi.org: no such host (pkg001, pkg002, pkg003 and 936 more)"; lines[0] != want {
		t.Errorf("line 1 = %q\nwant     %q", lines[0], want)
	}
	if want := "health: 10 package(s) not checked: not on the index (<name>) (pkg000, pkg100, pkg200 and 7 more)"; lines[1] != want {
		t.Errorf("line 2 = %q", lines[1])
	}
	if f.Len() != 949 || f.Err() == nil || strings.Contains(f.Error(), "\n") {
		t.Errorf("Len %d, Error %q", f.Len(), f.Error())
	}
	if NewFailures("x %d").Err() != nil {
		t.Error("empty Failures is an error")
	}
	// A URL error whose cause does not name the host gains it.
	if c := Cause(&url.Error{Op: "Get", URL: "https://idx.example/simple/a/", Err: errors.New("timeout")}, "a"); c != "idx.example: timeout" {
		t.Errorf("cause %q", c)
	}
}

func TestNotes(t *testing.T) {
	var n Notes
	n.Add("database is old")
	n.Add("database is old")
	f := NewFailures("license: %d package(s) without a license")
	f.AddCause("a", "offline and not cached")
	f.AddCause("b", "offline and not cached")
	n.AddError(errors.Join(fmt.Errorf("size: %w", f), errors.New("typosquat: no list")))
	n.AddError(nil)
	n.Add(strings.Repeat("x", 10000))
	lines := n.Lines()
	want := []string{"database is old (2 times)", "license: 2 package(s) without a license: offline and not cached (a, b)", "typosquat: no list"}
	if len(lines) != 4 || strings.Join(lines[:3], "|") != strings.Join(want, "|") {
		t.Errorf("lines %q", lines)
	}
	if utf8.RuneCountInString(lines[3]) > MaxNote {
		t.Errorf("note of %d characters", utf8.RuneCountInString(lines[3]))
	}
}

func BenchmarkFailures(b *testing.B) {
	err := &url.Error{Op: "Get", URL: "https://pypi.org/pypi/x/json", Err: errors.New("dial tcp: lookup pypi.org: no such host")}
	for i := 0; i < b.N; i++ {
		f := NewFailures("x: %d")
		for j := 0; j < 1000; j++ {
			f.Add(fmt.Sprint("p", j), err)
		}
		_ = f.Lines()
	}
}

func FuzzClip(f *testing.F) {
	f.Add("plain", 30)
	f.Add("a\nb\x00\xff\u2028é", 24)
	f.Add(strings.Repeat("x", 500), 80)
	f.Fuzz(func(t *testing.T, s string, n int) {
		n = 24 + (n&0xff)%200
		for _, got := range []string{Clip(s, n), ClipText(s, n)} {
			if !utf8.ValidString(got) {
				t.Fatalf("invalid UTF-8: %q", got)
			}
			if c := utf8.RuneCountInString(got); c > n+len(fmt.Sprintf("… (%d bytes)", len(s))) {
				t.Fatalf("%d characters for a cap of %d: %q", c, n, got)
			}
		}
		got := Clip(s, n)
		if utf8.RuneCountInString(got) > n {
			t.Fatalf("Clip: %d characters for a cap of %d", utf8.RuneCountInString(got), n)
		}
		for _, r := range got {
			if r < 0x20 || r == 0x7f {
				t.Fatalf("control character in %q", got)
			}
		}
	})
}

// TestClipFastPath: Clip returns the text itself exactly when the full
// computation would give the same text, for texts of every character class.
func TestClipFastPath(t *testing.T) {
	pieces := []string{"a", "é", "日本", "\n", "\t", "\r", "\x00", "\x7f", "\u0085", "\u2028", "\u2029", "\xff", "\xe2\x80", "\ufffd", "|", "<&>", " ", "😀"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var b strings.Builder
		for range rng.IntN(40) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		s, n := b.String(), 24+rng.IntN(20)
		if got, want := Clip(s, n), clip(s, n); got != want {
			t.Fatalf("Clip(%q, %d) = %q, want %q", s, n, got, want)
		}
	}
	long := strings.Repeat("x", 500)
	if got := Clip(long, 300); got != clip(long, 300) || len(got) >= 500 {
		t.Errorf("a long text is not cut: %q", got)
	}
	if allocs := testing.AllocsPerRun(100, func() { _ = Clip("PYSEC-2024-1 in requests 2.31.0", 200) }); allocs != 0 {
		t.Errorf("Clip of a text that fits allocates %v times", allocs)
	}
}

// TestClipTextIdempotent: a cut description and its mark fit in n
// characters, the mark gives the length of the whole text, and a second
// ClipText returns a clipped text as it is, for texts of every class.
func TestClipTextIdempotent(t *testing.T) {
	pieces := []string{"a", "é", "日本", "\n", "\t", "\r", "\x00", "\x7f", "\xff", "\u2028", "😀", "word "}
	rng := rand.New(rand.NewPCG(3, 5))
	for range 20000 {
		var b strings.Builder
		for range rng.IntN(80) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		s, n := b.String(), 24+rng.IntN(60)
		c := ClipText(s, n)
		if utf8.RuneCountInString(c) > n {
			t.Fatalf("ClipText(%q, %d) = %q: longer than %d characters", s, n, c, n)
		}
		if again := ClipText(c, n); again != c {
			t.Fatalf("ClipText(ClipText(%q, %d)) = %q, want %q", s, n, again, c)
		}
		if strings.HasSuffix(c, " bytes)") && !strings.HasSuffix(c, fmt.Sprintf("… (%d bytes)", len(s))) {
			t.Fatalf("ClipText(%q, %d) = %q: the mark does not give the text's length", s, n, c)
		}
	}
}
