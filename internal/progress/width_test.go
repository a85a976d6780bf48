package progress

import (
	"bytes"
	"testing"
)

func TestWidth(t *testing.T) {
	var buf bytes.Buffer
	t.Setenv("COLUMNS", "")
	if n, ok := TermWidth(&buf); ok || Width(&buf) != DefaultWidth {
		t.Errorf("a buffer without COLUMNS: %d %v, Width %d", n, ok, Width(&buf))
	}
	for cols, want := range map[string]int{"120": 120, " 80 ": 80, "10": MinWidth, "0": DefaultWidth, "-5": DefaultWidth, "wide": DefaultWidth} {
		t.Setenv("COLUMNS", cols)
		if got := Width(&buf); got != want {
			t.Errorf("COLUMNS=%q: width %d, want %d", cols, got, want)
		}
	}
}
