// Package finding defines the one result type every check produces, for all ten
// OWASP open-source risks, and the ordering reports rely on.
package finding

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/pyvet/pyvet/internal/inventory"
)

// Risk names one of the OWASP Top 10 Open Source Software Risks (plus the
// finer-grained kinds pyvet reports under them).
type Risk string

// The risks pyvet reports. The comment gives the OWASP OSS risk number; the
// checks that report them declare it (RegisterRisk), with the report title.
const (
	RiskVulnerability Risk = "vulnerability"     // 1: known vulnerabilities
	RiskMalicious     Risk = "malicious"         // 2: malicious package (OSV MAL- entries)
	RiskCompromise    Risk = "compromise"        // 2: signature, attestation, hash, integrity failures
	RiskNameConfusion Risk = "name-confusion"    // 3: typosquatting, dependency confusion
	RiskUnmaintained  Risk = "unmaintained"      // 4
	RiskOutdated      Risk = "outdated"          // 5
	RiskUntracked     Risk = "untracked"         // 6: dependencies pyvet could not inventory or audit
	RiskLicense       Risk = "license"           // 7
	RiskImmature      Risk = "immature"          // 8
	RiskUnpinned      Risk = "unapproved-change" // 9: mutable references, missing hashes
	RiskSize          Risk = "size"              // 10: under/over-sized dependencies
)

// Severity orders findings. Malicious is above every CVSS-derived level.
type Severity int

// Severity levels, lowest first.
const (
	SeverityUnknown Severity = iota
	SeverityInfo
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
	SeverityMalicious
)

var severityNames = []string{"unknown", "info", "low", "medium", "high", "critical", "malicious"}

// String returns the lower-case name of the severity.
func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return "unknown"
	}
	return severityNames[s]
}

// ParseSeverity parses a severity name (case-insensitive; "moderate" means medium).
func ParseSeverity(s string) (Severity, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "moderate" {
		return SeverityMedium, nil
	}
	if t == "none" {
		return SeverityInfo, nil
	}
	for i, n := range severityNames {
		if n == t {
			return Severity(i), nil
		}
	}
	return SeverityUnknown, fmt.Errorf("unknown severity %q (want one of %s)", s, strings.Join(severityNames, ", "))
}

// SeverityFromCVSS maps a CVSS base score to a severity band (CVSS v3/v4 ratings).
func SeverityFromCVSS(score float64) Severity {
	switch {
	case score >= 9.0:
		return SeverityCritical
	case score >= 7.0:
		return SeverityHigh
	case score >= 4.0:
		return SeverityMedium
	case score > 0:
		return SeverityLow
	}
	return SeverityInfo
}

// Rank is the severity a finding counts as when findings are gated and
// ordered: unknown (an advisory without a rating) counts as medium, so it
// fails a default run and sorts beside medium findings, not below low ones.
func (s Severity) Rank() Severity {
	if s == SeverityUnknown {
		return SeverityMedium
	}
	return s
}

// MarshalJSON writes the severity as its name.
func (s Severity) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// UnmarshalJSON reads a severity name.
func (s *Severity) UnmarshalJSON(b []byte) error {
	var n string
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	v, err := ParseSeverity(n)
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Finding is one risk found in one package (or in one input file).
type Finding struct {
	Risk     Risk     `json:"risk"`
	Rule     string   `json:"rule"`              // stable rule id, e.g. "vuln", "pin-unpinned", "typosquat"
	ID       string   `json:"id,omitempty"`      // advisory id for vulnerabilities
	Aliases  []string `json:"aliases,omitempty"` // other ids of the same advisory
	Package  string   `json:"package,omitempty"` // normalized name
	Version  string   `json:"version,omitempty"` // version or specifier the finding is about
	Severity Severity `json:"severity"`
	CVSS     float64  `json:"cvss_score,omitempty"`
	Vector   string   `json:"cvss_vector,omitempty"`
	Title    string   `json:"title"`            // one line
	Detail   string   `json:"detail,omitempty"` // explanation a non-expert can act on
	Action   string   `json:"action,omitempty"` // suggested action (command, fix version)
	Fix      []string `json:"fix_versions,omitempty"`
	// Exact is false when the finding is about a range of versions a specifier allows
	// rather than one pinned version.
	Exact    bool                `json:"exact"`
	Location *inventory.Location `json:"location,omitempty"`
	Path     []string            `json:"path,omitempty"` // from a direct dependency to this package
	Direct   bool                `json:"direct"`
	Evidence map[string]string   `json:"evidence,omitempty"` // check-specific facts (publisher, distance, ...)
	// Ignored is set by policy when an ignore rule matched; IgnoreReason says which.
	Ignored      bool   `json:"ignored,omitempty"`
	IgnoreReason string `json:"ignore_reason,omitempty"`
	// Project is the project the finding belongs to in a run over a whole
	// tree (audit -R): its directory relative to the tree's root, "." for
	// the root itself. Empty in a run over one project.
	Project string `json:"project,omitempty"`
}

// Inexact reports whether the finding is an advisory matched against a range:
// the requirement is not pinned, so the advisory affects some version its
// specifier allows, not necessarily the one installed. Reports mark such
// findings in every format.
func (f *Finding) Inexact() bool {
	return !f.Exact && (f.Risk == RiskVulnerability || f.Risk == RiskMalicious)
}

// Sort orders findings deterministically (see Less), stably. It sorts
// indices and then moves each finding once, in place.
func Sort(fs []Finding) {
	sorted := true
	for i := 1; i < len(fs) && sorted; i++ {
		sorted = !Less(&fs[i], &fs[i-1])
	}
	if sorted {
		return
	}
	idx := make([]int32, len(fs))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortStableFunc(idx, func(a, b int32) int {
		switch {
		case Less(&fs[a], &fs[b]):
			return -1
		case Less(&fs[b], &fs[a]):
			return 1
		}
		return 0
	})
	// fs[i] becomes fs[idx[i]]: follow each cycle of the permutation.
	for i := range idx {
		if idx[i] == int32(i) {
			continue
		}
		tmp := fs[i]
		j := i
		for {
			k := int(idx[j])
			idx[j] = int32(j)
			if k == i {
				fs[j] = tmp
				break
			}
			fs[j] = fs[k]
			j = k
		}
	}
}

// Less is the order of Sort: severity rank (highest first; see
// Severity.Rank, so unknown sorts with medium, after it), risk, package,
// version, id, rule, title.
func Less(a, b *Finding) bool {
	if ra, rb := a.Severity.Rank(), b.Severity.Rank(); ra != rb {
		return ra > rb
	}
	if a.Severity != b.Severity {
		return a.Severity > b.Severity
	}
	if a.Risk != b.Risk {
		return a.Risk < b.Risk
	}
	if a.Package != b.Package {
		return a.Package < b.Package
	}
	if a.Version != b.Version {
		return a.Version < b.Version
	}
	if a.ID != b.ID {
		return a.ID < b.ID
	}
	if a.Rule != b.Rule {
		return a.Rule < b.Rule
	}
	return a.Title < b.Title
}
