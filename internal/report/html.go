package report

import (
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

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
	Line     string
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
	Graph    *Graph
	NodeW    int
	NodeH    int
}

// htmlProject is one project's section of a run over a tree.
type htmlProject struct {
	ProjectResult
	Status string
	Line   string
	Table  htmlTable
}

// htmlTable is a findings table: its element id ("" none) and its rows.
type htmlTable struct {
	ID   string
	Rows []htmlFinding
}

type htmlFinding struct {
	finding.Finding
	Where   string
	IDShown string
	Pkg     string
	Fixes   string
	PathStr string
}

func writeHTML(w io.Writer, res *Result, opts Options) error {
	if res.kind() != KindAudit {
		// Every other command: its text in a page of its own.
		var text strings.Builder
		if err := writeKindText(&text, res); err != nil {
			return err
		}
		return htmlTextTemplate.Execute(w, map[string]any{"Title": opts.titleOr(res.Tool), "Text": text.String(), "Notes": res.Notes})
	}
	sum := Summarize(res)
	d := htmlData{
		Title:   opts.title(),
		Tool:    res.Tool,
		Summary: sum,
		Line:    summaryLine(sum),
		Notes:   res.Notes,
		Graph:   LayoutGraph(res.Inventory, res.Findings),
		NodeW:   graphNodeW,
		NodeH:   graphNodeH,
	}
	for _, r := range finding.Risks() {
		d.Risks = append(d.Risks, htmlRisk{Risk: string(r), OWASP: r.OWASPNumber(), Title: riskTitle(r), Count: sum.ByRisk[string(r)]})
	}
	labels := newPkgLabels(res.Inventory)
	fs := shown(res, opts)
	for _, f := range fs {
		hf := htmlFinding{Finding: f, Where: locationString(&f, opts.BaseDir), IDShown: idOrRule(&f), Pkg: labels.label(&f),
			Fixes: strings.Join(f.Fix, ", "), PathStr: labels.path(&f)}
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
			d.Projects = append(d.Projects, hp)
		}
		d.Total = projectsLine(res.Projects)
	}
	d.Table = htmlTable{ID: "findings-table", Rows: d.Findings}
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

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

var htmlFuncs = template.FuncMap{
	"edgePath": func(e GraphEdge) string {
		x1, y1 := e.From.X+graphNodeW, e.From.Y+graphNodeH/2
		x2, y2 := e.To.X, e.To.Y+graphNodeH/2
		mx := (x1 + x2) / 2
		if x2 <= x1 { // an edge back to an earlier layer: loop around
			mx = x1 + graphColWidth/3
			return fmt.Sprintf("M%d,%d C%d,%d %d,%d %d,%d", x1, y1, mx, y1, x2-graphColWidth/3, y2, x2, y2)
		}
		return fmt.Sprintf("M%d,%d C%d,%d %d,%d %d,%d", x1, y1, mx, y1, mx, y2, x2, y2)
	},
	"short": func(s string) string {
		s = oneLine(s)
		if len(s) <= 200 {
			return s
		}
		cut := strings.LastIndex(s[:200], " ")
		if cut < 100 {
			cut = 200
		}
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return s[:cut] + " …"
	},
	"half":    func(a int) int { return a / 2 },
	"sevName": func(s finding.Severity) string { return s.String() },
}

var htmlTextTemplate = template.Must(template.New("text").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="generator" content="pyvet">
<title>{{.Title}}</title>
<style>body { font: 14px/1.45 system-ui, sans-serif; margin: 18px 28px; } pre { background: #f3f4f6; padding: 12px; overflow: auto; }</style>
</head>
<body>
<h1>{{.Title}}</h1>
<pre id="output">{{.Text}}</pre>
{{if .Notes}}<section id="notes"><h2>Notes</h2><ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul></section>{{end}}
</body>
</html>
`))

var htmlTemplate = template.Must(template.New("report").Funcs(htmlFuncs).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="pyvet">
<title>{{.Title}}</title>
<style>
:root { --crit:#b91c1c; --high:#ea580c; --med:#ca8a04; --low:#2563eb; --info:#6b7280; --mal:#7e22ce; --ok:#15803d; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #111827; background: #f9fafb; }
header { background: #111827; color: #f9fafb; padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
main { padding: 18px 28px; }
section { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 14px 18px; margin-bottom: 18px; }
h2 { font-size: 17px; margin: 0 0 10px; }
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
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #e5e7eb; vertical-align: top; }
th { background: #f3f4f6; position: sticky; top: 0; }
tr.ignored { opacity: .55; }
.sev { font-weight: 700; text-transform: uppercase; font-size: 12px; }
.sev-critical { color: var(--crit); } .sev-high { color: var(--high); } .sev-medium { color: var(--med); }
.sev-low { color: var(--low); } .sev-info, .sev-unknown { color: var(--info); } .sev-malicious { color: var(--mal); }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; }
.detail { color: #4b5563; font-size: 13px; }
.graph-wrap { overflow: auto; max-height: 720px; border: 1px solid #e5e7eb; border-radius: 6px; }
svg .edge { fill: none; stroke: #cbd5e1; stroke-width: 1.2; }
svg .edge.risky { stroke: var(--crit); stroke-width: 2.6; }
svg .node rect { fill: #f8fafc; stroke: #94a3b8; stroke-width: 1; rx: 5; }
svg .node text { font: 12px system-ui, sans-serif; fill: #111827; dominant-baseline: middle; }
svg .node.root rect { fill: #111827; stroke: #111827; } svg .node.root text { fill: #fff; font-weight: 700; }
svg .node.onpath rect { stroke: var(--crit); stroke-width: 2; }
svg .node.risky rect { stroke-width: 2.5; }
svg .node.risky.sev-critical rect { fill: #fee2e2; stroke: var(--crit); }
svg .node.risky.sev-high rect { fill: #ffedd5; stroke: var(--high); }
svg .node.risky.sev-medium rect { fill: #fef9c3; stroke: var(--med); }
svg .node.risky.sev-low rect { fill: #dbeafe; stroke: var(--low); }
svg .node.risky.sev-info rect, svg .node.risky.sev-unknown rect { fill: #f3f4f6; stroke: var(--info); }
svg .node.risky.sev-malicious rect { fill: #f3e8ff; stroke: var(--mal); }
svg .node.selected rect { stroke: #111827; stroke-width: 3; }
svg .node { cursor: pointer; }
.legend span { margin-right: 14px; }
.legend i { display: inline-block; width: 12px; height: 12px; border-radius: 3px; vertical-align: middle; margin-right: 4px; }
.meta { color: #d1d5db; font-size: 13px; }
.muted { color: #6b7280; }
</style>
</head>
<body>
<header>
<h1>{{.Title}}</h1>
<div><span id="status" class="status {{if .Summary.Failed}}fail{{else}}pass{{end}}">{{if .Summary.Failed}}Fails the policy{{else}}Passes the policy{{end}}</span>
<span id="total-line">{{.Line}}</span></div>
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
{{with .Graph}}<section id="graph">
<h2>Dependency graph</h2>
<p class="legend muted"><span><i style="background:#fee2e2;border:2px solid #b91c1c"></i>package with findings</span><span><i style="border:2px solid #b91c1c"></i>on a path to one</span><span><i style="background:#b91c1c;height:3px"></i>risky path</span>{{if .Omitted}}<span>large graph: {{.Omitted}} transitive packages off the risky paths are not drawn</span>{{end}}</p>
<div class="graph-wrap">
<svg xmlns="http://www.w3.org/2000/svg" id="depgraph" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}" role="img" aria-label="dependency graph">
<g class="edges">{{range .Edges}}<path class="edge{{if .Risky}} risky{{end}}" d="{{edgePath .}}"/>{{end}}</g>
<g class="nodes">{{range .Nodes}}<g class="node{{if .Root}} root{{end}}{{if .Risky}} risky sev-{{sevName .Severity}}{{end}}{{if .OnPath}} onpath{{end}}" data-package="{{.Name}}" transform="translate({{.X}},{{.Y}})"><title>{{if .Root}}the project{{else}}{{.Name}}{{if .Risky}}: {{.Findings}} finding(s), highest {{sevName .Severity}}{{end}}{{end}}</title><rect width="{{$.NodeW}}" height="{{$.NodeH}}"/><text x="8" y="{{half $.NodeH}}">{{.Label}}{{if .Risky}} ⚠ {{.Findings}}{{end}}</text></g>{{end}}</g>
</svg>
</div>
</section>{{end}}
{{if .Projects}}{{range $i, $p := .Projects}}<section class="project" id="project-{{$i}}" data-project="{{$p.Path}}">
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
<script>
(function () {
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.finding"));
  var cards = Array.prototype.slice.call(document.querySelectorAll(".card"));
  var active = null;
  function show(pred) { rows.forEach(function (r) { r.style.display = pred(r) ? "" : "none"; }); }
  cards.forEach(function (c) {
    c.addEventListener("click", function () {
      var risk = c.getAttribute("data-risk");
      active = active === risk ? null : risk;
      cards.forEach(function (o) { o.classList.toggle("active", o.getAttribute("data-risk") === active); });
      show(function (r) { return !active || r.getAttribute("data-risk") === active; });
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll("#depgraph .node"), function (n) {
    n.addEventListener("click", function () {
      var pkg = n.getAttribute("data-package");
      var was = n.classList.contains("selected");
      Array.prototype.forEach.call(document.querySelectorAll("#depgraph .node.selected"), function (o) { o.classList.remove("selected"); });
      if (was || !pkg) { show(function () { return true; }); return; }
      n.classList.add("selected");
      show(function (r) { return r.getAttribute("data-package") === pkg; });
      var t = document.getElementById("findings"); if (t) { t.scrollIntoView(); }
    });
  });
})();
</script>
</body>
</html>
{{define "findings"}}<table{{with .ID}} id="{{.}}"{{else}} class="findings-table"{{end}}>
<thead><tr><th>Severity</th><th>Risk</th><th>Package</th><th>ID / rule</th><th>Fix</th><th>Location</th><th>Finding</th></tr></thead>
<tbody>
{{range .Rows}}<tr class="finding{{if .Ignored}} ignored{{end}}" data-risk="{{.Risk}}" data-package="{{.Package}}" data-severity="{{sevName .Severity}}">
<td><span class="sev sev-{{sevName .Severity}}">{{sevName .Severity}}</span>{{if .Ignored}}<br><span class="muted">ignored</span>{{end}}</td>
<td>{{.Risk}}</td>
<td>{{.Pkg}}{{if .PathStr}}<div class="detail">{{.PathStr}}</div>{{end}}</td>
<td><code>{{.IDShown}}</code>{{if .Aliases}}<div class="detail">{{range $i, $a := .Aliases}}{{if $i}}, {{end}}{{$a}}{{end}}</div>{{end}}</td>
<td>{{if .Fixes}}{{.Fixes}}{{else}}—{{end}}</td>
<td>{{if .Where}}<code>{{.Where}}</code>{{else}}—{{end}}</td>
<td><strong>{{.Title}}</strong>{{if .Detail}}{{if gt (len .Detail) 320}}<details class="detail"><summary>{{short .Detail}}</summary>{{.Detail}}</details>{{else}}<div class="detail">{{.Detail}}</div>{{end}}{{end}}{{if .Action}}<div class="detail"><em>Action:</em> {{.Action}}</div>{{end}}{{if .Ignored}}<div class="detail"><em>Ignored:</em> {{.IgnoreReason}}</div>{{end}}</td>
</tr>
{{end}}</tbody>
</table>{{end}}`))
