package server

import (
	"strings"

	"github.com/pyvet/pyvet/internal/osvclient"
)

// knownEcosystems are the OSV ecosystem names (before any ":suffix") of the
// OSV schema's ecosystems.json. Names are case-sensitive, as osv.dev treats
// them: a query naming an ecosystem outside this list is a 400, one naming
// a listed ecosystem other than PyPI is valid but not served by this mirror.
var knownEcosystems = map[string]bool{
	"AlmaLinux": true, "Alpine": true, "Android": true, "BellSoft": true,
	"Bioconductor": true, "Bitnami": true, "Chainguard": true, "ConanCenter": true,
	"CRAN": true, "crates.io": true, "Debian": true, "GHC": true,
	"GitHub Actions": true, "Go": true, "Hackage": true, "Hex": true,
	"Kubernetes": true, "Linux": true, "Mageia": true, "Maven": true,
	"npm": true, "NuGet": true, "openSUSE": true, "OSS-Fuzz": true,
	"Packagist": true, "Photon OS": true, "Pub": true, "PyPI": true,
	"Red Hat": true, "Rocky Linux": true, "RubyGems": true, "SUSE": true,
	"SwiftURL": true, "Ubuntu": true, "Wolfi": true,
}

// unservedPrefix starts the message of every valid query this mirror has no
// data for.
const unservedPrefix = "this mirror holds only PyPI advisories"

// checkEcosystem validates an ecosystem name as osv.dev does. It returns
// unserved (a message) for a valid ecosystem other than PyPI.
func checkEcosystem(eco string) (unserved string, err error) {
	switch {
	case eco == "" || eco == osvclient.EcosystemPyPI:
		return "", nil
	case strings.EqualFold(eco, osvclient.EcosystemPyPI):
		return "", badRequest("Invalid ecosystem %s: ecosystem names are case-sensitive; use %q", quoteField(eco), osvclient.EcosystemPyPI)
	}
	base, _, _ := strings.Cut(eco, ":")
	if base == osvclient.EcosystemPyPI || !knownEcosystems[base] {
		return "", badRequest("Invalid ecosystem %s", quoteField(eco))
	}
	return unservedPrefix + ", not the " + quoteField(eco) + " ecosystem", nil
}

// isHex reports whether s is a non-empty hexadecimal byte string (an even
// number of hex digits), the commit hashes osv.dev accepts.
func isHex(s string) bool {
	if s == "" || len(s)%2 != 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
