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

// A tee hands a run's findings at once to the handlers that take them so
// (the streaming formats keep the caller's slice, no copy), one by one to
// the others; both write what they write alone.
func TestTeeFindings(t *testing.T) {
	res := manyAdvisories("/x")
	var doc, alone, sum bytes.Buffer
	h := Tee(mustNew(t, &doc, "json"), NewSummary(&sum))
	if _, ok := h.(FindingsHandler); !ok {
		t.Fatal("a tee does not take findings at once")
	}
	if err := Emit(h, res); err != nil {
		t.Fatal(err)
	}
	if err := Write(&alone, "json", res, Options{}); err != nil {
		t.Fatal(err)
	}
	if doc.String() != alone.String() || sum.String() != SummaryLine(res)+"\n" {
		t.Errorf("tee: json %d bytes (alone %d), summary %q", doc.Len(), alone.Len(), sum.String())
	}
}
