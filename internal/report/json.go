package report

import (
	"encoding/json"
	"io"
	"sort"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
)

func init() { register("json", writeJSON) }

// JSONReport is the JSON format: pip-audit's keys (dependencies, fixes) plus
// pyvet's own. docs/json.md documents every field.
type JSONReport struct {
	Dependencies []JSONDependency       `json:"dependencies"`
	Fixes        []JSONFix              `json:"fixes"`
	Tool         string                 `json:"tool,omitempty"`
	Version      string                 `json:"version,omitempty"`
	Findings     []JSONFinding          `json:"findings"`
	Summary      Summary                `json:"summary"`
	Notes        []string               `json:"notes"`
	Meta         map[string]string      `json:"meta"`
	Sources      []inventory.SourceFile `json:"sources"`
}

// JSONDependency is one inventory package, as pip-audit reports it.
type JSONDependency struct {
	Name       string      `json:"name"`
	Version    string      `json:"version,omitempty"`
	Vulns      *[]JSONVuln `json:"vulns,omitempty"` // absent when skipped, as in pip-audit
	SkipReason string      `json:"skip_reason,omitempty"`
	// pyvet additions.
	Specifier string               `json:"specifier,omitempty"`
	Direct    bool                 `json:"direct"`
	Source    string               `json:"source,omitempty"`
	Locations []inventory.Location `json:"locations,omitempty"`
}

// JSONVuln is one known vulnerability of a dependency, as pip-audit reports it.
type JSONVuln struct {
	ID          string   `json:"id"`
	FixVersions []string `json:"fix_versions"`
	Aliases     []string `json:"aliases"`
	Description string   `json:"description"`
	// pyvet additions.
	Severity string  `json:"severity"`
	CVSS     float64 `json:"cvss_score,omitempty"`
	Exact    bool    `json:"exact"`
}

// JSONFix is an applied or proposed upgrade, as pip-audit reports it.
type JSONFix struct {
	Name       string `json:"name"`
	OldVersion string `json:"old_version,omitempty"`
	NewVersion string `json:"new_version,omitempty"`
	SkipReason string `json:"skip_reason,omitempty"`
}

// JSONFinding is a finding with its OWASP risk number.
type JSONFinding struct {
	finding.Finding
	OWASP int `json:"owasp"`
}

func writeJSON(w io.Writer, res *Result, opts Options) error {
	rep := BuildJSON(res, opts)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// BuildJSON builds the JSON report of res.
func BuildJSON(res *Result, opts Options) *JSONReport {
	res = bounded(res)
	rep := &JSONReport{
		Dependencies: []JSONDependency{},
		Fixes:        append([]JSONFix{}, res.Fixes...),
		Tool:         res.Tool,
		Version:      res.Version,
		Findings:     []JSONFinding{},
		Summary:      Summarize(res),
		Notes:        append([]string{}, res.Notes...),
		Meta:         map[string]string{},
		Sources:      []inventory.SourceFile{},
	}
	for k, v := range res.Meta {
		rep.Meta[k] = v
	}
	fs := append([]finding.Finding(nil), res.Findings...)
	finding.Sort(fs)
	for _, f := range fs {
		if f.Location != nil {
			l := *f.Location
			l.File = relPath(l.File, opts.BaseDir)
			f.Location = &l
		}
		rep.Findings = append(rep.Findings, JSONFinding{Finding: f, OWASP: f.Risk.OWASPNumber()})
	}
	if res.Inventory == nil {
		return rep
	}
	for _, s := range res.Inventory.Sources {
		s.Path = relPath(s.Path, opts.BaseDir)
		rep.Sources = append(rep.Sources, s)
	}
	// Vulnerabilities (not ignored) by package name and version.
	type pv struct{ name, version string }
	vulns := map[pv][]JSONVuln{}
	for _, f := range fs {
		if f.Ignored || f.ID == "" || (f.Risk != finding.RiskVulnerability && f.Risk != finding.RiskMalicious) {
			continue
		}
		v := JSONVuln{
			ID: f.ID, FixVersions: nonNil(f.Fix), Aliases: nonNil(f.Aliases), Description: f.Detail,
			Severity: f.Severity.String(), CVSS: f.CVSS, Exact: f.Exact,
		}
		if v.Description == "" {
			v.Description = f.Title
		}
		k := pv{f.Package, f.Version}
		vulns[k] = append(vulns[k], v)
	}
	for _, p := range uniquePackages(res.Inventory) {
		d := JSONDependency{
			Name: finding.Clip(p.Name, maxName), Version: finding.Clip(p.Version, maxName), Specifier: finding.Clip(p.Specifier, maxName),
			Direct: p.Direct, Source: string(p.Source.Kind),
		}
		for _, l := range p.Locations {
			l.File = relPath(l.File, opts.BaseDir)
			d.Locations = append(d.Locations, l)
		}
		key := d.Version
		if key == "" {
			key = d.Specifier
		}
		if vs := vulns[pv{p.Name, key}]; vs != nil {
			d.Vulns = &vs
		}
		if reason, ok := res.Skipped[p.Name]; ok {
			d.SkipReason = reason
		} else if p.Version == "" {
			d.SkipReason = finding.Clip(defaultSkipReason(p), maxLine)
		}
		if d.SkipReason == "" && d.Vulns == nil {
			d.Vulns = &[]JSONVuln{}
		}
		rep.Dependencies = append(rep.Dependencies, d)
	}
	sort.SliceStable(rep.Dependencies, func(i, j int) bool { return rep.Dependencies[i].Name < rep.Dependencies[j].Name })
	return rep
}

// defaultSkipReason says why a package without an exact version could not be audited exactly.
func defaultSkipReason(p *inventory.Package) string {
	switch p.Source.Kind {
	case inventory.SourceVCS:
		return "version-control dependency: no released version to audit"
	case inventory.SourceURL:
		return "direct URL dependency: no released version to audit"
	case inventory.SourcePath:
		return "local path dependency: no released version to audit"
	}
	if p.Specifier != "" {
		return "not pinned (" + p.Specifier + "): advisories were matched against every version the specifier allows, so the result is not exact"
	}
	return "not pinned: any version may be installed, so no exact audit is possible"
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
