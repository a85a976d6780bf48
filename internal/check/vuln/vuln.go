// Package vuln matches an inventory against the advisory database and turns
// every known vulnerability (and every malicious-package report) into a
// finding, one per advisory group: advisories that alias each other (PYSEC,
// GHSA, CVE) are reported once with the other ids as aliases.
package vuln

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/pep440"
)

// Rule ids of the findings this check produces.
const (
	RuleVuln      = "vuln"
	RuleMalicious = "malicious-package"
)

// Result is what the check found.
type Result struct {
	Findings []finding.Finding
	// Skipped maps a package (name, or name==version) to why it could not be
	// audited exactly: no version, a version that is not PEP 440, a specifier
	// that is not PEP 440, or an unpinned requirement (audited against the
	// versions its specifier allows, not exactly).
	Skipped map[string]string
	// Audited is the number of packages matched against the database.
	Audited int
	// Inexact is the number of packages audited through their specifier.
	Inexact int
	// Notes are messages for the report: advisory ranges that could not be
	// used because a bound is not a version.
	Notes []string
	// Damaged are the ids of advisories that matched but could not be read
	// (a damaged index), sorted. The findings are then incomplete: Err says
	// so, and an audit must fail rather than pass.
	Damaged []string
	// Database names the advisory source: the index file, else where it was
	// built from.
	Database string
}

// DamagedError says that advisories of the packages audited could not be
// read from a damaged index, so the audit cannot say they are unaffected.
type DamagedError struct {
	// Database is the index file (or the source it was built from).
	Database string
	// IDs are the advisories that could not be read, sorted.
	IDs []string
}

// Error names the index, how many advisories (the first three ids) and the
// remedy.
func (e *DamagedError) Error() string {
	more := ""
	if len(e.IDs) > 3 {
		more = ", ..."
	}
	return fmt.Sprintf("%s: %d advisories of the packages audited could not be read (%s%s); the index is damaged: run `pyvet db update --force`",
		e.Database, len(e.IDs), strings.Join(e.IDs[:min(len(e.IDs), 3)], ", "), more)
}

// Err is a *DamagedError when advisories that matched could not be read,
// else nil: results with an error must not be reported as a clean run.
func (r *Result) Err() error {
	if len(r.Damaged) == 0 {
		return nil
	}
	return &DamagedError{Database: r.Database, IDs: r.Damaged}
}

// Check matches every package of inv against the advisories of db: the
// local index or a service's answers (any advisory.Source). Ignores are the
// policy's business (policy.Apply), not the check's. Findings are made from
// the advisories' hits (advisory.Hit): no advisory is decoded here. When
// matched advisories could not be read, Result.Err says so.
func Check(inv *inventory.Inventory, db advisory.Source) *Result {
	res := &Result{Skipped: map[string]string{}}
	if inv == nil || db == nil {
		return res
	}
	byName := make(map[string]*inventory.Package, len(inv.Packages))
	for _, p := range inv.Packages {
		if _, ok := byName[p.Name]; !ok {
			byName[p.Name] = p
		}
	}
	type seenKey struct{ name, version, spec string }
	seen := make(map[seenKey]bool, len(inv.Packages))
	// The groups of every package are collected first, so the findings are
	// made into a slice of the right size.
	type pending struct {
		pf     *pkgFacts
		groups [][]*advisory.Hit
		label  string
	}
	var todo []pending
	count := 0
	var unread []advisory.UnreadRange
	unreadSeen := make(map[string]bool, len(inv.Packages))
	for _, p := range inv.Packages {
		k := seenKey{p.Name, p.Version, p.Specifier}
		if p.Name == "" || seen[k] {
			continue
		}
		if p.Project {
			// The project itself, not a dependency: never matched against
			// advisories for the index package of the same name.
			continue
		}
		seen[k] = true
		if !unreadSeen[p.Name] {
			unreadSeen[p.Name] = true
			unread = append(unread, db.UnreadRanges(p.Name)...)
		}
		var hits []*advisory.Hit
		exact := true
		label := p.Version
		switch {
		case p.Version != "":
			hs, err := db.MatchHits(p.Name, p.Version)
			if err != nil {
				res.Skipped[p.Name] = fmt.Sprintf("version %q is not a PEP 440 version; only advisories that list it literally were matched", p.Version)
			}
			hits = hs
			res.Audited++
		default:
			spec, err := pep440.ParseSpecifierSet(p.Specifier)
			if err != nil {
				res.Skipped[p.Name] = fmt.Sprintf("specifier %q is not a PEP 440 specifier set", p.Specifier)
				continue
			}
			if p.Source.Kind != "" && p.Source.Kind != inventory.SourceIndex && p.Specifier == "" {
				res.Skipped[p.Name] = fmt.Sprintf("no version: installed from a %s source", p.Source.Kind)
				continue
			}
			hits = db.QuerySpecHits(p.Name, spec)
			exact = false
			label = p.Specifier
			res.Audited++
			res.Inexact++
			if p.Specifier == "" {
				res.Skipped[p.Name] = "unpinned (any version): reported advisories affect some version, not necessarily the one installed"
			} else {
				res.Skipped[p.Name] = fmt.Sprintf("unpinned (%s): reported advisories affect some version the specifier allows", p.Specifier)
			}
		}
		if len(hits) == 0 {
			continue
		}
		gs := group(hits)
		todo = append(todo, pending{newPkgFacts(p, exact, byName), gs, label})
		count += len(gs)
	}
	if count > 0 {
		res.Findings = make([]finding.Finding, 0, count)
	}
	for _, t := range todo {
		for _, g := range t.groups {
			res.Findings = append(res.Findings, makeFinding(t.pf, g, t.label))
		}
	}
	finding.Sort(res.Findings)
	if n := unreadNote(unread); n != "" {
		res.Notes = append(res.Notes, n)
	}
	if ids := db.Damaged(); len(ids) > 0 {
		m := db.Meta()
		res.Damaged, res.Database = ids, m.Path
		if res.Database == "" {
			res.Database = m.Source
		}
	}
	return res
}

// unreadNote summarises, on one line, the advisory ranges that matching did
// not use because a bound is not a version.
func unreadNote(us []advisory.UnreadRange) string {
	var ids []string
	var parts []string
	seen := map[string]bool{}
	for _, u := range us {
		if seen[u.ID] {
			continue
		}
		seen[u.ID] = true
		ids = append(ids, u.ID)
		if len(parts) < 3 {
			parts = append(parts, fmt.Sprintf("%s (%s, %s)", u.ID, u.Package, u.Bound))
		}
	}
	if len(ids) == 0 {
		return ""
	}
	more := ""
	if len(ids) > len(parts) {
		more = fmt.Sprintf(" and %d more", len(ids)-len(parts))
	}
	what := "advisories have a range bound that is not a version, so only their versions lists were matched"
	if len(ids) == 1 {
		what = "advisory has a range bound that is not a version, so only its versions list was matched"
	}
	return fmt.Sprintf("%d %s: %s%s", len(ids), what, strings.Join(parts, ", "), more)
}

// group splits advisories into alias groups (connected by ids and aliases,
// compared as strings.ToUpper does), each in idRank order; groups come in
// the order of their first advisory.
func group(hits []*advisory.Hit) [][]*advisory.Hit {
	n := len(hits)
	if n <= 1 {
		if n == 0 {
			return nil
		}
		return [][]*advisory.Hit{hits}
	}
	work := make([]int, 2*n)
	parent, num := work[:n], work[n:]
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	joinIDs(hits, func(i, j int) { parent[find(i)] = find(j) })
	// Number the groups in the order of their first hit, then lay them out
	// in one backing array.
	for i := range num {
		num[i] = -1
	}
	var sizes []int
	for i := range hits {
		r := find(i)
		if num[r] < 0 {
			num[r] = len(sizes)
			sizes = append(sizes, 0)
		}
		sizes[num[r]]++
	}
	out := make([][]*advisory.Hit, len(sizes))
	backing := make([]*advisory.Hit, 0, n)
	for k, size := range sizes {
		out[k] = backing[len(backing) : len(backing) : len(backing)+size]
		backing = backing[:len(backing)+size]
	}
	for i, h := range hits {
		k := num[find(i)]
		out[k] = append(out[k], h)
	}
	for _, g := range out {
		if len(g) > 1 {
			slices.SortStableFunc(g, func(a, b *advisory.Hit) int {
				if c := cmp.Compare(idRank(a.ID), idRank(b.ID)); c != 0 {
					return c
				}
				return strings.Compare(a.ID, b.ID)
			})
		}
	}
	return out
}

// smallGroup is the number of ids up to which joinIDs compares them pair by
// pair rather than through a map.
const smallGroup = 32

// joinIDs calls join(i, j) for hits i and j (j before i) that share an id
// (the id or an alias of each, compared as sameID), at least once for every
// hit that shares an id with an earlier one.
func joinIDs(hits []*advisory.Hit, join func(i, j int)) {
	total := 0
	for _, h := range hits {
		total += 1 + len(h.Aliases)
	}
	type owned struct {
		id string
		i  int
	}
	if total <= smallGroup {
		var buf [smallGroup]owned
		seen := buf[:0]
		add := func(i int, id string) {
			for _, o := range seen {
				if sameID(o.id, id) {
					join(i, o.i)
					return
				}
			}
			seen = append(seen, owned{id, i})
		}
		for i, h := range hits {
			add(i, h.ID)
			for _, id := range h.Aliases {
				add(i, id)
			}
		}
		return
	}
	owner := make(map[string]int, total)
	add := func(i int, id string) {
		k := strings.ToUpper(id)
		if j, ok := owner[k]; ok {
			join(i, j)
		} else {
			owner[k] = i
		}
	}
	for i, h := range hits {
		add(i, h.ID)
		for _, id := range h.Aliases {
			add(i, id)
		}
	}
}

// sameID reports whether two advisory ids are the same id, as
// strings.ToUpper(a) == strings.ToUpper(b), without allocating for ASCII
// ids. (Not strings.EqualFold: it folds differently, "ı" and "I" are not
// equal to it, and the alias groups must stay as they are.)
func sameID(a, b string) bool {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		ca, cb := a[i], b[i]
		if ca >= 0x80 || cb >= 0x80 {
			ua, ub := strings.ToUpper(a), strings.ToUpper(b)
			return ua == ub
		}
		if upperASCII(ca) != upperASCII(cb) {
			// The ASCII prefixes differ, and so do their upper cases.
			return false
		}
	}
	// Equal so far; a longer rest is not empty in upper case either.
	return len(a) == len(b)
}

func upperASCII(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

// idRank orders the ids of an alias group; the first one names the finding
// (PYSEC first, as pip-audit reports them).
func idRank(id string) int {
	switch {
	case strings.HasPrefix(id, "MAL-"):
		return 0
	case strings.HasPrefix(id, "PYSEC-"):
		return 1
	case strings.HasPrefix(id, "GHSA-"):
		return 2
	case strings.HasPrefix(id, "CVE-"):
		return 4
	}
	return 3
}

// pkgFacts is what the findings of one package share, computed once for
// all its advisories.
type pkgFacts struct {
	p      *inventory.Package
	exact  bool
	cur    pep440.Version // the pinned version, when exact and PEP 440
	curOK  bool
	path   []string // from a direct dependency (each finding gets a copy)
	byName map[string]*inventory.Package
}

// newPkgFacts prepares the facts of p's findings.
func newPkgFacts(p *inventory.Package, exact bool, byName map[string]*inventory.Package) *pkgFacts {
	pf := &pkgFacts{p: p, exact: exact, byName: byName, path: pathFrom(p, byName)}
	if exact {
		if v, err := pep440.Parse(p.Version); err == nil {
			pf.cur, pf.curOK = v, true
		}
	}
	return pf
}

// Evidence texts of vulnerability findings.
const inexactEvidence = "the requirement is not pinned; the advisory affects some version the specifier allows"

// makeFinding turns one alias group affecting pf's package into a finding.
// The group's hits are shared (by every package the advisories match, and
// by concurrent audits): nothing of them is modified, and the finding owns
// every slice and map it holds.
func makeFinding(pf *pkgFacts, g []*advisory.Hit, label string) finding.Finding {
	p := pf.p
	lead := g[0]
	aliases := groupAliases(g)
	var fixes []string
	if len(g) == 1 {
		if len(lead.Fixed) > 0 {
			fixes = slices.Clone(lead.Fixed)
		}
	} else {
		fixKeys := map[string]bool{}
		for _, h := range g {
			for _, v := range h.Fixed {
				if k := advisory.VersionKey(v); !fixKeys[k] {
					fixKeys[k] = true
					fixes = append(fixes, v)
				}
			}
		}
		advisory.SortVersions(fixes)
	}
	var best advisory.Rating
	summary, details := "", ""
	nbounds := 0
	for _, h := range g {
		if r := h.Rating; r.Level > best.Level || r.Level == best.Level && r.Score > best.Score {
			best = r
		}
		if summary == "" {
			summary = h.Summary
		}
		if details == "" {
			details = h.Details
		}
		nbounds += len(h.Bounds)
	}
	f := finding.Finding{
		Risk:     finding.RiskVulnerability,
		Rule:     RuleVuln,
		ID:       lead.ID,
		Aliases:  aliases,
		Package:  p.Name,
		Version:  label,
		Severity: best.Level,
		CVSS:     best.Score,
		Vector:   best.Vector,
		Detail:   details,
		Fix:      fixes,
		Exact:    pf.exact,
		Direct:   p.Direct,
	}
	if len(pf.path) > 0 {
		f.Path = slices.Clone(pf.path)
	}
	if lead.Malicious {
		f.Risk, f.Rule, f.Severity = finding.RiskMalicious, RuleMalicious, finding.SeverityMalicious
	}
	if len(p.Locations) > 0 {
		loc := p.Locations[0]
		f.Location = &loc
	}
	title := summary
	if title == "" {
		title = firstLine(details)
	}
	if title == "" {
		title = "known vulnerability " + lead.ID
	}
	f.Title = title
	f.Action = pf.action(fixes, lead.Malicious)
	n := 0
	for _, set := range []bool{lead.Published != "", lead.Modified != "", best.Source != "", nbounds > 0, !pf.exact} {
		if set {
			n++
		}
	}
	if n == 0 {
		return f
	}
	f.Evidence = make(map[string]string, n)
	if lead.Published != "" {
		f.Evidence["published"] = lead.Published
	}
	if lead.Modified != "" {
		f.Evidence["modified"] = lead.Modified
	}
	if best.Source != "" {
		f.Evidence["severity_source"] = best.Source
	}
	if nbounds > 0 {
		f.Evidence["bounds"] = boundsEvidence(g)
	}
	if !pf.exact {
		f.Evidence["inexact"] = inexactEvidence
	}
	return f
}

// groupAliases returns the ids of the group other than its lead's, each id
// once (compared as sameID; the first spelling kept), sorted; nil when there
// are none. Few ids are compared pair by pair, many through a map, so an
// advisory with a huge alias list costs linear time.
func groupAliases(g []*advisory.Hit) []string {
	lead := g[0]
	n := 0
	for _, h := range g {
		n += 1 + len(h.Aliases)
	}
	if n == 1 {
		return nil
	}
	aliases := make([]string, 0, n-1)
	var seen map[string]bool
	if n > smallGroup {
		seen = make(map[string]bool, n)
		seen[strings.ToUpper(lead.ID)] = true
	}
	add := func(id string) {
		if seen != nil {
			if k := strings.ToUpper(id); !seen[k] {
				seen[k] = true
				aliases = append(aliases, id)
			}
			return
		}
		if sameID(id, lead.ID) {
			return
		}
		for _, a := range aliases {
			if sameID(id, a) {
				return
			}
		}
		aliases = append(aliases, id)
	}
	for _, h := range g {
		add(h.ID)
		for _, id := range h.Aliases {
			add(id)
		}
	}
	if len(aliases) == 0 {
		return nil
	}
	sort.Strings(aliases)
	return aliases
}

// boundsEvidence says, for every advisory of the group, how its range bounds
// were read.
func boundsEvidence(g []*advisory.Hit) string {
	var b strings.Builder
	for _, h := range g {
		for _, note := range h.Bounds {
			if b.Len() > 0 {
				b.WriteString("; ")
			}
			b.WriteString(h.ID)
			b.WriteString(": ")
			b.WriteString(note)
		}
	}
	return b.String()
}

// action says what to do about a finding of the package with these fixes.
func (pf *pkgFacts) action(fixes []string, malicious bool) string {
	name := pf.p.Name
	if malicious {
		return "remove " + name + " and treat any system that installed it as compromised"
	}
	if len(fixes) == 0 {
		return "no fixed version is known; consider replacing " + name
	}
	if pf.curOK {
		for _, fv := range fixes {
			if v, err := pep440.Parse(fv); err == nil && v.Compare(pf.cur) > 0 {
				return "upgrade " + name + " to " + fv + " or later"
			}
		}
	}
	return "pin " + name + " to a fixed version (" + strings.Join(fixes, ", ") + ")"
}

// pathFrom returns a shortest path from a direct dependency to p, following
// Parents edges; nil when p is direct or no path is known.
func pathFrom(p *inventory.Package, byName map[string]*inventory.Package) []string {
	if p.Direct || len(p.Parents) == 0 {
		return nil
	}
	return inventory.PathFromDirect(p, byName)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}
