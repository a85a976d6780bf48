// Package sbom writes a software bill of materials for an inventory: CycloneDX
// 1.6 (JSON or XML, with the vulnerabilities found as VEX) and SPDX 2.3 JSON.
//
// Output is deterministic by default: components, hashes, edges and
// vulnerabilities are sorted, the CycloneDX serial number and the SPDX
// document namespace are derived from a hash of the content, and the creation
// time comes from SOURCE_DATE_EPOCH when set (CycloneDX then omits the
// timestamp when it is not set; SPDX, which requires one, uses the Unix
// epoch). With Options.Reproducible false the serial number is random and the
// time is the current time.
package sbom

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
	"github.com/pyvet/pyvet/pep508"
)

// Format is an SBOM output format.
type Format string

// The formats Write supports.
const (
	CycloneDXJSON Format = "cyclonedx-json"
	CycloneDXXML  Format = "cyclonedx-xml"
	SPDXJSON      Format = "spdx-json"
)

// Formats lists the supported format names.
func Formats() []string {
	return []string{string(CycloneDXJSON), string(CycloneDXXML), string(SPDXJSON)}
}

// ParseFormat checks a format name.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats() {
		if strings.EqualFold(s, f) {
			return Format(f), nil
		}
	}
	return "", fmt.Errorf("unknown SBOM format %q (want one of %s)", s, strings.Join(Formats(), ", "))
}

// Options control the document Write produces.
type Options struct {
	Format Format
	// ProjectName names the root component (CycloneDX metadata.component, the
	// SPDX root package). Empty means the project package the inventory
	// records (Package.Project), else FallbackName, else "project".
	ProjectName    string
	ProjectVersion string
	FallbackName   string
	ToolName       string // default "pyvet"
	ToolVersion    string
	// Findings, when non-empty, are written as CycloneDX vulnerabilities (VEX)
	// and, in SPDX, as SECURITY "advisory" references of the affected packages.
	Findings []finding.Finding
	// Reproducible makes the output a pure function of the inventory and
	// findings (see the package documentation).
	Reproducible bool
	// Now overrides the creation time (for tests); zero means as documented.
	Now time.Time
}

// Write writes the SBOM of inv to w.
func Write(w io.Writer, inv *inventory.Inventory, opts Options) error {
	m := buildModel(inv, opts)
	switch opts.Format {
	case CycloneDXJSON, "":
		return writeCycloneDX(w, m, false)
	case CycloneDXXML:
		return writeCycloneDX(w, m, true)
	case SPDXJSON:
		return writeSPDX(w, m)
	}
	return fmt.Errorf("unknown SBOM format %q", opts.Format)
}

// PURL returns the package URL of a PyPI package, pkg:pypi/name@version,
// following the purl rules for PyPI: the name lower-cased with "_" replaced
// by "-" (dots are kept). An empty version gives a purl without version.
func PURL(name, version string) string {
	n := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(name)), "_", "-")
	s := "pkg:pypi/" + purlEscape(n)
	if version != "" {
		s += "@" + purlEscape(version)
	}
	return s
}

// rawName is the name as the package was declared, for its purl.
func rawName(p *inventory.Package) string {
	if p.RawName != "" && pep508.NormalizeName(p.RawName) == pep508.NormalizeName(p.Name) {
		return p.RawName
	}
	return p.Name
}

func minNonEmpty(a, b string) string {
	if a == "" || (b != "" && b < a) {
		return b
	}
	return a
}

func sourceKey(s inventory.Source) string {
	return string(s.Kind) + "\x00" + s.URL + "\x00" + s.Ref + "\x00" + s.Commit + "\x00" + s.Path
}

// purlEscape percent-encodes everything but the characters purl leaves as is.
func purlEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-', c == '_', c == '~':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// component is one package of the SBOM, merged over every declaration of the
// same name and version.
type component struct {
	ref      string // bom-ref and purl
	name     string // normalized name
	version  string
	spec     string // specifier when not pinned
	hashes   []hash
	files    []inventory.File
	license  string
	direct   bool
	groups   []string
	source   inventory.Source
	requires []string // refs
}

type hash struct{ alg, hex string }

type vuln struct {
	id       string
	aliases  []string
	title    string
	detail   string
	fix      []string
	cvss     float64
	vector   string
	severity finding.Severity
	affects  []string // refs
}

type model struct {
	opts       Options
	root       component
	components []*component
	vulns      []*vuln
	digest     string // hex sha256 of the content
	created    time.Time
	hasTime    bool
}

func buildModel(inv *inventory.Inventory, opts Options) *model {
	if opts.ToolName == "" {
		opts.ToolName = "pyvet"
	}
	var rootRequires []string
	if opts.ProjectName == "" && inv != nil {
		var proj *inventory.Package
		for _, p := range inv.Packages {
			if p != nil && p.Project && (proj == nil || p.Name < proj.Name) {
				proj = p
			}
		}
		if proj != nil {
			opts.ProjectName, opts.ProjectVersion = rawName(proj), proj.Version
			rootRequires = proj.Requires
		}
	}
	if opts.ProjectName == "" {
		opts.ProjectName = opts.FallbackName
	}
	if opts.ProjectName == "" {
		opts.ProjectName = "project"
	}
	m := &model{opts: opts}
	byKey := map[string]*component{} // normalized name "@" version
	byName := map[string][]*component{}
	var direct []string
	edges := map[*component][]string{} // normalized names each component requires
	if inv != nil {
		for _, p := range inv.Packages {
			if p == nil || p.Project || p.Constraint {
				continue
			}
			name := pep508.NormalizeName(strings.TrimSpace(p.Name))
			if name == "" {
				continue
			}
			key := name + "@" + p.Version
			purl := PURL(rawName(p), p.Version)
			c := byKey[key]
			if c == nil {
				c = &component{ref: purl, name: name, version: p.Version, source: p.Source, spec: p.Specifier}
				byKey[key] = c
				byName[name] = append(byName[name], c)
			}
			// Merge declarations so the result does not depend on their order.
			c.ref = minNonEmpty(c.ref, purl)
			if p.Version == "" {
				c.spec = minNonEmpty(c.spec, p.Specifier)
			} else {
				c.spec = ""
			}
			c.license = minNonEmpty(c.license, finding.Clip(p.License, 300))
			if sourceKey(p.Source) > sourceKey(c.source) {
				c.source = p.Source
			}
			c.direct = c.direct || p.Direct
			c.groups = append(c.groups, p.Groups...)
			for _, h := range p.Hashes {
				c.hashes = addHash(c.hashes, h)
			}
			for _, f := range p.Files {
				c.files = append(c.files, f)
				for _, h := range f.Hashes {
					c.hashes = addHash(c.hashes, h)
				}
			}
			edges[c] = append(edges[c], p.Requires...)
		}
	}
	for _, r := range rootRequires {
		for _, d := range byName[pep508.NormalizeName(strings.TrimSpace(r))] {
			direct = append(direct, d.ref)
		}
	}
	for c, reqs := range edges {
		for _, r := range reqs {
			for _, d := range byName[pep508.NormalizeName(strings.TrimSpace(r))] {
				if d != c {
					c.requires = append(c.requires, d.ref)
				}
			}
		}
	}
	for _, c := range byKey {
		c.requires = uniqSorted(c.requires)
		c.groups = uniqSorted(c.groups)
		sort.Slice(c.hashes, func(i, j int) bool {
			if c.hashes[i].alg != c.hashes[j].alg {
				return c.hashes[i].alg < c.hashes[j].alg
			}
			return c.hashes[i].hex < c.hashes[j].hex
		})
		sort.SliceStable(c.files, func(i, j int) bool { return c.files[i].Name < c.files[j].Name })
		m.components = append(m.components, c)
		if c.direct {
			direct = append(direct, c.ref)
		}
	}
	sort.Slice(m.components, func(i, j int) bool { return m.components[i].ref < m.components[j].ref })
	// Packages no one requires hang off the root too, so the graph is connected
	// even when the input format records no edges.
	required := map[string]bool{}
	for _, c := range m.components {
		for _, r := range c.requires {
			required[r] = true
		}
	}
	for _, c := range m.components {
		if !c.direct && !required[c.ref] {
			direct = append(direct, c.ref)
		}
	}
	m.root = component{
		ref:      "pyvet:root:" + opts.ProjectName,
		name:     opts.ProjectName,
		version:  opts.ProjectVersion,
		requires: uniqSorted(direct),
	}
	m.vulns = buildVulns(opts.Findings, byKey, byName)
	m.digest = m.contentDigest()
	m.created, m.hasTime = creationTime(opts)
	return m
}

func creationTime(opts Options) (time.Time, bool) {
	if !opts.Now.IsZero() {
		return opts.Now.UTC(), true
	}
	if !opts.Reproducible {
		return time.Now().UTC().Truncate(time.Second), true
	}
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(n, 0).UTC(), true
		}
	}
	return time.Unix(0, 0).UTC(), false
}

func buildVulns(fs []finding.Finding, byKey map[string]*component, byName map[string][]*component) []*vuln {
	byID := map[string]*vuln{}
	for _, f := range fs {
		if f.Risk != finding.RiskVulnerability && f.Risk != finding.RiskMalicious {
			continue
		}
		if f.ID == "" || f.Ignored {
			continue
		}
		v := byID[f.ID]
		if v == nil {
			// Advisory text is input: at most a bounded excerpt reaches the SBOM.
			v = &vuln{id: finding.Clip(f.ID, 200), title: finding.Clip(f.Title, 300), detail: finding.ClipText(f.Detail, 4000)}
			byID[f.ID] = v
		}
		v.aliases = append(v.aliases, f.Aliases...)
		v.fix = append(v.fix, f.Fix...)
		if f.CVSS > v.cvss || (v.vector == "" && f.Vector != "") {
			v.cvss, v.vector = f.CVSS, f.Vector
		}
		if f.Severity > v.severity {
			v.severity = f.Severity
		}
		name := pep508.NormalizeName(strings.TrimSpace(f.Package))
		if c := byKey[name+"@"+f.Version]; c != nil && f.Exact {
			v.affects = append(v.affects, c.ref)
		} else {
			for _, c := range byName[name] {
				v.affects = append(v.affects, c.ref)
			}
		}
	}
	out := make([]*vuln, 0, len(byID))
	for _, v := range byID {
		v.aliases = uniqSorted(v.aliases)
		v.fix = uniqSorted(v.fix)
		v.affects = uniqSorted(v.affects)
		if len(v.affects) == 0 {
			continue
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// contentDigest hashes everything the document says, so the serial number and
// namespace change exactly when the content does.
func (m *model) contentDigest() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\n", m.opts.ProjectName, m.opts.ProjectVersion, m.opts.ToolName, m.opts.ToolVersion)
	for _, c := range append([]*component{&m.root}, m.components...) {
		fmt.Fprintf(h, "c\x00%s\x00%s\x00%s\x00%t\x00%s\x00%s\n", c.ref, c.spec, c.license, c.direct, strings.Join(c.groups, ","), strings.Join(c.requires, ","))
		for _, x := range c.hashes {
			fmt.Fprintf(h, "h\x00%s\x00%s\n", x.alg, x.hex)
		}
		for _, f := range c.files {
			fmt.Fprintf(h, "f\x00%s\x00%s\n", f.Name, f.URL)
		}
	}
	for _, v := range m.vulns {
		fmt.Fprintf(h, "v\x00%s\x00%s\x00%s\x00%g\x00%s\x00%d\x00%s\x00%s\n", v.id, strings.Join(v.aliases, ","), v.title, v.cvss, v.vector, v.severity, strings.Join(v.fix, ","), strings.Join(v.affects, ","))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// uuid formats the first 16 bytes of the digest as a version 5-style UUID
// (name-based; random when the output is not reproducible).
func (m *model) uuid() string {
	b, _ := hex.DecodeString(m.digest)
	if !m.opts.Reproducible {
		b = make([]byte, 16)
		if _, err := randRead(b); err != nil {
			b, _ = hex.DecodeString(m.digest)
		}
	}
	b = b[:16]
	b[6] = (b[6] & 0x0f) | 0x50
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// hashAlgs maps "algo:hex" prefixes to a canonical name and the hex length.
var hashAlgs = map[string]struct {
	name string
	size int
}{
	"md5":    {"md5", 32},
	"sha1":   {"sha1", 40},
	"sha256": {"sha256", 64},
	"sha384": {"sha384", 96},
	"sha512": {"sha512", 128},
}

var randRead = rand.Read

func addHash(hs []hash, s string) []hash {
	alg, val, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		alg, val, ok = strings.Cut(strings.TrimSpace(s), "=")
	}
	if !ok {
		return hs
	}
	a, known := hashAlgs[strings.ToLower(strings.ReplaceAll(alg, "-", ""))]
	val = strings.ToLower(val)
	if !known || len(val) != a.size {
		return hs
	}
	if _, err := hex.DecodeString(val); err != nil {
		return hs
	}
	for _, h := range hs {
		if h.alg == a.name && h.hex == val {
			return hs
		}
	}
	return append(hs, hash{a.name, val})
}

func uniqSorted(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	out := append([]string(nil), s...)
	sort.Strings(out)
	j := 0
	for i, v := range out {
		if v == "" || (i > 0 && v == out[i-1]) {
			continue
		}
		out[j] = v
		j++
	}
	return out[:j]
}
