package sbom

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/pyvet/pyvet/internal/check/license"
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/inventory"
)

const sha1 = "1111111111111111111111111111111111111111111111111111111111111111"
const sha2 = "2222222222222222222222222222222222222222222222222222222222222222"

func testInventory() *inventory.Inventory {
	return &inventory.Inventory{
		Sources: []inventory.SourceFile{{Path: "requirements.txt", Format: "requirements"}},
		Packages: []*inventory.Package{
			{Name: "requests", Version: "2.19.0", Direct: true, Requires: []string{"urllib3", "idna"},
				Hashes: []string{"sha256:" + sha1, "sha256:" + sha1, "md5:zz"}, License: "Apache 2.0"},
			{Name: "urllib3", Version: "1.23", Parents: []string{"requests"}, License: "MIT",
				Files: []inventory.File{{Name: "urllib3-1.23-py2.py3-none-any.whl", URL: "https://files.example/urllib3-1.23-py2.py3-none-any.whl", Hashes: []string{"sha256:" + sha2}}}},
			{Name: "idna", Version: "2.7", Parents: []string{"requests"}, License: "BSD-3-Clause OR MIT"},
			{Name: "Zope.Interface", Version: "5.0", Direct: true, License: "Zope Public License", Groups: []string{"dev"}},
			{Name: "flask", Specifier: ">=2", Direct: true},
			{Name: "mylib", Version: "0.1", Direct: true, Source: inventory.Source{Kind: inventory.SourceVCS, VCS: "git", URL: "https://github.com/o/mylib", Commit: "abc123"}},
			{Name: "myproject", Version: "1.0", Project: true},
		},
	}
}

func testFindings() []finding.Finding {
	return []finding.Finding{
		{Risk: finding.RiskVulnerability, Rule: "vuln", ID: "PYSEC-2018-28", Aliases: []string{"CVE-2018-18074", "GHSA-x84v-xcm2-53pg"},
			Package: "requests", Version: "2.19.0", Exact: true, Severity: finding.SeverityHigh, CVSS: 7.5,
			Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", Title: "Insecure redirect", Fix: []string{"2.20.0"}},
		{Risk: finding.RiskVulnerability, Rule: "vuln", ID: "PYSEC-2019-132", Package: "urllib3", Version: "1.23", Exact: true,
			Severity: finding.SeverityMedium, Title: "CRLF injection"},
		{Risk: finding.RiskUnpinned, Rule: "pin-unpinned", Package: "flask", Title: "unpinned"},
		{Risk: finding.RiskVulnerability, Rule: "vuln", ID: "PYSEC-IGNORED", Package: "idna", Version: "2.7", Ignored: true},
	}
}

func write(t *testing.T, f Format, opts Options) []byte {
	t.Helper()
	opts.Format = f
	var buf bytes.Buffer
	if err := Write(&buf, testInventory(), opts); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestPURL(t *testing.T) {
	for in, want := range map[[2]string]string{
		{"Django", "4.2"}:          "pkg:pypi/django@4.2",
		{"zope.interface", "5.0"}:  "pkg:pypi/zope.interface@5.0",
		{"Foo__Bar", ""}:           "pkg:pypi/foo--bar",
		{"pkg", "1.0+local.1"}:     "pkg:pypi/pkg@1.0%2Blocal.1",
		{"ruamel.yaml.clib", "1"}:  "pkg:pypi/ruamel.yaml.clib@1",
		{"typing_extensions", "4"}: "pkg:pypi/typing-extensions@4",
	} {
		if got := PURL(in[0], in[1]); got != want {
			t.Errorf("PURL(%q, %q) = %q, want %q", in[0], in[1], got, want)
		}
	}
}

func TestParseFormat(t *testing.T) {
	if f, err := ParseFormat("SPDX-JSON"); err != nil || f != SPDXJSON {
		t.Errorf("ParseFormat = %q, %v", f, err)
	}
	if _, err := ParseFormat("yaml"); err == nil || !strings.Contains(err.Error(), "cyclonedx-json") {
		t.Errorf("ParseFormat(yaml) error = %v", err)
	}
}

func TestParseLicense(t *testing.T) {
	for in, want := range map[string]licenseInfo{
		"MIT":                  {id: "MIT"},
		"apache 2.0":           {id: "Apache-2.0"},
		"bsd-3-clause or mit":  {expr: "BSD-3-Clause OR MIT"},
		"(MIT AND Apache-2.0)": {expr: "MIT AND Apache-2.0"},
		"GPL-2.0-or-later WITH Classpath-exception-2.0": {expr: "GPL-2.0-or-later WITH Classpath-exception-2.0"},
		"GPL-2.0+":                  {id: "GPL-2.0-or-later"},
		"Apache-2.0+":               {expr: "Apache-2.0+"},
		"ISC License (ISCL)":        {id: "ISC"},
		"MIT OR":                    {name: "MIT OR"},
		"Proprietary":               {name: "Proprietary"},
		"Copyright 2020\nlong text": {name: "Copyright 2020"},
		"":                          {},
		// A family whose variant is not said is not guessed.
		"BSD License":   {name: "BSD License"},
		"Public Domain": {name: "Public Domain"},
		// A reference the document would have to define is written by name.
		"LicenseRef-Internal": {name: "LicenseRef-Internal"},
		// A pasted license text is recognized, not recorded by its first line.
		"Copyright (c) 2020 X\n\nRedistribution and use in source and binary forms ... Neither the name of": {id: "BSD-3-Clause"},
	} {
		if got := parseLicense(in); got != want {
			t.Errorf("parseLicense(%q) = %+v, want %+v", in, got, want)
		}
	}
}

type cdxDoc struct {
	SpecVersion  string `json:"specVersion"`
	SerialNumber string `json:"serialNumber"`
	Metadata     struct {
		Timestamp string `json:"timestamp"`
		Component struct {
			BOMRef string `json:"bom-ref"`
		} `json:"component"`
	} `json:"metadata"`
	Components []struct {
		BOMRef   string `json:"bom-ref"`
		Name     string `json:"name"`
		Purl     string `json:"purl"`
		Scope    string `json:"scope"`
		Hashes   []struct{ Alg, Content string }
		Licenses []struct {
			License    *struct{ ID, Name string } `json:"license"`
			Expression string                     `json:"expression"`
		} `json:"licenses"`
	} `json:"components"`
	Dependencies []struct {
		Ref       string   `json:"ref"`
		DependsOn []string `json:"dependsOn"`
	} `json:"dependencies"`
	Vulnerabilities []struct {
		ID      string `json:"id"`
		Ratings []struct {
			Score    float64 `json:"score"`
			Severity string  `json:"severity"`
			Method   string  `json:"method"`
		} `json:"ratings"`
		Affects []struct {
			Ref string `json:"ref"`
		} `json:"affects"`
	} `json:"vulnerabilities"`
}

func TestCycloneDXContent(t *testing.T) {
	out := write(t, CycloneDXJSON, Options{Findings: testFindings(), Reproducible: true, ProjectName: "demo", ToolVersion: "0.1.0"})
	var doc cdxDoc
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.SpecVersion != "1.6" || !strings.HasPrefix(doc.SerialNumber, "urn:uuid:") {
		t.Errorf("spec %q serial %q", doc.SpecVersion, doc.SerialNumber)
	}
	if doc.Metadata.Timestamp != "" {
		t.Errorf("reproducible output without SOURCE_DATE_EPOCH has timestamp %q", doc.Metadata.Timestamp)
	}
	var refs []string
	for _, c := range doc.Components {
		refs = append(refs, c.BOMRef)
		if c.Purl != c.BOMRef {
			t.Errorf("purl %q != bom-ref %q", c.Purl, c.BOMRef)
		}
	}
	want := "pkg:pypi/flask pkg:pypi/idna@2.7 pkg:pypi/mylib@0.1 pkg:pypi/requests@2.19.0 pkg:pypi/urllib3@1.23 pkg:pypi/zope.interface@5.0"
	if got := strings.Join(refs, " "); got != want {
		t.Errorf("components:\n got %s\nwant %s", got, want)
	}
	req := doc.Components[3]
	if len(req.Hashes) != 1 || req.Hashes[0].Content != sha1 || req.Hashes[0].Alg != "SHA-256" {
		t.Errorf("requests hashes = %+v (duplicates and malformed should be dropped)", req.Hashes)
	}
	if req.Licenses[0].License == nil || req.Licenses[0].License.ID != "Apache-2.0" {
		t.Errorf("requests license = %+v", req.Licenses)
	}
	if doc.Components[1].Licenses[0].Expression != "BSD-3-Clause OR MIT" {
		t.Errorf("idna license = %+v", doc.Components[1].Licenses)
	}
	if doc.Components[5].Scope != "optional" || doc.Components[5].Licenses[0].License.Name != "Zope Public License" && doc.Components[5].Licenses[0].License.ID != "ZPL-2.1" {
		t.Errorf("zope = %+v", doc.Components[5])
	}
	deps := map[string][]string{}
	for _, d := range doc.Dependencies {
		deps[d.Ref] = d.DependsOn
	}
	if got := strings.Join(deps["pkg:pypi/requests@2.19.0"], " "); got != "pkg:pypi/idna@2.7 pkg:pypi/urllib3@1.23" {
		t.Errorf("requests dependsOn = %q", got)
	}
	root := doc.Metadata.Component.BOMRef
	if got := strings.Join(deps[root], " "); got != "pkg:pypi/flask pkg:pypi/mylib@0.1 pkg:pypi/requests@2.19.0 pkg:pypi/zope.interface@5.0" {
		t.Errorf("root dependsOn = %q", got)
	}
	if len(doc.Vulnerabilities) != 2 {
		t.Fatalf("vulnerabilities = %+v", doc.Vulnerabilities)
	}
	v := doc.Vulnerabilities[0]
	if v.ID != "PYSEC-2018-28" || v.Affects[0].Ref != "pkg:pypi/requests@2.19.0" || v.Ratings[0].Score != 7.5 || v.Ratings[0].Method != "CVSSv31" || v.Ratings[0].Severity != "high" {
		t.Errorf("vulnerability = %+v", v)
	}
}

func TestDeterministic(t *testing.T) {
	for _, f := range []Format{CycloneDXJSON, CycloneDXXML, SPDXJSON} {
		a := write(t, f, Options{Findings: testFindings(), Reproducible: true})
		inv := testInventory()
		// Same content in another order gives the same bytes.
		for i, j := 0, len(inv.Packages)-1; i < j; i, j = i+1, j-1 {
			inv.Packages[i], inv.Packages[j] = inv.Packages[j], inv.Packages[i]
		}
		var b bytes.Buffer
		if err := Write(&b, inv, Options{Format: f, Findings: testFindings(), Reproducible: true}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b.Bytes()) {
			t.Errorf("%s: output depends on input order", f)
		}
		inv.Packages[0].Version = "9.9"
		b.Reset()
		if err := Write(&b, inv, Options{Format: f, Reproducible: true}); err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(a, b.Bytes()) {
			t.Errorf("%s: changed content gave the same output", f)
		}
		c := write(t, f, Options{Findings: testFindings()})
		d := write(t, f, Options{Findings: testFindings()})
		if bytes.Equal(c, d) {
			t.Errorf("%s: non-reproducible outputs are identical (serial should be random)", f)
		}
	}
}

func TestSourceDateEpoch(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	out := write(t, SPDXJSON, Options{Reproducible: true})
	if !bytes.Contains(out, []byte(`"created": "2023-11-14T22:13:20Z"`)) {
		t.Errorf("SPDX created not from SOURCE_DATE_EPOCH:\n%s", out)
	}
}

func TestCycloneDXXML(t *testing.T) {
	out := write(t, CycloneDXXML, Options{Findings: testFindings(), Reproducible: true, Now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
	var doc struct {
		XMLName    xml.Name
		Components []struct {
			Purl string `xml:"purl"`
		} `xml:"components>component"`
		Vulns []struct {
			ID string `xml:"id"`
		} `xml:"vulnerabilities>vulnerability"`
		Timestamp string `xml:"metadata>timestamp"`
	}
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.XMLName.Space != "http://cyclonedx.org/schema/bom/1.6" || len(doc.Components) != 6 || len(doc.Vulns) != 2 || doc.Timestamp != "2026-01-02T03:04:05Z" {
		t.Errorf("xml doc = %+v", doc)
	}
}

func TestSPDXContent(t *testing.T) {
	out := write(t, SPDXJSON, Options{Reproducible: true, ProjectName: "demo"})
	var doc struct {
		SPDXVersion string `json:"spdxVersion"`
		Namespace   string `json:"documentNamespace"`
		Packages    []struct {
			ID        string `json:"SPDXID"`
			Name      string `json:"name"`
			License   string `json:"licenseDeclared"`
			Download  string `json:"downloadLocation"`
			Checksums []struct{ Algorithm, ChecksumValue string }
			Refs      []struct{ ReferenceLocator string } `json:"externalRefs"`
		} `json:"packages"`
		Relationships []struct {
			A    string `json:"spdxElementId"`
			B    string `json:"relatedSpdxElement"`
			Type string `json:"relationshipType"`
		} `json:"relationships"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.SPDXVersion != "SPDX-2.3" || !strings.HasPrefix(doc.Namespace, "https://spdx.org/spdxdocs/demo-") {
		t.Errorf("header: %s %s", doc.SPDXVersion, doc.Namespace)
	}
	if len(doc.Packages) != 7 {
		t.Fatalf("packages = %d", len(doc.Packages))
	}
	byName := map[string]int{}
	for i, p := range doc.Packages {
		byName[p.Name] = i
	}
	u := doc.Packages[byName["urllib3"]]
	if u.License != "MIT" || u.Download != "https://files.example/urllib3-1.23-py2.py3-none-any.whl" || len(u.Checksums) != 1 || u.Checksums[0].Algorithm != "SHA256" || len(u.Refs) != 1 || u.Refs[0].ReferenceLocator != "pkg:pypi/urllib3@1.23" {
		t.Errorf("urllib3 = %+v", u)
	}
	if m := doc.Packages[byName["mylib"]]; m.Download != "git+https://github.com/o/mylib@abc123" {
		t.Errorf("mylib download = %q", m.Download)
	}
	edges := map[string]bool{}
	for _, r := range doc.Relationships {
		edges[r.A+" "+r.Type+" "+r.B] = true
	}
	for _, e := range []string{
		"SPDXRef-DOCUMENT DESCRIBES SPDXRef-Package-root-demo",
		"SPDXRef-Package-root-demo DEPENDS_ON SPDXRef-Package-requests-2.19.0",
		"SPDXRef-Package-requests-2.19.0 DEPENDS_ON SPDXRef-Package-urllib3-1.23",
	} {
		if !edges[e] {
			t.Errorf("missing relationship %s", e)
		}
	}
}

var (
	schemaOnce sync.Once
	cdxSchema  *jsonschema.Schema
	spdxSchema *jsonschema.Schema
	schemaErr  error
)

func schemas(t *testing.T) (*jsonschema.Schema, *jsonschema.Schema) {
	t.Helper()
	corpus := os.Getenv("PYVET_CORPUS")
	if corpus == "" {
		t.Skip("PYVET_CORPUS not set; skipping corpus test")
	}
	schemaOnce.Do(func() {
		c := jsonschema.NewCompiler()
		for file, url := range map[string]string{
			"cyclonedx/bom-1.6.schema.json":  "http://cyclonedx.org/schema/bom-1.6.schema.json",
			"cyclonedx/spdx.schema.json":     "http://cyclonedx.org/schema/spdx.schema.json",
			"cyclonedx/jsf-0.82.schema.json": "http://cyclonedx.org/schema/jsf-0.82.schema.json",
			"spdx/spdx-2.3-schema.json":      "http://spdx.org/rdf/terms/2.3",
		} {
			f, err := os.Open(filepath.Join(corpus, "schemas", file))
			if err != nil {
				schemaErr = err
				return
			}
			doc, err := jsonschema.UnmarshalJSON(f)
			f.Close()
			if err != nil {
				schemaErr = err
				return
			}
			if err := c.AddResource(url, doc); err != nil {
				schemaErr = err
				return
			}
		}
		if cdxSchema, schemaErr = c.Compile("http://cyclonedx.org/schema/bom-1.6.schema.json"); schemaErr != nil {
			return
		}
		spdxSchema, schemaErr = c.Compile("http://spdx.org/rdf/terms/2.3")
	})
	if schemaErr != nil {
		t.Fatal(schemaErr)
	}
	return cdxSchema, spdxSchema
}

func validate(t *testing.T, s *jsonschema.Schema, out []byte) {
	t.Helper()
	validateAny(t, s, out)
}

func validateAny(t *testing.T, s interface{ Validate(any) error }, out []byte) {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(doc); err != nil {
		t.Errorf("schema validation failed: %v\n%s", err, out)
	}
}

func TestSchemaValid(t *testing.T) {
	cdx, spdx := schemas(t)
	validate(t, cdx, write(t, CycloneDXJSON, Options{Findings: testFindings(), Reproducible: true}))
	validate(t, cdx, write(t, CycloneDXJSON, Options{Reproducible: false}))
	validate(t, spdx, write(t, SPDXJSON, Options{Reproducible: true}))
	withAdv := write(t, SPDXJSON, Options{Reproducible: true, Findings: testFindings()})
	validate(t, spdx, withAdv)
	if !bytes.Contains(withAdv, []byte(`"referenceLocator": "https://osv.dev/vulnerability/PYSEC-2018-28"`)) {
		t.Errorf("SPDX lacks the advisory reference:\n%s", withAdv)
	}
	// An empty inventory is still a valid document.
	for f, s := range map[Format]*jsonschema.Schema{CycloneDXJSON: cdx, SPDXJSON: spdx} {
		var b bytes.Buffer
		if err := Write(&b, &inventory.Inventory{}, Options{Format: f, Reproducible: true}); err != nil {
			t.Fatal(err)
		}
		validate(t, s, b.Bytes())
	}
	// The negative control: a document the schema must refuse.
	bad := bytes.Replace(write(t, CycloneDXJSON, Options{Reproducible: true}), []byte(`"type": "library"`), []byte(`"type": "librarry"`), 1)
	doc, _ := jsonschema.UnmarshalJSON(bytes.NewReader(bad))
	if cdx.Validate(doc) == nil {
		t.Error("schema accepted an invalid component type")
	}
}

// Every SPDX id an SBOM writes for a common declared license is a current id
// of the SPDX license list.
func TestLicenseIDsInSPDXList(t *testing.T) {
	corpus := os.Getenv("PYVET_CORPUS")
	if corpus == "" {
		t.Skip("PYVET_CORPUS not set; skipping corpus test")
	}
	data, err := os.ReadFile(filepath.Join(corpus, "spdx", "licenses.json"))
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Licenses []struct {
			LicenseID    string `json:"licenseId"`
			IsDeprecated bool   `json:"isDeprecatedLicenseId"`
		} `json:"licenses"`
	}
	if err := json.Unmarshal(data, &list); err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, l := range list.Licenses {
		known[l.LicenseID] = !l.IsDeprecated
	}
	for _, declared := range declaredLicenses {
		l := parseLicense(declared)
		e, err := license.ParseExpression(l.id + l.expr)
		if l.id+l.expr == "" {
			continue
		}
		if err != nil {
			t.Errorf("%q: SBOM license %q does not parse: %v", declared, l.id+l.expr, err)
			continue
		}
		for _, id := range e.IDs() {
			if !known[strings.TrimSuffix(id, "+")] {
				t.Errorf("%q: %s is not a current SPDX license id", declared, id)
			}
		}
	}
}

// declaredLicenses are License fields and classifier names Python packages
// commonly declare.
var declaredLicenses = []string{
	"MIT", "MIT License", "mit license", "Expat", "Apache 2.0", "Apache-2.0", "Apache Software License",
	"Apache License, Version 2.0", "ASL 2.0", "BSD", "BSD License", "New BSD", "BSD 3-Clause", "Simplified BSD",
	"ISC License (ISCL)", "Mozilla Public License 2.0 (MPL 2.0)", "PSF", "Python Software Foundation License",
	"Public Domain", "The Unlicense (Unlicense)", "GPL-2.0", "GPL-2.0+", "GPLv3", "LGPL-2.1", "LGPLv3", "AGPL-3.0",
	"GNU General Public License v3 (GPLv3)", "GNU Lesser General Public License v2 or later (LGPLv2+)",
	"Zope Public License", "Boost Software License 1.0", "MIT OR Apache-2.0", "(MIT AND Apache-2.0)",
	"GPL-2.0-or-later WITH Classpath-exception-2.0", "Apache-2.0+", "CC0 1.0 Universal (CC0 1.0) Public Domain Dedication",
	"Eclipse Public License 2.0 (EPL-2.0)", "zlib/libpng", "Proprietary", "UNKNOWN", "Dual License",
}

func FuzzWrite(f *testing.F) {
	f.Add("requests", "2.0", "MIT OR (Apache-2.0", "sha256:"+sha1, "CVSS:3.1/AV:N")
	f.Add("a_b.C", "", "", "md5:00", "")
	f.Fuzz(func(t *testing.T, name, version, license, h, vector string) {
		inv := &inventory.Inventory{Packages: []*inventory.Package{
			{Name: name, Version: version, License: license, Hashes: []string{h}, Direct: true, Requires: []string{name}},
			{Name: "dep", Version: version, Parents: []string{name}},
		}}
		fs := []finding.Finding{{Risk: finding.RiskVulnerability, ID: "X-1", Package: name, Version: version, Exact: true, Vector: vector, CVSS: 5}}
		for _, format := range []Format{CycloneDXJSON, CycloneDXXML, SPDXJSON} {
			var b bytes.Buffer
			if err := Write(&b, inv, Options{Format: format, Findings: fs, Reproducible: true}); err != nil {
				t.Fatal(err)
			}
			if format != CycloneDXXML && !json.Valid(b.Bytes()) {
				t.Fatalf("%s: invalid JSON", format)
			}
		}
	})
}

func BenchmarkWriteCycloneDX(b *testing.B) {
	inv := &inventory.Inventory{}
	for i := 0; i < 2000; i++ {
		p := &inventory.Package{Name: "pkg" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + "-" + strconv.Itoa(i), Version: "1.0." + strconv.Itoa(i), Hashes: []string{"sha256:" + sha1}}
		if i > 0 {
			p.Requires = []string{inv.Packages[i-1].Name}
		}
		inv.Packages = append(inv.Packages, p)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var buf bytes.Buffer
		if err := Write(&buf, inv, Options{Format: CycloneDXJSON, Reproducible: true}); err != nil {
			b.Fatal(err)
		}
	}
}

// The project package a lockfile records becomes the root component.
func TestProjectRoot(t *testing.T) {
	inv := testInventory()
	inv.Packages[len(inv.Packages)-1].Requires = []string{"idna"}
	var buf bytes.Buffer
	if err := Write(&buf, inv, Options{Format: CycloneDXJSON, Reproducible: true, FallbackName: "dir"}); err != nil {
		t.Fatal(err)
	}
	var doc cdxDoc
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Metadata.Component.BOMRef != "pyvet:root:myproject" {
		t.Errorf("root = %q", doc.Metadata.Component.BOMRef)
	}
	for _, d := range doc.Dependencies {
		if d.Ref == doc.Metadata.Component.BOMRef && !strings.Contains(strings.Join(d.DependsOn, " "), "pkg:pypi/idna@2.7") {
			t.Errorf("root dependsOn = %v", d.DependsOn)
		}
	}
	buf.Reset()
	inv.Packages = inv.Packages[:len(inv.Packages)-1]
	if err := Write(&buf, inv, Options{Format: CycloneDXJSON, Reproducible: true, FallbackName: "dir"}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(buf.Bytes(), []byte(`"bom-ref": "pyvet:root:dir"`)) {
		t.Error("fallback name not used")
	}
}

// An advisory without any score gets no rating rather than an empty one.
func TestVulnWithoutRating(t *testing.T) {
	fs := []finding.Finding{{Risk: finding.RiskVulnerability, ID: "PYSEC-X", Package: "six", Version: "1.0", Exact: true}}
	inv := &inventory.Inventory{Packages: []*inventory.Package{{Name: "six", Version: "1.0"}}}
	var buf bytes.Buffer
	if err := Write(&buf, inv, Options{Format: CycloneDXJSON, Findings: fs, Reproducible: true}); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(buf.Bytes(), []byte(`"ratings"`)) || !bytes.Contains(buf.Bytes(), []byte(`"ref": "pkg:pypi/six@1.0"`)) {
		t.Errorf("output:\n%s", buf.Bytes())
	}
}
