package report

import (
	"unsafe"

	"github.com/pyvet/pyvet/internal/finding"
)

// Caps on the text a report carries, in characters. Findings, notes and
// metadata hold text that comes from inputs (requirement lines, advisory
// databases, index responses, policy files); a report quotes at most this
// much of any of it, escaped, so a hostile input is never copied whole into
// an uploaded report. Names and versions of real dependencies are far below
// the caps.
const (
	maxName   = 200  // package, version, ids, fix versions
	maxLine   = 300  // titles, reasons, evidence, metadata, notes
	maxDetail = 4000 // advisory descriptions and explanations (line breaks kept)
)

// bounded returns res with every text field capped (see the constants). It
// is applied once, at the entry of every writer.
func bounded(res *Result) *Result {
	if res == nil {
		return &Result{}
	}
	out := *res
	out.Tool = finding.Clip(res.Tool, maxName)
	out.Version = finding.Clip(res.Version, maxName)
	out.Notes = boundNotes(res.Notes)
	if res.Meta != nil {
		out.Meta = make(map[string]string, len(res.Meta))
		for k, v := range boundMeta(res.Meta) {
			out.Meta[k] = v
		}
	}
	if res.Skipped != nil {
		out.Skipped = make(map[string]string, len(res.Skipped))
		for k, v := range res.Skipped {
			out.Skipped[k] = finding.Clip(v, maxLine)
		}
	}
	out.Fixes = boundFixes(res.Fixes)
	out.Findings = make([]finding.Finding, len(res.Findings))
	for i, f := range res.Findings {
		out.Findings[i] = boundFinding(f)
	}
	return &out
}

// boundFinding returns f with every text field capped; what needs no
// change is kept as it is (no copy of a list, map or location that fits).
func boundFinding(f finding.Finding) finding.Finding { return boundWith(f, nil) }

// boundWith is boundFinding, the cut titles and descriptions remembered in
// memo (nil: none) so that the findings of one advisory cut its text once.
func boundWith(f finding.Finding, memo clipMemo) finding.Finding {
	f.ID = finding.Clip(f.ID, maxName)
	f.Package = finding.Clip(f.Package, maxName)
	f.Version = finding.Clip(f.Version, maxName)
	f.Vector = finding.Clip(f.Vector, maxName)
	f.Title = memo.clip(f.Title, maxLine, false)
	f.Detail = memo.clip(f.Detail, maxDetail, true)
	f.Action = finding.ClipText(f.Action, maxLine)
	f.IgnoreReason = finding.Clip(f.IgnoreReason, maxLine)
	f.Aliases = clipAll(f.Aliases, maxName)
	f.Fix = clipAll(f.Fix, maxName)
	f.Path = clipAll(f.Path, maxName)
	if f.Location != nil {
		if file := finding.Clip(f.Location.File, maxLine); file != f.Location.File {
			l := *f.Location
			l.File = file
			f.Location = &l
		}
	}
	if f.Evidence != nil && !evidenceFits(f.Evidence) {
		ev := make(map[string]string, len(f.Evidence))
		for k, v := range f.Evidence {
			ev[finding.Clip(k, maxName)] = finding.Clip(v, maxLine)
		}
		f.Evidence = ev
	}
	return f
}

// evidenceFits reports whether no key or value of ev needs capping.
func evidenceFits(ev map[string]string) bool {
	for k, v := range ev {
		if finding.Clip(k, maxName) != k || finding.Clip(v, maxLine) != v {
			return false
		}
	}
	return true
}

// clipAll caps every item of list; list itself when none changes.
func clipAll(list []string, n int) []string {
	for i, s := range list {
		if c := finding.Clip(s, n); c != s {
			out := make([]string, len(list))
			copy(out, list[:i])
			out[i] = c
			for j := i + 1; j < len(list); j++ {
				out[j] = finding.Clip(list[j], n)
			}
			return out
		}
	}
	return list
}

// clipMemo remembers the cut of long texts by their bytes' address and
// length: the findings of one advisory share its title and description.
type clipMemo map[clipKey]string

// minMemo is the length above which clipMemo remembers a text's cut.
const minMemo = 128

type clipKey struct {
	p    *byte
	n    int
	text bool
}

// clip is finding.Clip(s, n), or finding.ClipText(s, n) when text, of a
// text cut once.
func (m clipMemo) clip(s string, n int, text bool) string {
	cut := finding.Clip
	if text {
		cut = finding.ClipText
	}
	// A short text is cut (or kept) faster than it is looked up; a longer
	// one is scanned whole even when it fits (its controls are escaped), so
	// it is remembered too.
	if m == nil || len(s) <= minMemo {
		return cut(s, n)
	}
	k := clipKey{unsafe.StringData(s), len(s), text}
	if c, ok := m[k]; ok {
		return c
	}
	c := cut(s, n)
	if len(m) < 1<<16 {
		m[k] = c
	}
	return c
}
