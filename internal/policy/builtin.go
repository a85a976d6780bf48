package policy

import "github.com/pyvet/pyvet/internal/finding"

// Every risk is a check name: `[checks.license] enabled = false` drops every
// licence finding whatever rule reported it. The checks add their rules and
// settings to these (or declare checks of their own) from their policy.go.
func init() {
	for _, r := range finding.Risks() {
		Register(Spec{Name: string(r), Doc: riskDocs[r]})
	}
	// The verifier (internal/verify) is not a check package; its rules and the
	// audit's own attestation rule are declared here.
	Register(Spec{Name: string(finding.RiskCompromise), Rules: []string{
		"attestation-invalid", "attestation-missing", "attestation-unchecked", "attestation-required-unchecked",
		"hash-mismatch", "hash-unpinned", "record-modified", "record-missing", "record-unhashed", "record-unrecorded", "pth-exec",
	}})
}

var riskDocs = map[finding.Risk]string{
	finding.RiskVulnerability: "known vulnerabilities (OWASP OSS risk 1)",
	finding.RiskMalicious:     "packages reported as malicious (risk 2)",
	finding.RiskCompromise:    "signature, attestation, hash and integrity failures (risk 2)",
	finding.RiskNameConfusion: "typosquatting and dependency confusion (risk 3)",
	finding.RiskUnmaintained:  "projects without recent releases or marked inactive (risk 4)",
	finding.RiskOutdated:      "pins behind the latest release, yanked pins (risk 5)",
	finding.RiskUntracked:     "dependencies pyvet could not inventory or audit (risk 6)",
	finding.RiskLicense:       "licences the policy refuses, unknown or copyleft licences (risk 7)",
	finding.RiskImmature:      "young projects, few releases, pre-release pins (risk 8)",
	finding.RiskUnpinned:      "mutable references and missing hashes (risk 9)",
	finding.RiskSize:          "under- and over-sized dependencies (risk 10)",
}
