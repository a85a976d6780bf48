package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
)

// treeMaxDepth is the most levels of indentation the tree draws; deeper
// lines keep the guides of their nearest treeMaxDepth ancestors after "…",
// so a long chain keeps every line under maxLine characters.
const treeMaxDepth = 16

// resolvedInventory reports whether inv holds a resolution (some version
// chosen by the resolver, or the requirements behind the graph's edges),
// which the deps table draws as a tree.
func resolvedInventory(inv *inventory.Inventory) bool {
	for _, p := range inv.Packages {
		if p != nil && (p.Resolved || len(p.Required) > 0) {
			return true
		}
	}
	return false
}

// depsTree is the dependency graph of an inventory as the tree draws it.
type depsTree struct {
	byName   map[string]*inventory.Package // first package of each name
	names    []string                      // in inventory order
	children map[string][]string           // sorted, only names in byName
	shown    map[string]bool               // subtrees already drawn
	repeated bool                          // some subtree was drawn as "(*)"
}

// writeDepsTree draws a resolved inventory as uv tree and pipdeptree do:
// every direct dependency, then the packages it requires indented below it
// with the requirement that brought them in. A subtree already drawn is
// drawn again only as its first line, ending in "(*)", which also keeps
// cycles finite; packages no direct dependency reaches follow at the end.
func writeDepsTree(w io.Writer, inv *inventory.Inventory) {
	t := &depsTree{byName: map[string]*inventory.Package{}, children: map[string][]string{}, shown: map[string]bool{}}
	requires := map[string][]string{}
	for _, p := range inv.Packages {
		if p == nil || p.Name == "" {
			continue
		}
		if t.byName[p.Name] == nil {
			t.byName[p.Name] = p
			t.names = append(t.names, p.Name)
		}
		requires[p.Name] = union(requires[p.Name], p.Requires)
	}
	for name, rs := range requires {
		var kids []string
		for _, r := range rs {
			if t.byName[r] != nil && r != name {
				kids = append(kids, r)
			}
		}
		slices.Sort(kids)
		t.children[name] = slices.Compact(kids)
	}
	var roots []string
	direct := 0
	resolved := 0
	for _, p := range inv.Packages {
		if p == nil {
			continue
		}
		if p.Direct {
			direct++
		}
		if p.Resolved {
			resolved++
		}
	}
	for _, n := range t.names {
		if p := t.byName[n]; p.Direct && !p.Project {
			roots = append(roots, n)
		}
	}
	slices.Sort(roots)
	var b strings.Builder
	for _, n := range roots {
		t.draw(&b, n, "", nil, true)
	}
	// What no direct dependency reaches: the project itself, constraint-only
	// entries, packages of a cut graph. Nothing is left out.
	rest := slices.Clone(t.names)
	slices.Sort(rest)
	for _, n := range rest {
		if !t.shown[n] {
			t.draw(&b, n, "", nil, true)
		}
	}
	io.WriteString(w, b.String())
	fmt.Fprintf(w, "\n%d packages (%d direct, %d resolved) from %d sources\n", len(inv.Packages), direct, resolved, len(inv.Sources))
	if t.repeated {
		fmt.Fprintln(w, "(*) dependencies shown above")
	}
}

// draw writes the line of name, required by parent ("" for a root), and,
// the first time name is drawn, its subtree. guides holds, for every
// ancestor level, whether that ancestor was the last of its siblings.
func (t *depsTree) draw(b *strings.Builder, name, parent string, guides []bool, root bool) {
	p := t.byName[name]
	var line strings.Builder
	depth := len(guides)
	if !root {
		start := 0
		if depth > treeMaxDepth {
			start = depth - treeMaxDepth
			line.WriteString("… ")
		}
		for _, last := range guides[start : depth-1] {
			if last {
				line.WriteString("    ")
			} else {
				line.WriteString("│   ")
			}
		}
		if guides[depth-1] {
			line.WriteString("└── ")
		} else {
			line.WriteString("├── ")
		}
	}
	kids := t.children[name]
	label := name + " " + treeVersion(p)
	if req := treeRequirement(p, parent, root); req != "" {
		label += " [required: " + req + "]"
	}
	if s := treeSource(p); s != "" {
		label += " (" + s + ")"
	}
	again := t.shown[name]
	if again && len(kids) > 0 {
		label += " (*)"
		t.repeated = true
	}
	line.WriteString(finding.Clip(label, max(maxLine-utf8.RuneCountInString(line.String()), 24)))
	b.WriteString(line.String())
	b.WriteByte('\n')
	if again {
		return
	}
	t.shown[name] = true
	for i, k := range kids {
		t.draw(b, k, name, append(guides[:depth:depth], i == len(kids)-1), false)
	}
}

// treeVersion is what the tree shows as a package's version: the exact
// version, else the declared specifier, VCS ref or "*".
func treeVersion(p *inventory.Package) string {
	switch {
	case p.Version != "":
		return p.Version
	case p.Specifier != "":
		return p.Specifier
	case p.Source.Ref != "":
		return "@" + p.Source.Ref
	}
	return "*"
}

// treeRequirement is the requirement that brought p in from parent ("" for
// the input), without the name: "<4,>=3.3.2", "[socks]>=2; python_version
// >= \"3.8\"". A root's exact pin is the version shown and is left out; a
// root without a recorded requirement shows the specifier the input
// declared when it is not the version shown.
func treeRequirement(p *inventory.Package, parent string, root bool) string {
	if r, ok := p.Required[parent]; ok {
		i := 0
		for i < len(r) && (r[i] >= 'a' && r[i] <= 'z' || r[i] >= 'A' && r[i] <= 'Z' || r[i] >= '0' && r[i] <= '9' || r[i] == '.' || r[i] == '_' || r[i] == '-') {
			i++
		}
		r = strings.TrimSpace(r[i:])
		if root && r == "=="+p.Version {
			return "" // the version shown is the pin
		}
		return r
	}
	if root && p.Version != "" && p.Specifier != "" {
		return p.Specifier
	}
	return ""
}

// treeSource names a source other than a package index.
func treeSource(p *inventory.Package) string {
	s := ""
	if p.Source.Kind != "" && p.Source.Kind != inventory.SourceIndex {
		s = string(p.Source.Kind)
	}
	if p.Source.Editable {
		s = strings.TrimSpace(s + " editable")
	}
	return s
}
