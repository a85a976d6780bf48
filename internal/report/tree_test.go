package report

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pyvet/pyvet/internal/inventory"
)

// resolvedPkg is a resolved index package requiring others.
func resolvedPkg(name, version string, direct bool, requires ...string) *inventory.Package {
	return &inventory.Package{Name: name, Version: version, Direct: direct, Resolved: true,
		Source: inventory.Source{Kind: inventory.SourceIndex}, Requires: requires}
}

// withParents sets every package's Parents from the others' Requires.
func withParents(ps ...*inventory.Package) *inventory.Inventory {
	by := map[string]*inventory.Package{}
	for _, p := range ps {
		by[p.Name] = p
	}
	for _, p := range ps {
		for _, r := range p.Requires {
			if c := by[r]; c != nil {
				c.Parents = append(c.Parents, p.Name)
			}
		}
	}
	return &inventory.Inventory{Sources: []inventory.SourceFile{{Path: "requirements.txt", Format: "requirements"}}, Packages: ps}
}

func depsText(t *testing.T, inv *inventory.Inventory) string {
	t.Helper()
	var b strings.Builder
	if err := Write(&b, "table", &Result{Kind: KindDeps, Tool: "pyvet deps", Inventory: inv}, Options{}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestDepsTreeDiamondAndRepeat(t *testing.T) {
	django := resolvedPkg("django", "3.2.0", true, "asgiref", "sqlparse", "pytz")
	django.Resolved = false // pinned in the input
	flask := resolvedPkg("flask", "3.0.0", true, "werkzeug", "asgiref")
	flask.Specifier = ">=1.0"
	inv := withParents(
		django, flask,
		resolvedPkg("asgiref", "3.8.1", false, "typing-extensions"),
		resolvedPkg("typing-extensions", "4.12.2", false),
		resolvedPkg("sqlparse", "0.4.1", false),
		resolvedPkg("pytz", "2024.1", false),
		resolvedPkg("werkzeug", "3.0.1", false, "markupsafe"),
		resolvedPkg("markupsafe", "2.1.5", false),
	)
	got := depsText(t, inv)
	want := `django 3.2.0
├── asgiref 3.8.1
│   └── typing-extensions 4.12.2
├── pytz 2024.1
└── sqlparse 0.4.1
flask 3.0.0 [required: >=1.0]
├── asgiref 3.8.1 (*)
└── werkzeug 3.0.1
    └── markupsafe 2.1.5

8 packages (2 direct, 7 resolved) from 1 sources
(*) dependencies shown above
`
	if got != want {
		t.Errorf("tree:\n%s\nwant:\n%s", got, want)
	}
}

func TestDepsTreeUnresolvedIsTable(t *testing.T) {
	p := resolvedPkg("django", "3.2.0", true)
	p.Resolved = false
	got := depsText(t, withParents(p))
	if !strings.HasPrefix(got, "NAME") || strings.Contains(got, "──") {
		t.Errorf("an inventory without resolved packages is the table:\n%s", got)
	}
}

func TestDepsTreeCycleAndUnreached(t *testing.T) {
	inv := withParents(
		resolvedPkg("a", "1", true, "b"),
		resolvedPkg("b", "1", false, "c"),
		resolvedPkg("c", "1", false, "a", "c"), // a cycle back to the root, and a self edge
		resolvedPkg("orphan", "2", false, "b"),
	)
	got := depsText(t, inv)
	want := `a 1
└── b 1
    └── c 1
        └── a 1 (*)
orphan 2
└── b 1 (*)
`
	if !strings.HasPrefix(got, want) {
		t.Errorf("tree:\n%s\nwant prefix:\n%s", got, want)
	}
}

func TestDepsTreeBounded(t *testing.T) {
	// A chain 500 deep, and names carrying control characters.
	var ps []*inventory.Package
	for i := range 500 {
		name := fmt.Sprintf("p%03d", i)
		var req []string
		if i < 499 {
			req = []string{fmt.Sprintf("p%03d", i+1)}
		}
		ps = append(ps, resolvedPkg(name, "1.0", i == 0, req...))
	}
	ps[499].Version = "1.0\x1b[31m\n" + strings.Repeat("9", 5000)
	got := depsText(t, withParents(ps...))
	lines := strings.Split(strings.TrimRight(got, "\n"), "\n")
	if len(lines) != 500+2 {
		t.Fatalf("%d lines, want one per package and the count", len(lines))
	}
	for i, l := range lines {
		if n := utf8.RuneCountInString(l); n > maxLine {
			t.Errorf("line %d has %d characters", i+1, n)
		}
		if strings.ContainsAny(l, "\x1b\r") {
			t.Errorf("line %d carries a control character: %q", i+1, l)
		}
	}
	if !strings.HasPrefix(lines[400], "… ") || !strings.Contains(lines[400], "p400 1.0") {
		t.Errorf("a deep line keeps its nearest guides after an ellipsis: %q", lines[400])
	}
}

// resolvedFixture is a resolved requirements file (golden "deps-tree"):
// django pinned, flask resolved from a range, a shared dependency and a
// package from version control the resolver leaves as declared.
func resolvedFixture() *inventory.Inventory {
	django := resolvedPkg("django", "3.2.0", true, "asgiref", "pytz", "sqlparse")
	django.Resolved = false
	django.Locations = []inventory.Location{{File: "requirements.txt", Line: 1}}
	flask := resolvedPkg("flask", "3.0.0", true, "asgiref", "werkzeug")
	flask.Specifier = ">=1.0"
	flask.Locations = []inventory.Location{{File: "requirements.txt", Line: 2}}
	black := &inventory.Package{Name: "black", Direct: true, Source: inventory.Source{Kind: inventory.SourceVCS, VCS: "git", URL: "https://github.com/psf/black", Ref: "main"},
		Locations: []inventory.Location{{File: "requirements.txt", Line: 3}}}
	django.Required = map[string]string{"": "Django==3.2.0"}
	flask.Required = map[string]string{"": "flask>=1.0"}
	asgiref := resolvedPkg("asgiref", "3.8.1", false, "typing-extensions")
	asgiref.Required = map[string]string{"django": "asgiref<4,>=3.3.2", "flask": `asgiref>=3.2; python_version >= "3.8"`}
	typing := resolvedPkg("typing-extensions", "4.12.2", false)
	typing.Required = map[string]string{"asgiref": `typing_extensions>=4; python_version < "3.13"`}
	pytz := resolvedPkg("pytz", "2024.1", false)
	pytz.Required = map[string]string{"django": "pytz"}
	werkzeug := resolvedPkg("werkzeug", "3.0.1", false, "markupsafe")
	werkzeug.Required = map[string]string{"flask": "Werkzeug[watchdog]>=3.0.0"}
	markupsafe := resolvedPkg("markupsafe", "2.1.5", false)
	markupsafe.Required = map[string]string{"werkzeug": "MarkupSafe>=2.1.1"}
	return withParents(django, flask, black, asgiref, typing, pytz,
		resolvedPkg("sqlparse", "0.5.0", false), // no requirement recorded
		werkzeug, markupsafe,
	)
}

func TestDepsTreeRequirements(t *testing.T) {
	got := depsText(t, resolvedFixture())
	want := `black @main (vcs)
django 3.2.0
├── asgiref 3.8.1 [required: <4,>=3.3.2]
│   └── typing-extensions 4.12.2 [required: >=4; python_version < "3.13"]
├── pytz 2024.1
└── sqlparse 0.5.0
flask 3.0.0 [required: >=1.0]
├── asgiref 3.8.1 [required: >=3.2; python_version >= "3.8"] (*)
└── werkzeug 3.0.1 [required: [watchdog]>=3.0.0]
    └── markupsafe 2.1.5 [required: >=2.1.1]
`
	if !strings.HasPrefix(got, want) {
		t.Errorf("tree:\n%s\nwant:\n%s", got, want)
	}
	// Recorded edges alone make an inventory a tree, resolved or not.
	inv := resolvedFixture()
	for _, p := range inv.Packages {
		p.Resolved = false
	}
	if got := depsText(t, inv); !strings.HasPrefix(got, want) {
		t.Errorf("an inventory with recorded edges is not drawn as the tree:\n%s", got)
	}
}

// On a terminal of 40 columns the tree's lines are cut with "…", never
// wrapped, so each package keeps its one line under its guides.
func TestDepsTreeFitsWidth(t *testing.T) {
	res := &Result{Kind: KindDeps, Tool: "pyvet deps", Inventory: resolvedFixture()}
	wide := render(t, "table", res, Options{})
	narrow := render(t, "table", res, Options{Width: 40})
	wl, nl := strings.Split(wide, "\n"), strings.Split(narrow, "\n")
	if len(wl) != len(nl) {
		t.Fatalf("%d lines at 40 columns, %d unfitted", len(nl), len(wl))
	}
	cuts := 0
	for i, l := range nl {
		if textWidth(l) > 40 {
			t.Errorf("line %d has %d columns: %q", i+1, textWidth(l), l)
		}
		if l != wl[i] {
			cuts++
			if !strings.HasSuffix(l, "…") || !strings.HasPrefix(wl[i], strings.TrimSuffix(l, "…")) {
				t.Errorf("line %d is not the line cut: %q from %q", i+1, l, wl[i])
			}
		}
	}
	if cuts == 0 {
		t.Errorf("nothing cut at 40 columns:\n%s", narrow)
	}
}
