package report

import (
	"maps"
	"slices"
	"sort"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
)

// PathNode is one package in the tree of dependency paths to affected
// packages.
type PathNode struct {
	Name     string
	Version  string           // "" when the inventory holds several versions
	Affected bool             // has findings that are not ignored
	Severity finding.Severity // highest severity of its findings
	Findings int              // its findings that are not ignored
	// Below names the affected packages reachable from this one (itself
	// excluded), in name order.
	Below []string
	// Ref is set when the package is unfolded at another place of the tree
	// (its own entry for a direct dependency, else its first place); this
	// node only refers to it.
	Ref      bool
	Children []*PathNode
	Size     int  // nodes in the subtree drawn here, itself included
	Open     bool // starts unfolded (set by the page, see unfoldSmall)
	// Cut counts the dependencies on a path not drawn under this node: the
	// tree reached maxPathNodes.
	Cut int
}

// PathTree is the part of the dependency graph that leads to affected
// packages: every path from a direct dependency (or a package nothing
// requires) to a package with findings, unfolded as a tree in which each
// package is expanded once.
type PathTree struct {
	Roots    []*PathNode
	Packages int // packages in the inventory (or the graph, if more)
	Affected int // packages with findings that are not ignored
	Others   int // packages without findings on the paths to them
	Cut      int // dependency edges on the paths not drawn (the tree reached maxPathNodes)
}

// maxPathNodes bounds the nodes of a path tree below its roots: the tree
// holds each edge among the packages on the paths once, which stays small
// on real projects (a few hundred nodes at most on the corpus's largest
// lock files) but not on a dense synthetic graph.
const maxPathNodes = 2000

// depGraph is the dependency graph of an audit: the edges of the
// inventory's Requires and Parents and of the findings' paths.
type depGraph struct {
	children map[string]map[string]bool
	parents  map[string][]string
	names    map[string]bool
	direct   map[string]bool
}

// newDepGraph collects the dependency graph of inv and fs.
func newDepGraph(inv *inventory.Inventory, fs []finding.Finding) *depGraph {
	g := &depGraph{children: map[string]map[string]bool{}, parents: map[string][]string{}, names: map[string]bool{}, direct: map[string]bool{}}
	addEdge := func(from, to string) {
		if from == "" || to == "" || from == to || g.children[from][to] {
			return
		}
		if g.children[from] == nil {
			g.children[from] = map[string]bool{}
		}
		g.children[from][to] = true
		g.parents[to] = append(g.parents[to], from)
		g.names[from], g.names[to] = true, true
	}
	if inv != nil {
		for _, p := range inv.Packages {
			if p == nil || p.Name == "" {
				continue
			}
			g.names[p.Name] = true
			if p.Direct {
				g.direct[p.Name] = true
			}
			for _, r := range p.Requires {
				addEdge(p.Name, r)
			}
			for _, par := range p.Parents {
				addEdge(par, p.Name)
			}
		}
	}
	for i := range fs {
		f := &fs[i]
		if f.Package == "" {
			continue
		}
		g.names[f.Package] = true
		for j := 0; j+1 < len(f.Path); j++ {
			addEdge(f.Path[j], f.Path[j+1])
		}
		switch {
		case len(f.Path) > 1:
			g.direct[f.Path[0]] = true
		case f.Direct:
			g.direct[f.Package] = true
		}
	}
	return g
}

// BuildPathTree returns the tree of dependency paths from the direct
// dependencies to the packages with findings that are not ignored, or nil
// when no affected package is reached through another package (a flat list
// of requirements, or findings on direct dependencies only): a tree would
// only repeat the findings table.
//
// Paths start at a direct dependency: the packages above one (the project's
// own entry in a lock file) are left out. A package reached by several paths
// is unfolded once (a direct dependency at its own entry, another package at
// its first place in the tree); other places refer to it. The tree thus holds each relevant package and edge once, whatever
// the size of the graph.
func BuildPathTree(inv *inventory.Inventory, fs []finding.Finding) *PathTree {
	g := newDepGraph(inv, fs)
	sev := map[string]finding.Severity{}
	counts := map[string]int{}
	for i := range fs {
		f := &fs[i]
		if f.Ignored || f.Package == "" {
			continue
		}
		if s, ok := sev[f.Package]; !ok || higherSeverity(f.Severity, s) {
			sev[f.Package] = f.Severity
		}
		counts[f.Package]++
	}
	// The packages on a path to an affected one: walk up from each, not
	// above a direct dependency.
	relevant := map[string]bool{}
	queue := slices.Sorted(maps.Keys(sev))
	for _, n := range queue {
		relevant[n] = true
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if g.direct[n] {
			continue
		}
		for _, p := range g.parents[n] {
			if !relevant[p] {
				relevant[p] = true
				queue = append(queue, p)
			}
		}
	}
	kidsOf := map[string][]string{}
	for n := range relevant {
		for c := range g.children[n] {
			if relevant[c] {
				kidsOf[n] = append(kidsOf[n], c)
			}
		}
		sort.Strings(kidsOf[n])
	}
	kids := func(n string) []string { return kidsOf[n] }
	// Roots: the relevant direct dependencies and the relevant packages no
	// relevant package requires.
	var roots []string
	for _, n := range slices.Sorted(maps.Keys(relevant)) {
		if g.direct[n] || !slices.ContainsFunc(g.parents[n], func(p string) bool { return relevant[p] }) {
			roots = append(roots, n)
		}
	}
	below := affectedBelow(relevant, kids, sev)
	labels := newPkgLabels(inv)
	// Each package with dependencies on a path is unfolded once: a root at
	// its own entry, any other package where the tree first shows it
	// (depth-first, in name order); every other place refers to it.
	unfolded := map[string]bool{}
	isRoot := map[string]bool{}
	for _, r := range roots {
		isRoot[r] = true
	}
	budget, cut := maxPathNodes, 0
	var build func(n string, root bool) *PathNode
	build = func(n string, root bool) *PathNode {
		pn := &PathNode{Name: n, Version: labels.versions[n], Below: below[n], Size: 1}
		if s, ok := sev[n]; ok {
			pn.Affected, pn.Severity, pn.Findings = true, s, counts[n]
		}
		if len(kids(n)) == 0 {
			// A leaf has nothing to unfold: it is shown in full everywhere.
			return pn
		}
		if unfolded[n] || isRoot[n] && !root {
			pn.Ref = true
			return pn
		}
		unfolded[n] = true
		for i, c := range kids(n) {
			if budget <= 0 {
				pn.Cut = len(kids(n)) - i
				cut += pn.Cut
				break
			}
			budget--
			cn := build(c, false)
			pn.Size += cn.Size
			pn.Children = append(pn.Children, cn)
		}
		return pn
	}
	t := &PathTree{Packages: len(g.names), Affected: len(sev), Others: len(relevant) - len(sev)}
	if inv != nil && len(inv.Packages) > t.Packages {
		t.Packages = len(inv.Packages)
	}
	deep := false
	shown := map[string]bool{}
	var mark func(n *PathNode)
	mark = func(n *PathNode) {
		shown[n.Name] = true
		for _, c := range n.Children {
			mark(c)
		}
	}
	addRoot := func(r string) {
		rn := build(r, true)
		mark(rn)
		deep = deep || len(rn.Children) > 0
		t.Roots = append(t.Roots, rn)
	}
	for _, r := range roots {
		addRoot(r)
	}
	// Packages only reachable through a cycle no root enters become roots
	// themselves.
	for _, n := range slices.Sorted(maps.Keys(relevant)) {
		if !shown[n] {
			addRoot(n)
		}
	}
	if !deep {
		return nil
	}
	t.Cut = cut
	return t
}

// affectedBelow returns, for each relevant package, the affected packages
// reachable from it (itself excluded), in name order. Reachability is
// computed once per strongly connected component (Tarjan's algorithm emits
// each after every component it reaches), as bit sets over the affected
// packages: linear in the graph times the affected packages / 64.
func affectedBelow(relevant map[string]bool, kids func(string) []string, sev map[string]finding.Severity) map[string][]string {
	affected := slices.Sorted(maps.Keys(sev))
	bit := map[string]int{}
	for i, a := range affected {
		bit[a] = i
	}
	words := (len(affected) + 63) / 64
	nodes := slices.Sorted(maps.Keys(relevant))
	index, low, comp := map[string]int{}, map[string]int{}, map[string]int{}
	onStack := map[string]bool{}
	var stack []string
	var reach [][]uint64 // by component
	setBit := func(b []uint64, n string) {
		if i, ok := bit[n]; ok {
			b[i/64] |= 1 << (i % 64)
		}
	}
	var visit func(n string)
	visit = func(n string) {
		index[n], low[n] = len(index), len(index)
		stack = append(stack, n)
		onStack[n] = true
		for _, c := range kids(n) {
			if _, seen := index[c]; !seen {
				visit(c)
				low[n] = min(low[n], low[c])
			} else if onStack[c] {
				low[n] = min(low[n], index[c])
			}
		}
		if low[n] != index[n] {
			return
		}
		// n roots a component: pop it; every component it reaches is done.
		id := len(reach)
		r := make([]uint64, words)
		var members []string
		for {
			m := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			onStack[m] = false
			comp[m] = id
			members = append(members, m)
			if m == n {
				break
			}
		}
		for _, m := range members {
			if len(members) > 1 {
				setBit(r, m) // the members of a cycle reach each other
			}
			for _, c := range kids(m) {
				if cc := comp[c]; cc != id {
					setBit(r, c)
					for w, v := range reach[cc] {
						r[w] |= v
					}
				}
			}
		}
		reach = append(reach, r)
	}
	for _, n := range nodes {
		if _, seen := index[n]; !seen {
			visit(n)
		}
	}
	out := make(map[string][]string, len(nodes))
	for _, n := range nodes {
		r := reach[comp[n]]
		var found []string
		for i, a := range affected {
			if r[i/64]&(1<<(i%64)) != 0 && a != n {
				found = append(found, a)
			}
		}
		out[n] = found
	}
	return out
}
