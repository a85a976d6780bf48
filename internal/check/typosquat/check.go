package typosquat

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/pep508"
)

// Check reports every package of inv whose name can be confused with a more
// popular one. Packages from a URL, VCS or local path are not looked up on an
// index by name and are skipped. Names in cfg.Allow, and names that are
// themselves within the first cfg.SkipPopular of the list, are not reported.
func Check(inv *inventory.Inventory, pop *Popularity, cfg Config) []finding.Finding {
	if inv == nil || pop == nil {
		return nil
	}
	allow := map[string]bool{}
	for _, a := range cfg.Allow {
		allow[pep508.NormalizeName(strings.TrimSpace(a))] = true
	}
	var out []finding.Finding
	seen := map[string]bool{}
	for _, p := range inv.Packages {
		if p.Constraint || (p.Source.Kind != "" && p.Source.Kind != inventory.SourceIndex) {
			continue
		}
		n := pep508.NormalizeName(p.Name)
		if seen[n] || allow[n] {
			continue
		}
		seen[n] = true
		if r, ok := pop.rank[n]; ok && r < cfg.SkipPopular {
			continue
		}
		ms := pop.Lookup(n, cfg)
		if len(ms) == 0 {
			continue
		}
		out = append(out, confusionFinding(p, ms, pop))
	}
	finding.Sort(out)
	return out
}

func confusionFinding(p *inventory.Package, ms []Match, pop *Popularity) finding.Finding {
	m := ms[0]
	sev := finding.SeverityMedium
	switch m.Kind {
	case KindSeparator, KindHomoglyph:
		sev = finding.SeverityHigh
	case KindAffix:
		sev = finding.SeverityLow
		if m.Rank <= 1000 {
			sev = finding.SeverityMedium
		}
	}
	if _, listed := pop.rank[m.Name]; !listed && m.Rank <= 500 && sev < finding.SeverityHigh {
		sev++ // an unknown name next to a top-500 package is the classic typosquat
	}
	var how string
	switch m.Kind {
	case KindSeparator:
		how = "differs from it only in its separators (-, _ and .)"
	case KindHomoglyph:
		how = "looks the same when characters like 1/l/I, 0/o or rn/m are confused"
	case KindAffix:
		how = "is the same name with a \"python\"/\"py\" prefix or suffix added or removed"
	default:
		how = fmt.Sprintf("is %d typing mistake(s) away from it", m.Distance)
	}
	others := make([]string, 0, len(ms)-1)
	for _, o := range ms[1:] {
		others = append(others, o.Target)
	}
	detail := fmt.Sprintf("%q %s. %q is the #%d most downloaded package on PyPI (%s downloads in 30 days)",
		m.Name, how, m.Target, m.Rank, humanCount(m.Downloads))
	if d := pop.Downloads(m.Name); d > 0 {
		detail += fmt.Sprintf(", %q has %s", m.Name, humanCount(d))
	} else {
		detail += fmt.Sprintf(", while %q is not among the %d most downloaded", m.Name, pop.Len())
	}
	detail += ". Attackers publish packages under names like this so that a typo installs their code."
	if len(others) > 0 {
		detail += " Also close to: " + strings.Join(others, ", ") + "."
	}
	f := finding.Finding{
		Risk: finding.RiskNameConfusion, Rule: "typosquat", Package: m.Name, Version: p.Version,
		Severity: sev, Exact: p.Version != "", Direct: p.Direct,
		Title:  fmt.Sprintf("%s looks like the popular package %s", m.Name, m.Target),
		Detail: detail,
		Action: fmt.Sprintf("Check that you meant %q and not %q (look at its project page, author and release history). If %q is right, add it to the typosquat allow list in pyvet.toml.", m.Name, m.Target, m.Name),
		Evidence: map[string]string{
			"target": m.Target, "kind": string(m.Kind), "distance": strconv.Itoa(m.Distance),
			"target_rank": strconv.Itoa(m.Rank),
		},
	}
	if len(p.Locations) > 0 {
		l := p.Locations[0]
		f.Location = &l
	}
	return f
}

func humanCount(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fk", float64(n)/1e3)
	}
	return strconv.FormatInt(n, 10)
}
