package report

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
)

// TestMain runs the tests without the shell's COLUMNS: the golden tables are the 100 columns of a run off a terminal, whatever
// terminal the tests are started from (tests that want a width set it).
func TestMain(m *testing.M) {
	os.Unsetenv("COLUMNS")
	os.Exit(m.Run())
}

// TestTableLayout: the fixture's table says what the old one said (ids,
// the fix, locations, notes), ignored findings only on request, colour
// only when asked, and every row's advisory starts at one offset.
func TestTableLayout(t *testing.T) {
	res := fixture(t)
	out := render(t, "table", res, Options{})
	if strings.Contains(out, "\x1b[") {
		t.Error("colour written to a non-terminal")
	}
	for _, want := range []string{"SEVERITY", "ADVISORY", "PYSEC-2023-221", "werkzeug 2.0.0   2.3.8", "poetry.lock:120, via flask 2.0.0 → werkzeug 2.0.0",
		"pin-vcs-ref", "requirements.txt:5", "note: ignore for PYSEC-2000-1 expired",
		"1 of 8 packages affected by 1 known vulnerability (1 high; 1 fixable), 3 other findings; the run"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "GHSA-v845-jxx5-vc9f") {
		t.Error("ignored finding shown without ShowIgnored")
	}
	if !strings.Contains(render(t, "table", res, Options{ShowIgnored: true, Width: 120}), "GHSA-v845-jxx5-vc9f (ignored)") {
		t.Error("ignored finding not shown with ShowIgnored")
	}
	col := render(t, "table", res, Options{Color: ColorAlways, Aliases: true, Desc: true, Width: 160})
	if !strings.Contains(col, "\x1b[31mhigh\x1b[0m") || !strings.Contains(col, "CVE-2023-46136") || !strings.Contains(col, "Action: Upgrade werkzeug") {
		t.Errorf("coloured table with aliases and descriptions:\n%s", col)
	}
	// Alignment: the advisory column starts at the same offset on every row.
	lines := strings.Split(out, "\n")
	at := strings.Index(lines[0], "ADVISORY")
	rows := 0
	for _, l := range lines[1:] {
		for _, id := range []string{"pin-extra-index", "PYSEC-2023-221", "pin-vcs-ref", "pin-loose"} {
			if strings.Contains(l, id) {
				rows++
				if strings.Index(l, id) != at {
					t.Errorf("misaligned row %q (ADVISORY at %d)", l, at)
				}
			}
		}
	}
	if rows != 4 {
		t.Errorf("%d rows with an id:\n%s", rows, out)
	}
	if out := render(t, "table", &Result{}, Options{}); !strings.HasPrefix(out, "No findings.\n") {
		t.Errorf("empty table = %q", out)
	}
}

// manyAdvisories is a run where one package has three advisories (fixed in
// 2.20.0, 2.31.0 and never), another one advisory, declared at absolute
// paths below base.
func manyAdvisories(base string) *Result {
	loc := func(line int) *inventory.Location {
		return &inventory.Location{File: base + "/sub/requirements.txt", Line: line}
	}
	long := "Requests is a HTTP library. Since Requests 2.3.0, Requests has been leaking Proxy-Authorization headers to destination servers when redirected to an HTTPS endpoint"
	v := func(pkg, version, id string, sev finding.Severity, line int, title string, fix ...string) finding.Finding {
		return finding.Finding{Risk: finding.RiskVulnerability, Rule: "vuln", ID: id, Package: pkg, Version: version, Severity: sev,
			Title: title, Fix: fix, Exact: true, Direct: true, Location: loc(line)}
	}
	inv := &inventory.Inventory{Packages: []*inventory.Package{{Name: "requests", Version: "2.19.0"}, {Name: "urllib3", Version: "1.24"}, {Name: "idna", Version: "3.4"}}}
	return &Result{Tool: "pyvet audit", Inventory: inv, Failed: true, Meta: map[string]string{"fail_on": "high"}, Findings: []finding.Finding{
		v("requests", "2.19.0", "PYSEC-2018-28", finding.SeverityHigh, 1, "Requests sends credentials over HTTP on redirects", "2.20.0"),
		v("requests", "2.19.0", "PYSEC-2023-74", finding.SeverityMedium, 1, long, "2.31.0"),
		v("requests", "2.19.0", "GHSA-xxxx-yyyy-zzzz", finding.SeverityLow, 1, "Requests has no fix yet"),
		v("urllib3", "1.24", "PYSEC-2019-132", finding.SeverityCritical, 2, "CRLF injection in urllib3", "1.24.2"),
	}}
}

// One row per affected package: its advisories each on a line of their
// own, the package, its fix (the smallest version fixing every fixable
// advisory) and where it is declared said once, relative to the base.
func TestTableOneRowPerPackage(t *testing.T) {
	out := render(t, "table", manyAdvisories("/src/app"), Options{BaseDir: "/src/app", Width: 120})
	if n := strings.Count(out, "requests 2.19.0"); n != 1 {
		t.Errorf("requests named %d times:\n%s", n, out)
	}
	for _, want := range []string{"requests 2.19.0  2.31.0", "urllib3 1.24     1.24.2", "sub/requirements.txt:1; no fix yet for 1 of its advisories",
		"sub/requirements.txt:2\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "/src/app") {
		t.Errorf("absolute path in the table:\n%s", out)
	}
	if strings.Contains(out, "RISK") || strings.Contains(out, "vulnerability ") {
		t.Errorf("a RISK column in a run of one risk:\n%s", out)
	}
	// Most severe package first (urllib3's critical), then its own lines by severity.
	if strings.Index(out, "urllib3") > strings.Index(out, "requests") {
		t.Errorf("packages out of order:\n%s", out)
	}
	if !(strings.Index(out, "PYSEC-2018-28") < strings.Index(out, "PYSEC-2023-74") && strings.Index(out, "PYSEC-2023-74") < strings.Index(out, "GHSA-xxxx")) {
		t.Errorf("advisories out of order:\n%s", out)
	}
}

// Every line of the table fits the width asked for, from 40 to 200
// columns, with descriptions and aliases too; titles are cut to two lines
// with "…" and --desc gives them whole.
func TestTableFitsWidth(t *testing.T) {
	runs := map[string]*Result{"fixture": fixture(t), "many": manyAdvisories("/src/app")}
	for name, res := range runs {
		for _, width := range []int{40, 60, 80, 100, 120, 200} {
			for _, opts := range []Options{{}, {Desc: true, Aliases: true, ShowIgnored: true}} {
				opts.Width, opts.BaseDir = width, "/src/app"
				out := render(t, "table", res, opts)
				for _, l := range strings.Split(out, "\n") {
					if textWidth(l) > width {
						t.Errorf("%s at %d (desc %v): %d columns: %q", name, width, opts.Desc, textWidth(l), l)
					}
				}
			}
		}
	}
	out := render(t, "table", manyAdvisories("/src/app"), Options{Width: 80, BaseDir: "/src/app"})
	if !strings.Contains(out, "…") || strings.Contains(out, "HTTPS endpoint") {
		t.Errorf("long title not cut at 80 columns:\n%s", out)
	}
	desc := render(t, "table", manyAdvisories("/src/app"), Options{Width: 80, BaseDir: "/src/app", Desc: true})
	if !strings.Contains(strings.Join(strings.Fields(desc), " "), "redirected to an HTTPS endpoint") {
		t.Errorf("--desc does not give the whole title:\n%s", desc)
	}
}

// The RISK column appears only when the run has more than one risk.
func TestTableRiskColumn(t *testing.T) {
	if out := render(t, "table", fixture(t), Options{}); !strings.Contains(strings.SplitN(out, "\n", 2)[0], "RISK") {
		t.Errorf("no RISK column with several risks:\n%s", out)
	}
	if out := render(t, "table", manyAdvisories("/x"), Options{}); strings.Contains(out, "RISK") {
		t.Errorf("RISK column with one risk:\n%s", out)
	}
}

// "Fix these first" lists the upgrades that clear the most advisories,
// at most three, and is left out when there is only one upgrade.
func TestTableDigest(t *testing.T) {
	res := manyAdvisories("/x")
	for i, pkg := range []string{"idna", "jinja2", "flask"} {
		res.Findings = append(res.Findings, finding.Finding{Risk: finding.RiskVulnerability, Rule: "vuln", ID: fmt.Sprintf("PYSEC-9-%d", i),
			Package: pkg, Version: "1.0", Severity: finding.SeverityLow, Title: "t", Fix: []string{"1.1"}, Exact: true})
	}
	out := render(t, "table", res, Options{Width: 100})
	i := strings.Index(out, "Fix these first (pyvet fix makes the upgrades):\n")
	if i < 0 {
		t.Fatalf("no digest:\n%s", out)
	}
	digest := strings.Split(out[i:], "\n")[1:4]
	for k, want := range []string{"requests  2.19.0 → 2.31.0  clears 2 advisories (high)", "urllib3   1.24 → 1.24.2    clears 1 advisory (critical)", "flask     1.0 → 1.1"} {
		if !strings.HasPrefix(strings.TrimSpace(digest[k]), want) {
			t.Errorf("digest line %d = %q, want %q", k, digest[k], want)
		}
	}
	if strings.Contains(out[i:], "jinja2") || strings.Contains(out[i:], "idna") {
		t.Errorf("more than three upgrades:\n%s", out[i:])
	}
	one := manyAdvisories("/x")
	one.Findings = one.Findings[3:]
	if out := render(t, "table", one, Options{}); strings.Contains(out, "Fix these first") {
		t.Errorf("digest of one upgrade:\n%s", out)
	}
}

// Colour on a terminal: severity words in their colour, the declared-at
// line dimmed; the layout is the one without colour once escapes are
// removed.
func TestTableColourKeepsLayout(t *testing.T) {
	res := manyAdvisories("/x")
	plain := render(t, "table", res, Options{Width: 90, BaseDir: "/x"})
	col := render(t, "table", res, Options{Width: 90, BaseDir: "/x", Color: ColorAlways})
	if !strings.Contains(col, sevColor[finding.SeverityCritical]+"critical"+ansiReset) || !strings.Contains(col, ansiDim+"sub/requirements.txt:2"+ansiReset) {
		t.Errorf("colours:\n%q", col)
	}
	strip := strings.NewReplacer(ansiReset, "", ansiDim, "", ansiBold, "")
	s := strip.Replace(col)
	for _, c := range sevColor {
		s = strings.ReplaceAll(s, c, "")
	}
	if s != plain {
		t.Errorf("coloured layout differs:\n%s\nplain:\n%s", s, plain)
	}
}

func TestTextWidthAndWrap(t *testing.T) {
	for s, want := range map[string]int{"abc": 3, "日本語": 6, "e\u0301": 1, "→…": 2, "": 0} {
		if got := textWidth(s); got != want {
			t.Errorf("textWidth(%q) = %d, want %d", s, got, want)
		}
	}
	for _, tc := range []struct {
		in   string
		w    int
		want []string
	}{
		{"one two three", 7, []string{"one two", "three"}},
		{"averyveryverylongword", 8, []string{"averyver", "yverylon", "gword"}},
		{"path/to/some/file.txt:12", 10, []string{"path/to/", "some/file.", "txt:12"}},
		{"日本語のテキスト", 6, []string{"日本語", "のテキ", "スト"}},
		{"short", 0, []string{"short"}},
	} {
		got := wrapText(tc.in, tc.w, "")
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("wrapText(%q, %d) = %q, want %q", tc.in, tc.w, got, tc.want)
		}
		for _, l := range got {
			if tc.w > 0 && textWidth(l) > tc.w {
				t.Errorf("wrapText(%q, %d): line %q too wide", tc.in, tc.w, l)
			}
		}
	}
	if got := wrapText("a b c d e f", 5, "  "); strings.Join(got, "|") != "a b c|  d e|  f" {
		t.Errorf("hanging indent: %q", got)
	}
	if got := cut("Dulwich has an arbitrary file write", 12); got != "Dulwich has…" {
		t.Errorf("cut = %q", got)
	}
	// A title cut at its second line says so with "…", also when that
	// line fills the column.
	g := &grid{cols: []gridCol{{header: "T", min: 4, lines: 2}}, shrink: []int{0}, noHeader: true}
	g.rows = []gridRow{{cells: []string{"abcd efgh ijkl"}}, {cells: []string{"abc efg ijkl"}}}
	var b strings.Builder
	g.render(&b, 4, false)
	if b.String() != "abcd\nefg…\nabc\nefg…\n" {
		t.Errorf("cut titles:\n%s", b.String())
	}
}

// The tables of other commands fit the width too: deps shrinks its widest
// columns and wraps their cells, label-value lines wrap under the value.
func TestKindTablesFitWidth(t *testing.T) {
	var pkgs []*inventory.Package
	for i := 0; i < 5; i++ {
		pkgs = append(pkgs, &inventory.Package{Name: fmt.Sprintf("package-long-name-%d", i), Version: "1.0", Direct: true,
			Source:    inventory.Source{Kind: inventory.SourceIndex},
			Marker:    `python_version >= "3.8" and platform_system != "Windows" and implementation_name == "cpython"`,
			Parents:   []string{"alpha", "beta", "gamma", "delta"},
			Locations: []inventory.Location{{File: "requirements/production-with-a-long-name.txt", Line: 100 + i}}})
	}
	deps := &Result{Kind: KindDeps, Inventory: &inventory.Inventory{Packages: pkgs, Sources: []inventory.SourceFile{{Path: "r.txt"}}}}
	wide := render(t, "table", deps, Options{Width: 400})
	if strings.Count(wide, "\n") != 8 {
		t.Errorf("deps at 400 columns is not one line per package:\n%s", wide)
	}
	for _, width := range []int{60, 80, 120} {
		out := render(t, "table", deps, Options{Width: width})
		for _, l := range strings.Split(out, "\n") {
			if textWidth(l) > width {
				t.Errorf("deps at %d: %q", width, l)
			}
		}
		if !strings.Contains(strings.Join(strings.Fields(out), " "), "package-long-name-4") {
			t.Errorf("deps at %d lost a name:\n%s", width, out)
		}
	}
	got := fitLines("Path:        /very/long/path/of/the/advisory/database/in/the/cache/dir/pyvet/advisories/pypi.idx is here\n", 60)
	if got != "Path:        /very/long/path/of/the/advisory/database/in/\n             the/cache/dir/pyvet/advisories/pypi.idx is here\n" {
		t.Errorf("fitLines:\n%s", got)
	}
	// Markdown and HTML quote the text as wide as it is.
	var b bytes.Buffer
	if err := writeKindText(&b, deps); err != nil || b.String() != strings.Split(wide, "\n\n")[0]+"\n\n"+strings.Split(wide, "\n\n")[1] {
		t.Errorf("writeKindText is not the unfitted text (%v):\n%s", err, b.String())
	}
}

// BenchmarkTable renders the audit table of 10,000 findings on 2,000
// packages, fitted to 100 columns.
func BenchmarkTable(b *testing.B) {
	res := &Result{Tool: "pyvet audit", Meta: map[string]string{"fail_on": "low"}, Inventory: &inventory.Inventory{}}
	for p := 0; p < 2000; p++ {
		name := fmt.Sprintf("package-%04d", p)
		res.Inventory.Packages = append(res.Inventory.Packages, &inventory.Package{Name: name, Version: "1.0.0"})
		for k := 0; k < 5; k++ {
			res.Findings = append(res.Findings, finding.Finding{Risk: finding.RiskVulnerability, Rule: "vuln", ID: fmt.Sprintf("PYSEC-2026-%d", p*5+k),
				Package: name, Version: "1.0.0", Severity: finding.Severity(2 + k%4), Exact: true, Fix: []string{fmt.Sprintf("1.%d.0", k+1)},
				Title:    "A title long enough to wrap onto a second line of the table at one hundred columns, and then some more",
				Location: &inventory.Location{File: "/src/app/uv.lock", Line: p + 1}})
		}
	}
	var out bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		if err := Write(&out, "table", res, Options{Width: 100, BaseDir: "/src/app"}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(out.Len()), "bytes/op-out")
}

// failingWriter refuses every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("disk full") }

// The table is written as it is rendered: a failing output is an error.
func TestTableWriteError(t *testing.T) {
	res := manyAdvisories("/x")
	for i := 0; i < 2000; i++ { // more than the buffer holds
		res.Findings = append(res.Findings, res.Findings[0])
	}
	if err := Write(failingWriter{}, "table", res, Options{}); err == nil || err.Error() != "disk full" {
		t.Errorf("err = %v", err)
	}
}
