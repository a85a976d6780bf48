package report

import (
	"slices"
	"sort"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/pep440"
)

// Upgrade is one package upgrade and what it clears.
type Upgrade struct {
	Package  string
	From     string           // the version audited
	To       string           // the smallest version that fixes every advisory it clears
	Clears   []string         // advisory ids cleared, sorted
	Severity finding.Severity // highest among them
}

// TopUpgrades returns the upgrades that clear the most advisories (ties: higher severity,
// then name), of the vulnerability findings not ignored; n <= 0 means all.
//
// Findings are grouped by package and audited version. An advisory is cleared
// when it names a fix above that version. To is the smallest of the fixes
// above it (of the advisories cleared) that fixes each of them (see
// fixedAt): so at least each one's smallest fix above the audited version,
// and not a version between two branches' fixes of one advisory (from 3.2.0,
// fixes 3.2.5 and 4.0.2 of one advisory and 4.0.0 of another give 4.0.2:
// 4.0.0 lies before the 4.0 branch's fix). When the audited version is a
// specifier rather than a version (an unpinned requirement), To is the
// highest fix, the lower bound that leaves no version before a fix allowed.
// Advisories without a fix are not cleared; a package none of whose
// advisories has one gets no upgrade.
func TopUpgrades(fs []finding.Finding, n int) []Upgrade {
	type key struct{ pkg, from string }
	type group struct {
		up    Upgrade
		from  pep440.Version
		fixes [][]version // of each advisory cleared, sorted
	}
	groups := map[key]*group{}
	var order []key
	seen := map[[3]string]bool{}
	for i := range fs {
		f := &fs[i]
		if f.Risk != finding.RiskVulnerability || f.Ignored || f.Package == "" || f.ID == "" {
			continue
		}
		k := key{f.Package, f.Version}
		if seen[[3]string{k.pkg, k.from, f.ID}] {
			continue
		}
		seen[[3]string{k.pkg, k.from, f.ID}] = true
		g := groups[k]
		if g == nil {
			g = &group{up: Upgrade{Package: f.Package, From: f.Version}}
			g.from, _ = pep440.Parse(f.Version)
			groups[k] = g
			order = append(order, k)
		}
		fixes := parseFixes(f.Fix)
		if len(fixes) == 0 || g.from.IsValid() && fixes[len(fixes)-1].v.Compare(g.from) <= 0 {
			continue // no fix above the audited version
		}
		g.fixes = append(g.fixes, fixes)
		g.up.Clears = append(g.up.Clears, f.ID)
		if len(g.up.Clears) == 1 || higherSeverity(f.Severity, g.up.Severity) {
			g.up.Severity = f.Severity
		}
	}
	out := make([]Upgrade, 0, len(order))
	for _, k := range order {
		g := groups[k]
		if len(g.up.Clears) == 0 {
			continue
		}
		g.up.To = target(g.from, g.fixes)
		sort.Strings(g.up.Clears)
		out = append(out, g.up)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := &out[i], &out[j]
		if len(a.Clears) != len(b.Clears) {
			return len(a.Clears) > len(b.Clears)
		}
		if a.Severity != b.Severity {
			return higherSeverity(a.Severity, b.Severity)
		}
		if a.Package != b.Package {
			return a.Package < b.Package
		}
		return a.From < b.From
	})
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return out
}

// version is a fix version, parsed and as the advisory spells it.
type version struct {
	v pep440.Version
	s string
}

// parseFixes parses fix versions (those that are versions), sorted.
func parseFixes(fixes []string) []version {
	out := make([]version, 0, len(fixes))
	for _, s := range fixes {
		if v, err := pep440.Parse(s); err == nil {
			out = append(out, version{v, s})
		}
	}
	slices.SortStableFunc(out, func(a, b version) int { return a.v.Compare(b.v) })
	return out
}

// target is the smallest fix above from (of any advisory) that fixes every
// advisory, each given by its sorted fixes; for a from that is not a
// version, the highest fix. There always is one: the highest fix of all is
// at or above each advisory's highest.
func target(from pep440.Version, advisories [][]version) string {
	var cands []version
	for _, fixes := range advisories {
		for _, f := range fixes {
			if !from.IsValid() || f.v.Compare(from) > 0 {
				cands = append(cands, f)
			}
		}
	}
	slices.SortStableFunc(cands, func(a, b version) int { return a.v.Compare(b.v) })
	if !from.IsValid() {
		return cands[len(cands)-1].s
	}
	for _, c := range cands {
		if !slices.ContainsFunc(advisories, func(fixes []version) bool { return !fixedAt(c.v, from, fixes) }) {
			return c.s
		}
	}
	return cands[len(cands)-1].s
}

// fixedAt reports whether version c fixes an advisory with the given fixes
// (sorted) that affects the audited version from: c is at or above the
// highest fix, or in the branch of the highest fix at or below it when that
// fix is above from. A fix's branch is its release but for its last number
// (3.2.19's branch holds 3.2.20, not 4.0.0). So a version after one
// branch's fix and before the next one's (4.0.5 between 3.2.19 and 4.1.9)
// is taken as affected, as advisories fixed on several branches leave the
// releases between them unfixed; and so is one whose nearest fix below is
// also below from, which that fix did not fix either.
func fixedAt(c, from pep440.Version, fixes []version) bool {
	if len(fixes) == 0 || c.Compare(fixes[len(fixes)-1].v) >= 0 {
		return true
	}
	i := sort.Search(len(fixes), func(i int) bool { return fixes[i].v.Compare(c) > 0 }) - 1
	if i < 0 || fixes[i].v.Compare(from) <= 0 {
		return false
	}
	branch := fixes[i].v.ReleaseStrings()
	branch = branch[:max(len(branch)-1, 1)]
	rel := c.ReleaseStrings()
	return len(rel) >= len(branch) && slices.Equal(rel[:len(branch)], branch)
}

// higherSeverity reports whether a ranks above b (by Severity.Rank, then by
// the level itself, so medium ranks above unknown).
func higherSeverity(a, b finding.Severity) bool {
	if ra, rb := a.Rank(), b.Rank(); ra != rb {
		return ra > rb
	}
	return a > b
}
