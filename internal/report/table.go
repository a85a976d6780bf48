package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/pyvet/pyvet/internal/finding"
)

func init() { register("table", writeTable) }

// ANSI colours by severity.
var sevColor = map[finding.Severity]string{
	finding.SeverityMalicious: "\x1b[1;35m",
	finding.SeverityCritical:  "\x1b[1;31m",
	finding.SeverityHigh:      "\x1b[31m",
	finding.SeverityMedium:    "\x1b[33m",
	finding.SeverityLow:       "\x1b[36m",
	finding.SeverityInfo:      "\x1b[2m",
	finding.SeverityUnknown:   "\x1b[2m",
}

const ansiReset = "\x1b[0m"

func writeTable(w io.Writer, res *Result, opts Options) error {
	if res.kind() != KindAudit {
		return writeKindText(w, res)
	}
	t := tableWriter{opts: opts, color: useColor(w, opts.Color), labels: newPkgLabels(res.Inventory)}
	fs := shown(res, opts)
	sum := Summarize(res)
	var b strings.Builder
	if len(res.Projects) > 0 {
		// A run over a tree: a section per project, then the total.
		for i := range res.Projects {
			p := &res.Projects[i]
			fmt.Fprintf(&b, "== %s: %s ==\n", p.Path, projectStatus(p))
			if p.Error != "" {
				fmt.Fprintf(&b, "error: %s\n\n", oneLine(p.Error))
				continue
			}
			t.findings(&b, projectFindings(fs, p.Path))
			b.WriteString(summaryLine(p.Summary) + "\n\n")
		}
		fmt.Fprintf(&b, "== total: %s ==\n", projectsLine(res.Projects))
	} else {
		t.findings(&b, fs)
	}
	if anyInexact(fs) {
		fmt.Fprintf(&b, "%s\n", inexactNote)
	}
	if t.labels.anyResolved(fs) {
		fmt.Fprintf(&b, "%s\n", resolvedNote)
	}
	if !opts.NoNotes {
		for _, n := range res.Notes {
			fmt.Fprintf(&b, "note: %s\n", n)
		}
	}
	b.WriteString(summaryLine(sum))
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// tableWriter renders findings as the table format's rows.
type tableWriter struct {
	opts   Options
	color  bool
	labels *pkgLabels
}

// findings writes the table of fs (and their descriptions with Desc), or
// "No findings.".
func (t *tableWriter) findings(b *strings.Builder, fs []finding.Finding) {
	if len(fs) == 0 {
		b.WriteString("No findings.\n")
		return
	}
	opts := t.opts
	var tb strings.Builder
	tw := tabwriter.NewWriter(&tb, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEVERITY\tRISK\tPACKAGE\tID\tFIX\tLOCATION\tTITLE")
	for i := range fs {
		f := &fs[i]
		sev := f.Severity.String()
		if f.Ignored {
			sev += " (ignored)"
		}
		id := idOrRule(f)
		if opts.Aliases && len(f.Aliases) > 0 {
			id += " (" + strings.Join(f.Aliases, ", ") + ")"
		}
		fix := strings.Join(f.Fix, ", ")
		if fix == "" {
			fix = "-"
		}
		loc := locationString(f, opts.BaseDir)
		if loc == "" {
			loc = "-"
		}
		title := oneLine(f.Title)
		if via := t.labels.path(f); via != "" {
			title += " (" + via + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", sev, f.Risk, t.labels.label(f), id, fix, loc, title)
	}
	tw.Flush()
	// Colour the severity column after alignment: escape codes have no
	// width on screen but tabwriter would count them.
	for i, line := range strings.SplitAfter(tb.String(), "\n") {
		if t.color && i > 0 && i <= len(fs) {
			sev := fs[i-1].Severity
			word := sev.String()
			if strings.HasPrefix(line, word) {
				line = sevColor[sev] + word + ansiReset + line[len(word):]
			}
		}
		b.WriteString(line)
	}
	if !opts.Desc {
		return
	}
	b.WriteString("\n")
	for i := range fs {
		f := &fs[i]
		fmt.Fprintf(b, "%s %s\n", idOrRule(f), t.labels.label(f))
		if via := t.labels.path(f); via != "" {
			fmt.Fprintf(b, "  Path: %s\n", via)
		}
		if f.Detail != "" {
			fmt.Fprintf(b, "  %s\n", oneLine(f.Detail))
		}
		if f.Action != "" {
			fmt.Fprintf(b, "  Action: %s\n", oneLine(f.Action))
		}
		if f.Ignored {
			fmt.Fprintf(b, "  Ignored: %s\n", f.IgnoreReason)
		}
	}
}

// summaryLine is "N findings (1 critical, 2 high) in M packages; K ignored".
func summaryLine(s Summary) string {
	var parts []string
	for _, sev := range severityOrder {
		if n := s.BySeverity[sev.String()]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, sev))
		}
	}
	line := fmt.Sprintf("%d finding%s", s.Total, plural(s.Total))
	if len(parts) > 0 {
		line += " (" + strings.Join(parts, ", ") + ")"
	}
	if s.Packages > 0 {
		line += fmt.Sprintf(" in %d package%s", s.Packages, plural(s.Packages))
	}
	if s.Ignored > 0 {
		line += fmt.Sprintf("; %d ignored", s.Ignored)
	}
	return line
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// oneLine collapses whitespace so a text fits on one table line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
