// Package vuln matches an inventory against the advisory database and turns
// every known vulnerability (and every malicious-package report) into a
// finding, one per advisory group: advisories that alias each other (PYSEC,
// GHSA, CVE) are reported once with the other ids as aliases.
package vuln

import (
	"fmt"
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
}

// Check matches every package of inv against the advisories of db: the
// local index or a service's answers (any advisory.Source). Ignores are the
// policy's business (policy.Apply), not the check's.
func Check(inv *inventory.Inventory, db advisory.Source) *Result {
	res := &Result{Skipped: map[string]string{}}
	if inv == nil || db == nil {
		return res
	}
	byName := map[string]*inventory.Package{}
	for _, p := range inv.Packages {
		if _, ok := byName[p.Name]; !ok {
			byName[p.Name] = p
		}
	}
	type seenKey struct{ name, version, spec string }
	seen := map[seenKey]bool{}
	var unread []advisory.UnreadRange
	unreadSeen := map[string]bool{}
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
		var entries []*advisory.Entry
		exact := true
		label := p.Version
		switch {
		case p.Version != "":
			es, err := db.Match(p.Name, p.Version)
			if err != nil {
				res.Skipped[p.Name] = fmt.Sprintf("version %q is not a PEP 440 version; only advisories that list it literally were matched", p.Version)
			}
			entries = es
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
			entries = db.QuerySpec(p.Name, spec)
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
		for _, g := range group(entries) {
			res.Findings = append(res.Findings, makeFinding(p, g, label, exact, byName))
		}
	}
	finding.Sort(res.Findings)
	if n := unreadNote(unread); n != "" {
		res.Notes = append(res.Notes, n)
	}
	if ids := db.Damaged(); len(ids) > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d matching advisories could not be read from the damaged database (%s); run `pyvet db update --force`",
			len(ids), strings.Join(ids[:min(len(ids), 3)], ", ")))
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

// group splits advisories into alias groups (connected by ids and aliases).
func group(entries []*advisory.Entry) [][]*advisory.Entry {
	parent := make([]int, len(entries))
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
	owner := map[string]int{}
	for i, e := range entries {
		for _, id := range append([]string{e.ID}, e.Aliases...) {
			k := strings.ToUpper(id)
			if j, ok := owner[k]; ok {
				parent[find(i)] = find(j)
			} else {
				owner[k] = i
			}
		}
	}
	groups := map[int][]*advisory.Entry{}
	var roots []int
	for i, e := range entries {
		r := find(i)
		if _, ok := groups[r]; !ok {
			roots = append(roots, r)
		}
		groups[r] = append(groups[r], e)
	}
	out := make([][]*advisory.Entry, 0, len(roots))
	for _, r := range roots {
		g := groups[r]
		sort.SliceStable(g, func(i, j int) bool {
			return idRank(g[i].ID) < idRank(g[j].ID) || idRank(g[i].ID) == idRank(g[j].ID) && g[i].ID < g[j].ID
		})
		out = append(out, g)
	}
	return out
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

// makeFinding turns one alias group affecting p into a finding.
func makeFinding(p *inventory.Package, g []*advisory.Entry, label string, exact bool, byName map[string]*inventory.Package) finding.Finding {
	lead := g[0]
	ids := map[string]bool{strings.ToUpper(lead.ID): true}
	fixKeys := map[string]bool{}
	var aliases, fixes []string
	var best advisory.Rating
	summary, details := "", ""
	for _, e := range g {
		for _, id := range append([]string{e.ID}, e.Aliases...) {
			if !ids[strings.ToUpper(id)] {
				ids[strings.ToUpper(id)] = true
				aliases = append(aliases, id)
			}
		}
		for _, v := range advisory.FixVersions(e, p.Name) {
			if k := advisory.VersionKey(v); !fixKeys[k] {
				fixKeys[k] = true
				fixes = append(fixes, v)
			}
		}
		r := advisory.Rate(e, p.Name)
		if r.Level > best.Level || r.Level == best.Level && r.Score > best.Score {
			best = r
		}
		if summary == "" {
			summary = strings.TrimSpace(e.Summary)
		}
		if details == "" {
			details = strings.TrimSpace(e.Details)
		}
	}
	sort.Strings(aliases)
	advisory.SortVersions(fixes)
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
		Exact:    exact,
		Direct:   p.Direct,
		Path:     pathFrom(p, byName),
		Evidence: map[string]string{},
	}
	if lead.IsMalicious() {
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
	f.Action = action(p, fixes, exact, lead.IsMalicious())
	if lead.Published != "" {
		f.Evidence["published"] = lead.Published
	}
	if lead.Modified != "" {
		f.Evidence["modified"] = lead.Modified
	}
	if best.Source != "" {
		f.Evidence["severity_source"] = best.Source
	}
	var bounds []string
	for _, e := range g {
		for _, b := range advisory.BoundNotes(e, p.Name) {
			bounds = append(bounds, e.ID+": "+b)
		}
	}
	if len(bounds) > 0 {
		f.Evidence["bounds"] = strings.Join(bounds, "; ")
	}
	if !exact {
		f.Evidence["inexact"] = "the requirement is not pinned; the advisory affects some version the specifier allows"
	}
	if len(f.Evidence) == 0 {
		f.Evidence = nil
	}
	return f
}

// action says what to do about the finding.
func action(p *inventory.Package, fixes []string, exact, malicious bool) string {
	if malicious {
		return fmt.Sprintf("remove %s and treat any system that installed it as compromised", p.Name)
	}
	if len(fixes) == 0 {
		return "no fixed version is known; consider replacing " + p.Name
	}
	if exact {
		if cur, err := pep440.Parse(p.Version); err == nil {
			for _, fv := range fixes {
				if v, err := pep440.Parse(fv); err == nil && v.Compare(cur) > 0 {
					return fmt.Sprintf("upgrade %s to %s or later", p.Name, fv)
				}
			}
		}
	}
	return fmt.Sprintf("pin %s to a fixed version (%s)", p.Name, strings.Join(fixes, ", "))
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
