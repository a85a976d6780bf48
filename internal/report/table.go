package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/width"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/progress"
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

const (
	ansiReset = "\x1b[0m"
	ansiBold  = "\x1b[1m"
	ansiDim   = "\x1b[2m"
)

// titleLines is how many lines a title takes in the table before it is cut
// with "…" (--desc shows it whole).
const titleLines = 2

// digestSize is how many upgrades "Fix these first" lists.
const digestSize = 3

// tableWidth is the width the audit table fits: Options.Width, else the
// terminal's (COLUMNS when set), else progress.DefaultWidth.
func tableWidth(w io.Writer, opts Options) int {
	if opts.Width > 0 {
		return max(opts.Width, progress.MinWidth)
	}
	return progress.Width(w)
}

// kindWidth is the width the text of other commands fits: Options.Width,
// else the terminal's (COLUMNS when set); 0, unfitted, when the output is
// no terminal: those lines are records scripts read (deps rows, db status
// fields), and a line wrapped in a pipe would break them.
func kindWidth(w io.Writer, opts Options) int {
	if opts.Width > 0 {
		return max(opts.Width, progress.MinWidth)
	}
	n, _ := progress.TermWidth(w)
	return n
}

func writeTable(w io.Writer, res *Result, opts Options) error {
	if res.kind() != KindAudit {
		return writeKindTextWidth(w, res, kindWidth(w, opts))
	}
	width := tableWidth(w, opts)
	t := tableWriter{opts: opts, width: width, color: useColor(w, opts.Color), labels: newPkgLabels(res.Inventory), rel: newRelPaths(opts.BaseDir)}
	fs := shown(res, opts)
	// Written as it is rendered: the text of a large run is never held whole.
	bw := bufio.NewWriterSize(w, 64<<10)
	b := &errWriter{w: bw}
	if len(res.Projects) > 0 {
		// A run over a tree: a section per project, then the total.
		for i := range res.Projects {
			p := &res.Projects[i]
			t.line(b, fmt.Sprintf("== %s: %s ==", p.Path, projectStatus(p)), ansiBold)
			if p.Error != "" {
				t.line(b, "error: "+oneLine(p.Error), "")
				b.WriteString("\n")
				continue
			}
			pfs := projectFindings(fs, p.Path)
			t.findings(b, pfs)
			t.line(b, projectSummaryLine(p, projectFindings(res.Findings, p.Path)), "")
			b.WriteString("\n")
		}
		t.line(b, fmt.Sprintf("== total: %s ==", projectsLine(res.Projects)), ansiBold)
	} else {
		t.findings(b, fs)
	}
	t.digest(b, res.Findings)
	if anyInexact(fs) {
		t.line(b, inexactNote, "")
	}
	if t.labels.anyResolved(fs) {
		t.line(b, resolvedNote, "")
	}
	if !opts.NoNotes {
		for _, n := range res.Notes {
			t.line(b, "note: "+n, "")
		}
	}
	t.line(b, SummaryLine(res), "")
	if b.err != nil {
		return b.err
	}
	return bw.Flush()
}

// textOut is where the table writes its text.
type textOut interface {
	io.Writer
	io.StringWriter
}

// errWriter is a textOut that keeps the first error of w and then writes
// nothing more.
type errWriter struct {
	w   textOut
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) WriteString(s string) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.WriteString(s)
	e.err = err
	return n, err
}

// tableWriter renders findings as the table format's rows.
type tableWriter struct {
	opts   Options
	width  int
	color  bool
	labels *pkgLabels
	rel    *relPaths // file paths relative to the base directory, each computed once
}

// line writes s wrapped to the width, in colour code on a terminal.
func (t *tableWriter) line(b textOut, s, code string) {
	for _, l := range wrapText(s, t.width, "  ") {
		if t.color && code != "" {
			l = code + l + ansiReset
		}
		b.WriteString(l + "\n")
	}
}

// pkgGroup is one row of the audit table: the findings of one package (one
// version, in one project), or one finding about a file.
type pkgGroup struct {
	fs []*finding.Finding
}

// groupFindings groups fs by package, in the order of their first finding
// (fs is sorted, so the most severe package comes first).
func groupFindings(fs []finding.Finding) []*pkgGroup {
	var out []*pkgGroup
	byKey := map[string]*pkgGroup{}
	for i := range fs {
		f := &fs[i]
		if f.Package == "" {
			out = append(out, &pkgGroup{fs: []*finding.Finding{f}})
			continue
		}
		k := f.Project + "\x00" + f.Package + "\x00" + f.Version
		g := byKey[k]
		if g == nil {
			g = &pkgGroup{}
			byKey[k] = g
			out = append(out, g)
		}
		g.fs = append(g.fs, f)
	}
	return out
}

// findings writes the table of fs (and their descriptions with Desc), or
// "No findings.": a row per package with its findings, one line each
// (severity, id, title), the version that fixes them all, and a line
// under it saying where the package is declared and how it is reached.
func (t *tableWriter) findings(b textOut, fs []finding.Finding) {
	if len(fs) == 0 {
		b.WriteString("No findings.\n")
		return
	}
	opts := t.opts
	risks := map[finding.Risk]bool{}
	for i := range fs {
		risks[fs[i].Risk] = true
	}
	withRisk := len(risks) > 1
	ups := map[string]Upgrade{}
	for _, u := range TopUpgrades(fs, 0) {
		ups[u.Package+"\x00"+u.From] = u
	}
	g := &grid{}
	const (
		colSev = iota
		colRisk
		colPkg
		colFix
		colID
		colTitle
	)
	g.cols = []gridCol{
		colSev:   {header: "SEVERITY", min: 8},
		colRisk:  {header: "RISK", min: 8, hidden: !withRisk},
		colPkg:   {header: "PACKAGE", min: 12},
		colFix:   {header: "FIX", min: 3},
		colID:    {header: "ADVISORY", min: 8},
		colTitle: {header: "TITLE", min: 28, lines: titleLines},
	}
	// Ids and versions are not split while anything else can give way.
	for i := range fs {
		g.cols[colID].min = max(g.cols[colID].min, textWidth(idOrRule(&fs[i])))
	}
	for _, u := range ups {
		g.cols[colFix].min = max(g.cols[colFix].min, textWidth(u.To))
	}
	g.shrink = []int{colTitle, colPkg, colRisk, colID, colFix}
	for _, grp := range groupFindings(fs) {
		first := grp.fs[0]
		fix, unfixed := t.groupFix(grp, ups)
		for i, f := range grp.fs {
			row := gridRow{cells: make([]string, len(g.cols)), colors: make([]string, len(g.cols))}
			row.cells[colSev] = f.Severity.String()
			row.colors[colSev] = sevColor[f.Severity]
			row.cells[colRisk] = string(f.Risk)
			id := idOrRule(f)
			if opts.Aliases && len(f.Aliases) > 0 {
				id += " (" + strings.Join(f.Aliases, ", ") + ")"
			}
			if f.Ignored {
				id += " (ignored)"
			}
			row.cells[colID] = id
			row.cells[colTitle] = oneLine(f.Title)
			if i == 0 {
				row.cells[colPkg] = t.labels.label(first)
				row.cells[colFix] = fix
			}
			g.rows = append(g.rows, row)
		}
		if s := t.whereLine(grp, unfixed); s != "" {
			g.rows = append(g.rows, gridRow{span: s, spanFrom: colPkg, spanColor: ansiDim})
		}
	}
	g.render(b, t.width, t.color)
	if !opts.Desc {
		return
	}
	b.WriteString("\n")
	for i := range fs {
		f := &fs[i]
		t.line(b, idOrRule(f)+" "+t.labels.label(f), ansiBold)
		t.indented(b, oneLine(f.Title))
		if via := t.labels.path(f); via != "" {
			t.indented(b, "Path: "+via)
		}
		if f.Detail != "" {
			t.indented(b, oneLine(f.Detail))
		}
		if f.Action != "" {
			t.indented(b, "Action: "+oneLine(f.Action))
		}
		if f.Ignored {
			t.indented(b, "Ignored: "+f.IgnoreReason)
		}
	}
}

// indented writes s wrapped to the width, two spaces in.
func (t *tableWriter) indented(b textOut, s string) {
	for _, l := range wrapText(s, t.width-2, "") {
		b.WriteString("  " + l + "\n")
	}
}

// groupFix is the fix cell of a package: the smallest version that fixes
// every advisory an upgrade clears (TopUpgrades), "none" when no advisory
// of the package has a fix, "-" for findings no upgrade clears; unfixed
// counts the package's advisories (not ignored) that the upgrade leaves.
func (t *tableWriter) groupFix(g *pkgGroup, ups map[string]Upgrade) (fix string, unfixed int) {
	first := g.fs[0]
	up, ok := ups[first.Package+"\x00"+first.Version]
	cleared := map[string]bool{}
	for _, id := range up.Clears {
		cleared[id] = true
	}
	vulns := 0
	for _, f := range g.fs {
		if f.Risk == finding.RiskVulnerability && !f.Ignored {
			vulns++
			if !cleared[f.ID] {
				unfixed++
			}
		}
	}
	switch {
	case ok:
		return up.To, unfixed
	case vulns > 0:
		return "none", 0
	}
	return "-", 0
}

// whereLine says where a package is declared (file:line, relative to the
// base directory), how the resolution reaches it, and how many of its
// advisories no version fixes yet.
func (t *tableWriter) whereLine(g *pkgGroup, unfixed int) string {
	var parts []string
	seen := map[string]bool{}
	for _, f := range g.fs {
		if f.Location == nil || f.Location.File == "" {
			continue
		}
		loc := t.rel.of(f.Location.File)
		if f.Location.Line > 0 {
			loc += ":" + strconv.Itoa(f.Location.Line)
		}
		if !seen[loc] {
			seen[loc] = true
			parts = append(parts, loc)
		}
	}
	where := strings.Join(parts, ", ")
	if via := t.labels.path(g.fs[0]); via != "" {
		if where != "" {
			where += ", "
		}
		where += via
	}
	if unfixed > 0 {
		if where != "" {
			where += "; "
		}
		where += fmt.Sprintf("no fix yet for %d of its advisories", unfixed)
	}
	return where
}

// digest writes "Fix these first": the upgrades that clear the most
// advisories (TopUpgrades), when there are at least two to choose from.
func (t *tableWriter) digest(b textOut, fs []finding.Finding) {
	ups := TopUpgrades(fs, 0)
	if len(ups) < 2 {
		return
	}
	t.line(b, "Fix these first (pyvet fix makes the upgrades):", ansiBold)
	g := &grid{cols: []gridCol{{min: 8}, {min: 8}, {min: 8}}, shrink: []int{2, 1, 0}, indent: 2, noHeader: true}
	for _, u := range ups[:min(digestSize, len(ups))] {
		n := len(u.Clears)
		what := fmt.Sprintf("clears %d advisor%s (%s)", n, pluralY(n), u.Severity)
		g.rows = append(g.rows, gridRow{cells: []string{u.Package, u.From + " → " + u.To, what}, colors: []string{"", "", sevColor[u.Severity]}})
	}
	g.render(b, t.width, t.color)
}

// grid is a table of text cells fitted to a width: the widest of the
// columns shrink lists gives up width first, down to its min, and cells wrap at spaces
// (a word longer than the column is cut), so every line fits unless the
// columns' minimums alone do not.
type grid struct {
	cols     []gridCol
	rows     []gridRow
	shrink   []int // the columns that may shrink (ties: the first listed shrinks first)
	drop     []int // the columns left out, in order, when the others cannot fit
	indent   int   // spaces before every line
	noHeader bool
}

// gridCol is one column of a grid.
type gridCol struct {
	header string
	min    int  // narrowest width it shrinks to
	lines  int  // most lines a cell takes, the last cut with "…" (0: no limit)
	hidden bool // left out
}

// gridRow is one row of cells, or (span != "") a line that starts at column
// spanFrom and runs to the edge.
type gridRow struct {
	cells     []string
	colors    []string // ANSI code per cell ("" none), used on a terminal
	span      string
	spanFrom  int
	spanColor string
}

// gridGap is the space between two columns.
const gridGap = 2

// gridFloor is the narrowest a column gets when the table cannot
// otherwise fit.
const gridFloor = 4

// widths returns the width of each column fitted to total; when the
// columns' minimums alone are too wide, the drop columns are hidden, in
// order, until they fit.
func (g *grid) widths(total int) []int {
	for {
		ws, fits := g.fit(total)
		if fits || len(g.drop) == 0 {
			return ws
		}
		g.cols[g.drop[0]].hidden = true
		g.drop = g.drop[1:]
	}
}

// fit returns the width of each visible column fitted to total, and
// whether they fit without going below their minimums.
func (g *grid) fit(total int) ([]int, bool) {
	ws := make([]int, len(g.cols))
	for c, col := range g.cols {
		if col.hidden {
			continue
		}
		if !g.noHeader {
			ws[c] = textWidth(col.header)
		}
		for _, r := range g.rows {
			if r.span != "" || c >= len(r.cells) {
				continue
			}
			for _, l := range strings.Split(r.cells[c], "\n") {
				ws[c] = max(ws[c], textWidth(l))
			}
		}
	}
	used := g.indent
	n := 0
	for c := range ws {
		if !g.cols[c].hidden {
			used += ws[c]
			n++
		}
	}
	used += gridGap * max(n-1, 0)
	if total <= 0 {
		return ws, true
	}
	// The widest column that may shrink gives up one column at a time, so
	// the wide ones meet at one width and wrap alike; when the minimums
	// alone are too wide, the columns go below them, down to gridFloor.
	fits := true
	for pass, floor := range []func(c int) int{func(c int) int { return g.cols[c].min }, func(int) int { return gridFloor }} {
		if pass == 1 && used > total {
			fits = false
			if len(g.drop) > 0 {
				break
			}
		}
		for used > total {
			best := -1
			for _, c := range g.shrink {
				if !g.cols[c].hidden && ws[c] > floor(c) && (best < 0 || ws[c] > ws[best]) {
					best = c
				}
			}
			if best < 0 {
				break
			}
			ws[best]--
			used--
		}
	}
	return ws, fits
}

// render writes the grid fitted to total columns (0: as wide as its
// cells), colouring cells on a terminal.
func (g *grid) render(b textOut, total int, color bool) {
	ws := g.widths(total)
	var visible []int
	for c := range g.cols {
		if !g.cols[c].hidden {
			visible = append(visible, c)
		}
	}
	offset := func(col int) int {
		x := g.indent
		for _, c := range visible {
			if c == col {
				return x
			}
			x += ws[c] + gridGap
		}
		return x
	}
	emit := func(cells [][]string, colors []string) {
		height := 0
		for _, c := range visible {
			height = max(height, len(cells[c]))
		}
		for i := 0; i < height; i++ {
			var line strings.Builder
			line.WriteString(strings.Repeat(" ", g.indent))
			pad := 0
			for k, c := range visible {
				text := ""
				if i < len(cells[c]) {
					text = cells[c][i]
				}
				if text == "" {
					if k < len(visible)-1 {
						pad += ws[c] + gridGap
					}
					continue
				}
				line.WriteString(strings.Repeat(" ", pad))
				if color && colors != nil && colors[c] != "" {
					line.WriteString(colors[c] + text + ansiReset)
				} else {
					line.WriteString(text)
				}
				pad = max(ws[c]-textWidth(text), 0) + gridGap
			}
			b.WriteString(line.String() + "\n")
		}
	}
	if !g.noHeader {
		hs := make([][]string, len(g.cols))
		for _, c := range visible {
			hs[c] = []string{cut(g.cols[c].header, ws[c])}
		}
		emit(hs, nil)
	}
	for _, r := range g.rows {
		if r.span != "" {
			x := offset(r.spanFrom)
			lines := []string{r.span}
			if total > 0 {
				lines = wrapText(r.span, total-x, "  ")
			}
			for _, l := range lines {
				if color && r.spanColor != "" {
					l = r.spanColor + l + ansiReset
				}
				b.WriteString(strings.Repeat(" ", x) + l + "\n")
			}
			continue
		}
		cells := make([][]string, len(g.cols))
		for _, c := range visible {
			if c >= len(r.cells) || r.cells[c] == "" {
				continue
			}
			var ls []string
			for _, l := range strings.Split(r.cells[c], "\n") {
				ls = append(ls, wrapText(l, ws[c], "")...)
			}
			if n := g.cols[c].lines; n > 0 && len(ls) > n {
				ls = ls[:n]
				if last := ls[n-1]; textWidth(last) < ws[c] {
					ls[n-1] = last + "…"
				} else {
					ls[n-1] = cut(last+"…", ws[c])
				}
			}
			cells[c] = ls
		}
		emit(cells, r.colors)
	}
}

// textWidth is the number of terminal columns s takes: East Asian wide
// characters take two, combining marks and zero-width characters none.
func textWidth(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			for _, r := range s[i:] {
				n += runeWidth(r)
			}
			return n
		}
		n++
	}
	return n
}

func runeWidth(r rune) int {
	switch {
	case r < 0x300: // Latin, before the first combining marks
		return 1
	case r == '\u200b' || r == '\u200d' || r == '\ufeff':
		return 0
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		return 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

// cut shortens s to w columns, ending in "…" when it had to cut.
func cut(s string, w int) string {
	if textWidth(s) <= w {
		return s
	}
	if w <= 0 {
		return ""
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		rw := runeWidth(r)
		if n+rw > w-1 {
			break
		}
		b.WriteRune(r)
		n += rw
	}
	return strings.TrimRight(b.String(), " ") + "…"
}

// wrapText breaks s into lines of at most w columns at spaces; a word
// longer than w is split. Lines after the first start with indent
// (counted in the width). w <= 0 keeps s on one line.
func wrapText(s string, w int, indent string) []string {
	if w <= 0 || textWidth(s) <= w {
		return []string{s}
	}
	if textWidth(indent)*2 >= w {
		indent = ""
	}
	var lines []string
	var cur strings.Builder
	curW := 0
	prefix, prefixW := "", 0
	flush := func() {
		lines = append(lines, strings.TrimRight(cur.String(), " "))
		cur.Reset()
		prefix, prefixW = indent, textWidth(indent)
		cur.WriteString(prefix)
		curW = prefixW
	}
	for _, word := range strings.Split(s, " ") {
		ww := textWidth(word)
		sep := 0
		if curW > prefixW {
			sep = 1
		}
		if curW+sep+ww <= w {
			if sep == 1 {
				cur.WriteByte(' ')
			}
			cur.WriteString(word)
			curW += sep + ww
			continue
		}
		// A word that fits on no line starts where the line is, if it
		// leaves room enough; any other goes to the next line.
		if room := w - curW - sep; curW > prefixW && (ww <= w-textWidth(indent) || room < 8) {
			flush()
		} else if curW > prefixW {
			cur.WriteByte(' ')
			curW++
		}
		// The word alone does not fit: split it.
		for textWidth(word) > w-curW {
			head, rest := splitAt(word, w-curW)
			if head == "" {
				break
			}
			cur.WriteString(head)
			flush()
			word = rest
		}
		cur.WriteString(word)
		curW += textWidth(word)
	}
	if curW > prefixW || len(lines) == 0 {
		lines = append(lines, strings.TrimRight(cur.String(), " "))
	}
	return lines
}

// splitAt splits s after at most w columns, after the last "/", "-", "."
// or "," that leaves at least half of the line used, else at w.
func splitAt(s string, w int) (head, rest string) {
	n := 0
	brk, brkW := -1, 0
	for i, r := range s {
		rw := runeWidth(r)
		if n+rw > w {
			if brk > 0 && brkW*2 >= w {
				return s[:brk], s[brk:]
			}
			return s[:i], s[i:]
		}
		n += rw
		switch r {
		case '/', '-', '.', ',':
			brk, brkW = i+1, n
		}
	}
	return s, ""
}

// summaryLine is "N findings (1 critical, 2 high) in M packages; K ignored"
// (the Markdown and HTML reports' count).
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

// pluralY is the ending of "advisory"/"advisories" for n.
func pluralY(n int) string {
	if n == 1 {
		return "y"
	}
	return "ies"
}

// oneLine collapses whitespace so a text fits on one table line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
