package sbom

import (
	"strings"
	"testing"

	"github.com/pyvet/pyvet/internal/finding"
)

// TestAdvisoryTextIsBounded: a hostile advisory's megabytes of text reach
// the SBOM only as a bounded excerpt, in every format.
func TestAdvisoryTextIsBounded(t *testing.T) {
	secret := strings.Repeat("TOKEN=abcdef\n", 80000)
	fs := []finding.Finding{{Risk: finding.RiskVulnerability, Rule: "vuln", ID: "PYSEC-X", Package: "requests", Version: "2.19.0",
		Exact: true, Severity: finding.SeverityHigh, Title: secret, Detail: secret}}
	for _, f := range Formats() {
		out := write(t, Format(f), Options{Findings: fs, Reproducible: true, ToolVersion: "v1"})
		if len(out) > 64<<10 {
			t.Errorf("%s: %d bytes from %d bytes of advisory text", f, len(out), 2*len(secret))
		}
		if !strings.Contains(string(out), "PYSEC-X") {
			t.Errorf("%s: the advisory is missing", f)
		}
	}
}
