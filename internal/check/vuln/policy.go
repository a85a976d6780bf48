package vuln

import (
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/policy"
)

// The rules of the advisory match, under their risks.
func init() {
	policy.Register(policy.Spec{Name: string(finding.RiskVulnerability), Rules: []string{RuleVuln}})
	policy.Register(policy.Spec{Name: string(finding.RiskMalicious), Rules: []string{RuleMalicious}})
}
