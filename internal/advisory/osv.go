// Package advisory is pyvet's advisory database: it reads OSV advisories (an
// OSV per-ecosystem all.zip export, a directory of OSV .json/.yaml files such as
// a clone of the PyPA advisory database, or pyvet's own index file), builds a
// compact index that loads in milliseconds, keeps it up to date from a
// configurable URL, and matches package versions against it following the OSV
// schema and PEP 440.
package advisory

// Entry is one OSV advisory (https://ossf.github.io/osv-schema/).
type Entry struct {
	SchemaVersion    string         `json:"schema_version,omitempty"`
	ID               string         `json:"id"`
	Modified         string         `json:"modified,omitempty"`
	Published        string         `json:"published,omitempty"`
	Withdrawn        string         `json:"withdrawn,omitempty"`
	Aliases          []string       `json:"aliases,omitempty"`
	Related          []string       `json:"related,omitempty"`
	Summary          string         `json:"summary,omitempty"`
	Details          string         `json:"details,omitempty"`
	Severity         []Severity     `json:"severity,omitempty"`
	Affected         []Affected     `json:"affected,omitempty"`
	References       []Reference    `json:"references,omitempty"`
	Credits          []Credit       `json:"credits,omitempty"`
	DatabaseSpecific map[string]any `json:"database_specific,omitempty"`
}

// Severity is one severity score of an advisory or of one affected package.
type Severity struct {
	Type  string `json:"type"`  // CVSS_V2, CVSS_V3, CVSS_V4, Ubuntu
	Score string `json:"score"` // the vector (or rating for non-CVSS types)
}

// Package names an affected package.
type Package struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	Purl      string `json:"purl,omitempty"`
}

// Affected lists the affected versions of one package.
type Affected struct {
	Package           Package        `json:"package"`
	Severity          []Severity     `json:"severity,omitempty"`
	Ranges            []Range        `json:"ranges,omitempty"`
	Versions          []string       `json:"versions,omitempty"`
	EcosystemSpecific map[string]any `json:"ecosystem_specific,omitempty"`
	DatabaseSpecific  map[string]any `json:"database_specific,omitempty"`
}

// Range is one affected range: a list of events over ECOSYSTEM, SEMVER or GIT
// versions.
type Range struct {
	Type             string         `json:"type"`
	Repo             string         `json:"repo,omitempty"`
	Events           []Event        `json:"events"`
	DatabaseSpecific map[string]any `json:"database_specific,omitempty"`
}

// Event is one range event; exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// Reference is a link about the advisory.
type Reference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// Credit names someone credited in the advisory.
type Credit struct {
	Name    string   `json:"name"`
	Contact []string `json:"contact,omitempty"`
	Type    string   `json:"type,omitempty"`
}

// Ecosystem is the OSV ecosystem pyvet matches.
const Ecosystem = "PyPI"

// IsMalicious reports whether the advisory reports a malicious package (an
// OSV MAL- entry).
func (e *Entry) IsMalicious() bool { return len(e.ID) > 4 && e.ID[:4] == "MAL-" }
