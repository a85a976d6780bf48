package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/pyvet/pyvet/internal/finding"
)

func init() { register("markdown", writeMarkdown) }

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

func writeMarkdown(w io.Writer, res *Result, opts Options) error {
	var b strings.Builder
	if res.kind() != KindAudit {
		// Every other command: its text, quoted, then the notes.
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
	sum := Summarize(res)
	fmt.Fprintf(&b, "## %s\n\n", mdEscape(opts.title()))
	status := "✅ passes the policy"
	if sum.Failed {
		status = "❌ fails the policy"
	}
	fmt.Fprintf(&b, "**%s** — %s.\n\n", summaryLine(sum), status)
	if risks := risksPresent(sum); len(risks) > 0 {
		b.WriteString("| OWASP | Risk | Findings |\n|---|---|---:|\n")
		for _, r := range risks {
			fmt.Fprintf(&b, "| %d | %s | %d |\n", r.OWASPNumber(), riskTitle(r), sum.ByRisk[string(r)])
		}
		b.WriteString("\n")
	}
	fs := shown(res, opts)
	labels := newPkgLabels(res.Inventory)
	if len(res.Projects) > 0 {
		// A run over a tree: a section per project, then the total.
		for i := range res.Projects {
			p := &res.Projects[i]
			fmt.Fprintf(&b, "### `%s` — %s\n\n", mdCode(p.Path), projectStatus(p))
			if p.Error != "" {
				fmt.Fprintf(&b, "**Error:** %s\n\n", mdEscape(oneLine(p.Error)))
				continue
			}
			fmt.Fprintf(&b, "%s.\n\n", summaryLine(p.Summary))
			mdFindings(&b, projectFindings(fs, p.Path), labels, opts)
		}
		fmt.Fprintf(&b, "### Total\n\n**%s**; %s.\n\n", projectsLine(res.Projects), summaryLine(sum))
	} else {
		mdFindings(&b, fs, labels, opts)
	}
	if anyInexact(fs) {
		fmt.Fprintf(&b, "<sub>%s</sub>\n\n", mdEscape(inexactNote))
	}
	if labels.anyResolved(fs) {
		fmt.Fprintf(&b, "<sub>%s</sub>\n\n", mdEscape(resolvedNote))
	}
	for _, n := range res.Notes {
		fmt.Fprintf(&b, "> **Note:** %s\n\n", mdEscape(n))
	}
	if len(res.Meta) > 0 {
		var parts []string
		for _, k := range sortedKeys(res.Meta) {
			parts = append(parts, mdEscape(k)+": "+mdEscape(res.Meta[k]))
		}
		fmt.Fprintf(&b, "<sub>%s</sub>\n", strings.Join(parts, " · "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdFindings writes the table of fs (and their descriptions with Desc).
func mdFindings(b *strings.Builder, fs []finding.Finding, labels *pkgLabels, opts Options) {
	if len(fs) == 0 {
		return
	}
	b.WriteString("| Severity | Package | ID | Fix | Location | Title |\n|---|---|---|---|---|---|\n")
	for i := range fs {
		f := &fs[i]
		sev := sevBadge[f.Severity] + " " + f.Severity.String()
		if f.Ignored {
			sev += " (ignored)"
		}
		id := "`" + mdCode(idOrRule(f)) + "`"
		if opts.Aliases && len(f.Aliases) > 0 {
			id += "<br>" + mdEscape(strings.Join(f.Aliases, ", "))
		}
		fix := mdEscape(strings.Join(f.Fix, ", "))
		if fix == "" {
			fix = "—"
		}
		loc := locationString(f, opts.BaseDir)
		if loc == "" {
			loc = "—"
		} else {
			loc = "`" + mdCode(loc) + "`"
		}
		pkg := mdEscape(labels.label(f))
		if via := labels.path(f); via != "" {
			pkg += "<br><sub>" + mdEscape(via) + "</sub>"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", sev, pkg, id, fix, loc, mdEscape(oneLine(f.Title)))
	}
	b.WriteString("\n")
	if !opts.Desc {
		return
	}
	for i := range fs {
		f := &fs[i]
		fmt.Fprintf(b, "<details><summary><code>%s</code> %s</summary>\n\n", htmlText(idOrRule(f)), htmlText(labels.label(f)))
		if via := labels.path(f); via != "" {
			fmt.Fprintf(b, "**Path:** %s\n\n", mdEscape(via))
		}
		if f.Detail != "" {
			fmt.Fprintf(b, "%s\n\n", mdEscape(oneLine(f.Detail)))
		}
		if f.Action != "" {
			fmt.Fprintf(b, "**Action:** %s\n\n", mdEscape(oneLine(f.Action)))
		}
		if f.Ignored {
			fmt.Fprintf(b, "**Ignored:** %s\n\n", mdEscape(f.IgnoreReason))
		}
		b.WriteString("</details>\n\n")
	}
}

// mdEscape escapes text for a Markdown table cell or paragraph.
func mdEscape(s string) string {
	r := strings.NewReplacer(
		`\`, `\\`, "|", `\|`, "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`,
		"<", "&lt;", ">", "&gt;", "\n", " ", "\r", "",
	)
	return r.Replace(s)
}

// mdCode makes text safe inside a single-backtick code span in a table.
func mdCode(s string) string {
	return strings.NewReplacer("`", "'", "|", `\|`, "\n", " ").Replace(s)
}

// htmlText escapes text for inline HTML.
func htmlText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
