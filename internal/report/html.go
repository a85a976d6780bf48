package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"path"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	gmutil "github.com/yuin/goldmark/util"

	"github.com/pyvet/pyvet/internal/finding"
)

func init() { register("html", writeHTML) }

// htmlRisk is one card of the summary by risk.
type htmlRisk struct {
	Risk  string
	OWASP int
	Title string
	Count int
}

type htmlData struct {
	Title    string
	Tool     string
	Summary  Summary
	Line     string // the findings by severity
	Verdict  string // SummaryLine: the affected packages, the fixable advisories, what fails the gate
	Risks    []htmlRisk
	Findings []htmlFinding
	Notes    []string
	Inexact  string        // explains the "(not exact)" mark when a finding carries it
	Resolved string        // explains the "(resolved)" mark when a finding carries it
	Table    htmlTable     // the findings table of a run over one project
	Projects []htmlProject // a run over a tree: a section per project
	Total    string        // and the projects' total
	Meta     [][2]string
	Sources  []string
	// Upgrades are the first upgrades of the "Fix these first" section,
	// MoreUpgrades the rest (folded); UpgradeLine sums them up.
	Upgrades     []htmlUpgrade
	MoreUpgrades []htmlUpgrade
	UpgradeLine  string
	Paths        *PathTree
	CSP          string
}

// htmlProject is one project's section of a run over a tree.
type htmlProject struct {
	ProjectResult
	Status string
	Line   string
	Table  htmlTable
}

// htmlTable is a findings table: its element id ("" none), its rows and
// whether they are of several risks (then each row names its risk).
type htmlTable struct {
	ID         string
	Rows       []htmlFinding
	MixedRisks bool
}

type htmlFinding struct {
	finding.Finding
	Anchor    string // element id of the first row of the package ("" for the others)
	Where     string // file:line, the file by its base name when no other file has it
	WhereAt   string // the file's path, when Where shortens it
	IDShown   string
	Pkg       string
	Fixes     string
	PathStr   string
	TitleHTML template.HTML // Title, rendered from inline Markdown for an advisory
	Desc      template.HTML // Detail, rendered from Markdown for an advisory
	DescID    string        // element id of Desc, on the first row of the advisory
	Excerpt   string        // Detail as one line of plain text, shortened, when it is long
	Long      bool          // Detail is folded under Excerpt
	// SameDesc, for an advisory whose description an earlier row shows
	// (on another package or version), says where; Desc is then empty.
	SameDesc *descRef
}

// descRef is where an advisory's description is shown: its element id, the
// description and the package label of its row.
type descRef struct {
	ID, Detail, Label string
}

// htmlUpgrade is one row of the "Fix these first" section.
type htmlUpgrade struct {
	Upgrade
	IDs  []string // the first advisories it clears
	More int      // and how many others
}

// maxTopUpgrades is how many upgrades the "Fix these first" section shows
// before folding the rest; maxUpgradeIDs how many advisory ids a row lists.
const (
	maxTopUpgrades = 10
	maxUpgradeIDs  = 6
)

func writeHTML(w io.Writer, res *Result, opts Options) error {
	if res.kind() != KindAudit {
		// Every other command: its text in a page of its own.
		var text strings.Builder
		if err := writeKindText(&text, res); err != nil {
			return err
		}
		return htmlTextTemplate.Execute(w, map[string]any{"Title": opts.titleOr(res.Tool), "Text": text.String(), "Notes": res.Notes, "CSP": htmlTextCSP})
	}
	sum := Summarize(res)
	d := htmlData{
		Title:   opts.title(),
		Tool:    res.Tool,
		Summary: sum,
		Line:    summaryLine(sum),
		Verdict: SummaryLine(res),
		Notes:   res.Notes,
		Paths:   BuildPathTree(res.Inventory, res.Findings),
		CSP:     htmlCSP,
	}
	unfoldSmall(d.Paths)
	for _, r := range finding.Risks() {
		d.Risks = append(d.Risks, htmlRisk{Risk: string(r), OWASP: r.OWASPNumber(), Title: riskTitle(r), Count: sum.ByRisk[string(r)]})
	}
	ups := TopUpgrades(res.Findings, 0)
	for i, u := range ups {
		hu := htmlUpgrade{Upgrade: u, IDs: u.Clears}
		if len(hu.IDs) > maxUpgradeIDs {
			hu.IDs, hu.More = hu.IDs[:maxUpgradeIDs], len(hu.IDs)-maxUpgradeIDs
		}
		if i < maxTopUpgrades {
			d.Upgrades = append(d.Upgrades, hu)
		} else {
			d.MoreUpgrades = append(d.MoreUpgrades, hu)
		}
	}
	if len(ups) > 0 {
		d.UpgradeLine = upgradeLine(ups, res.Findings)
	}
	labels := newPkgLabels(res.Inventory)
	fs := shown(res, opts)
	anchored := map[string]bool{}
	descs := map[string]descRef{} // advisory id → where its description is
	unique := uniqueBaseNames(res, opts.BaseDir)
	for _, f := range fs {
		hf := htmlFinding{Finding: f, Where: locationString(&f, opts.BaseDir), IDShown: idOrRule(&f), Pkg: labels.label(&f),
			Fixes: strings.Join(f.Fix, ", "), PathStr: labels.path(&f)}
		if f.Location != nil {
			if p := relPath(f.Location.File, opts.BaseDir); unique[path.Base(p)] && path.Base(p) != p {
				hf.WhereAt = p
				hf.Where = path.Base(p) + strings.TrimPrefix(hf.Where, p)
			}
		}
		if f.Package != "" && !anchored[f.Package] {
			anchored[f.Package] = true
			hf.Anchor = "finding-" + f.Package
		}
		// Advisories are written in Markdown; pyvet's own findings are text.
		md := f.ID != ""
		hf.TitleHTML = template.HTML(template.HTMLEscapeString(f.Title))
		if md {
			hf.TitleHTML = renderInline(f.Title)
		}
		if first, ok := descs[f.ID]; ok && f.Detail != "" && first.Detail == f.Detail {
			// The same advisory on another package or version: its
			// description is shown once.
			hf.SameDesc = &first
		} else if f.Detail != "" {
			if f.ID != "" && !ok {
				hf.DescID = "desc-" + f.ID
				descs[f.ID] = descRef{ID: hf.DescID, Detail: f.Detail, Label: hf.Pkg}
			}
			desc, plain := template.HTML("<p>"+template.HTMLEscapeString(f.Detail)+"</p>"), oneLine(f.Detail)
			if md {
				desc, plain = renderMarkdown(f.Detail)
			}
			hf.Desc = desc
			if hf.Long = len(f.Detail) > 320 || strings.Count(string(desc), "<p>") > 1 || strings.Contains(string(desc), "<pre>"); hf.Long {
				hf.Excerpt = excerpt(plain, f.Title)
			}
		}
		d.Findings = append(d.Findings, hf)
	}
	if len(res.Projects) > 0 {
		for _, p := range res.Projects {
			hp := htmlProject{ProjectResult: p, Status: projectStatus(&p), Line: summaryLine(p.Summary)}
			for _, hf := range d.Findings {
				if hf.Project == p.Path {
					hp.Table.Rows = append(hp.Table.Rows, hf)
				}
			}
			hp.Table.MixedRisks = mixedRisks(hp.Table.Rows)
			d.Projects = append(d.Projects, hp)
		}
		d.Total = projectsLine(res.Projects)
	}
	d.Table = htmlTable{ID: "findings-table", Rows: d.Findings, MixedRisks: mixedRisks(d.Findings)}
	if anyInexact(fs) {
		d.Inexact = inexactNote
	}
	if labels.anyResolved(fs) {
		d.Resolved = resolvedNote
	}
	for _, k := range sortedKeys(res.Meta) {
		d.Meta = append(d.Meta, [2]string{k, res.Meta[k]})
	}
	if res.Inventory != nil {
		for _, s := range res.Inventory.Sources {
			d.Sources = append(d.Sources, relPath(s.Path, opts.BaseDir)+" ("+s.Format+")")
		}
	}
	return htmlTemplate.Execute(w, d)
}

// upgradeLine sums up the upgrades: how many advisories (of the
// vulnerability findings not ignored) they clear.
func upgradeLine(ups []Upgrade, fs []finding.Finding) string {
	all := map[[3]string]bool{}
	for i := range fs {
		f := &fs[i]
		if f.Risk == finding.RiskVulnerability && !f.Ignored && f.Package != "" && f.ID != "" {
			all[[3]string{f.Package, f.Version, f.ID}] = true
		}
	}
	cleared := 0
	for _, u := range ups {
		cleared += len(u.Clears)
	}
	verb := "clear"
	if len(ups) == 1 {
		verb = "clears"
	}
	line := fmt.Sprintf("%d upgrade%s %s %d of %d known %s", len(ups), plural(len(ups)), verb, cleared, len(all), vulnerabilities(len(all)))
	switch n := len(all) - cleared; {
	case n == 1:
		line += "; 1 has no fix"
	case n > 1:
		line += fmt.Sprintf("; %d have no fix", n)
	}
	return line + "."
}

// vulnerabilities is "vulnerability" or "vulnerabilities" for n of them.
func vulnerabilities(n int) string {
	if n == 1 {
		return "vulnerability"
	}
	return "vulnerabilities"
}

// uniqueBaseNames returns the base names that name one file only among the
// inputs and the findings' locations: a location in such a file is shown by
// its base name (its path in the header and in the cell's title), so that
// long paths do not fill the table.
func uniqueBaseNames(res *Result, base string) map[string]bool {
	paths := map[string]map[string]bool{}
	add := func(file string) {
		if file == "" {
			return
		}
		p := relPath(file, base)
		b := path.Base(p)
		if paths[b] == nil {
			paths[b] = map[string]bool{}
		}
		paths[b][p] = true
	}
	if res.Inventory != nil {
		for _, s := range res.Inventory.Sources {
			add(s.Path)
		}
	}
	for i := range res.Findings {
		if l := res.Findings[i].Location; l != nil {
			add(l.File)
		}
	}
	out := map[string]bool{}
	for b, ps := range paths {
		out[b] = len(ps) == 1
	}
	return out
}

// mixedRisks reports whether rows are of more than one risk.
func mixedRisks(rows []htmlFinding) bool {
	for i := range rows {
		if rows[i].Risk != rows[0].Risk {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// excerpt is the one-line summary of a folded description: the start of
// its plain text, or "Description" when the finding's title already is that
// start (titles made from descriptions).
func excerpt(plain, title string) string {
	marks := strings.NewReplacer("`", "", "*", "", "_", "", "~", "")
	t := strings.TrimRight(marks.Replace(oneLine(title)), ".… ")
	if len(t) >= 20 && strings.HasPrefix(marks.Replace(plain), t) {
		return "Description"
	}
	return shorten(plain, 200)
}

// shorten cuts s to at most about max bytes at a word boundary, with " …".
func shorten(s string, max int) string {
	s = oneLine(s)
	if len(s) <= max {
		return s
	}
	cut := strings.LastIndex(s[:max], " ")
	if cut < max/2 {
		cut = max
	}
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + " …"
}

// markdown renders advisory descriptions (GitHub-flavoured Markdown, as
// advisories are written) into the page safely: raw HTML is shown as text,
// links keep only http, https and mailto destinations (others become their
// text) and carry rel="noopener noreferrer nofollow", and images become
// links, so a description can neither run code nor make the page load
// anything.
var markdown = goldmark.New(
	goldmark.WithExtensions(extension.Strikethrough, extension.Linkify,
		// Cell alignment as align attributes: the policy admits no style attribute.
		extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute))),
	goldmark.WithParserOptions(parser.WithASTTransformers(gmutil.Prioritized(safeLinks{}, 100))),
	goldmark.WithRendererOptions(renderer.WithNodeRenderers(gmutil.Prioritized(rawAsText{}, 100))),
)

// renderMarkdown renders s as HTML and as one line of plain text.
func renderMarkdown(s string) (template.HTML, string) {
	src := []byte(s)
	doc := markdown.Parser().Parse(text.NewReader(src))
	var b bytes.Buffer
	if err := markdown.Renderer().Render(&b, src, doc); err != nil {
		// The renderer writes to memory and fails on nothing the parser
		// produces; the description is still shown, as text.
		return template.HTML("<p>" + template.HTMLEscapeString(s) + "</p>"), oneLine(s)
	}
	return template.HTML(b.String()), plainText(doc, src)
}

// renderInline renders a one-line text (a title) from Markdown when it is
// one paragraph (code spans, emphasis, links), else as plain text: a title
// never becomes a heading or a list.
func renderInline(s string) template.HTML {
	h, _ := renderMarkdown(s)
	inner, ok := strings.CutPrefix(strings.TrimSuffix(string(h), "\n"), "<p>")
	if inner, ok2 := strings.CutSuffix(inner, "</p>"); ok && ok2 && !strings.Contains(inner, "<p>") {
		return template.HTML(inner)
	}
	return template.HTML(template.HTMLEscapeString(s))
}

// plainText is the text of a Markdown document on one line, without its
// code blocks.
func plainText(doc ast.Node, src []byte) string {
	var b strings.Builder
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			if n.Type() == ast.TypeBlock {
				b.WriteByte(' ')
			}
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.FencedCodeBlock, *ast.CodeBlock, *ast.HTMLBlock:
			return ast.WalkSkipChildren, nil
		case *ast.Text:
			b.Write(n.Segment.Value(src))
			if n.SoftLineBreak() || n.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(n.Value)
		case *ast.AutoLink:
			b.Write(n.Label(src))
		case *ast.RawHTML:
			for i := 0; i < n.Segments.Len(); i++ {
				seg := n.Segments.At(i)
				b.Write(seg.Value(src))
			}
		}
		return ast.WalkContinue, nil
	})
	return oneLine(b.String())
}

// safeLinks makes the links of a description safe (see markdown).
type safeLinks struct{}

// Transform implements parser.ASTTransformer.
func (safeLinks) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	src := reader.Source()
	var links []ast.Node
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		switch n.(type) {
		case *ast.Link, *ast.AutoLink, *ast.Image:
			if entering {
				links = append(links, n)
			}
		}
		return ast.WalkContinue, nil
	})
	for _, n := range links {
		switch l := n.(type) {
		case *ast.Image:
			// A link to the picture, its alternative text as the text.
			link := ast.NewLink()
			link.Destination, link.Title = l.Destination, l.Title
			moveChildren(l, link)
			l.Parent().ReplaceChild(l.Parent(), l, link)
			safeLink(link, link.Destination)
		case *ast.Link:
			safeLink(l, l.Destination)
		case *ast.AutoLink:
			if l.AutoLinkType == ast.AutoLinkEmail {
				l.SetAttributeString("rel", []byte(linkRel))
				continue
			}
			if !allowedURL(l.URL(src)) {
				l.Parent().ReplaceChild(l.Parent(), l, ast.NewString(l.Label(src)))
				continue
			}
			l.SetAttributeString("rel", []byte(linkRel))
		}
	}
}

// linkRel is the rel attribute of every link of a description.
const linkRel = "noopener noreferrer nofollow"

// safeLink keeps link n when dest is allowed, else replaces it by its text.
func safeLink(n ast.Node, dest []byte) {
	if allowedURL(dest) {
		n.SetAttributeString("rel", []byte(linkRel))
		return
	}
	parent := n.Parent()
	for c := n.FirstChild(); c != nil; {
		next := c.NextSibling()
		n.RemoveChild(n, c)
		parent.InsertBefore(parent, n, c)
		c = next
	}
	parent.RemoveChild(parent, n)
}

// moveChildren moves the children of from to the end of to.
func moveChildren(from, to ast.Node) {
	for c := from.FirstChild(); c != nil; {
		next := c.NextSibling()
		from.RemoveChild(from, c)
		to.AppendChild(to, c)
		c = next
	}
}

// allowedURL reports whether a description may link to u: http, https and
// mailto URLs only (no javascript:, data:, file:, relative or fragment links).
func allowedURL(u []byte) bool {
	s := strings.ToLower(string(u))
	return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "mailto:")
}

// rawAsText renders the raw HTML of a description as text, so that it
// is shown as written (advisories write "<script>" or "pip install
// <package>" meaning the words) and never interpreted.
type rawAsText struct{}

// RegisterFuncs implements renderer.NodeRenderer.
func (rawAsText) RegisterFuncs(r renderer.NodeRendererFuncRegisterer) {
	r.Register(ast.KindRawHTML, func(w gmutil.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			segs := n.(*ast.RawHTML).Segments
			for i := 0; i < segs.Len(); i++ {
				seg := segs.At(i)
				_, _ = w.Write(gmutil.EscapeHTML(seg.Value(src)))
			}
		}
		return ast.WalkSkipChildren, nil
	})
	r.Register(ast.KindHTMLBlock, func(w gmutil.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
		n := node.(*ast.HTMLBlock)
		if entering {
			_, _ = w.WriteString("<p>")
			for i := 0; i < n.Lines().Len(); i++ {
				line := n.Lines().At(i)
				_, _ = w.Write(gmutil.EscapeHTML(line.Value(src)))
			}
			return ast.WalkContinue, nil
		}
		if n.HasClosure() {
			_, _ = w.Write(gmutil.EscapeHTML(n.ClosureLine.Value(src)))
		}
		_, _ = w.WriteString("</p>\n")
		return ast.WalkContinue, nil
	})
}

// belowText names the affected packages a package leads to, the first few.
func belowText(names []string) string {
	const max = 4
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:max], ", ") + fmt.Sprintf(" and %d more", len(names)-max)
}

// Unfolding limits of the path tree: a tree of at most maxOpenTree nodes
// starts with every package of at most maxOpenNode nodes unfolded; a larger
// one starts folded, one line per direct dependency naming the affected
// packages it leads to.
const (
	maxOpenTree = 60
	maxOpenNode = 12
)

// unfoldSmall marks the nodes of t that start unfolded.
func unfoldSmall(t *PathTree) {
	if t == nil {
		return
	}
	total := 0
	for _, r := range t.Roots {
		total += r.Size
	}
	if total > maxOpenTree {
		return
	}
	var mark func(ns []*PathNode)
	mark = func(ns []*PathNode) {
		for _, n := range ns {
			n.Open = n.Size <= maxOpenNode
			mark(n.Children)
		}
	}
	mark(t.Roots)
}

var htmlFuncs = template.FuncMap{
	"sevName":      func(s finding.Severity) string { return s.String() },
	"belowText":    belowText,
	"maxPathNodes": func() int { return maxPathNodes },
}

// cspHash is the CSP source expression of an inline element's content.
func cspHash(content string) string {
	sum := sha256.Sum256([]byte(content))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// The pages' Content-Security-Policy: nothing loads from anywhere, and only
// the page's own style and script (by hash) apply.
var (
	htmlCSP     = "default-src 'none'; style-src " + cspHash(htmlCSS) + "; script-src " + cspHash(htmlScript) + "; img-src 'none'; base-uri 'none'; form-action 'none'"
	htmlTextCSP = "default-src 'none'; style-src " + cspHash(htmlTextCSS) + "; base-uri 'none'; form-action 'none'"
)

const htmlTextCSS = `body { font: 14px/1.45 system-ui, sans-serif; margin: 18px 28px; } pre { background: #f3f4f6; padding: 12px; overflow: auto; }`

var htmlTextTemplate = template.Must(template.New("text").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{.CSP}}">
<meta name="generator" content="pyvet">
<title>{{.Title}}</title>
<style>` + htmlTextCSS + `</style>
</head>
<body>
<h1>{{.Title}}</h1>
<pre id="output">{{.Text}}</pre>
{{if .Notes}}<section id="notes"><h2>Notes</h2><ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul></section>{{end}}
</body>
</html>
`))

const htmlCSS = `
:root { --crit:#b91c1c; --high:#ea580c; --med:#ca8a04; --low:#2563eb; --info:#6b7280; --mal:#7e22ce; --ok:#15803d; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #111827; background: #f9fafb; }
header { background: #111827; color: #f9fafb; padding: 18px 28px; overflow-wrap: anywhere; }
header h1 { margin: 0 0 4px; font-size: 22px; }
main { padding: 18px 28px; }
section { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 14px 18px; margin-bottom: 18px; }
h2 { font-size: 17px; margin: 0 0 10px; }
a { color: #1d4ed8; }
.status { display: inline-block; padding: 2px 10px; border-radius: 12px; font-weight: 600; }
.status.fail { background: #fee2e2; color: var(--crit); }
.status.pass { background: #dcfce7; color: var(--ok); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 10px; }
.card { border: 1px solid #e5e7eb; border-radius: 8px; padding: 10px; background: #fff; text-align: left; cursor: pointer; font: inherit; }
.card .num { display: block; font-size: 26px; font-weight: 700; }
.card.zero { opacity: .45; }
.card.has { border-color: var(--high); }
.card.active { outline: 3px solid #111827; }
.card .owasp { color: #6b7280; font-size: 12px; }
table { border-collapse: collapse; width: 100%; }
table.findings { table-layout: fixed; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #e5e7eb; vertical-align: top; overflow-wrap: anywhere; }
th { background: #f3f4f6; position: sticky; top: 0; }
col.c-sev { width: 104px; } col.c-pkg { width: 20%; } col.c-id { width: 16%; } col.c-fix { width: 10%; }
td.fix { font-size: 13px; }
tr.ignored { opacity: .55; }
tr:target { background: #fefce8; }
.sev { font-weight: 700; text-transform: uppercase; font-size: 12px; }
.sev-critical { color: var(--crit); } .sev-high { color: var(--high); } .sev-medium { color: var(--med); }
.sev-low { color: var(--low); } .sev-info, .sev-unknown { color: var(--info); } .sev-malicious { color: var(--mal); }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; }
.detail { color: #4b5563; font-size: 13px; }
.risk { color: #4b5563; font-size: 11px; }
.detail summary { cursor: pointer; }
.md > :first-child { margin-top: 2px; } .md > :last-child { margin-bottom: 2px; }
.md p, .md ul, .md ol { margin: 4px 0; }
.md ul, .md ol { padding-left: 20px; }
.md h1, .md h2, .md h3, .md h4, .md h5, .md h6 { font-size: 13px; margin: 8px 0 2px; color: #374151; }
.md pre { background: #f3f4f6; padding: 6px 8px; border-radius: 4px; white-space: pre-wrap; overflow-wrap: anywhere; margin: 4px 0; }
.md code { background: #f3f4f6; padding: 0 2px; border-radius: 3px; }
.md pre code { background: none; padding: 0; }
.md table { display: block; overflow-x: auto; max-width: 100%; font-size: 12px; }
.md blockquote { margin: 4px 0; padding-left: 8px; border-left: 3px solid #e5e7eb; }
table.upgrades code { white-space: nowrap; }
table.upgrades td.num { text-align: right; font-weight: 700; width: 5em; }
table.upgrades td.up { width: 38%; }
table.upgrades td.top { width: 7em; }
.to { font-weight: 700; color: var(--ok); }
.tree ul { list-style: none; margin: 0; padding-left: 20px; border-left: 1px solid #e5e7eb; }
.tree > ul { padding-left: 0; border-left: 0; }
.tree li { margin: 3px 0; overflow-wrap: anywhere; }
.tree li.leaf { padding-left: 16px; }
.tree summary { cursor: pointer; }
.tree .ver { color: #6b7280; font-size: 12px; }
.tree .below { color: #6b7280; font-size: 12px; }
.tree .ref { font-size: 12px; }
.tree li.affected > .pkg, .tree li.affected > details > summary > .pkg { font-weight: 700; }
.badge { display: inline-block; font-size: 11px; font-weight: 700; padding: 0 6px; border-radius: 8px; background: #f3f4f6; }
.badge.sev-critical { background: #fee2e2; } .badge.sev-high { background: #ffedd5; } .badge.sev-medium { background: #fef9c3; }
.badge.sev-low { background: #dbeafe; } .badge.sev-malicious { background: #f3e8ff; }
.meta { color: #d1d5db; font-size: 13px; }
.muted { color: #6b7280; }
`

const htmlScript = `
(function () {
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.finding"));
  var cards = Array.prototype.slice.call(document.querySelectorAll(".card"));
  var active = null;
  cards.forEach(function (c) {
    c.addEventListener("click", function () {
      var risk = c.getAttribute("data-risk");
      active = active === risk ? null : risk;
      cards.forEach(function (o) { o.classList.toggle("active", o.getAttribute("data-risk") === active); });
      rows.forEach(function (r) { r.style.display = !active || r.getAttribute("data-risk") === active ? "" : "none"; });
    });
  });
})();
`

var htmlTemplate = template.Must(template.New("report").Funcs(htmlFuncs).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{.CSP}}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="pyvet">
<title>{{.Title}}</title>
<style>` + htmlCSS + `</style>
</head>
<body>
<header>
<h1>{{.Title}}</h1>
<div><span id="status" class="status {{if .Summary.Failed}}fail{{else}}pass{{end}}">{{if .Summary.Failed}}Fails the policy{{else}}Passes the policy{{end}}</span>
<span id="total-line">{{.Verdict}}</span></div>
<div class="meta">{{if .Tool}}{{.Tool}} · {{end}}{{range $i, $s := .Sources}}{{if $i}}, {{end}}{{$s}}{{end}}{{range .Meta}} · {{index . 0}}: {{index . 1}}{{end}}</div>
</header>
<main>
<section id="summary">
<h2>Summary by risk (OWASP Top 10 open-source risks)</h2>
<div class="cards">
{{range .Risks}}<button type="button" class="card {{if .Count}}has{{else}}zero{{end}}" data-risk="{{.Risk}}" data-count="{{.Count}}"><span class="num">{{.Count}}</span><span class="owasp">OSS-{{.OWASP}}</span> {{.Title}}</button>
{{end}}</div>
<p class="muted">Total: <strong id="total-count">{{.Summary.Total}}</strong> findings{{if .Summary.Ignored}}, <span id="ignored-count">{{.Summary.Ignored}}</span> ignored{{end}}; {{.Summary.Packages}} packages. Click a risk to filter the table.</p>
</section>
{{if .Upgrades}}<section id="upgrades">
<h2>Fix these first</h2>
<p class="muted" id="upgrade-line">{{.UpgradeLine}} Each upgrade goes to the smallest version that fixes the advisories it clears; <code>pyvet fix</code> also avoids the advisories of the new versions.</p>
{{template "upgrades" .Upgrades}}
{{if .MoreUpgrades}}<details id="more-upgrades"><summary>{{len .MoreUpgrades}} more upgrade{{if gt (len .MoreUpgrades) 1}}s{{end}}</summary>
{{template "upgrades" .MoreUpgrades}}
</details>{{end}}
</section>
{{end}}{{with .Paths}}<section id="graph">
<h2>Dependency paths to affected packages</h2>
<p class="muted">{{.Affected}} package{{if ne .Affected 1}}s{{end}} with findings (in bold){{if .Others}} and the {{.Others}} on the paths from the direct dependencies to them{{end}}, of {{.Packages}} packages. A package lists the affected ones it leads to; unfold it to see how.{{if .Cut}} The tree is cut at its first {{maxPathNodes}} packages: {{.Cut}} dependencies on these paths are not drawn.{{end}}</p>
<div class="tree"><ul>{{range .Roots}}{{template "pathnode" .}}{{end}}</ul></div>
</section>
{{end}}{{if .Projects}}{{range $i, $p := .Projects}}<section class="project" id="project-{{$i}}" data-project="{{$p.Path}}">
<h2>Project <code>{{$p.Path}}</code> <span class="status {{if or $p.Error $p.Summary.Failed}}fail{{else}}pass{{end}}">{{$p.Status}}</span></h2>
{{if $p.Error}}<p class="project-error"><strong>Error:</strong> {{$p.Error}}</p>{{else}}<p class="muted">{{$p.Line}}</p>
{{if $p.Table.Rows}}{{template "findings" $p.Table}}{{else}}<p class="no-findings">No findings.</p>{{end}}{{end}}
</section>
{{end}}<section id="total">
<h2>Total</h2>
<p><strong id="projects-line">{{.Total}}</strong>; {{.Line}}</p>
{{if .Inexact}}<p class="muted">{{.Inexact}}</p>{{end}}{{if .Resolved}}<p class="muted">{{.Resolved}}</p>{{end}}
</section>
{{else}}<section id="findings">
<h2>Findings</h2>
{{if .Findings}}{{template "findings" .Table}}{{if .Inexact}}<p class="muted">{{.Inexact}}</p>{{end}}{{if .Resolved}}<p class="muted">{{.Resolved}}</p>{{end}}{{else}}<p id="no-findings">No findings.</p>{{end}}
</section>
{{end}}{{if .Notes}}<section id="notes"><h2>Notes</h2><ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul></section>{{end}}
</main>
<script>` + htmlScript + `</script>
</body>
</html>
{{define "upgrades"}}<table class="upgrades">
<thead><tr><th>Upgrade</th><th>Clears</th><th>Highest</th><th>Advisories</th></tr></thead>
<tbody>
{{range .}}<tr class="upgrade" data-package="{{.Package}}"><td class="up"><a href="#finding-{{.Package}}"><strong>{{.Package}}</strong></a> {{.From}} → <span class="to">{{.To}}</span></td><td class="num">{{len .Clears}}</td><td class="top"><span class="sev sev-{{sevName .Severity}}">{{sevName .Severity}}</span></td><td>{{range $i, $id := .IDs}}{{if $i}}, {{end}}<code>{{$id}}</code>{{end}}{{if .More}} <span class="muted">and {{.More}} more</span>{{end}}</td></tr>
{{end}}</tbody>
</table>{{end}}
{{define "pathnode"}}<li class="node{{if .Affected}} affected{{end}}{{if .Ref}} ref{{end}}{{if not .Children}} leaf{{end}}" data-package="{{.Name}}"{{if .Affected}} data-severity="{{sevName .Severity}}"{{end}}>{{if .Children}}<details{{if .Open}} open{{end}}><summary>{{template "pathlabel" .}}</summary><ul>{{range .Children}}{{template "pathnode" .}}{{end}}</ul></details>{{else}}{{template "pathlabel" .}}{{end}}{{if .Cut}}<div class="muted">… {{.Cut}} more not drawn</div>{{end}}</li>{{end}}
{{define "pathlabel"}}<span class="pkg"{{if .Children}} id="dep-{{.Name}}"{{end}}>{{if .Affected}}<a href="#finding-{{.Name}}">{{.Name}}</a>{{else}}{{.Name}}{{end}}</span>{{with .Version}} <span class="ver">{{.}}</span>{{end}}{{if .Affected}} <span class="badge sev-{{sevName .Severity}}">{{.Findings}} · {{sevName .Severity}}</span>{{end}}{{with .Below}} <span class="below">→ {{belowText .}}</span>{{end}}{{if .Ref}} <a class="ref" href="#dep-{{.Name}}">see its dependencies</a>{{end}}{{end}}
{{define "findings"}}<table class="findings"{{with .ID}} id="{{.}}"{{end}}>
<colgroup><col class="c-sev"><col class="c-pkg"><col class="c-id"><col class="c-fix"><col></colgroup>
<thead><tr><th>Severity</th><th>Package</th><th>ID / rule</th><th>Fix</th><th>Finding</th></tr></thead>
<tbody>
{{$mixed := .MixedRisks}}{{range .Rows}}<tr class="finding{{if .Ignored}} ignored{{end}}"{{with .Anchor}} id="{{.}}"{{end}} data-risk="{{.Risk}}" data-package="{{.Package}}" data-severity="{{sevName .Severity}}">
<td><span class="sev sev-{{sevName .Severity}}">{{sevName .Severity}}</span>{{if $mixed}}<div class="risk">{{.Risk}}</div>{{end}}{{if .Ignored}}<div class="muted">ignored</div>{{end}}</td>
<td>{{.Pkg}}{{if .PathStr}}<div class="detail">{{.PathStr}}</div>{{end}}{{if .Where}}<div class="detail"><code class="where"{{with .WhereAt}} title="{{.}}"{{end}}>{{.Where}}</code></div>{{end}}</td>
<td><code>{{.IDShown}}</code>{{if .Aliases}}<div class="detail">{{range $i, $a := .Aliases}}{{if $i}}, {{end}}{{$a}}{{end}}</div>{{end}}</td>
<td class="fix">{{if .Fixes}}{{.Fixes}}{{else}}—{{end}}</td>
<td><strong>{{.TitleHTML}}</strong>{{with .SameDesc}}<div class="detail"><a href="#{{.ID}}">Description: as for {{.Label}}</a></div>{{else}}{{if .Desc}}{{if .Long}}<details class="detail"{{with .DescID}} id="{{.}}"{{end}}><summary>{{.Excerpt}}</summary><div class="md">{{.Desc}}</div></details>{{else}}<div class="detail md"{{with .DescID}} id="{{.}}"{{end}}>{{.Desc}}</div>{{end}}{{end}}{{end}}{{if .Action}}<div class="detail"><em>Action:</em> {{.Action}}</div>{{end}}{{if .Ignored}}<div class="detail"><em>Ignored:</em> {{.IgnoreReason}}</div>{{end}}</td>
</tr>
{{end}}</tbody>
</table>{{end}}`))
