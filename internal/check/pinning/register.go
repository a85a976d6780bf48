package pinning

import (
	"context"

	"github.com/pyvet/pyvet/internal/check"
	"github.com/pyvet/pyvet/internal/finding"
)

// New returns the unapproved-change check (mutable references, missing
// hashes, stale lockfiles) as a check that `audit --all` runs.
func New() check.Check { return pinningCheck{} }

type pinningCheck struct{}

func (pinningCheck) Info() check.Info {
	return check.Info{
		Name: CheckName,
		Mode: check.WithAll,
		Risks: []finding.RiskInfo{
			{Risk: finding.RiskUnpinned, OWASP: 9, Title: "Unapproved changes (mutability)", Doc: "mutable references and missing hashes (risk 9)"},
		},
	}
}

func (pinningCheck) Run(_ context.Context, in *check.Input) (check.Result, error) {
	return check.Result{Findings: Check(in.Inventory, ConfigFrom(in.Policy))}, nil
}
