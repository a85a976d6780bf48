package license

import (
	"context"

	"github.com/pyvet/pyvet/internal/check"
	"github.com/pyvet/pyvet/internal/finding"
)

// New returns the license check as a check that `audit --all` runs.
func New() check.Check { return licenseCheck{} }

type licenseCheck struct{}

func (licenseCheck) Info() check.Info {
	return check.Info{
		Name: "license",
		Mode: check.WithAll,
		Risks: []finding.RiskInfo{
			{Risk: finding.RiskLicense, OWASP: 7, Title: "License risk", Doc: "licences the policy refuses, unknown or copyleft licences (risk 7)"},
		},
	}
}

func (licenseCheck) Run(ctx context.Context, in *check.Input) (check.Result, error) {
	fs, err := Check(ctx, in.Inventory, in.Index, ConfigFromPolicy(in.Policy))
	return check.Result{Findings: fs, Notes: check.ErrorNotes(err)}, nil
}
