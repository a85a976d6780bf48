package progress

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestSilentWhenNotATerminal(t *testing.T) {
	var buf bytes.Buffer
	b := New(&buf, "downloading", 100, true)
	if _, err := io.Copy(b, strings.NewReader(strings.Repeat("x", 100))); err != nil {
		t.Fatal(err)
	}
	b.Done()
	if buf.Len() != 0 {
		t.Errorf("a bar on a buffer wrote %q", buf.String())
	}
	if IsTerminal(&buf) {
		t.Error("a buffer is not a terminal")
	}
}

func TestNilBarIsSafe(t *testing.T) {
	var b *Bar
	b.Add(1)
	b.SetTotal(3)
	b.Done()
}

func TestDrawFormatsProgress(t *testing.T) {
	var buf bytes.Buffer
	b := &Bar{w: &buf, label: "db", total: 200, enabled: true}
	b.Add(50)
	if out := buf.String(); !strings.Contains(out, "db [") || !strings.Contains(out, " 25% (50/200)") {
		t.Errorf("drawn %q", out)
	}
	buf.Reset()
	u := &Bar{w: &buf, label: "files", enabled: true}
	u.Add(7)
	if out := buf.String(); !strings.Contains(out, "files 7") {
		t.Errorf("unknown total drawn %q", out)
	}
}
