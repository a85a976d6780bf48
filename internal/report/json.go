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

func init() { registerStreamed("json", streamJSON, writeJSON) }

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

// writeJSON writes the document of a run that is not an audit (an audit
// streams: streamJSON).
func writeJSON(w io.Writer, res *Result, opts Options) error { return writeKindJSON(w, res, opts) }

// streamJSON writes the audit document (JSONReport's keys, in its order)
// piece by piece: the findings and the dependencies straight from the
// run's findings, bounded one at a time.
func streamJSON(r *streamRun, o *jsonOut) error {
	res := r.res
	o.b = append(o.b, '{')
	o.key(1, true, "schema_version")
	o.str(SchemaVersion)
	o.key(1, false, "kind")
	o.str(string(KindAudit))
	o.key(1, false, "dependencies")
	r.dependencies(o, 1)
	o.key(1, false, "fixes")
	o.value(1, boundFixes(res.Fixes))
	if tool := finding.Clip(res.Tool, maxName); tool != "" {
		o.key(1, false, "tool")
		o.str(tool)
	}
	if version := finding.Clip(res.Version, maxName); version != "" {
		o.key(1, false, "version")
		o.str(version)
	}
	o.key(1, false, "findings")
	if len(r.order) == 0 {
		o.b = append(o.b, '[', ']')
	} else {
		o.b = append(o.b, '[')
		for i := range r.order {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			o.nl(2)
			f := r.bounded(i)
			o.finding(2, &f)
			o.flushIfFull()
		}
		o.nl(1)
		o.b = append(o.b, ']')
	}
	o.key(1, false, "summary")
	o.value(1, Summarize(&Result{Findings: r.fs, Inventory: res.Inventory, Failed: res.Failed}))
	o.key(1, false, "notes")
	o.strings(1, boundNotes(res.Notes))
	o.key(1, false, "meta")
	o.stringMap(1, boundMeta(res.Meta))
	o.key(1, false, "sources")
	sources := []inventory.SourceFile{}
	if res.Inventory != nil {
		for _, s := range res.Inventory.Sources {
			s.Path = r.rel.of(s.Path)
			sources = append(sources, s)
		}
	}
	o.value(1, sources)
	if len(res.Projects) > 0 {
		o.key(1, false, "projects")
		o.value(1, res.Projects)
	}
	o.nl(0)
	o.b = append(o.b, '}', '\n')
	return o.err
}

// dependencies writes pip-audit's dependencies[] of the run, brackets at
// depth: one entry per package of the inventory (one per name and
// version), sorted by name, with the vulnerability findings (in sorted
// order, not ignored) under it and the reason it could not be audited
// exactly.
func (r *streamRun) dependencies(o *jsonOut, depth int) {
	res := r.res
	pkgs := uniquePackages(res.Inventory)
	if len(pkgs) == 0 {
		o.b = append(o.b, '[', ']')
		return
	}
	// Vulnerabilities (not ignored) by package name and version: positions in r.order.
	type pv struct{ name, version string }
	vulns := map[pv][]int32{}
	for i, k := range r.order {
		f := &r.fs[k]
		if f.Ignored || f.ID == "" || (f.Risk != finding.RiskVulnerability && f.Risk != finding.RiskMalicious) {
			continue
		}
		key := pv{finding.Clip(f.Package, maxName), finding.Clip(f.Version, maxName)}
		vulns[key] = append(vulns[key], int32(i))
	}
	// The graph of every package of a name, for a replayed report to draw.
	requires, parents := map[string][]string{}, map[string][]string{}
	for _, p := range res.Inventory.Packages {
		if p != nil && len(p.Requires) > 0 {
			requires[p.Name] = union(requires[p.Name], p.Requires)
		}
		if p != nil && len(p.Parents) > 0 {
			parents[p.Name] = union(parents[p.Name], p.Parents)
		}
	}
	sort.SliceStable(pkgs, func(i, j int) bool { return pkgs[i].Name < pkgs[j].Name })
	var locs []inventory.Location
	var vs []int32
	writeVulns := func(d int) {
		if len(vs) == 0 {
			o.b = append(o.b, '[', ']')
			return
		}
		o.b = append(o.b, '[')
		for i, pos := range vs {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			o.nl(d + 1)
			f := r.bounded(int(pos))
			o.vuln(d+1, &f)
		}
		o.nl(d)
		o.b = append(o.b, ']')
	}
	o.b = append(o.b, '[')
	for i, p := range pkgs {
		d := JSONDependency{
			Requires: clipAll(requires[p.Name], maxName), Parents: clipAll(parents[p.Name], maxName),
			Name: finding.Clip(p.Name, maxName), Version: finding.Clip(p.Version, maxName), Specifier: finding.Clip(p.Specifier, maxName),
			Direct: p.Direct, Source: string(p.Source.Kind), Resolved: p.Resolved,
		}
		locs = locs[:0]
		for _, l := range p.Locations {
			l.File = r.rel.of(l.File)
			locs = append(locs, l)
		}
		d.Locations = locs
		key := d.Version
		if key == "" {
			key = d.Specifier
		}
		var found bool
		vs, found = vulns[pv{p.Name, key}]
		if reason, ok := res.Skipped[p.Name]; ok {
			d.SkipReason = finding.Clip(reason, maxLine)
		} else if p.Version == "" {
			d.SkipReason = finding.Clip(defaultSkipReason(p), maxLine)
		}
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.nl(depth + 1)
		if found || d.SkipReason == "" {
			o.dependency(depth+1, &d, writeVulns)
		} else {
			o.dependency(depth+1, &d, nil)
		}
		o.flushIfFull()
	}
	o.nl(depth)
	o.b = append(o.b, ']')
}

// dependenciesJSON is the dependencies[] of a run as a JSON value (the fix
// document's): what streamJSON writes.
type dependenciesJSON struct{ run *streamRun }

// MarshalJSON writes the dependencies.
func (d dependenciesJSON) MarshalJSON() ([]byte, error) {
	o := &jsonOut{}
	d.run.dependencies(o, 0)
	return o.b, nil
}

// runOf is the stream of a collected run, for a document that holds part of
// an audit's (the fix document's dependencies).
func runOf(res *Result, opts Options) *streamRun {
	return &streamRun{res: res, fs: res.Findings, order: sortedOrder(res.Findings), opts: opts, rel: newRelPaths(opts.BaseDir)}
}

// boundFixes are the fixes, capped; never nil.
func boundFixes(fixes []JSONFix) []JSONFix {
	out := make([]JSONFix, len(fixes))
	for i, f := range fixes {
		f.Name, f.Version, f.OldVersion, f.NewVersion = finding.Clip(f.Name, maxName), finding.Clip(f.Version, maxName), finding.Clip(f.OldVersion, maxName), finding.Clip(f.NewVersion, maxName)
		f.SkipReason = finding.Clip(f.SkipReason, maxLine)
		out[i] = f
	}
	return out
}

// boundNotes are the notes, capped.
func boundNotes(notes []string) []string {
	out := make([]string, len(notes))
	for i, n := range notes {
		out[i] = finding.Clip(n, finding.MaxNote)
	}
	return out
}

// boundMeta is the metadata, keys and values capped (meta itself when
// nothing needs it).
func boundMeta(meta map[string]string) map[string]string {
	fits := true
	for k, v := range meta {
		if finding.Clip(k, maxName) != k || finding.Clip(v, maxLine) != v {
			fits = false
			break
		}
	}
	if fits {
		return meta
	}
	out := make(map[string]string, len(meta))
	for k, v := range meta {
		out[finding.Clip(k, maxName)] = finding.Clip(v, maxLine)
	}
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
		doc = append(doc, jsonField{"dependencies", dependenciesJSON{runOf(res, opts)}}, jsonField{"fixes", fixesOf(res)}, jsonField{"findings", jsonFindings(res, opts)})
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
