package advisory

import (
	"math"
	"strings"

	cvss20 "github.com/pandatix/go-cvss/20"
	cvss30 "github.com/pandatix/go-cvss/30"
	cvss31 "github.com/pandatix/go-cvss/31"
	cvss40 "github.com/pandatix/go-cvss/40"

	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/pep508"
)

// Rating is the severity pyvet gives an advisory.
type Rating struct {
	Level  finding.Severity
	Score  float64 // CVSS base score; 0 when no vector could be scored
	Vector string  // the vector the score comes from
	Source string  // "CVSS_V4", "CVSS_V3", "CVSS_V2", "database_specific" or "malicious"
}

// CVSSScore computes the base score of a CVSS v2, v3.0, v3.1 or v4.0 vector.
func CVSSScore(vector string) (float64, bool) {
	v := strings.TrimSpace(vector)
	switch {
	case strings.HasPrefix(v, "CVSS:4.0/"):
		c, err := cvss40.ParseVector(v)
		if err != nil {
			return 0, false
		}
		return c.Score(), true
	case strings.HasPrefix(v, "CVSS:3.1/"):
		c, err := cvss31.ParseVector(v)
		if err != nil {
			return 0, false
		}
		return c.BaseScore(), true
	case strings.HasPrefix(v, "CVSS:3.0/"):
		c, err := cvss30.ParseVector(v)
		if err != nil {
			return 0, false
		}
		return c.BaseScore(), true
	case strings.HasPrefix(v, "AV:"):
		c, err := cvss20.ParseVector(v)
		if err != nil {
			return 0, false
		}
		return c.BaseScore(), true
	}
	return 0, false
}

// Rate computes an advisory's severity for a package (name may be "" for the
// advisory as a whole): the highest base score among its CVSS vectors (the
// advisory's and the package's), else the severity word of
// database_specific / ecosystem_specific; MAL- advisories are malicious.
func Rate(e *Entry, name string) Rating {
	if e == nil {
		return Rating{}
	}
	if e.IsMalicious() {
		return Rating{Level: finding.SeverityMalicious, Source: "malicious"}
	}
	sevs := append([]Severity(nil), e.Severity...)
	var specific []map[string]any
	n := ""
	if name != "" {
		n = pep508.NormalizeName(name)
	}
	for _, a := range e.Affected {
		if n != "" && pep508.NormalizeName(a.Package.Name) != n {
			continue
		}
		sevs = append(sevs, a.Severity...)
		specific = append(specific, a.DatabaseSpecific, a.EcosystemSpecific)
	}
	specific = append(specific, e.DatabaseSpecific)
	best := Rating{Score: -1}
	for _, s := range sevs {
		if !strings.HasPrefix(s.Type, "CVSS_") {
			continue
		}
		score, ok := CVSSScore(s.Score)
		if !ok || math.IsNaN(score) {
			continue
		}
		if score > best.Score {
			best = Rating{Level: finding.SeverityFromCVSS(score), Score: score, Vector: strings.TrimSpace(s.Score), Source: s.Type}
		}
	}
	if best.Score >= 0 {
		return best
	}
	for _, m := range specific {
		if w, ok := m["severity"].(string); ok {
			if lv, err := finding.ParseSeverity(w); err == nil {
				return Rating{Level: lv, Source: "database_specific"}
			}
		}
	}
	return Rating{}
}
