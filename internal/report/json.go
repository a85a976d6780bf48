package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"time"

	"github.com/pyvet/pyvet/internal/advisory"
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/internal/policy"
)

func init() { register("json", writeJSON) }

// JSONReport is the JSON format: pip-audit's keys (dependencies, fixes) plus
// pyvet's own. docs/json.md documents every field.
type JSONReport struct {
	SchemaVersion string                 `json:"schema_version"`
	Kind          Kind                   `json:"kind"`
	Dependencies  []JSONDependency       `json:"dependencies"`
	Fixes         []JSONFix              `json:"fixes"`
	Tool          string                 `json:"tool,omitempty"`
	Version       string                 `json:"version,omitempty"`
	Findings      []JSONFinding          `json:"findings"`
	Summary       Summary                `json:"summary"`
	Notes         []string               `json:"notes"`
	Meta          map[string]string      `json:"meta"`
	Sources       []inventory.SourceFile `json:"sources"`
	// Projects are the projects of a run over a tree (audit -R), each
	// with its own summary; absent for one project.
	Projects []ProjectResult `json:"projects,omitempty"`
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
	Requires  []string             `json:"requires,omitempty"` // the graph: what it requires
	Parents   []string             `json:"parents,omitempty"`  // and what requires it
	Resolved  bool                 `json:"resolved,omitempty"` // the version was chosen by resolution, not written in the input
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
	Name string `json:"name"`
	// Version is, on a skipped fix, the version that stays (pip-audit's key).
	Version    string `json:"version,omitempty"`
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
	if res.kind() != KindAudit {
		return writeKindJSON(w, res, opts)
	}
	rep := BuildJSON(res, opts)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// BuildJSON builds the JSON report of res.
func BuildJSON(res *Result, opts Options) *JSONReport {
	res = bounded(res)
	rep := &JSONReport{
		SchemaVersion: SchemaVersion,
		Kind:          KindAudit,
		Dependencies:  []JSONDependency{},
		Fixes:         append([]JSONFix{}, res.Fixes...),
		Tool:          res.Tool,
		Version:       res.Version,
		Findings:      []JSONFinding{},
		Summary:       Summarize(res),
		Notes:         append([]string{}, res.Notes...),
		Meta:          map[string]string{},
		Sources:       []inventory.SourceFile{},
	}
	for k, v := range res.Meta {
		rep.Meta[k] = v
	}
	rep.Projects = append(rep.Projects, res.Projects...)
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
	rep.Dependencies = jsonDependencies(res, fs, opts)
	return rep
}

// jsonDependencies is pip-audit's dependencies[] of a run: one entry per
// package of the inventory (one per name and version), sorted by name, with
// the vulnerability findings of fs (sorted, not ignored) under it and the
// reason it could not be audited exactly. res is bounded.
func jsonDependencies(res *Result, fs []finding.Finding, opts Options) []JSONDependency {
	out := []JSONDependency{}
	if res.Inventory == nil {
		return out
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
	// The graph of every package of a name, for a replayed report to draw.
	requires, parents := map[string][]string{}, map[string][]string{}
	for _, p := range res.Inventory.Packages {
		if p != nil {
			requires[p.Name] = union(requires[p.Name], p.Requires)
			parents[p.Name] = union(parents[p.Name], p.Parents)
		}
	}
	for _, p := range uniquePackages(res.Inventory) {
		d := JSONDependency{
			Requires: clipAll(requires[p.Name], maxName), Parents: clipAll(parents[p.Name], maxName),
			Name: finding.Clip(p.Name, maxName), Version: finding.Clip(p.Version, maxName), Specifier: finding.Clip(p.Specifier, maxName),
			Direct: p.Direct, Source: string(p.Source.Kind), Resolved: p.Resolved,
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
		out = append(out, d)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
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

// union appends to list the items of more it does not hold yet.
func union(list, more []string) []string {
	for _, s := range more {
		if !slices.Contains(list, s) {
			list = append(list, s)
		}
	}
	return list
}

// writeKindJSON writes the document of a run that is not an audit: the
// protocol's header (schema_version, kind, tool, version), the keys the
// command has always printed, at the top level, then failed, notes and meta.
func writeKindJSON(w io.Writer, res *Result, opts Options) error {
	doc := jsonObject{{"schema_version", SchemaVersion}, {"kind", res.kind()}, {"tool", res.Tool}, {"version", res.Version}}
	var payload []any
	switch res.kind() {
	case KindDeps:
		if res.Inventory != nil {
			payload = append(payload, res.Inventory)
		}
	case KindVerify:
		switch {
		case len(res.Verifications) == 1:
			payload = append(payload, verificationJSON(&res.Verifications[0], opts))
		case len(res.Verifications) > 1:
			var all []any
			for i := range res.Verifications {
				all = append(all, verificationJSON(&res.Verifications[i], opts))
			}
			doc = append(doc, jsonField{"verifications", all})
		}
	case KindFix:
		if r := res.Remedy; r != nil && r.Result != nil {
			payload = append(payload, r.Result)
			doc = append(doc, jsonField{"dry_run", r.DryRun}, jsonField{"written", r.Written}, jsonField{"diffs", nonNilDiffs(r.Diffs)})
		}
		fs := append([]finding.Finding(nil), res.Findings...)
		finding.Sort(fs)
		doc = append(doc, jsonField{"dependencies", jsonDependencies(res, fs, opts)}, jsonField{"fixes", fixesOf(res)}, jsonField{"findings", jsonFindings(res, opts)})
	case KindSBOM, KindPopularity:
		doc = append(doc, jsonField{"files", append([]File{}, res.Files...)})
	case KindPolicy:
		doc = append(doc, jsonField{"entries", append([]policy.Entry{}, res.Policy...)})
	case KindDBStatus:
		if st := res.Database; st != nil {
			payload = append(payload, dbStatusJSON(st))
		}
	case KindPackageInfo:
		if res.Package != nil {
			doc = append(doc, jsonField{"package", res.Package})
		}
	case KindVersion:
	}
	for _, p := range payload {
		fields, err := splitObject(p)
		if err != nil {
			return err
		}
		doc = append(doc, fields...)
	}
	doc = append(doc, jsonField{"failed", res.Failed})
	if len(res.Notes) > 0 {
		doc = append(doc, jsonField{"notes", res.Notes})
	}
	if len(res.Meta) > 0 {
		doc = append(doc, jsonField{"meta", res.Meta})
	}
	return doc.write(w)
}

// verificationJSON is the JSON value of one verification, with the keys
// verify has always printed.
func verificationJSON(v *Verification, opts Options) any {
	switch {
	case v.Hashes != nil:
		return map[string]any{"results": v.Hashes.Results, "findings": jsonFindings(&Result{Findings: v.Hashes.Findings}, opts)}
	case v.Env != nil:
		return map[string]any{"report": v.Env, "findings": jsonFindings(&Result{Findings: v.Env.Findings()}, opts)}
	}
	return v.Result
}

// dbStatusJSON is the database status with the keys `db status --json` has
// always printed, and the time it was taken.
func dbStatusJSON(st *advisory.DBStatus) any {
	out := struct {
		advisory.Meta
		DataAge string    `json:"data_age,omitempty"`
		AsOf    time.Time `json:"as_of,omitzero"`
	}{Meta: st.Meta, AsOf: st.Now}
	if st.HasDataAge {
		out.DataAge = st.DataAge.Round(time.Second).String()
	}
	return out
}

// fixesOf is pip-audit's fixes[] of a fix run: the fixes sent, or else the
// outcome of every planned declaration (remedy.Result.FixVersions): applied,
// or skipped with the reason and the version that stays.
func fixesOf(res *Result) []JSONFix {
	if len(res.Fixes) > 0 || res.Remedy == nil || res.Remedy.Result == nil {
		return append([]JSONFix{}, res.Fixes...)
	}
	out := []JSONFix{}
	for _, f := range res.Remedy.Result.FixVersions {
		fx := JSONFix{Name: f.Name, OldVersion: f.OldVersion, NewVersion: f.NewVersion, SkipReason: f.SkipReason}
		if f.Skipped() {
			fx.Version = f.OldVersion
		}
		out = append(out, fx)
	}
	return out
}

// jsonFindings are the run's findings, sorted, with their OWASP numbers.
func jsonFindings(res *Result, opts Options) []JSONFinding {
	out := []JSONFinding{}
	fs := append([]finding.Finding(nil), res.Findings...)
	finding.Sort(fs)
	for _, f := range fs {
		if f.Location != nil {
			l := *f.Location
			l.File = relPath(l.File, opts.BaseDir)
			f.Location = &l
		}
		out = append(out, JSONFinding{Finding: f, OWASP: f.Risk.OWASPNumber()})
	}
	return out
}

func nonNilDiffs(d []FileDiff) []FileDiff {
	if d == nil {
		return []FileDiff{}
	}
	return d
}

// jsonField is one key of a JSON object written in order.
type jsonField struct {
	key   string
	value any
}

// jsonObject is a JSON object whose keys keep their order.
type jsonObject []jsonField

// write writes the object indented as json.Encoder with SetIndent("", "  ") does.
func (o jsonObject) write(w io.Writer) error {
	var b bytes.Buffer
	b.WriteString("{")
	for i, f := range o {
		if i > 0 {
			b.WriteString(",")
		}
		k, _ := json.Marshal(f.key)
		v, err := json.MarshalIndent(f.value, "  ", "  ")
		if err != nil {
			return err
		}
		b.WriteString("\n  ")
		b.Write(k)
		b.WriteString(": ")
		b.Write(v)
	}
	b.WriteString("\n}\n")
	_, err := w.Write(b.Bytes())
	return err
}

// splitObject marshals v, a JSON object, into its keys in order.
func splitObject(v any) (jsonObject, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("report: %T is not a JSON object", v)
	}
	var out jsonObject
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		out = append(out, jsonField{t.(string), raw})
	}
	return out, nil
}
