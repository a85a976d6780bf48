package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pyvet/pyvet/internal/finding"
)

func init() { registerStreamed("sarif", streamSARIF, nil) }

// SARIF 2.1.0 types: the subset pyvet writes.
type (
	sarifLog struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool    sarifTool     `json:"tool"`
		Results []sarifResult `json:"results"`
		// Properties carry the run's notes and metadata.
		Properties map[string]any `json:"properties,omitempty"`
	}
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name           string      `json:"name"`
		Version        string      `json:"version,omitempty"`
		InformationURI string      `json:"informationUri"`
		Rules          []sarifRule `json:"rules"`
	}
	sarifRule struct {
		ID                   string            `json:"id"`
		Name                 string            `json:"name"`
		ShortDescription     sarifText         `json:"shortDescription"`
		FullDescription      sarifText         `json:"fullDescription"`
		HelpURI              string            `json:"helpUri,omitempty"`
		Help                 sarifHelp         `json:"help"`
		DefaultConfiguration sarifRuleConfig   `json:"defaultConfiguration"`
		Properties           sarifRuleProperty `json:"properties"`
	}
	sarifText struct {
		Text string `json:"text"`
	}
	sarifHelp struct {
		Text     string `json:"text"`
		Markdown string `json:"markdown"`
	}
	sarifRuleConfig struct {
		Level string `json:"level"`
	}
	sarifRuleProperty struct {
		Tags             []string `json:"tags"`
		SecuritySeverity string   `json:"security-severity"`
		Precision        string   `json:"precision"`
	}
	sarifResult struct {
		RuleID              string             `json:"ruleId"`
		RuleIndex           int                `json:"ruleIndex"`
		Level               string             `json:"level"`
		Message             sarifText          `json:"message"`
		Locations           []sarifLocation    `json:"locations,omitempty"`
		PartialFingerprints map[string]string  `json:"partialFingerprints"`
		Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
		Properties          map[string]any     `json:"properties,omitempty"`
	}
	sarifLocation struct {
		PhysicalLocation sarifPhysical `json:"physicalLocation"`
	}
	sarifPhysical struct {
		ArtifactLocation sarifArtifact `json:"artifactLocation"`
		Region           *sarifRegion  `json:"region,omitempty"`
	}
	sarifArtifact struct {
		URI       string `json:"uri"`
		URIBaseID string `json:"uriBaseId,omitempty"`
	}
	sarifRegion struct {
		StartLine int `json:"startLine"`
	}
	sarifSuppression struct {
		Kind          string `json:"kind"`
		Status        string `json:"status"`
		Justification string `json:"justification,omitempty"`
	}
)

// sarifLevel maps a severity to a SARIF level.
func sarifLevel(s finding.Severity) string {
	switch s {
	case finding.SeverityMalicious, finding.SeverityCritical, finding.SeverityHigh:
		return "error"
	case finding.SeverityMedium, finding.SeverityUnknown:
		return "warning"
	}
	return "note"
}

// securitySeverity is the 0-10 score GitHub code scanning ranks alerts by.
func securitySeverity(f *finding.Finding) string {
	if f.CVSS > 0 {
		return fmt.Sprintf("%.1f", f.CVSS)
	}
	switch f.Severity {
	case finding.SeverityMalicious:
		return "10.0"
	case finding.SeverityCritical:
		return "9.5"
	case finding.SeverityHigh:
		return "8.0"
	case finding.SeverityMedium, finding.SeverityUnknown:
		return "5.5"
	case finding.SeverityLow:
		return "3.0"
	}
	return "0.0"
}

// streamSARIF writes the SARIF log of a run (of any kind): the rules, then
// the results, one at a time, straight from the run's findings.
func streamSARIF(r *streamRun, o *jsonOut) error {
	res := r.res
	o.b = append(o.b, '{')
	o.key(1, true, "$schema")
	o.str("https://json.schemastore.org/sarif-2.1.0.json")
	o.key(1, false, "version")
	o.str("2.1.0")
	o.key(1, false, "runs")
	o.b = append(o.b, '[')
	o.nl(2)
	o.b = append(o.b, '{')
	o.key(3, true, "tool")
	o.b = append(o.b, '{')
	o.key(4, true, "driver")
	o.b = append(o.b, '{')
	o.key(5, true, "name")
	o.str("pyvet")
	if version := finding.Clip(res.Version, maxName); version != "" {
		o.key(5, false, "version")
		o.str(version)
	}
	o.key(5, false, "informationUri")
	o.str("https://github.com/pyvet/pyvet")
	o.key(5, false, "rules")
	// One rule per id, from its first finding in sorted order.
	ruleIndex := map[string]int{}
	for i := range r.order {
		f := r.bounded(i)
		id := idOrRule(&f)
		if _, ok := ruleIndex[id]; ok {
			continue
		}
		if len(ruleIndex) == 0 {
			o.b = append(o.b, '[')
		} else {
			o.b = append(o.b, ',')
		}
		ruleIndex[id] = len(ruleIndex)
		o.nl(6)
		o.value(6, sarifRuleFor(&f))
		o.flushIfFull()
	}
	if len(ruleIndex) == 0 {
		o.b = append(o.b, '[', ']')
	} else {
		o.nl(5)
		o.b = append(o.b, ']')
	}
	o.nl(4)
	o.b = append(o.b, '}')
	o.nl(3)
	o.b = append(o.b, '}')
	o.key(3, false, "results")
	if len(r.order) == 0 {
		o.b = append(o.b, '[', ']')
	} else {
		fallback := fallbackLocation(res, r.rel)
		labels := newPkgLabels(res.Inventory)
		o.b = append(o.b, '[')
		for i := range r.order {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			f := r.bounded(i)
			o.nl(4)
			o.sarifResult(4, &f, ruleIndex[idOrRule(&f)], labels, fallback, r.rel)
			o.flushIfFull()
		}
		o.nl(3)
		o.b = append(o.b, ']')
	}
	props := map[string]any{}
	if k := res.kind(); k != KindAudit {
		props["kind"] = string(k)
	}
	if notes := boundNotes(res.Notes); len(notes) > 0 {
		props["notes"] = notes
	}
	if meta := boundMeta(res.Meta); len(meta) > 0 {
		props["meta"] = meta
	}
	if len(res.Projects) > 0 {
		props["projects"] = res.Projects
	}
	if len(props) > 0 {
		o.key(3, false, "properties")
		o.value(3, props)
	}
	o.nl(2)
	o.b = append(o.b, '}')
	o.nl(1)
	o.b = append(o.b, ']')
	o.nl(0)
	o.b = append(o.b, '}', '\n')
	return o.err
}

// sarifResult writes the result of the finding f (bounded), whose rule is
// the ruleIndex-th, braces at depth, as encoding/json writes a sarifResult
// (properties in key order); fallback locates a finding without a location.
func (o *jsonOut) sarifResult(depth int, f *finding.Finding, ruleIndex int, labels *pkgLabels, fallback *sarifLocation, rel *relPaths) {
	d := depth + 1
	o.b = append(o.b, '{')
	o.key(d, true, "ruleId")
	o.str(idOrRule(f))
	o.key(d, false, "ruleIndex")
	o.b = strconv.AppendInt(o.b, int64(ruleIndex), 10)
	o.key(d, false, "level")
	o.str(sarifLevel(f.Severity))
	o.key(d, false, "message")
	o.b = append(o.b, '{')
	o.key(d+1, true, "text")
	o.str(resultMessage(f, labels))
	o.nl(d)
	o.b = append(o.b, '}')
	loc := sarifLocationOf(f, rel)
	if loc == nil {
		loc = fallback
	}
	if loc != nil {
		o.key(d, false, "locations")
		o.b = append(o.b, '[')
		o.nl(d + 1)
		o.b = append(o.b, '{')
		o.key(d+2, true, "physicalLocation")
		o.b = append(o.b, '{')
		o.key(d+3, true, "artifactLocation")
		o.b = append(o.b, '{')
		art := &loc.PhysicalLocation.ArtifactLocation
		o.key(d+4, true, "uri")
		o.str(art.URI)
		if art.URIBaseID != "" {
			o.key(d+4, false, "uriBaseId")
			o.str(art.URIBaseID)
		}
		o.nl(d + 3)
		o.b = append(o.b, '}')
		if reg := loc.PhysicalLocation.Region; reg != nil {
			o.key(d+3, false, "region")
			o.b = append(o.b, '{')
			o.key(d+4, true, "startLine")
			o.b = strconv.AppendInt(o.b, int64(reg.StartLine), 10)
			o.nl(d + 3)
			o.b = append(o.b, '}')
		}
		o.nl(d + 2)
		o.b = append(o.b, '}')
		o.nl(d + 1)
		o.b = append(o.b, '}')
		o.nl(d)
		o.b = append(o.b, ']')
	}
	o.key(d, false, "partialFingerprints")
	o.b = append(o.b, '{')
	o.key(d+1, true, "pyvetFinding/v1")
	o.str(fingerprint(f))
	o.nl(d)
	o.b = append(o.b, '}')
	if f.Ignored {
		o.key(d, false, "suppressions")
		o.b = append(o.b, '[')
		o.nl(d + 1)
		o.b = append(o.b, '{')
		o.key(d+2, true, "kind")
		o.str("external")
		o.key(d+2, false, "status")
		o.str("accepted")
		if f.IgnoreReason != "" {
			o.key(d+2, false, "justification")
			o.str(f.IgnoreReason)
		}
		o.nl(d + 1)
		o.b = append(o.b, '}')
		o.nl(d)
		o.b = append(o.b, ']')
	}
	// Properties, in the order of their keys.
	p := d + 1
	o.key(d, false, "properties")
	o.b = append(o.b, '{')
	o.key(p, true, "direct")
	o.boolean(f.Direct)
	o.key(p, false, "exact")
	o.boolean(f.Exact)
	if len(f.Fix) > 0 {
		o.key(p, false, "fix_versions")
		o.strings(p, f.Fix)
	}
	o.key(p, false, "owasp")
	o.b = strconv.AppendInt(o.b, int64(f.Risk.OWASPNumber()), 10)
	if f.Package != "" {
		o.key(p, false, "package")
		o.str(f.Package)
	}
	if len(f.Path) > 0 {
		o.key(p, false, "path")
		o.strings(p, f.Path)
	}
	if f.Project != "" {
		o.key(p, false, "project")
		o.str(f.Project)
	}
	if labels.isResolved(f) {
		o.key(p, false, "resolved")
		o.boolean(true)
	}
	o.key(p, false, "risk")
	o.str(string(f.Risk))
	o.key(p, false, "severity")
	o.str(f.Severity.String())
	if f.Version != "" {
		o.key(p, false, "version")
		o.str(f.Version)
	}
	o.nl(d)
	o.b = append(o.b, '}')
	o.nl(depth)
	o.b = append(o.b, '}')
}

func sarifRuleFor(f *finding.Finding) sarifRule {
	id := idOrRule(f)
	short := f.Title
	name := f.Rule
	if f.ID != "" {
		// Advisories: the rule is the advisory, described without the package version.
		short = f.ID
		if f.Package != "" {
			short += " in " + f.Package
		}
		name = "vulnerability"
		if f.Risk == finding.RiskMalicious {
			name = "malicious-package"
		}
	}
	full := oneLine(f.Detail) // the description on one line, made once
	if f.Detail == "" {
		full = oneLine(f.Title)
	}
	var md strings.Builder
	fmt.Fprintf(&md, "**%s** (OWASP OSS risk %d: %s)\n\n", mdEscape(id), f.Risk.OWASPNumber(), riskTitle(f.Risk))
	if f.Detail != "" {
		md.WriteString(mdEscape(full) + "\n\n")
	}
	if len(f.Aliases) > 0 {
		md.WriteString("Aliases: " + mdEscape(strings.Join(f.Aliases, ", ")) + "\n\n")
	}
	if f.Action != "" {
		md.WriteString("**Action:** " + mdEscape(oneLine(f.Action)) + "\n")
	}
	text := full
	if f.Action != "" {
		text += "\nAction: " + oneLine(f.Action)
	}
	helpURI := ""
	switch {
	case f.ID != "":
		helpURI = "https://osv.dev/vulnerability/" + url.PathEscape(f.ID)
	case strings.HasPrefix(f.Rule, "pin-"):
		helpURI = "https://github.com/pyvet/pyvet/blob/main/docs/pinning.md"
	}
	return sarifRule{
		ID:                   id,
		Name:                 camel(name),
		HelpURI:              helpURI,
		ShortDescription:     sarifText{Text: oneLine(short)},
		FullDescription:      sarifText{Text: full},
		Help:                 sarifHelp{Text: text, Markdown: md.String()},
		DefaultConfiguration: sarifRuleConfig{Level: sarifLevel(f.Severity)},
		Properties: sarifRuleProperty{
			Tags:             []string{"security", "supply-chain", string(f.Risk), fmt.Sprintf("owasp-oss-risk-%d", f.Risk.OWASPNumber())},
			SecuritySeverity: securitySeverity(f),
			Precision:        precision(f),
		},
	}
}

func precision(f *finding.Finding) string {
	if f.Exact {
		return "very-high"
	}
	return "medium"
}

// camel turns "pin-vcs-ref" into "PinVcsRef" (SARIF rule names are identifiers).
func camel(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		if r == '-' || r == '_' || r == ' ' || r == '.' {
			up = true
			continue
		}
		if up && r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		up = false
		b.WriteRune(r)
	}
	if b.Len() == 0 {
		return "Finding"
	}
	return b.String()
}

func resultMessage(f *finding.Finding, labels *pkgLabels) string {
	msg := oneLine(f.Title)
	if f.Package != "" && !strings.Contains(msg, f.Package) {
		msg = packageLabel(f) + ": " + msg
	}
	if f.Inexact() {
		msg += " (" + inexactNote + ".)"
	}
	if len(f.Fix) > 0 {
		msg += " Fixed in " + strings.Join(f.Fix, ", ") + "."
	}
	if via := labels.path(f); via != "" {
		msg += " Introduced " + via + "."
	}
	if labels.isResolved(f) {
		msg += " The version was chosen by resolution, not written in the input."
	}
	return msg
}

// fingerprint identifies a finding across runs: its risk, rule, id,
// package, version and the name of its file.
func fingerprint(f *finding.Finding) string {
	file := ""
	if f.Location != nil {
		file = filepath.ToSlash(f.Location.File)
	}
	var buf [256]byte
	b := buf[:0]
	for i, part := range [...]string{string(f.Risk), f.Rule, f.ID, f.Package, f.Version, filepath.Base(file)} {
		if i > 0 {
			b = append(b, 0)
		}
		b = append(b, part...)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// sarifLocationOf locates a finding at the file and line that declare it.
func sarifLocationOf(f *finding.Finding, rel *relPaths) *sarifLocation {
	if f.Location == nil || f.Location.File == "" {
		return nil
	}
	return physical(f.Location.File, f.Location.Line, rel)
}

// physical is the location of line of file (relative to the base when
// below it, else an absolute file URI).
func physical(file string, line int, rel *relPaths) *sarifLocation {
	p := rel.of(file)
	art := sarifArtifact{}
	if filepath.IsAbs(file) && p == filepath.ToSlash(file) {
		u := url.URL{Scheme: "file", Path: filepath.ToSlash(file)}
		art.URI = u.String()
	} else {
		art.URI = (&url.URL{Path: strings.TrimPrefix(p, "./")}).String()
		art.URIBaseID = "%SRCROOT%"
	}
	loc := &sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: art}}
	if line > 0 {
		loc.PhysicalLocation.Region = &sarifRegion{StartLine: line}
	}
	return loc
}

// fallbackLocation is the first input file, for findings about the project as
// a whole (code scanning needs a location for every result).
func fallbackLocation(res *Result, rel *relPaths) *sarifLocation {
	if res.Inventory == nil || len(res.Inventory.Sources) == 0 {
		return nil
	}
	return physical(res.Inventory.Sources[0].Path, 1, rel)
}
