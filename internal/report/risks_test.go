package report

import (
	"testing"

	"github.com/pyvet/pyvet/internal/finding"

	// The checks declare the risks, their OWASP numbers and titles.
	_ "github.com/pyvet/pyvet/internal/check/all"
)

// TestRiskTitlesFromTheChecks: every risk the reports order and title comes
// from the checks' declarations, in OWASP order, and each has a title of its
// own (not its bare name).
func TestRiskTitlesFromTheChecks(t *testing.T) {
	rs := finding.Risks()
	if len(rs) < 10 {
		t.Fatalf("%d risks declared: %v", len(rs), rs)
	}
	last := 0
	for _, r := range rs {
		n := r.OWASPNumber()
		if n < last || n < 1 || n > 10 {
			t.Errorf("%s: OWASP %d after %d", r, n, last)
		}
		last = n
		if riskTitle(r) == string(r) || riskTitle(r) == "" {
			t.Errorf("%s: no title", r)
		}
	}
	if got := riskTitle(finding.RiskVulnerability); got != "Known vulnerabilities" {
		t.Errorf("vulnerability title %q", got)
	}
}
