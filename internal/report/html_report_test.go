package report

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
)

func TestHTMLSelfContained(t *testing.T) {
	out := render(t, "html", fixture(t), Options{})
	for _, bad := range []string{"<link", " src=", "@import", "url(", "<iframe", "fetch(", "<img"} {
		if strings.Contains(out, bad) {
			t.Errorf("HTML report refers to external resources (%q)", bad)
		}
	}
	// Text from findings is escaped.
	if strings.Contains(out, "<for>") || !strings.Contains(out, "&lt;for&gt;") {
		t.Error("finding text not escaped")
	}
	for _, want := range []string{`<title>pyvet report</title>`, `data-risk="vulnerability" data-count="1"`,
		`<li class="node affected leaf" data-package="werkzeug" data-severity="high">`} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}

// TestHTMLContentSecurityPolicy checks that the page's policy loads nothing
// and admits exactly its own style and script, by their hashes.
func TestHTMLContentSecurityPolicy(t *testing.T) {
	hash := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	res := fixture(t)
	pages := map[string]string{"audit": render(t, "html", res, Options{})}
	res.Kind = KindVersion
	pages["other command"] = render(t, "html", res, Options{})
	meta := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]*)">`)
	for name, out := range pages {
		m := meta.FindStringSubmatch(out)
		if m == nil {
			t.Errorf("%s: no Content-Security-Policy", name)
			continue
		}
		csp := html.UnescapeString(m[1])
		if !strings.HasPrefix(csp, "default-src 'none';") {
			t.Errorf("%s: policy %q does not deny by default", name, csp)
		}
		style := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindAllStringSubmatch(out, -1)
		if len(style) != 1 || !strings.Contains(csp, "style-src "+hash(style[0][1])+";") {
			t.Errorf("%s: the policy does not admit the page's one style element by its hash: %q", name, csp)
		}
		scripts := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindAllStringSubmatch(out, -1)
		for _, s := range scripts {
			if !strings.Contains(csp, "script-src "+hash(s[1])+";") {
				t.Errorf("%s: the policy does not admit the page's script by its hash: %q", name, csp)
			}
		}
		if strings.Contains(out, " style=") || strings.Contains(out, "unsafe-inline") {
			t.Errorf("%s: inline style attributes or unsafe-inline", name)
		}
	}
}

func TestHTMLLongDetailsFold(t *testing.T) {
	res := fixture(t)
	res.Findings[0].Detail = strings.Repeat("très long détail ", 40)
	out := render(t, "html", res, Options{})
	if !strings.Contains(out, `<details class="detail" id="desc-PYSEC-2023-221"><summary>très long détail`) || !strings.Contains(out, " …</summary>") {
		t.Error("a long detail is not folded")
	}
	if !strings.Contains(out, `<div class="detail md"><p>A branch or tag`) {
		t.Error("a short detail is folded")
	}
	// A description whose start is the title is summed up as "Description".
	res.Findings[0].Title = "très long détail très long détail…"
	out = render(t, "html", res, Options{})
	if !strings.Contains(out, `<details class="detail" id="desc-PYSEC-2023-221"><summary>Description</summary>`) {
		t.Error("a description that repeats the title is not summed up as Description")
	}
}

func TestHTMLDescriptionOncePerAdvisory(t *testing.T) {
	res := fixture(t)
	res.Findings[0].Detail = "The **multipart** parser hangs."
	again := res.Findings[0]
	again.Version, again.Severity = "1.0.1", finding.SeverityLow
	other := res.Findings[0]
	other.ID, other.Version, other.Detail = "PYSEC-2023-222", "1.0.1", "Another **description**."
	res.Findings = append(res.Findings, again, other)
	out := render(t, "html", res, Options{})
	if n := strings.Count(out, "The <strong>multipart</strong> parser hangs."); n != 1 {
		t.Errorf("the description of an advisory on two versions is shown %d times, want once", n)
	}
	first := strings.Index(out, `<div class="detail md" id="desc-PYSEC-2023-221"><p>The <strong>multipart</strong>`)
	ref := strings.Index(out, `<div class="detail"><a href="#desc-PYSEC-2023-221">Description: as for werkzeug 2.0.0</a></div>`)
	if first < 0 || ref < first {
		t.Errorf("the second row does not refer to the first one's description (%d, %d)", first, ref)
	}
	if !strings.Contains(out, "Another <strong>description</strong>.") {
		t.Error("another advisory's description is left out")
	}
}

func TestHTMLMarkdownDescriptions(t *testing.T) {
	res := fixture(t)
	res.Findings[0].Detail = "## Impact\n\nA **crafted** request `boundary=...` hangs the parser.\n\n" +
		"```python\nparse(b'--x')\n```\n\n" +
		"- see [the advisory](https://github.com/pallets/werkzeug/security) and https://example.org/a?b=1\n" +
		"- [a script](javascript:alert(1)) [JS](JAVASCRIPT:alert(2)) [data](data:text/html;base64,PHNjcmlwdD4=) [file](file:///etc/passwd) [relative](../x) [frag](#status)\n" +
		"- ![logo](https://evil.example/pixel.png) ![inline](data:image/png;base64,AAAA)\n\n" +
		"<script>alert(3)</script>\n\n<img src=x onerror=alert(4)> and inline <b onclick=\"alert(5)\">bold</b>; pip install <package>.\n\n" +
		"<https://example.net/auto> <mailto:sec@example.com>"
	out := render(t, "html", res, Options{})
	i := strings.Index(out, `<div class="md">`)
	if i < 0 {
		t.Fatalf("the description is not rendered:\n%s", out)
	}
	desc := out[i : strings.Index(out[i:], "</details>")+i]
	for _, want := range []string{
		"<h2>Impact</h2>", "<strong>crafted</strong>", "<code>boundary=...</code>",
		`<pre><code class="language-python">parse(b'--x')`,
		`<a href="https://github.com/pallets/werkzeug/security" rel="noopener noreferrer nofollow">the advisory</a>`,
		`<a href="https://example.org/a?b=1" rel="noopener noreferrer nofollow">https://example.org/a?b=1</a>`,
		`<a href="https://example.net/auto" rel="noopener noreferrer nofollow">https://example.net/auto</a>`,
		// Links that are not http(s) or mailto become their text.
		"<li>a script JS data file relative frag</li>",
		// Images become links to the picture; a data: picture its alternative text.
		`<a href="https://evil.example/pixel.png" rel="noopener noreferrer nofollow">logo</a> inline`,
		// Raw HTML is shown as text.
		"&lt;script&gt;alert(3)&lt;/script&gt;", "&lt;img src=x onerror=alert(4)&gt;", "&lt;b onclick=&quot;alert(5)&quot;&gt;bold&lt;/b&gt;",
		"pip install &lt;package&gt;.",
	} {
		if !strings.Contains(desc, want) {
			t.Errorf("description lacks %q:\n%s", want, desc)
		}
	}
	for _, bad := range []string{"<script", "<img", "<b ", `href="javascript`, `href="JAVASCRIPT`, `href="data:`, `href="file:`, `href="../x"`, `href="#status"`, `href=""`} {
		if strings.Contains(desc, bad) {
			t.Errorf("description holds %q:\n%s", bad, desc)
		}
	}
	if n, m := strings.Count(desc, "<a "), strings.Count(desc, `rel="noopener noreferrer nofollow"`); n != m || n != 5 {
		t.Errorf("%d links, %d with rel=noopener noreferrer nofollow, want 5 of each", n, m)
	}
	// The folded summary is plain text, without the code block.
	if !strings.Contains(out, "<summary>Impact A crafted request boundary=... hangs the parser. see the advisory and") {
		t.Errorf("summary is not the description's plain text:\n%s", out[strings.LastIndex(out[:i], "<summary>"):i])
	}
	// Titles render inline Markdown, never blocks.
	res.Findings[0].Title = "Werkzeug `parse_form_data` hangs"
	res.Findings[2].Title = "# not a heading"
	out = render(t, "html", res, Options{})
	if !strings.Contains(out, "<strong>Werkzeug <code>parse_form_data</code> hangs</strong>") || !strings.Contains(out, "<strong># not a heading</strong>") {
		t.Error("titles are not rendered as inline Markdown")
	}
	// pyvet's own findings are text, not Markdown.
	res.Findings[2].Title, res.Findings[2].Detail = "black references `main` at https://x.example/*a*", "Pin **it**."
	out = render(t, "html", res, Options{})
	if !strings.Contains(out, "<strong>black references `main` at https://x.example/*a*</strong>") || !strings.Contains(out, "<p>Pin **it**.</p>") {
		t.Error("a finding of pyvet's own is rendered as Markdown")
	}
}

func TestHTMLUpgradesSection(t *testing.T) {
	res := fixture(t)
	res.Findings = append(res.Findings,
		finding.Finding{Risk: finding.RiskVulnerability, ID: "PYSEC-2024-1", Package: "werkzeug", Version: "2.0.0", Severity: finding.SeverityCritical, Fix: []string{"2.2.3"}, Exact: true},
		finding.Finding{Risk: finding.RiskVulnerability, ID: "PYSEC-2024-2", Package: "click", Version: "8.1.7", Severity: finding.SeverityLow, Fix: []string{"8.1.8"}, Exact: true},
		finding.Finding{Risk: finding.RiskVulnerability, ID: "PYSEC-2024-3", Package: "click", Version: "8.1.7", Severity: finding.SeverityLow, Exact: true},
	)
	out := render(t, "html", res, Options{})
	i, j := strings.Index(out, `<section id="upgrades">`), strings.Index(out, `<section id="findings">`)
	if i < 0 || j < i {
		t.Fatalf("no Fix these first section before the findings:\n%s", out)
	}
	sec := out[i:j]
	w := strings.Index(sec, `<a href="#finding-werkzeug"><strong>werkzeug</strong></a> 2.0.0 → <span class="to">2.3.8</span></td><td class="num">2</td><td class="top"><span class="sev sev-critical">critical</span></td><td><code>PYSEC-2023-221</code>, <code>PYSEC-2024-1</code></td>`)
	c := strings.Index(sec, `<strong>click</strong></a> 8.1.7 → <span class="to">8.1.8</span></td><td class="num">1</td>`)
	if w < 0 || c < w {
		t.Errorf("upgrades missing or out of order:\n%s", sec)
	}
	if !strings.Contains(sec, "2 upgrades clear 3 of 4 known vulnerabilities; 1 has no fix.") {
		t.Errorf("no summing-up line:\n%s", sec)
	}
	// The link goes to the package's first row.
	if strings.Count(out, `id="finding-werkzeug"`) != 1 || !strings.Contains(out, `<tr class="finding" id="finding-werkzeug"`) {
		t.Error("no single anchor on werkzeug's first row")
	}
	// Over ten upgrades: the rest are folded.
	res.Findings = nil
	for k := 0; k < 13; k++ {
		res.Findings = append(res.Findings, finding.Finding{Risk: finding.RiskVulnerability, ID: fmt.Sprintf("PYSEC-%d", k), Package: fmt.Sprintf("p%02d", k), Version: "1.0", Fix: []string{"1.1"}})
	}
	out = render(t, "html", res, Options{})
	if n := strings.Count(out, `<tr class="upgrade"`); n != 13 || !strings.Contains(out, `<details id="more-upgrades"><summary>3 more upgrades</summary>`) ||
		strings.Index(out, `data-package="p10"`) < strings.Index(out, "more-upgrades") {
		t.Errorf("%d upgrade rows; the three after the tenth are not folded", n)
	}
	// No fix anywhere: no section.
	res.Findings = []finding.Finding{{Risk: finding.RiskVulnerability, ID: "PYSEC-1", Package: "x", Version: "1.0"}}
	if out := render(t, "html", res, Options{}); strings.Contains(out, `id="upgrades"`) {
		t.Error("a Fix these first section without upgrades")
	}
}

// treeNames lists the nodes of a path tree as "name" for unfolded nodes,
// "name^" for references, indented by depth.
func treeNames(ns []*PathNode, depth int, out *[]string) {
	for _, n := range ns {
		s := strings.Repeat(" ", depth) + n.Name
		if n.Ref {
			s += "^"
		}
		*out = append(*out, s)
		treeNames(n.Children, depth+1, out)
	}
}

func TestPathTreeFixture(t *testing.T) {
	res := fixture(t)
	tree := BuildPathTree(res.Inventory, res.Findings)
	if tree == nil {
		t.Fatal("no tree")
	}
	var got []string
	treeNames(tree.Roots, 0, &got)
	// jinja2, markupsafe and click lead to no finding; urllib3's only
	// finding is ignored.
	want := []string{"black", "flask", " werkzeug", "requests"}
	if !slices.Equal(got, want) {
		t.Errorf("tree %q, want %q", got, want)
	}
	if tree.Affected != 3 || tree.Others != 1 || tree.Packages != 8 {
		t.Errorf("counts %+v", tree)
	}
	w := tree.Roots[1].Children[0]
	if !w.Affected || w.Severity != finding.SeverityHigh || w.Findings != 1 || w.Version != "2.0.0" {
		t.Errorf("werkzeug %+v", w)
	}
	if !slices.Equal(tree.Roots[1].Below, []string{"werkzeug"}) || tree.Roots[1].Affected {
		t.Errorf("flask %+v", tree.Roots[1])
	}
}

func TestPathTreeSharedAndCycles(t *testing.T) {
	inv := &inventory.Inventory{Packages: []*inventory.Package{
		{Name: "project", Requires: []string{"app-a", "app-b"}},                    // a lock file's own entry, above the direct ones
		{Name: "app-a", Direct: true, Requires: []string{"lib", "noise", "app-b"}}, // app-b is unfolded at its own entry
		{Name: "app-b", Direct: true, Requires: []string{"lib", "vuln-leaf"}},
		{Name: "lib", Requires: []string{"core", "vuln-leaf"}},
		{Name: "core", Requires: []string{"lib", "bad"}}, // a cycle lib → core → lib
		{Name: "bad"},
		{Name: "vuln-leaf"},
		{Name: "noise", Requires: []string{"noise-2"}},
		{Name: "noise-2"},
		{Name: "x", Requires: []string{"y"}}, // an island cycle nobody enters
		{Name: "y", Requires: []string{"x", "z"}},
		{Name: "z"},
	}}
	fs := []finding.Finding{
		{Package: "bad", Severity: finding.SeverityCritical},
		{Package: "vuln-leaf", Severity: finding.SeverityLow},
		{Package: "z", Severity: finding.SeverityMedium},
	}
	tree := BuildPathTree(inv, fs)
	var got []string
	treeNames(tree.Roots, 0, &got)
	want := []string{
		"app-a", " app-b^", " lib", "  core", "   bad", "   lib^", "  vuln-leaf",
		"app-b", " lib^", " vuln-leaf",
		"x", " y", "  x^", "  z",
	}
	if !slices.Equal(got, want) {
		t.Errorf("tree\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !slices.Equal(tree.Roots[0].Below, []string{"bad", "vuln-leaf"}) {
		t.Errorf("app-a leads to %v", tree.Roots[0].Below)
	}
}

func TestPathTreeFlatIsNil(t *testing.T) {
	inv := &inventory.Inventory{}
	var fs []finding.Finding
	for i := 0; i < 50; i++ {
		name := fmt.Sprintf("p%d", i)
		inv.Packages = append(inv.Packages, &inventory.Package{Name: name, Version: "1.0", Direct: true})
		if i%5 == 0 {
			fs = append(fs, finding.Finding{Risk: finding.RiskVulnerability, ID: "X-" + name, Package: name, Version: "1.0", Severity: finding.SeverityHigh, Direct: true})
		}
	}
	if tree := BuildPathTree(inv, fs); tree != nil {
		t.Errorf("a flat list of requirements has a tree: %+v", tree)
	}
	out := render(t, "html", &Result{Tool: "pyvet audit", Inventory: inv, Findings: fs}, Options{})
	if strings.Contains(out, `id="graph"`) || strings.Contains(out, `class="node`) {
		t.Error("the page of a flat list of requirements draws a graph")
	}
}

// TestPathTreeLarge checks that at 400 packages the tree holds the paths to
// the affected packages only, each package unfolded once.
func TestPathTreeLarge(t *testing.T) {
	inv, fs, relevant := largeGraph()
	tree := BuildPathTree(inv, fs)
	var got []string
	treeNames(tree.Roots, 0, &got)
	unfolded := map[string]int{}
	names := map[string]bool{}
	for _, s := range got {
		n := strings.TrimSpace(s)
		if !strings.HasSuffix(n, "^") {
			unfolded[n]++
		}
		names[strings.TrimSuffix(n, "^")] = true
	}
	if !maps2Equal(names, relevant) {
		t.Errorf("tree shows %v, want %v", names, relevant)
	}
	for n, k := range unfolded {
		if k > 1 && n != "t0100" { // a leaf is shown in full at each place
			t.Errorf("%s unfolded %d times", n, k)
		}
	}
	if tree.Packages != 400 || tree.Affected != 3 {
		t.Errorf("counts %+v", tree)
	}
}

func maps2Equal(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// largeGraph is 40 direct dependencies with 9 dependencies each (400
// packages), three of them affected, and the packages on the paths to them.
func largeGraph() (*inventory.Inventory, []finding.Finding, map[string]bool) {
	inv := &inventory.Inventory{}
	for i := 0; i < 40; i++ {
		d := &inventory.Package{Name: fmt.Sprintf("d%02d", i), Version: "1.0", Direct: true}
		for j := 0; j < 9; j++ {
			c := fmt.Sprintf("t%02d%02d", i, j)
			d.Requires = append(d.Requires, c)
			inv.Packages = append(inv.Packages, &inventory.Package{Name: c, Version: "2.0"})
		}
		inv.Packages = append(inv.Packages, d)
	}
	for _, p := range inv.Packages {
		if p.Name == "t0003" {
			p.Requires = []string{"t0100"} // d00 → t0003 → t0100, and d01 → t0100
		}
	}
	fs := []finding.Finding{
		{Risk: finding.RiskVulnerability, ID: "PYSEC-1", Package: "t0100", Version: "2.0", Severity: finding.SeverityHigh, Fix: []string{"2.1"}},
		{Risk: finding.RiskVulnerability, ID: "PYSEC-2", Package: "d05", Version: "1.0", Severity: finding.SeverityCritical, Direct: true, Fix: []string{"1.1"}},
		{Risk: finding.RiskVulnerability, ID: "PYSEC-3", Package: "t0308", Version: "2.0", Severity: finding.SeverityMedium, Path: []string{"d03", "t0308"}},
		{Risk: finding.RiskVulnerability, ID: "PYSEC-4", Package: "t0207", Version: "2.0", Severity: finding.SeverityMedium, Ignored: true},
	}
	relevant := map[string]bool{"d00": true, "t0003": true, "t0100": true, "d01": true, "d03": true, "t0308": true, "d05": true}
	return inv, fs, relevant
}

// BenchmarkHTMLLargeGraph renders the page of a 400-package audit.
func BenchmarkHTMLLargeGraph(b *testing.B) {
	inv, fs, _ := largeGraph()
	res := &Result{Tool: "pyvet audit", Inventory: inv, Findings: fs}
	for b.Loop() {
		if err := Write(io.Discard, "html", res, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestHTMLPathTreeFolding(t *testing.T) {
	// A small tree starts unfolded.
	if out := render(t, "html", fixture(t), Options{}); !strings.Contains(out, `<li class="node" data-package="flask"><details open>`) {
		t.Error("a small tree starts folded")
	}
	// A large one starts folded: a line per direct dependency, naming the
	// affected packages it leads to.
	inv := &inventory.Inventory{}
	var fs []finding.Finding
	for i := 0; i < 30; i++ {
		d, m, v := fmt.Sprintf("d%02d", i), fmt.Sprintf("m%02d", i), fmt.Sprintf("v%02d", i)
		inv.Packages = append(inv.Packages,
			&inventory.Package{Name: d, Direct: true, Requires: []string{m}},
			&inventory.Package{Name: m, Requires: []string{v}},
			&inventory.Package{Name: v})
		fs = append(fs, finding.Finding{Risk: finding.RiskVulnerability, ID: "X-" + v, Package: v, Severity: finding.SeverityHigh})
	}
	out := render(t, "html", &Result{Tool: "pyvet audit", Inventory: inv, Findings: fs}, Options{})
	if n := strings.Count(out, "<details>"); strings.Contains(out, "<details open>") || n != 60 {
		t.Errorf("a 90-node tree does not start folded (%d folded packages, want 60)", n)
	}
	if !strings.Contains(out, `<summary><span class="pkg" id="dep-d07">d07</span> <span class="below">→ v07</span></summary>`) {
		t.Error("a folded direct dependency does not name the affected package it leads to")
	}
}

// denseGraph is 2,000 packages (50 direct), each with up to five
// dependencies, one in ten with a finding.
func denseGraph() (*inventory.Inventory, []finding.Finding) {
	inv := &inventory.Inventory{}
	var fs []finding.Finding
	const n = 2000
	for i := 0; i < n; i++ {
		p := &inventory.Package{Name: fmt.Sprintf("p%04d", i), Direct: i < 50}
		for k := 1; k <= 5; k++ {
			if j := i + k*k*7; j < n {
				p.Requires = append(p.Requires, fmt.Sprintf("p%04d", j))
			}
		}
		inv.Packages = append(inv.Packages, p)
		if i%10 == 9 {
			fs = append(fs, finding.Finding{Risk: finding.RiskVulnerability, ID: fmt.Sprintf("X-%d", i), Package: p.Name, Severity: finding.SeverityHigh})
		}
	}
	return inv, fs
}

// TestPathTreeBounded checks that a dense graph's tree stops at
// maxPathNodes nodes below its roots and says how much it leaves out.
func TestPathTreeBounded(t *testing.T) {
	inv, fs := denseGraph()
	tree := BuildPathTree(inv, fs)
	var names []string
	treeNames(tree.Roots, 0, &names)
	if below := len(names) - len(tree.Roots); below != maxPathNodes || tree.Cut == 0 {
		t.Errorf("%d nodes below the roots, %d edges cut; want %d and some cut", below, tree.Cut, maxPathNodes)
	}
	cut := 0
	var walk func(ns []*PathNode)
	walk = func(ns []*PathNode) {
		for _, n := range ns {
			cut += n.Cut
			walk(n.Children)
		}
	}
	walk(tree.Roots)
	if cut != tree.Cut {
		t.Errorf("nodes say %d edges are cut, the tree %d", cut, tree.Cut)
	}
	out := render(t, "html", &Result{Tool: "pyvet audit", Inventory: inv, Findings: fs}, Options{})
	if !strings.Contains(out, fmt.Sprintf("The tree is cut at its first 2000 packages: %d dependencies on these paths are not drawn.", tree.Cut)) ||
		!strings.Contains(out, "more not drawn</div>") {
		t.Error("the page does not say the tree is cut")
	}
	if len(out) > 1<<20 {
		t.Errorf("page of %d bytes", len(out))
	}
}

// BenchmarkPathTreeDense builds the tree of denseGraph.
func BenchmarkPathTreeDense(b *testing.B) {
	inv, fs := denseGraph()
	for b.Loop() {
		if BuildPathTree(inv, fs) == nil {
			b.Fatal("no tree")
		}
	}
}
