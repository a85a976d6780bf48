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
	if len(fs) > 0 {
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
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", sev, mdEscape(shownLabel(f)), id, fix, loc, mdEscape(oneLine(f.Title)))
		}
		b.WriteString("\n")
		if opts.Desc {
			for i := range fs {
				f := &fs[i]
				fmt.Fprintf(&b, "<details><summary><code>%s</code> %s</summary>\n\n", htmlText(idOrRule(f)), htmlText(shownLabel(f)))
				if f.Detail != "" {
					fmt.Fprintf(&b, "%s\n\n", mdEscape(oneLine(f.Detail)))
				}
				if f.Action != "" {
					fmt.Fprintf(&b, "**Action:** %s\n\n", mdEscape(oneLine(f.Action)))
				}
				if f.Ignored {
					fmt.Fprintf(&b, "**Ignored:** %s\n\n", mdEscape(f.IgnoreReason))
				}
				b.WriteString("</details>\n\n")
			}
		}
	}
	if anyInexact(fs) {
		fmt.Fprintf(&b, "<sub>%s</sub>\n\n", mdEscape(inexactNote))
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
