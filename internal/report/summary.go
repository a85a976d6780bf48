package report

import (
	"fmt"
	"io"
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

// ProjectResult is one project of a run over a whole tree (audit -R): its
// findings are the run's findings whose Project is Path.
type ProjectResult struct {
	// Path is the project's directory relative to the tree's root, with
	// forward slashes ("." for the root itself).
	Path string `json:"path"`
	// Summary counts the project's findings and packages; Summary.Failed
	// says the project fails its own policy's gate.
	Summary Summary `json:"summary"`
	// Error says why the project could not be audited (its Summary is then
	// empty).
	Error string `json:"error,omitempty"`
}

// projectFindings returns the findings of fs that belong to project path.
func projectFindings(fs []finding.Finding, path string) []finding.Finding {
	var out []finding.Finding
	for _, f := range fs {
		if f.Project == path {
			out = append(out, f)
		}
	}
	return out
}

// projectStatus is a project's state in one phrase: "could not be audited",
// "fails its policy" or "passes its policy".
func projectStatus(p *ProjectResult) string {
	switch {
	case p.Error != "":
		return "could not be audited"
	case p.Summary.Failed:
		return "fails its policy"
	}
	return "passes its policy"
}

// projectsLine is the total of a run over a tree: "3 projects: 1 fails its
// policy, 1 could not be audited".
func projectsLine(ps []ProjectResult) string {
	failed, broken := 0, 0
	for i := range ps {
		switch {
		case ps[i].Error != "":
			broken++
		case ps[i].Summary.Failed:
			failed++
		}
	}
	line := fmt.Sprintf("%d project%s", len(ps), plural(len(ps)))
	var parts []string
	if failed > 0 {
		parts = append(parts, fmt.Sprintf("%d fail%s its policy", failed, verbS(failed)))
	}
	if broken > 0 {
		parts = append(parts, fmt.Sprintf("%d could not be audited", broken))
	}
	if len(parts) == 0 {
		parts = append(parts, "all pass their policy")
	}
	return line + ": " + strings.Join(parts, ", ")
}

// verbS is the third-person "s" of a verb whose subject is n things.
func verbS(n int) string {
	if n == 1 {
		return "s"
	}
	return ""
}

// resolvedMark is appended to the package of a finding whose version was
// chosen by resolution rather than written in the input.
const resolvedMark = " (resolved)"

// resolvedNote explains the mark once per report.
const resolvedNote = "resolved: the version was chosen by resolving the input's requirements for the target environment, not written in the input"

// pkgLabels renders what a report says about a finding's package beyond
// its name and version: the resolution path and whether resolution chose
// the version. It indexes the run's inventory once.
type pkgLabels struct {
	versions map[string]string // name → version, "" when the inventory holds several
	resolved map[string]bool   // name\x00version → chosen by resolution
}

// newPkgLabels indexes inv (nil: no versions, nothing resolved).
func newPkgLabels(inv *inventory.Inventory) *pkgLabels {
	l := &pkgLabels{versions: map[string]string{}, resolved: map[string]bool{}}
	if inv == nil {
		return l
	}
	for _, p := range inv.Packages {
		if p == nil || p.Version == "" {
			continue
		}
		if p.Resolved {
			l.resolved[p.Name+"\x00"+p.Version] = true
		}
		if v, ok := l.versions[p.Name]; ok && v != p.Version {
			l.versions[p.Name] = ""
			continue
		}
		l.versions[p.Name] = p.Version
	}
	return l
}

// path renders the resolution path of a finding on a transitive package,
// "via django 3.2.0 → sqlparse 0.4.1", each package with its version in
// the inventory (the last one with the finding's); "" for a finding
// without a path (a direct dependency, a file-level finding).
func (l *pkgLabels) path(f *finding.Finding) string {
	if len(f.Path) < 2 {
		return ""
	}
	parts := make([]string, len(f.Path))
	for i, name := range f.Path {
		v := l.versions[name]
		if i == len(f.Path)-1 && name == f.Package && f.Version != "" {
			v = f.Version
		}
		parts[i] = name
		if v != "" {
			parts[i] += " " + v
		}
	}
	return "via " + strings.Join(parts, " → ")
}

// isResolved reports whether the finding's package version was chosen by
// resolution (inventory.Package.Resolved) rather than written in the input.
func (l *pkgLabels) isResolved(f *finding.Finding) bool {
	return f.Version != "" && l.resolved[f.Package+"\x00"+f.Version]
}

// label is shownLabel with the resolved mark.
func (l *pkgLabels) label(f *finding.Finding) string {
	if l.isResolved(f) {
		return shownLabel(f) + resolvedMark
	}
	return shownLabel(f)
}

// anyResolved reports whether a finding in fs is on a resolved version.
func (l *pkgLabels) anyResolved(fs []finding.Finding) bool {
	for i := range fs {
		if l.isResolved(&fs[i]) {
			return true
		}
	}
	return false
}

// SummaryLine is the one-line verdict of an audit run for standard error, e.g.
// "4 of 268 packages affected by 20 known vulnerabilities (20 fixable); 2 at or above high fail the run":
// the packages with known vulnerabilities (of the packages audited), the
// advisories, how many of them an upgrade fixes (TopUpgrades), the malicious
// packages and other findings, and what fails the gate (Meta["fail_on"]).
func SummaryLine(res *Result) string {
	var t tally
	t.addAll(res.Findings)
	packages := -1
	if res.Inventory != nil {
		packages = len(uniquePackages(res.Inventory))
	}
	return t.line(packages, res.Meta["fail_on"], res.Failed)
}

// projectSummaryLine is SummaryLine for one project of a run over a tree
// (fs: the project's findings).
func projectSummaryLine(p *ProjectResult, fs []finding.Finding) string {
	var t tally
	t.addAll(fs)
	return t.line(p.Summary.Packages, "", p.Summary.Failed)
}

// tally keeps what the summary line says of a run's findings.
type tally struct {
	vulns     []finding.Finding        // vulnerabilities sent one by one, with only what TopUpgrades reads
	shared    [][]finding.Finding      // findings sent at once, kept without a copy (addAll)
	bySev     map[finding.Severity]int // distinct advisories by severity
	affected  map[[2]string]bool       // package and version with a known vulnerability
	advisory  map[[3]string]bool       // package, version and advisory id
	malicious map[string]bool          // package names
	other     int                      // findings of other risks
	ignored   int
	byRank    map[finding.Severity]int // findings not ignored, by Severity.Rank
}

// add counts one finding, keeping what TopUpgrades needs of a new
// advisory (f is not kept).
func (t *tally) add(f *finding.Finding) {
	if t.count(f) {
		t.vulns = append(t.vulns, finding.Finding{Risk: f.Risk, ID: f.ID, Package: f.Package, Version: f.Version, Severity: f.Severity, Fix: f.Fix})
	}
}

// addAll counts fs, which must stay unchanged until line: it is kept, not
// copied.
func (t *tally) addAll(fs []finding.Finding) {
	for i := range fs {
		t.count(&fs[i])
	}
	t.shared = append(t.shared, fs)
}

// count counts f; it reports whether f is an advisory not counted before.
func (t *tally) count(f *finding.Finding) bool {
	if t.affected == nil {
		t.affected, t.advisory, t.malicious, t.byRank, t.bySev = map[[2]string]bool{}, map[[3]string]bool{}, map[string]bool{}, map[finding.Severity]int{}, map[finding.Severity]int{}
	}
	if f.Ignored {
		t.ignored++
		return false
	}
	t.byRank[f.Severity.Rank()]++
	switch {
	case f.Risk == finding.RiskVulnerability && f.ID != "":
		t.affected[[2]string{f.Package, f.Version}] = true
		if k := [3]string{f.Package, f.Version, f.ID}; !t.advisory[k] {
			t.advisory[k] = true
			t.bySev[f.Severity]++
			return true
		}
	case f.Risk == finding.RiskMalicious:
		t.malicious[f.Package] = true
	default:
		t.other++
	}
	return false
}

// upgradable is what TopUpgrades reads: the findings kept, without a copy
// when they were sent at once.
func (t *tally) upgradable() []finding.Finding {
	if len(t.vulns) == 0 && len(t.shared) == 1 {
		return t.shared[0]
	}
	out := t.vulns
	for _, fs := range t.shared {
		out = append(out, fs...)
	}
	return out
}

// line writes the summary: packages is the number audited (-1 when
// unknown), failOn the gate's severity name ("" or another text when the
// gate is not one severity), failed whether the run fails.
func (t *tally) line(packages int, failOn string, failed bool) string {
	var parts []string
	of := ""
	if packages > 0 {
		of = fmt.Sprintf(" of %d", packages)
	}
	if n := len(t.affected); n > 0 {
		fixable := 0
		for _, u := range TopUpgrades(t.upgradable(), 0) {
			fixable += len(u.Clears)
		}
		var counts []string
		for _, sev := range severityOrder {
			if c := t.bySev[sev]; c > 0 {
				counts = append(counts, fmt.Sprintf("%d %s", c, sev))
			}
		}
		counts = append(counts, fmt.Sprintf("%d fixable", fixable))
		parts = append(parts, fmt.Sprintf("%d%s package%s affected by %d known vulnerabilit%s (%s)",
			n, of, plural(max(n, packages)), len(t.advisory), pluralIES(len(t.advisory)), strings.Join(counts[:len(counts)-1], ", ")+"; "+counts[len(counts)-1]))
	} else {
		s := "No known vulnerabilities"
		if packages > 0 {
			s += fmt.Sprintf(" in %d package%s", packages, plural(packages))
		}
		parts = append(parts, s)
	}
	if n := len(t.malicious); n > 0 {
		parts = append(parts, fmt.Sprintf("%d malicious package%s", n, plural(n)))
	}
	if t.other > 0 {
		parts = append(parts, fmt.Sprintf("%d other finding%s", t.other, plural(t.other)))
	}
	line := strings.Join(parts, ", ")
	if gate, err := finding.ParseSeverity(failOn); err == nil && failOn != "" {
		n := 0
		for sev, c := range t.byRank {
			if sev >= gate {
				n += c
			}
		}
		switch {
		case n > 0:
			line += fmt.Sprintf("; %d finding%s at or above %s fail%s the run", n, plural(n), gate, verbS(n))
		case failed:
			line += "; the run fails"
		default:
			line += fmt.Sprintf("; nothing at or above %s, the run passes", gate)
		}
	} else if failed {
		line += "; the run fails"
	} else {
		line += "; the run passes"
	}
	if t.ignored > 0 {
		line += fmt.Sprintf("; %d ignored", t.ignored)
	}
	return line
}

// pluralIES is the ending of "vulnerability"/"vulnerabilities" for n.
func pluralIES(n int) string {
	if n == 1 {
		return "y"
	}
	return "ies"
}

// NewSummary returns a handler that keeps only what SummaryLine needs of a
// run and writes the line (and a newline) to w at Flush, for audit runs;
// runs of other kinds write nothing. Commands tee it beside a report that
// goes to a file or is a document format, so the verdict still reaches the
// terminal.
func NewSummary(w io.Writer) Handler { return &summaryHandler{w: w, packages: -1} }

type summaryHandler struct {
	Collector // keeps nothing it needs; the methods below override it
	w         io.Writer
	kind      Kind
	failOn    string
	failed    bool
	packages  int
	t         tally
}

// Config notes the kind and the gate.
func (s *summaryHandler) Config(c *Config) error {
	s.kind, s.failOn = c.Kind, c.Meta["fail_on"]
	return nil
}

// Inventory counts the packages audited.
func (s *summaryHandler) Inventory(inv *inventory.Inventory) error {
	s.packages = len(uniquePackages(inv))
	return nil
}

// Finding counts one finding.
func (s *summaryHandler) Finding(f *finding.Finding) error { s.t.add(f); return nil }

// Findings counts the findings sent at once, keeping the slice (valid
// until Flush, see FindingsHandler) instead of copies.
func (s *summaryHandler) Findings(fs []finding.Finding) error { s.t.addAll(fs); return nil }

// Verification implements Handler; the summary keeps none.
func (s *summaryHandler) Verification(*Verification) error { return nil }

// Summary notes the verdict.
func (s *summaryHandler) Summary(g *Gate) error { s.failed = g.Failed; return nil }

// Flush writes the line of an audit run.
func (s *summaryHandler) Flush() error {
	if s.kind != "" && s.kind != KindAudit {
		return nil
	}
	_, err := fmt.Fprintln(s.w, finding.Clip(s.t.line(s.packages, s.failOn, s.failed), maxLine))
	return err
}
