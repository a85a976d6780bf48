package report

import (
	"fmt"
	"io"
	"strings"
	"unsafe"

	"github.com/pyvet/pyvet/internal/finding"
)

func init() { registerStreamed("markdown", streamMarkdown, writeMarkdown) }

// Severity badges for Markdown (plain emoji render in every Markdown viewer).
var sevBadge = map[finding.Severity]string{
	finding.SeverityMalicious: "☠️",
	finding.SeverityCritical:  "🟥",
	finding.SeverityHigh:      "🟧",
	finding.SeverityMedium:    "🟨",
	finding.SeverityLow:       "🟦",
	finding.SeverityInfo:      "⬜",
	finding.SeverityUnknown:   "⬜",
}

// writeMarkdown writes the Markdown of a run that is not an audit: its
// text, quoted, then the notes (an audit streams: streamMarkdown).
func writeMarkdown(w io.Writer, res *Result, opts Options) error {
	var b strings.Builder
	var text strings.Builder
	if err := writeKindText(&text, res); err != nil {
		return err
	}
	fmt.Fprintf(&b, "## %s\n\n```\n%s```\n\n", mdEscape(opts.titleOr(res.Tool)), strings.ReplaceAll(text.String(), "```", "` ` `"))
	for _, n := range res.Notes {
		fmt.Fprintf(&b, "> **Note:** %s\n\n", mdEscape(n))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// streamMarkdown writes the Markdown of an audit, a table row (and a
// description) at a time.
func streamMarkdown(r *streamRun, o *jsonOut) error {
	res, opts := r.res, r.opts
	sum := Summarize(&Result{Findings: r.fs, Inventory: res.Inventory, Failed: res.Failed})
	o.b = fmt.Appendf(o.b, "## %s\n\n", mdEscape(opts.title()))
	status := "✅ passes the policy"
	if sum.Failed {
		status = "❌ fails the policy"
	}
	o.b = fmt.Appendf(o.b, "**%s** — %s.\n\n", summaryLine(sum), status)
	if risks := risksPresent(sum); len(risks) > 0 {
		o.b = append(o.b, "| OWASP | Risk | Findings |\n|---|---|---:|\n"...)
		for _, rk := range risks {
			o.b = fmt.Appendf(o.b, "| %d | %s | %d |\n", rk.OWASPNumber(), riskTitle(rk), sum.ByRisk[string(rk)])
		}
		o.b = append(o.b, '\n')
	}
	// The findings shown: positions in the sorted order.
	var shownAt []int32
	inexact := false
	for i, k := range r.order {
		f := &r.fs[k]
		if f.Ignored && !opts.ShowIgnored {
			continue
		}
		shownAt = append(shownAt, int32(i))
		inexact = inexact || f.Inexact()
	}
	labels := newPkgLabels(res.Inventory)
	if len(res.Projects) > 0 {
		// A run over a tree: a section per project, then the total.
		for i := range res.Projects {
			p := &res.Projects[i]
			o.b = fmt.Appendf(o.b, "### `%s` — %s\n\n", mdCode(p.Path), projectStatus(p))
			if p.Error != "" {
				o.b = fmt.Appendf(o.b, "**Error:** %s\n\n", mdEscape(oneLine(p.Error)))
				continue
			}
			o.b = fmt.Appendf(o.b, "%s.\n\n", summaryLine(p.Summary))
			var of []int32
			for _, pos := range shownAt {
				if r.fs[r.order[pos]].Project == p.Path {
					of = append(of, pos)
				}
			}
			mdFindings(o, r, of, labels)
		}
		o.b = fmt.Appendf(o.b, "### Total\n\n**%s**; %s.\n\n", projectsLine(res.Projects), summaryLine(sum))
	} else {
		mdFindings(o, r, shownAt, labels)
	}
	if inexact {
		o.b = fmt.Appendf(o.b, "<sub>%s</sub>\n\n", mdEscape(inexactNote))
	}
	for _, pos := range shownAt {
		if labels.isResolved(&r.fs[r.order[pos]]) {
			o.b = fmt.Appendf(o.b, "<sub>%s</sub>\n\n", mdEscape(resolvedNote))
			break
		}
	}
	for _, n := range boundNotes(res.Notes) {
		o.b = fmt.Appendf(o.b, "> **Note:** %s\n\n", mdEscape(n))
	}
	if meta := boundMeta(res.Meta); len(meta) > 0 {
		var parts []string
		for _, k := range sortedKeys(meta) {
			parts = append(parts, mdEscape(k)+": "+mdEscape(meta[k]))
		}
		o.b = fmt.Appendf(o.b, "<sub>%s</sub>\n", strings.Join(parts, " · "))
	}
	return o.err
}

// mdFindings writes the table of the findings at the positions at (and
// their descriptions with Desc).
func mdFindings(o *jsonOut, r *streamRun, at []int32, labels *pkgLabels) {
	if len(at) == 0 {
		return
	}
	opts := r.opts
	o.b = append(o.b, "| Severity | Package | ID | Fix | Location | Title |\n|---|---|---|---|---|---|\n"...)
	for _, pos := range at {
		f := r.bounded(int(pos))
		sev := sevBadge[f.Severity] + " " + f.Severity.String()
		if f.Ignored {
			sev += " (ignored)"
		}
		id := "`" + mdCode(idOrRule(&f)) + "`"
		if opts.Aliases && len(f.Aliases) > 0 {
			id += "<br>" + mdEscape(strings.Join(f.Aliases, ", "))
		}
		fix := mdEscape(strings.Join(f.Fix, ", "))
		if fix == "" {
			fix = "—"
		}
		loc := locationString(&f, r.rel.base)
		if loc == "" {
			loc = "—"
		} else {
			loc = "`" + mdCode(loc) + "`"
		}
		pkg := mdEscape(labels.label(&f))
		if via := labels.path(&f); via != "" {
			pkg += "<br><sub>" + mdEscape(via) + "</sub>"
		}
		o.b = fmt.Appendf(o.b, "| %s | %s | %s | %s | %s | %s |\n", sev, pkg, id, fix, loc, mdEscape(oneLine(f.Title)))
		o.flushIfFull()
	}
	o.b = append(o.b, '\n')
	if !opts.Desc {
		return
	}
	for _, pos := range at {
		f := r.bounded(int(pos))
		o.b = fmt.Appendf(o.b, "<details><summary><code>%s</code> %s</summary>\n\n", htmlText(idOrRule(&f)), htmlText(labels.label(&f)))
		if via := labels.path(&f); via != "" {
			o.b = fmt.Appendf(o.b, "**Path:** %s\n\n", mdEscape(via))
		}
		if f.Detail != "" {
			o.b = append(append(o.b, r.mdParagraph(f.Detail)...), '\n', '\n')
		}
		if f.Action != "" {
			o.b = fmt.Appendf(o.b, "**Action:** %s\n\n", mdEscape(oneLine(f.Action)))
		}
		if f.Ignored {
			o.b = fmt.Appendf(o.b, "**Ignored:** %s\n\n", mdEscape(f.IgnoreReason))
		}
		o.b = append(o.b, "</details>\n\n"...)
		o.flushIfFull()
	}
}

// mdParagraph is a description as one escaped Markdown paragraph, made
// once per run for the findings that share it.
func (r *streamRun) mdParagraph(s string) string {
	if len(s) < 256 {
		return mdEscape(oneLine(s))
	}
	if r.paragraphs == nil {
		r.paragraphs = map[clipKey]string{}
	}
	k := clipKey{unsafe.StringData(s), len(s), true}
	if p, ok := r.paragraphs[k]; ok {
		return p
	}
	p := mdEscape(oneLine(s))
	if len(r.paragraphs) < 1<<14 {
		r.paragraphs[k] = p
	}
	return p
}

// mdEscape escapes text for a Markdown table cell or paragraph.
func mdEscape(s string) string { return mdEscaper.Replace(s) }

var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "|", `\|`, "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`,
	"<", "&lt;", ">", "&gt;", "\n", " ", "\r", "",
)

// mdCode makes text safe inside a single-backtick code span in a table.
func mdCode(s string) string { return mdCoder.Replace(s) }

var mdCoder = strings.NewReplacer("`", "'", "|", `\|`, "\n", " ")

// htmlText escapes text for inline HTML.
func htmlText(s string) string { return htmlTexter.Replace(s) }

var htmlTexter = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
