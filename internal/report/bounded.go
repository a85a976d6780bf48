package report

import (
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
	out.Notes = make([]string, len(res.Notes))
	for i, n := range res.Notes {
		out.Notes[i] = finding.Clip(n, finding.MaxNote)
	}
	if res.Meta != nil {
		out.Meta = make(map[string]string, len(res.Meta))
		for k, v := range res.Meta {
			out.Meta[finding.Clip(k, maxName)] = finding.Clip(v, maxLine)
		}
	}
	if res.Skipped != nil {
		out.Skipped = make(map[string]string, len(res.Skipped))
		for k, v := range res.Skipped {
			out.Skipped[k] = finding.Clip(v, maxLine)
		}
	}
	out.Fixes = make([]JSONFix, len(res.Fixes))
	for i, f := range res.Fixes {
		f.Name, f.Version, f.OldVersion, f.NewVersion = finding.Clip(f.Name, maxName), finding.Clip(f.Version, maxName), finding.Clip(f.OldVersion, maxName), finding.Clip(f.NewVersion, maxName)
		f.SkipReason = finding.Clip(f.SkipReason, maxLine)
		out.Fixes[i] = f
	}
	out.Findings = make([]finding.Finding, len(res.Findings))
	for i, f := range res.Findings {
		out.Findings[i] = boundFinding(f)
	}
	return &out
}

func boundFinding(f finding.Finding) finding.Finding {
	f.ID = finding.Clip(f.ID, maxName)
	f.Package = finding.Clip(f.Package, maxName)
	f.Version = finding.Clip(f.Version, maxName)
	f.Vector = finding.Clip(f.Vector, maxName)
	f.Title = finding.Clip(f.Title, maxLine)
	f.Detail = finding.ClipText(f.Detail, maxDetail)
	f.Action = finding.ClipText(f.Action, maxLine)
	f.IgnoreReason = finding.Clip(f.IgnoreReason, maxLine)
	f.Aliases = clipAll(f.Aliases, maxName)
	f.Fix = clipAll(f.Fix, maxName)
	f.Path = clipAll(f.Path, maxName)
	if f.Location != nil {
		l := *f.Location
		l.File = finding.Clip(l.File, maxLine)
		f.Location = &l
	}
	if f.Evidence != nil {
		ev := make(map[string]string, len(f.Evidence))
		for k, v := range f.Evidence {
			ev[finding.Clip(k, maxName)] = finding.Clip(v, maxLine)
		}
		f.Evidence = ev
	}
	return f
}

func clipAll(list []string, n int) []string {
	if list == nil {
		return nil
	}
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = finding.Clip(s, n)
	}
	return out
}
