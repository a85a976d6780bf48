package sbom

import (
	"fmt"
	"io"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/pyvet/pyvet/internal/finding"
)

var cdxHashAlgs = map[string]cdx.HashAlgorithm{
	"md5": cdx.HashAlgoMD5, "sha1": cdx.HashAlgoSHA1, "sha256": cdx.HashAlgoSHA256,
	"sha384": cdx.HashAlgoSHA384, "sha512": cdx.HashAlgoSHA512,
}

func writeCycloneDX(w io.Writer, m *model, xml bool) error {
	bom := cdx.NewBOM()
	bom.SerialNumber = "urn:uuid:" + m.uuid()
	bom.Version = 1
	tool := cdx.Component{Type: cdx.ComponentTypeApplication, Name: m.opts.ToolName, Version: m.opts.ToolVersion}
	root := cdx.Component{
		BOMRef:  m.root.ref,
		Type:    cdx.ComponentTypeApplication,
		Name:    m.root.name,
		Version: m.root.version,
	}
	bom.Metadata = &cdx.Metadata{
		Tools:     &cdx.ToolsChoice{Components: &[]cdx.Component{tool}},
		Component: &root,
	}
	if m.hasTime {
		bom.Metadata.Timestamp = m.created.Format(time.RFC3339)
	}
	comps := make([]cdx.Component, 0, len(m.components))
	deps := make([]cdx.Dependency, 0, len(m.components)+1)
	deps = append(deps, cdx.Dependency{Ref: m.root.ref, Dependencies: strs(m.root.requires)})
	for _, c := range m.components {
		comps = append(comps, cdxComponent(c))
		deps = append(deps, cdx.Dependency{Ref: c.ref, Dependencies: strs(c.requires)})
	}
	bom.Components = &comps
	bom.Dependencies = &deps
	if len(m.vulns) > 0 {
		vs := make([]cdx.Vulnerability, 0, len(m.vulns))
		for _, v := range m.vulns {
			vs = append(vs, cdxVuln(v))
		}
		bom.Vulnerabilities = &vs
	}
	format := cdx.BOMFileFormatJSON
	if xml {
		format = cdx.BOMFileFormatXML
	}
	enc := cdx.NewBOMEncoder(w, format)
	enc.SetPretty(true)
	if err := enc.EncodeVersion(bom, cdx.SpecVersion1_6); err != nil {
		return fmt.Errorf("write CycloneDX: %w", err)
	}
	return nil
}

func strs(s []string) *[]string {
	out := append([]string{}, s...)
	return &out
}

func cdxComponent(c *component) cdx.Component {
	out := cdx.Component{
		BOMRef:     c.ref,
		Type:       cdx.ComponentTypeLibrary,
		Name:       c.name,
		Version:    c.version,
		PackageURL: c.ref,
		Scope:      cdx.ScopeRequired,
	}
	if isOptional(c.groups) {
		out.Scope = cdx.ScopeOptional
	}
	if len(c.hashes) > 0 {
		hs := make([]cdx.Hash, 0, len(c.hashes))
		for _, h := range c.hashes {
			hs = append(hs, cdx.Hash{Algorithm: cdxHashAlgs[h.alg], Value: h.hex})
		}
		out.Hashes = &hs
	}
	if l := parseLicense(c.license); l != (licenseInfo{}) {
		var lc cdx.LicenseChoice
		switch {
		case l.id != "":
			lc.License = &cdx.License{ID: l.id}
		case l.expr != "":
			lc.Expression = l.expr
		default:
			lc.License = &cdx.License{Name: l.name}
		}
		out.Licenses = &cdx.Licenses{lc}
	}
	var refs []cdx.ExternalReference
	for _, f := range c.files {
		if f.URL == "" {
			continue
		}
		r := cdx.ExternalReference{Type: cdx.ERTypeDistribution, URL: f.URL, Comment: f.Name}
		var hs []hash
		for _, h := range f.Hashes {
			hs = addHash(hs, h)
		}
		if len(hs) > 0 {
			ch := make([]cdx.Hash, 0, len(hs))
			for _, h := range hs {
				ch = append(ch, cdx.Hash{Algorithm: cdxHashAlgs[h.alg], Value: h.hex})
			}
			r.Hashes = &ch
		}
		refs = append(refs, r)
	}
	if u := sourceURL(c); u != "" {
		refs = append(refs, cdx.ExternalReference{Type: cdx.ERTypeVCS, URL: u})
	}
	if len(refs) > 0 {
		out.ExternalReferences = &refs
	}
	var props []cdx.Property
	if c.spec != "" {
		props = append(props, cdx.Property{Name: "pyvet:specifier", Value: c.spec})
	}
	if c.direct {
		props = append(props, cdx.Property{Name: "pyvet:direct", Value: "true"})
	}
	for _, g := range c.groups {
		props = append(props, cdx.Property{Name: "pyvet:group", Value: g})
	}
	if c.source.Kind != "" && c.source.Kind != "index" {
		props = append(props, cdx.Property{Name: "pyvet:source", Value: string(c.source.Kind)})
	}
	if len(props) > 0 {
		out.Properties = &props
	}
	return out
}

// sourceURL is the VCS location of a package built from a repository.
func sourceURL(c *component) string {
	if c.source.Kind != "vcs" || c.source.URL == "" {
		return ""
	}
	u := c.source.URL
	if c.source.Commit != "" {
		u += "@" + c.source.Commit
	} else if c.source.Ref != "" {
		u += "@" + c.source.Ref
	}
	return u
}

func isOptional(groups []string) bool {
	if len(groups) == 0 {
		return false
	}
	for _, g := range groups {
		switch strings.ToLower(g) {
		case "", "main", "default", "runtime", "dependencies":
			return false
		}
	}
	return true
}

func cdxSeverity(s finding.Severity) cdx.Severity {
	switch s {
	case finding.SeverityCritical, finding.SeverityMalicious:
		return cdx.SeverityCritical
	case finding.SeverityHigh:
		return cdx.SeverityHigh
	case finding.SeverityMedium:
		return cdx.SeverityMedium
	case finding.SeverityLow:
		return cdx.SeverityLow
	case finding.SeverityInfo:
		return cdx.SeverityInfo
	}
	return cdx.SeverityUnknown
}

func scoringMethod(vector string) cdx.ScoringMethod {
	switch {
	case strings.HasPrefix(vector, "CVSS:4."):
		return cdx.ScoringMethodCVSSv4
	case strings.HasPrefix(vector, "CVSS:3.1"):
		return cdx.ScoringMethodCVSSv31
	case strings.HasPrefix(vector, "CVSS:3."):
		return cdx.ScoringMethodCVSSv3
	case strings.HasPrefix(vector, "AV:"):
		return cdx.ScoringMethodCVSSv2
	}
	return cdx.ScoringMethodOther
}

// advisoryURL is where an advisory can be read.
func advisoryURL(id string) string {
	switch {
	case strings.HasPrefix(id, "GHSA-"):
		return "https://github.com/advisories/" + id
	case strings.HasPrefix(id, "CVE-"):
		return "https://nvd.nist.gov/vuln/detail/" + id
	}
	return "https://osv.dev/vulnerability/" + id
}

func cdxVuln(v *vuln) cdx.Vulnerability {
	out := cdx.Vulnerability{
		BOMRef:      "vuln:" + v.id,
		ID:          v.id,
		Source:      &cdx.Source{Name: "OSV", URL: advisoryURL(v.id)},
		Description: v.title,
		Detail:      v.detail,
	}
	rating := cdx.VulnerabilityRating{Severity: cdxSeverity(v.severity)}
	if v.vector != "" {
		rating.Method = scoringMethod(v.vector)
		rating.Vector = v.vector
	}
	if v.cvss > 0 {
		score := v.cvss
		rating.Score = &score
	}
	if v.vector != "" || v.cvss > 0 || v.severity != finding.SeverityUnknown {
		out.Ratings = &[]cdx.VulnerabilityRating{rating}
	}
	if len(v.aliases) > 0 {
		refs := make([]cdx.VulnerabilityReference, 0, len(v.aliases))
		for _, a := range v.aliases {
			refs = append(refs, cdx.VulnerabilityReference{ID: a, Source: &cdx.Source{URL: advisoryURL(a)}})
		}
		out.References = &refs
	}
	advs := []cdx.Advisory{{Title: v.id, URL: advisoryURL(v.id)}}
	for _, a := range v.aliases {
		advs = append(advs, cdx.Advisory{Title: a, URL: advisoryURL(a)})
	}
	out.Advisories = &advs
	if len(v.fix) > 0 {
		out.Recommendation = "Upgrade to a fixed version: " + strings.Join(v.fix, ", ")
	}
	affects := make([]cdx.Affects, 0, len(v.affects))
	for _, r := range v.affects {
		affects = append(affects, cdx.Affects{Ref: r})
	}
	out.Affects = &affects
	return out
}
