package sbom

import (
	"strings"

	"github.com/pyvet/pyvet/internal/check/license"
)

// licenseInfo is a package's license as SBOMs express it: one SPDX license
// id, an SPDX expression over SPDX ids, or only the declared text.
type licenseInfo struct {
	id, expr, name string
}

// parseLicense reads a declared license as the license check does
// (license.Resolve). A license the resolver maps to SPDX ids is written as
// that id or expression. One it does not recognize, or maps only to a
// LicenseRef (a family such as "BSD" whose variant the text does not say, or
// a reference the document would have to define), is written by its declared
// text, never guessed.
func parseLicense(s string) licenseInfo {
	r := license.Resolve("", s, nil)
	if r.Expression != "" && !strings.Contains(strings.ToLower(r.Expression), "licenseref-") {
		if ids := r.IDs(); len(ids) == 1 && ids[0] == r.Expression && !strings.HasSuffix(r.Expression, "+") {
			return licenseInfo{id: r.Expression}
		}
		return licenseInfo{expr: r.Expression}
	}
	if name := firstLine(r.Raw); name != "" {
		return licenseInfo{name: name}
	}
	return licenseInfo{}
}

// firstLine is the first line of s, at most 200 characters: the name under
// which a license text pasted into the metadata is recorded.
func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200])
	}
	return s
}
