package inventory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"sort"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
	spdxjson "github.com/spdx/tools-golang/json"
	spdx "github.com/spdx/tools-golang/spdx/v2/v2_3"

	"github.com/pyvet/pyvet/internal/safeio"
)

// sbomFormat is a CycloneDX or SPDX JSON document.
var sbomFormat = FileFormat{
	Name: FormatSBOM,
	Match: func(p string) bool {
		lower := strings.ToLower(filepath.Base(p))
		return strings.HasSuffix(lower, ".cdx.json") || strings.HasSuffix(lower, ".spdx.json") || lower == "bom.json" || lower == "sbom.json"
	},
	Sniff:         func(t []byte) bool { return jsonHead(t) && IsSBOM(t) },
	SniffStrength: 90,
	Parse:         func(file string, data []byte, opts Options) (*Inventory, error) { return ParseSBOM(file, data) },
	MaxSize:       safeio.MaxJSON, // SBOMs are JSON documents: the JSON cap, not the text one
}

// The kinds of SBOM input.
const (
	sbomCycloneDX = "cyclonedx"
	sbomSPDX      = "spdx"
)

// IsSBOM reports whether data looks like a CycloneDX or SPDX JSON document.
func IsSBOM(data []byte) bool {
	return sbomKind(data) != ""
}

// sbomKind tells CycloneDX from SPDX JSON by their top-level markers.
func sbomKind(data []byte) string {
	t := bytes.TrimSpace(data)
	if !bytes.HasPrefix(t, []byte("{")) {
		return ""
	}
	head := t
	if len(head) > 4096 {
		head = head[:4096]
	}
	switch {
	case bytes.Contains(head, []byte(`"bomFormat"`)) && bytes.Contains(head, []byte(`CycloneDX`)):
		return sbomCycloneDX
	case bytes.Contains(head, []byte(`"spdxVersion"`)):
		return sbomSPDX
	}
	// Large documents can put the markers later; decode only the top level.
	var top struct {
		BOMFormat   string `json:"bomFormat"`
		SPDXVersion string `json:"spdxVersion"`
	}
	if json.Unmarshal(t, &top) == nil {
		switch {
		case top.BOMFormat == "CycloneDX":
			return sbomCycloneDX
		case strings.HasPrefix(top.SPDXVersion, "SPDX-"):
			return sbomSPDX
		}
	}
	return ""
}

// ParseSBOM reads the PyPI packages a CycloneDX or SPDX JSON document lists
// (components or packages with a pkg:pypi purl) and the dependency edges
// between them. Packages of other ecosystems are skipped with a warning.
func ParseSBOM(path string, data []byte) (*Inventory, error) {
	switch sbomKind(data) {
	case sbomCycloneDX:
		return parseCycloneDX(path, data)
	case sbomSPDX:
		return parseSPDX(path, data)
	}
	return nil, errf(path, 0, "not a CycloneDX or SPDX JSON document")
}

// pypiPURL splits a pkg:pypi purl into name and version.
func pypiPURL(p string) (name, version string, ok bool) {
	rest, found := strings.CutPrefix(strings.TrimSpace(p), "pkg:")
	if !found {
		return "", "", false
	}
	rest = strings.TrimLeft(rest, "/")
	typ, rest, found := strings.Cut(rest, "/")
	if !found || !strings.EqualFold(typ, "pypi") {
		return "", "", false
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	rest, version, _ = strings.Cut(rest, "@")
	if i := strings.LastIndexByte(rest, '/'); i >= 0 { // a namespace is not used by PyPI
		rest = rest[i+1:]
	}
	n, err1 := url.PathUnescape(rest)
	v, err2 := url.PathUnescape(version)
	if err1 != nil || err2 != nil || strings.TrimSpace(n) == "" {
		return "", "", false
	}
	return n, v, true
}

// sbomBuilder collects packages by document id and resolves edges.
type sbomBuilder struct {
	path    string
	inv     *Inventory
	byID    map[string]*Package
	skipped int
}

func newSBOMBuilder(path string) *sbomBuilder {
	return &sbomBuilder{
		path: path,
		inv:  &Inventory{Sources: []SourceFile{{Path: path, Format: string(FormatSBOM)}}},
		byID: map[string]*Package{},
	}
}

func (b *sbomBuilder) add(id, purl, version string) *Package {
	n, v, ok := pypiPURL(purl)
	if !ok {
		b.skipped++
		return nil
	}
	if v == "" {
		v = version
	}
	p := newPackage(n)
	p.Version = v
	p.Locations = []Location{{File: b.path}}
	if id != "" {
		if _, dup := b.byID[id]; !dup {
			b.byID[id] = p
		}
	}
	b.inv.Packages = append(b.inv.Packages, p)
	return p
}

// finish applies the "from depends on to" edges; roots are the ids of the described
// application, whose dependencies are the direct ones.
func (b *sbomBuilder) finish(edges [][2]string, roots map[string]bool) *Inventory {
	haveRoot := false
	for _, e := range edges {
		from, to := b.byID[e[0]], b.byID[e[1]]
		if to == nil {
			continue
		}
		if roots[e[0]] {
			to.Direct = true
			haveRoot = true
			continue
		}
		if from != nil && from != to {
			from.Requires = append(from.Requires, to.Name)
		}
	}
	if b.skipped > 0 {
		b.inv.Warnings = append(b.inv.Warnings, fmt.Sprintf("%s: %d non-PyPI entries skipped", b.path, b.skipped))
	}
	if !haveRoot {
		markRoots(b.inv.Packages)
	}
	for _, p := range b.inv.Packages {
		if p.Project {
			p.Direct = false
		}
	}
	return finish(b.inv, Options{})
}

func parseCycloneDX(path string, data []byte) (*Inventory, error) {
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(data), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		return nil, errf(path, 0, "invalid CycloneDX JSON: %s", boundedError(err))
	}
	b := newSBOMBuilder(path)
	roots := map[string]bool{}
	if bom.Metadata != nil && bom.Metadata.Component != nil {
		roots[bom.Metadata.Component.BOMRef] = true
	}
	var walk func(cs *[]cdx.Component, depth int)
	walk = func(cs *[]cdx.Component, depth int) {
		if cs == nil || depth > 64 {
			return
		}
		for i := range *cs {
			c := &(*cs)[i]
			if p := b.add(c.BOMRef, c.PackageURL, c.Version); p != nil {
				if c.Hashes != nil {
					for _, h := range *c.Hashes {
						p.Hashes = append(p.Hashes, cdxHash(h))
					}
				}
				p.License = cdxLicense(c.Licenses)
				if c.Scope == cdx.ScopeOptional {
					p.Groups = []string{"optional"}
				}
			}
			walk(c.Components, depth+1)
		}
	}
	walk(bom.Components, 0)
	var edges [][2]string
	if bom.Dependencies != nil {
		for _, d := range *bom.Dependencies {
			if d.Dependencies == nil {
				continue
			}
			for _, to := range *d.Dependencies {
				edges = append(edges, [2]string{d.Ref, to})
			}
		}
	}
	return b.finish(edges, roots), nil
}

func cdxHash(h cdx.Hash) string {
	alg := strings.ToLower(strings.ReplaceAll(string(h.Algorithm), "-", ""))
	return alg + ":" + strings.ToLower(h.Value)
}

func cdxLicense(ls *cdx.Licenses) string {
	if ls == nil {
		return ""
	}
	var parts []string
	for _, l := range *ls {
		switch {
		case l.Expression != "":
			parts = append(parts, l.Expression)
		case l.License != nil && l.License.ID != "":
			parts = append(parts, l.License.ID)
		case l.License != nil && l.License.Name != "":
			parts = append(parts, l.License.Name)
		}
	}
	return strings.Join(parts, " OR ")
}

func parseSPDX(path string, data []byte) (*Inventory, error) {
	doc, err := readSPDX(data)
	if err != nil {
		return nil, errf(path, 0, "invalid SPDX JSON: %s", boundedError(err))
	}
	b := newSBOMBuilder(path)
	roots := map[string]bool{}
	for _, p := range doc.Packages {
		if p == nil {
			continue
		}
		purl := ""
		for _, r := range p.PackageExternalReferences {
			if r != nil && strings.EqualFold(r.RefType, "purl") {
				if _, _, ok := pypiPURL(r.Locator); ok || purl == "" {
					purl = r.Locator
				}
			}
		}
		id := string(p.PackageSPDXIdentifier)
		pkg := b.add(id, purl, p.PackageVersion)
		if pkg == nil {
			continue
		}
		for _, c := range p.PackageChecksums {
			pkg.Hashes = append(pkg.Hashes, strings.ToLower(string(c.Algorithm))+":"+strings.ToLower(c.Value))
		}
		for _, l := range []string{p.PackageLicenseDeclared, p.PackageLicenseConcluded} {
			if l != "" && l != "NOASSERTION" && l != "NONE" {
				pkg.License = l
				break
			}
		}
	}
	var edges [][2]string
	for _, r := range doc.Relationships {
		if r == nil {
			continue
		}
		a, bb := string(r.RefA.ElementRefID), string(r.RefB.ElementRefID)
		switch strings.ToUpper(r.Relationship) {
		case "DESCRIBES":
			if a == "DOCUMENT" {
				roots[bb] = true
			}
		case "DESCRIBED_BY":
			roots[a] = true
		case "DEPENDS_ON", "CONTAINS":
			edges = append(edges, [2]string{a, bb})
		case "DEPENDENCY_OF":
			edges = append(edges, [2]string{bb, a})
		}
	}
	// A described package that is itself a PyPI package is the project, not a dependency.
	for id := range roots {
		if p := b.byID[id]; p != nil {
			p.Project = true
		}
	}
	sort.SliceStable(edges, func(i, j int) bool { return edges[i][0] < edges[j][0] })
	return b.finish(edges, roots), nil
}

// readSPDX decodes SPDX 2.x JSON, converting older versions to 2.3.
func readSPDX(data []byte) (doc *spdx.Document, err error) {
	defer func() {
		if r := recover(); r != nil { // the converter panics on some malformed input
			doc, err = nil, fmt.Errorf("%v", r)
		}
	}()
	doc = &spdx.Document{}
	if err := spdxjson.ReadInto(bytes.NewReader(data), doc); err != nil {
		return nil, err
	}
	return doc, nil
}
