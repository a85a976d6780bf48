package size

import (
	"context"

	"github.com/pyvet/pyvet/internal/check"
	"github.com/pyvet/pyvet/internal/finding"
)

// New returns the size check (heavy, large and trivial dependencies) as a
// check that `audit --all` runs.
func New() check.Check { return sizeCheck{} }

type sizeCheck struct{}

func (sizeCheck) Info() check.Info {
	return check.Info{
		Name: "size",
		Mode: check.WithAll,
		Risks: []finding.RiskInfo{
			{Risk: finding.RiskSize, OWASP: 10, Title: "Under/over-sized dependencies", Doc: "under- and over-sized dependencies (risk 10)"},
		},
	}
}

func (sizeCheck) Run(ctx context.Context, in *check.Input) (check.Result, error) {
	fs, err := Check(ctx, in.Inventory, in.Index, ConfigFromPolicy(in.Policy))
	return check.Result{Findings: fs, Notes: check.ErrorNotes(err)}, nil
}
