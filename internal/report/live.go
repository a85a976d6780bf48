package report

import (
	"io"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/policy"
	"github.com/pyvet/pyvet/internal/progress"
)

// Tee returns a handler that sends every message to each of hs in turn,
// stopping at the first error: a live display beside a format, say.
func Tee(hs ...Handler) Handler { return tee(hs) }

type tee []Handler

func (t tee) each(f func(Handler) error) error {
	for _, h := range t {
		if err := f(h); err != nil {
			return err
		}
	}
	return nil
}

func (t tee) Config(c *Config) error { return t.each(func(h Handler) error { return h.Config(c) }) }
func (t tee) Progress(p *Progress) error {
	return t.each(func(h Handler) error { return h.Progress(p) })
}
func (t tee) Inventory(i *inventory.Inventory) error {
	return t.each(func(h Handler) error { return h.Inventory(i) })
}
func (t tee) Skip(s *Skip) error { return t.each(func(h Handler) error { return h.Skip(s) }) }
func (t tee) Finding(f *finding.Finding) error {
	return t.each(func(h Handler) error { return h.Finding(f) })
}

// Findings sends fs at once to the handlers that take them so, one by one
// to the others.
func (t tee) Findings(fs []finding.Finding) error {
	return t.each(func(h Handler) error { return SendFindings(h, fs) })
}
func (t tee) Verification(v *Verification) error {
	return t.each(func(h Handler) error { return h.Verification(v) })
}
func (t tee) Fix(f *JSONFix) error   { return t.each(func(h Handler) error { return h.Fix(f) }) }
func (t tee) Remedy(r *Remedy) error { return t.each(func(h Handler) error { return h.Remedy(r) }) }
func (t tee) File(f *File) error     { return t.each(func(h Handler) error { return h.File(f) }) }
func (t tee) Database(s *advisory.DBStatus) error {
	return t.each(func(h Handler) error { return h.Database(s) })
}
func (t tee) PackageInfo(p *PackageInfo) error {
	return t.each(func(h Handler) error { return h.PackageInfo(p) })
}
func (t tee) Policy(es []policy.Entry) error {
	return t.each(func(h Handler) error { return h.Policy(es) })
}
func (t tee) Note(n string) error   { return t.each(func(h Handler) error { return h.Note(n) }) }
func (t tee) Summary(g *Gate) error { return t.each(func(h Handler) error { return h.Summary(g) }) }
func (t tee) Flush() error          { return t.each(func(h Handler) error { return h.Flush() }) }

// NewProgress returns a handler that draws the run's Progress messages as
// a bar on w when w is a terminal (progress.Bar), ignores every other
// message, and clears the bar at Flush.
func NewProgress(w io.Writer) Handler { return &live{w: w} }

type live struct {
	Collector // keeps nothing it needs; only Progress and Flush matter
	w         io.Writer
	bar       *progress.Bar
	stage     string
	done      int64
}

// Progress draws the stage's bar.
func (l *live) Progress(p *Progress) error {
	if l.bar == nil || p.Stage != l.stage {
		l.bar.Done()
		l.bar, l.stage, l.done = progress.New(l.w, p.Stage, p.Total, true), p.Stage, 0
	}
	l.bar.SetTotal(p.Total)
	l.bar.Add(p.Done - l.done)
	l.done = p.Done
	return nil
}

// Finding implements Handler; a live display keeps no findings.
func (l *live) Finding(*finding.Finding) error { return nil }

// Inventory implements Handler; a live display keeps no inventory.
func (l *live) Inventory(*inventory.Inventory) error { return nil }

// Flush clears the bar.
func (l *live) Flush() error { l.bar.Done(); return nil }
