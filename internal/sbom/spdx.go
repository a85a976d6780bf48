package sbom

import (
	"fmt"
	"io"
	"strings"
	"time"

	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"
	spdx "github.com/spdx/tools-golang/spdx/v2/v2_3"
)

const noAssertion = "NOASSERTION"

var spdxHashAlgs = map[string]common.ChecksumAlgorithm{
	"md5": common.MD5, "sha1": common.SHA1, "sha256": common.SHA256,
	"sha384": common.SHA384, "sha512": common.SHA512,
}

// spdxID turns a bom-ref into an SPDX element id (letters, digits, '.', '-').
func spdxID(prefix, s string) common.ElementID {
	var b strings.Builder
	b.WriteString(prefix)
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return common.ElementID(b.String())
}

func writeSPDX(w io.Writer, m *model) error {
	doc := &spdx.Document{
		SPDXVersion:       spdx.Version,
		DataLicense:       spdx.DataLicense,
		SPDXIdentifier:    "DOCUMENT",
		DocumentName:      m.root.name,
		DocumentNamespace: "https://spdx.org/spdxdocs/" + string(spdxID("", m.root.name)) + "-" + m.uuid(),
		CreationInfo: &spdx.CreationInfo{
			Creators: []common.Creator{{CreatorType: "Tool", Creator: toolString(m.opts)}},
			Created:  m.created.Format(time.RFC3339),
		},
	}
	ids := map[string]common.ElementID{}
	rootID := spdxID("Package-root-", m.root.name)
	ids[m.root.ref] = rootID
	root := &spdx.Package{
		PackageName:             m.root.name,
		PackageSPDXIdentifier:   rootID,
		PackageVersion:          m.root.version,
		PackageDownloadLocation: noAssertion,
		FilesAnalyzed:           false,
		PackageLicenseConcluded: noAssertion,
		PackageLicenseDeclared:  noAssertion,
		PackageCopyrightText:    noAssertion,
		PrimaryPackagePurpose:   "APPLICATION",
	}
	doc.Packages = append(doc.Packages, root)
	seen := map[common.ElementID]int{rootID: 1}
	for _, c := range m.components {
		id := spdxID("Package-", strings.TrimPrefix(c.ref, "pkg:pypi/"))
		if n := seen[id]; n > 0 {
			seen[id] = n + 1
			id = common.ElementID(fmt.Sprintf("%s-%d", id, n+1))
		}
		seen[id] = 1
		ids[c.ref] = id
		pkg := spdxPackage(c, id)
		// SPDX 2.3 has no vulnerability section: known advisories become
		// SECURITY external references of the affected packages.
		for _, v := range m.vulns {
			for _, r := range v.affects {
				if r == c.ref {
					pkg.PackageExternalReferences = append(pkg.PackageExternalReferences, &spdx.PackageExternalReference{
						Category: common.CategorySecurity, RefType: "advisory", Locator: advisoryURL(v.id),
					})
				}
			}
		}
		doc.Packages = append(doc.Packages, pkg)
	}
	rel := func(a common.ElementID, typ string, b common.ElementID) {
		doc.Relationships = append(doc.Relationships, &spdx.Relationship{
			RefA:         common.MakeDocElementID("", string(a)),
			RefB:         common.MakeDocElementID("", string(b)),
			Relationship: typ,
		})
	}
	rel("DOCUMENT", common.TypeRelationshipDescribe, rootID)
	for _, r := range m.root.requires {
		rel(rootID, common.TypeRelationshipDependsOn, ids[r])
	}
	for _, c := range m.components {
		for _, r := range c.requires {
			rel(ids[c.ref], common.TypeRelationshipDependsOn, ids[r])
		}
	}
	if err := spdxjson.Write(doc, w, spdxjson.Indent("  "), spdxjson.EscapeHTML(false)); err != nil {
		return fmt.Errorf("write SPDX: %w", err)
	}
	return nil
}

func toolString(o Options) string {
	if o.ToolVersion == "" {
		return o.ToolName
	}
	return o.ToolName + "-" + o.ToolVersion
}

func spdxPackage(c *component, id common.ElementID) *spdx.Package {
	p := &spdx.Package{
		PackageName:             c.name,
		PackageSPDXIdentifier:   id,
		PackageVersion:          c.version,
		PackageDownloadLocation: noAssertion,
		FilesAnalyzed:           false,
		PackageLicenseConcluded: noAssertion,
		PackageLicenseDeclared:  noAssertion,
		PackageCopyrightText:    noAssertion,
		PrimaryPackagePurpose:   "LIBRARY",
		PackageExternalReferences: []*spdx.PackageExternalReference{{
			Category: common.CategoryPackageManager,
			RefType:  common.TypePackageManagerPURL,
			Locator:  c.ref,
		}},
	}
	if u := sourceURL(c); u != "" {
		p.PackageDownloadLocation = c.source.VCS + "+" + strings.TrimPrefix(u, c.source.VCS+"+")
	} else if len(c.files) == 1 && c.files[0].URL != "" {
		p.PackageDownloadLocation = c.files[0].URL
		p.PackageFileName = c.files[0].Name
	}
	if c.version == "" && c.spec != "" {
		p.PackageComment = "declared as " + c.name + c.spec
	}
	if l := parseLicense(c.license); l.id != "" || l.expr != "" {
		p.PackageLicenseDeclared = l.id + l.expr
	} else if l.name != "" {
		p.PackageLicenseComments = "declared license: " + l.name
	}
	for _, h := range c.hashes {
		p.PackageChecksums = append(p.PackageChecksums, common.Checksum{Algorithm: spdxHashAlgs[h.alg], Value: h.hex})
	}
	return p
}
