package report

import (
	"bytes"
	"testing"
)

// Tee sends one run to several handlers: each writes what it writes alone,
// and a progress display off a terminal writes nothing.
func TestTee(t *testing.T) {
	var a, b, alone, bar bytes.Buffer
	h := Tee(mustNew(t, &a, "table"), NewProgress(&bar), mustNew(t, &b, "json"))
	if err := h.Progress(&Progress{Stage: "Matching", Done: 1, Total: 2}); err != nil {
		t.Fatal(err)
	}
	if err := Emit(h, fixture(t)); err != nil {
		t.Fatal(err)
	}
	if err := Write(&alone, "table", fixture(t), Options{}); err != nil {
		t.Fatal(err)
	}
	if a.String() != alone.String() || b.Len() == 0 || bar.Len() != 0 {
		t.Errorf("tee: table %d bytes (alone %d), json %d, progress %q", a.Len(), alone.Len(), b.Len(), bar.String())
	}
}

func mustNew(t *testing.T, w *bytes.Buffer, format string) Handler {
	t.Helper()
	h, err := New(w, format, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return h
}
