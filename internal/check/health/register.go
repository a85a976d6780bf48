package health

import (
	"context"

	"github.com/pyvet/pyvet/internal/check"
	"github.com/pyvet/pyvet/internal/finding"
)

// New returns the package-health checks (outdated, yanked, unmaintained and
// immature projects, versions the index does not have) as a check that
// `audit --all` runs against the package index.
func New() check.Check { return healthCheck{} }

type healthCheck struct{}

func (healthCheck) Info() check.Info {
	return check.Info{
		Name: "health",
		Mode: check.WithAll,
		Risks: []finding.RiskInfo{
			{Risk: finding.RiskUnmaintained, OWASP: 4, Title: "Unmaintained software", Doc: "projects without recent releases or marked inactive (risk 4)"},
			{Risk: finding.RiskOutdated, OWASP: 5, Title: "Outdated software", Doc: "pins behind the latest release, yanked pins (risk 5)"},
			{Risk: finding.RiskUntracked, OWASP: 6, Title: "Untracked dependencies", Doc: "dependencies pyvet could not inventory or audit (risk 6)"},
			{Risk: finding.RiskImmature, OWASP: 8, Title: "Immature software", Doc: "young projects, few releases, pre-release pins (risk 8)"},
		},
		Policy: []string{"yanked"},
	}
}

func (healthCheck) Run(ctx context.Context, in *check.Input) (check.Result, error) {
	cfg := ConfigFromPolicy(in.Policy)
	if in.Now != nil {
		cfg.Now = in.Now
	}
	fs, err := Check(ctx, in.Inventory, in.Index, cfg)
	return check.Result{Findings: fs, Notes: check.ErrorNotes(err)}, nil
}
