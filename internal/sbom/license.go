package sbom

import (
	"strings"
)

// spdxIDs are the SPDX license identifiers Python packages commonly declare,
// keyed by lower case. A license outside this list is written by name (or
// NOASSERTION in SPDX) rather than guessed.
var spdxIDs = func() map[string]string {
	ids := []string{
		"0BSD", "AFL-2.1", "AFL-3.0", "AGPL-3.0-only", "AGPL-3.0-or-later", "Apache-1.1", "Apache-2.0",
		"Artistic-2.0", "BSD-1-Clause", "BSD-2-Clause", "BSD-3-Clause", "BSD-3-Clause-Clear", "BSD-4-Clause",
		"BSL-1.0", "CC-BY-4.0", "CC-BY-SA-4.0", "CC0-1.0", "CDDL-1.0", "CECILL-2.1", "EPL-1.0", "EPL-2.0",
		"EUPL-1.2", "GPL-2.0-only", "GPL-2.0-or-later", "GPL-3.0-only", "GPL-3.0-or-later", "HPND", "ISC",
		"LGPL-2.0-only", "LGPL-2.0-or-later", "LGPL-2.1-only", "LGPL-2.1-or-later", "LGPL-3.0-only",
		"LGPL-3.0-or-later", "MIT", "MIT-0", "MPL-1.1", "MPL-2.0", "MS-PL", "NCSA", "OpenSSL", "PSF-2.0",
		"Python-2.0", "Unicode-3.0", "Unicode-DFS-2016", "Unlicense", "UPL-1.0", "W3C", "WTFPL", "X11",
		"Zlib", "ZPL-2.1",
	}
	m := make(map[string]string, len(ids))
	for _, id := range ids {
		m[strings.ToLower(id)] = id
	}
	// Common spellings in package metadata and trove classifiers.
	for alias, id := range map[string]string{
		"apache 2.0": "Apache-2.0", "apache-2": "Apache-2.0", "apache 2": "Apache-2.0",
		"apache license 2.0": "Apache-2.0", "apache license, version 2.0": "Apache-2.0",
		"apache software license": "Apache-2.0", "asl 2.0": "Apache-2.0",
		"mit license": "MIT", "the mit license": "MIT", "expat": "MIT",
		"bsd license": "BSD-3-Clause", "new bsd": "BSD-3-Clause", "new bsd license": "BSD-3-Clause",
		"3-clause bsd": "BSD-3-Clause", "bsd 3-clause": "BSD-3-Clause", "modified bsd": "BSD-3-Clause",
		"simplified bsd": "BSD-2-Clause", "2-clause bsd": "BSD-2-Clause", "bsd 2-clause": "BSD-2-Clause",
		"isc license": "ISC", "isc license (iscl)": "ISC",
		"mozilla public license 2.0 (mpl 2.0)": "MPL-2.0", "mpl 2.0": "MPL-2.0",
		"python software foundation license": "PSF-2.0", "psf": "PSF-2.0", "psfl": "PSF-2.0",
		"the unlicense (unlicense)": "Unlicense", "public domain": "Unlicense",
		"gpl-2.0": "GPL-2.0-only", "gpl-3.0": "GPL-3.0-only", "gplv3": "GPL-3.0-only", "gplv2": "GPL-2.0-only",
		"lgpl-2.1": "LGPL-2.1-only", "lgpl-3.0": "LGPL-3.0-only", "lgplv3": "LGPL-3.0-only",
		"agpl-3.0": "AGPL-3.0-only", "zope public license": "ZPL-2.1", "boost software license 1.0": "BSL-1.0",
	} {
		m[alias] = id
	}
	return m
}()

// licenseInfo is a package's license as SBOMs express it: an SPDX id, an SPDX
// expression of known ids, or only a free-text name.
type licenseInfo struct {
	id, expr, name string
}

// parseLicense classifies a license string from package metadata.
func parseLicense(s string) licenseInfo {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s, "\n\r") || len(s) > 200 {
		if s != "" {
			return licenseInfo{name: firstLine(s)}
		}
		return licenseInfo{}
	}
	if id, ok := spdxIDs[strings.ToLower(s)]; ok {
		return licenseInfo{id: id}
	}
	if expr, ok := spdxExpression(s); ok {
		return licenseInfo{expr: expr}
	}
	return licenseInfo{name: s}
}

// spdxExpression accepts "A OR B", "A AND (B OR C)", "A WITH exception" over
// known ids and returns it with ids in their canonical case.
func spdxExpression(s string) (string, bool) {
	s = strings.NewReplacer("(", " ( ", ")", " ) ").Replace(s)
	toks := strings.Fields(s)
	if len(toks) < 3 {
		return "", false
	}
	depth := 0
	wantOperand := true
	out := make([]string, 0, len(toks))
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t == "(":
			if !wantOperand {
				return "", false
			}
			depth++
			out = append(out, t)
		case t == ")":
			if wantOperand || depth == 0 {
				return "", false
			}
			depth--
			out = append(out, t)
		case strings.EqualFold(t, "AND") || strings.EqualFold(t, "OR"):
			if wantOperand {
				return "", false
			}
			out = append(out, strings.ToUpper(t))
			wantOperand = true
		case strings.EqualFold(t, "WITH"):
			if wantOperand || i+1 >= len(toks) || !validExceptionToken(toks[i+1]) {
				return "", false
			}
			out = append(out, "WITH", toks[i+1])
			i++
		default:
			if !wantOperand {
				return "", false
			}
			id, ok := spdxIDs[strings.ToLower(strings.TrimSuffix(t, "+"))]
			if !ok || strings.Contains(id, " ") {
				return "", false
			}
			if strings.HasSuffix(t, "+") {
				id += "+"
			}
			out = append(out, id)
			wantOperand = false
		}
	}
	if wantOperand || depth != 0 {
		return "", false
	}
	return strings.NewReplacer("( ", "(", " )", ")").Replace(strings.Join(out, " ")), true
}

func validExceptionToken(t string) bool {
	if t == "" {
		return false
	}
	for _, r := range t {
		if !(r == '-' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

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
