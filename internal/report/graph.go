package report

import (
	"maps"
	"slices"
	"sort"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
)

// Graph layout constants (SVG user units).
const (
	graphColWidth  = 230
	graphNodeW     = 180
	graphNodeH     = 24
	graphRowHeight = 34
	graphMargin    = 20
	// graphMaxNodes is the most packages drawn; larger graphs keep only the
	// packages on risky paths and the direct dependencies.
	graphMaxNodes = 250
)

// GraphNode is one package placed in the dependency picture.
type GraphNode struct {
	Name     string
	Label    string
	X, Y     int
	Layer    int
	Root     bool             // the project itself
	Risky    bool             // has findings that are not ignored
	OnPath   bool             // lies on a path from the project to a risky package
	Severity finding.Severity // highest severity of its findings
	Findings int
}

// GraphEdge is a dependency edge between two placed nodes.
type GraphEdge struct {
	From, To *GraphNode
	Risky    bool // part of a path from the project to a risky package
}

// Graph is a laid-out dependency graph.
type Graph struct {
	Nodes         []*GraphNode
	Edges         []GraphEdge
	Width, Height int
	Omitted       int // packages left out of the picture
}

// rootName is the name of the node that stands for the project.
const rootName = "\x00project"

// LayoutGraph lays out the dependency graph of inv in layers (the project on
// the left, direct dependencies next, then their dependencies by depth), and
// marks the packages with findings and every edge on a path to them.
func LayoutGraph(inv *inventory.Inventory, fs []finding.Finding) *Graph {
	children := map[string]map[string]bool{}
	names := map[string]bool{}
	direct := map[string]bool{}
	addEdge := func(from, to string) {
		if from == "" || to == "" || from == to {
			return
		}
		if children[from] == nil {
			children[from] = map[string]bool{}
		}
		children[from][to] = true
	}
	if inv != nil {
		for _, p := range inv.Packages {
			if p == nil || p.Name == "" {
				continue
			}
			names[p.Name] = true
			if p.Direct {
				direct[p.Name] = true
			}
			for _, r := range p.Requires {
				addEdge(p.Name, r)
			}
			for _, par := range p.Parents {
				addEdge(par, p.Name)
			}
		}
	}
	risky := map[string]finding.Severity{}
	counts := map[string]int{}
	for _, f := range fs {
		if f.Ignored || f.Package == "" {
			continue
		}
		names[f.Package] = true
		if s, ok := risky[f.Package]; !ok || f.Severity > s {
			risky[f.Package] = f.Severity
		}
		counts[f.Package]++
		for i := 0; i+1 < len(f.Path); i++ {
			names[f.Path[i]] = true
			addEdge(f.Path[i], f.Path[i+1])
		}
		if len(f.Path) > 0 {
			direct[f.Path[0]] = direct[f.Path[0]] || f.Direct || len(f.Path) > 1
		} else if f.Direct {
			direct[f.Package] = true
		}
	}
	for n := range children {
		names[n] = true
		for c := range children[n] {
			names[c] = true
		}
	}
	// Packages nobody requires hang off the project too.
	hasParent := map[string]bool{}
	for _, cs := range children {
		for c := range cs {
			hasParent[c] = true
		}
	}
	for n := range names {
		if direct[n] || !hasParent[n] {
			addEdge(rootName, n)
		}
	}
	// Ancestors of risky packages: reverse reachability.
	parents := map[string][]string{}
	for from, cs := range children {
		for to := range cs {
			parents[to] = append(parents[to], from)
		}
	}
	onPath := map[string]bool{}
	for _, a := range ancestors(slices.Sorted(maps.Keys(risky)), parents) {
		onPath[a] = true
	}
	// Which packages to draw.
	keep := map[string]bool{rootName: true}
	omitted := 0
	if len(names) <= graphMaxNodes {
		for n := range names {
			keep[n] = true
		}
	} else {
		// The most severe risky packages first, then their ancestors, within
		// a budget (a file with a thousand loose pins stays drawable).
		ranked := slices.Sorted(maps.Keys(risky))
		sort.SliceStable(ranked, func(i, j int) bool { return risky[ranked[i]] > risky[ranked[j]] })
		budget := 2 * graphMaxNodes
		for _, n := range ranked {
			if len(keep) >= budget {
				break
			}
			keep[n] = true
			for _, a := range ancestors([]string{n}, parents) {
				keep[a] = true
			}
		}
		for n := range direct {
			if len(keep) < graphMaxNodes || onPath[n] {
				keep[n] = true
			}
		}
		for n := range names {
			if !keep[n] {
				omitted++
			}
		}
	}
	// Layers by longest path from the project over the graph without its back
	// edges (found by a depth-first search), so every drawn edge points right
	// except those closing a cycle.
	order, back := acyclicOrder(children, keep)
	layer := map[string]int{}
	for i := len(order) - 1; i >= 0; i-- { // reverse post-order: parents first
		n := order[i]
		for c := range children[n] {
			if keep[c] && !back[[2]string{n, c}] && layer[c] < layer[n]+1 {
				layer[c] = layer[n] + 1
			}
		}
	}
	byLayer := map[int][]string{}
	maxLayer := 0
	for _, n := range order {
		l := layer[n]
		byLayer[l] = append(byLayer[l], n)
		if l > maxLayer {
			maxLayer = l
		}
	}
	g := &Graph{Omitted: omitted}
	nodes := map[string]*GraphNode{}
	pos := map[string]float64{}
	maxRows := 0
	for l := 0; l <= maxLayer; l++ {
		ns := byLayer[l]
		// Order each layer by the mean position of its parents (fewer crossings),
		// then by name.
		bary := map[string]float64{}
		for _, n := range ns {
			sum, cnt := 0.0, 0
			for _, p := range parents[n] {
				if v, ok := pos[p]; ok && layer[p] < l {
					sum += v
					cnt++
				}
			}
			if cnt > 0 {
				bary[n] = sum / float64(cnt)
			}
		}
		sort.SliceStable(ns, func(i, j int) bool {
			if bary[ns[i]] != bary[ns[j]] {
				return bary[ns[i]] < bary[ns[j]]
			}
			return ns[i] < ns[j]
		})
		if len(ns) > maxRows {
			maxRows = len(ns)
		}
		for i, n := range ns {
			pos[n] = float64(i)
			gn := &GraphNode{Name: n, Label: n, Layer: l, X: graphMargin + l*graphColWidth, Y: graphMargin + i*graphRowHeight}
			if n == rootName {
				gn.Root, gn.Name, gn.Label = true, "", "project"
			}
			if s, ok := risky[n]; ok {
				gn.Risky, gn.Severity, gn.Findings = true, s, counts[n]
			}
			gn.OnPath = onPath[n] || gn.Root && len(risky) > 0
			if len(gn.Label) > 24 {
				gn.Label = gn.Label[:23] + "…"
			}
			nodes[n] = gn
			g.Nodes = append(g.Nodes, gn)
		}
	}
	// Centre short layers vertically against the tallest one, unless that
	// one is so tall the short ones would end up out of sight.
	if maxRows <= 16 {
		for _, gn := range g.Nodes {
			rows := len(byLayer[gn.Layer])
			gn.Y += (maxRows - rows) * graphRowHeight / 2
		}
	}
	for _, f := range slices.Sorted(maps.Keys(children)) {
		from, ok := nodes[f]
		if !ok {
			continue
		}
		for _, t := range slices.Sorted(maps.Keys(children[f])) {
			to, ok := nodes[t]
			if !ok {
				continue
			}
			_, toRisky := risky[t]
			g.Edges = append(g.Edges, GraphEdge{From: from, To: to, Risky: (toRisky || onPath[t]) && (from.OnPath || from.Root)})
		}
	}
	g.Width = 2*graphMargin + maxLayer*graphColWidth + graphNodeW
	g.Height = 2*graphMargin + maxRows*graphRowHeight
	return g
}

// ancestors returns every package from which one of starts can be reached
// (a start is included only when it is an ancestor of another).
func ancestors(starts []string, parents map[string][]string) []string {
	seen := map[string]bool{}
	queue := append([]string(nil), starts...)
	var out []string
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		for _, p := range parents[c] {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
				queue = append(queue, p)
			}
		}
	}
	return out
}

// acyclicOrder returns the kept nodes reachable from the project in depth-first
// post-order, and the back edges that close cycles. Nodes only reachable
// through a cycle are hung off the project.
func acyclicOrder(children map[string]map[string]bool, keep map[string]bool) ([]string, map[[2]string]bool) {
	const (
		unseen = iota
		active
		done
	)
	state := map[string]int{}
	back := map[[2]string]bool{}
	var order []string
	var visit func(n string)
	visit = func(n string) {
		state[n] = active
		for _, c := range slices.Sorted(maps.Keys(children[n])) {
			if !keep[c] {
				continue
			}
			switch state[c] {
			case active:
				back[[2]string{n, c}] = true
			case unseen:
				visit(c)
			}
		}
		state[n] = done
		order = append(order, n)
	}
	visit(rootName)
	for _, n := range slices.Sorted(maps.Keys(keep)) {
		if state[n] == unseen {
			if children[rootName] == nil {
				children[rootName] = map[string]bool{}
			}
			children[rootName][n] = true
			visit(n)
		}
	}
	// The project comes last, so it is first in reverse post-order.
	i := slices.Index(order, rootName)
	order = append(slices.Delete(order, i, i+1), rootName)
	return order, back
}
