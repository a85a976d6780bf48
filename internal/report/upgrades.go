package report

import (
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
// when it names a fix above that version: its applicable fix is the smallest
// such one, and To is the highest applicable fix of the advisories cleared
// (the smallest version at or above all of them). When the audited version is
// a specifier rather than a version (an unpinned requirement), an advisory's
// applicable fix is its highest one, the lower bound that leaves none of the
// versions it names as affected below a fix. Advisories without a fix are
// not cleared; a package none of whose advisories has one gets no upgrade.
func TopUpgrades(fs []finding.Finding, n int) []Upgrade {
	type key struct{ pkg, from string }
	type group struct {
		up   Upgrade
		from pep440.Version
		to   pep440.Version
		toS  string // to as the advisory spells it
		ids  map[string]bool
	}
	groups := map[key]*group{}
	var order []key
	for i := range fs {
		f := &fs[i]
		if f.Risk != finding.RiskVulnerability || f.Ignored || f.Package == "" || f.ID == "" {
			continue
		}
		k := key{f.Package, f.Version}
		g := groups[k]
		if g == nil {
			g = &group{up: Upgrade{Package: f.Package, From: f.Version}, ids: map[string]bool{}}
			g.from, _ = pep440.Parse(f.Version)
			groups[k] = g
			order = append(order, k)
		}
		if g.ids[f.ID] {
			continue
		}
		fix, spelt, ok := applicableFix(g.from, f.Fix)
		if !ok {
			continue
		}
		g.ids[f.ID] = true
		g.up.Clears = append(g.up.Clears, f.ID)
		if len(g.up.Clears) == 1 || higherSeverity(f.Severity, g.up.Severity) {
			g.up.Severity = f.Severity
		}
		if !g.to.IsValid() || fix.Compare(g.to) > 0 {
			g.to, g.toS = fix, spelt
		}
	}
	out := make([]Upgrade, 0, len(order))
	for _, k := range order {
		g := groups[k]
		if len(g.up.Clears) == 0 {
			continue
		}
		g.up.To = g.toS
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

// applicableFix is the fix of an advisory that an upgrade from the audited
// version from needs: the smallest fix above it, or, when from is not a
// version (a specifier), the highest fix; spelt is that fix as given. ok is
// false when there is none.
func applicableFix(from pep440.Version, fixes []string) (fix pep440.Version, spelt string, ok bool) {
	for _, s := range fixes {
		v, err := pep440.Parse(s)
		if err != nil {
			continue
		}
		switch {
		case from.IsValid():
			if v.Compare(from) > 0 && (!ok || v.Compare(fix) < 0) {
				fix, spelt, ok = v, s, true
			}
		case !ok || v.Compare(fix) > 0:
			fix, spelt, ok = v, s, true
		}
	}
	return fix, spelt, ok
}

// higherSeverity reports whether a ranks above b (by Severity.Rank, then by
// the level itself, so medium ranks above unknown).
func higherSeverity(a, b finding.Severity) bool {
	if ra, rb := a.Rank(), b.Rank(); ra != rb {
		return ra > rb
	}
	return a > b
}
