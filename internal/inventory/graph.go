package inventory

// PathFromDirect returns the shortest chain of package names from a direct
// dependency down to p (the direct dependency first, p last), following the
// Parents edges breadth-first through byName. It returns nil when no direct
// dependency requires p, directly or through others.
func PathFromDirect(p *Package, byName map[string]*Package) []string {
	prev := map[string]string{p.Name: ""}
	queue := []string{p.Name}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		q := byName[n]
		if q == nil {
			continue
		}
		if q.Direct && n != p.Name {
			var path []string
			for m := n; m != ""; m = prev[m] {
				path = append(path, m)
			}
			return path
		}
		for _, par := range q.Parents {
			if _, seen := prev[par]; !seen {
				prev[par] = n
				queue = append(queue, par)
			}
		}
	}
	return nil
}
