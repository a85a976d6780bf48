package vuln

import (
	"context"

	"github.com/pyvet/pyvet/internal/check"
	"github.com/pyvet/pyvet/internal/finding"
)

// New returns the advisory match as a check: every audit runs it against
// the advisory source of its input.
func New() check.Check { return advisoryCheck{} }

type advisoryCheck struct{}

func (advisoryCheck) Info() check.Info {
	return check.Info{
		Name: "vulnerability",
		Mode: check.Always,
		Risks: []finding.RiskInfo{
			{Risk: finding.RiskVulnerability, OWASP: 1, Title: "Known vulnerabilities", Doc: "known vulnerabilities (OWASP OSS risk 1)"},
			{Risk: finding.RiskMalicious, OWASP: 2, Title: "Malicious packages", Doc: "packages reported as malicious (risk 2)"},
		},
	}
}

// Run matches the inventory; advisories of it that the index could not
// read fail the check (a *DamagedError), never a clean run.
func (advisoryCheck) Run(_ context.Context, in *check.Input) (check.Result, error) {
	res := Check(in.Inventory, in.Advisories)
	if err := res.Err(); err != nil {
		return check.Result{}, err
	}
	return check.Result{Findings: res.Findings, Notes: res.Notes, Skipped: res.Skipped}, nil
}
