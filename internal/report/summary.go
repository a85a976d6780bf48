package report

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
)

// Summary counts findings; ignored findings are counted apart.
type Summary struct {
	Total      int            `json:"total"`       // findings not ignored
	Ignored    int            `json:"ignored"`     // findings an ignore rule accepted
	ByRisk     map[string]int `json:"by_risk"`     // not ignored, by risk name
	BySeverity map[string]int `json:"by_severity"` // not ignored, by severity name
	Packages   int            `json:"packages"`    // packages in the inventory
	Failed     bool           `json:"failed"`      // the run fails under the policy
}

// Summarize counts the findings of res.
func Summarize(res *Result) Summary {
	s := Summary{ByRisk: map[string]int{}, BySeverity: map[string]int{}, Failed: res.Failed}
	for _, f := range res.Findings {
		if f.Ignored {
			s.Ignored++
			continue
		}
		s.Total++
		s.ByRisk[string(f.Risk)]++
		s.BySeverity[f.Severity.String()]++
	}
	if res.Inventory != nil {
		s.Packages = len(uniquePackages(res.Inventory))
	}
	return s
}

// riskTitle returns the display name of a risk, as the check that reports
// it declares it.
func riskTitle(r finding.Risk) string { return r.Title() }

// risksPresent returns the risks with findings (not ignored), in OWASP order,
// followed by any unknown risk names.
func risksPresent(s Summary) []finding.Risk {
	var out []finding.Risk
	known := map[finding.Risk]bool{}
	for _, r := range finding.Risks() {
		known[r] = true
		if s.ByRisk[string(r)] > 0 {
			out = append(out, r)
		}
	}
	var extra []string
	for r := range s.ByRisk {
		if !known[finding.Risk(r)] {
			extra = append(extra, r)
		}
	}
	sort.Strings(extra)
	for _, r := range extra {
		out = append(out, finding.Risk(r))
	}
	return out
}

// uniquePackages returns the inventory's packages, one per name and version,
// in name order.
func uniquePackages(inv *inventory.Inventory) []*inventory.Package {
	if inv == nil {
		return nil
	}
	seen := map[string]bool{}
	var out []*inventory.Package
	for _, p := range inv.Packages {
		if p == nil {
			continue
		}
		k := p.Name + "\x00" + p.Version
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, p)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Version < out[j].Version
	})
	return out
}

// shown returns the findings a human-facing report lists.
func shown(res *Result, opts Options) []finding.Finding {
	out := make([]finding.Finding, 0, len(res.Findings))
	for _, f := range res.Findings {
		if f.Ignored && !opts.ShowIgnored {
			continue
		}
		out = append(out, f)
	}
	finding.Sort(out)
	return out
}

// relPath makes path relative to base (default: the current directory) when
// it lies below it, with forward slashes.
func relPath(path, base string) string {
	if base == "" {
		base, _ = os.Getwd()
	}
	if base != "" && filepath.IsAbs(path) {
		if r, err := filepath.Rel(base, path); err == nil && !strings.HasPrefix(r, "..") {
			path = r
		}
	}
	return filepath.ToSlash(path)
}

// locationString renders a finding's location as file:line.
func locationString(f *finding.Finding, base string) string {
	if f.Location == nil || f.Location.File == "" {
		return ""
	}
	s := relPath(f.Location.File, base)
	if f.Location.Line > 0 {
		s += ":" + strconv.Itoa(f.Location.Line)
	}
	return s
}

// idOrRule is the identifier a finding is listed under: the advisory id for
// vulnerabilities, else the rule id.
func idOrRule(f *finding.Finding) string {
	if f.ID != "" {
		return f.ID
	}
	return f.Rule
}

// packageLabel is "name version" (or the name alone, or "-" for file-level findings).
func packageLabel(f *finding.Finding) string {
	switch {
	case f.Package == "":
		return "-"
	case f.Version == "":
		return f.Package
	}
	return f.Package + " " + f.Version
}

// inexactMark is what every format appends to the package of a finding
// matched against a range rather than a pinned version.
const inexactMark = " (not exact)"

// inexactNote explains the mark once per report.
const inexactNote = "not exact: the requirement is not pinned; the advisory affects some version its specifier allows, maybe not the one installed"

// shownLabel is packageLabel with the inexact mark.
func shownLabel(f *finding.Finding) string {
	if f.Inexact() {
		return packageLabel(f) + inexactMark
	}
	return packageLabel(f)
}

// anyInexact reports whether a finding in fs is inexact.
func anyInexact(fs []finding.Finding) bool {
	for i := range fs {
		if fs[i].Inexact() {
			return true
		}
	}
	return false
}

// severityOrder lists severities as reports show them, most severe first;
// unknown sits where the gate ranks it, just after medium.
var severityOrder = []finding.Severity{
	finding.SeverityMalicious, finding.SeverityCritical, finding.SeverityHigh, finding.SeverityMedium,
	finding.SeverityUnknown, finding.SeverityLow, finding.SeverityInfo,
}
