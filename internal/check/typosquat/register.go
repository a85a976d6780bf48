package typosquat

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/pyvet/pyvet/internal/check"
	"github.com/pyvet/pyvet/internal/finding"
)

// New returns the typosquatting check (names close to a popular package's,
// judged against the cached popularity list and the index) as a check that
// `audit --all` runs.
func New() check.Check { return typosquatCheck{} }

// NewDependencyConfusion returns the dependency-confusion check (internal
// names that are also on the public index) as a check that `audit --all`
// runs.
func NewDependencyConfusion() check.Check { return confusionCheck{} }

type typosquatCheck struct{}

func (typosquatCheck) Info() check.Info {
	return check.Info{
		Name: "typosquat",
		Mode: check.WithAll,
		Risks: []finding.RiskInfo{
			{Risk: finding.RiskNameConfusion, OWASP: 3, Title: "Name confusion attacks", Doc: "typosquatting and dependency confusion (risk 3)"},
		},
		Policy: []string{"typosquat"},
	}
}

// installHint says how to install the popularity list, online and offline.
const installHint = "install it with `pyvet pypi popularity` (without network: `pyvet pypi popularity --from FILE`, FILE a copy of " + DefaultPopularityURL + ")"

// MissingNote is the one note of a run whose cache holds no popularity list
// (a setup note: the report says it before the others): name confusion is
// not checked, and how to install the list.
const MissingNote = "name confusion not checked: no popularity list installed; " + installHint

func (typosquatCheck) Run(ctx context.Context, in *check.Input) (check.Result, error) {
	pop, err := LoadPopularity(PopularityPath(in.CacheDir))
	if errors.Is(err, os.ErrNotExist) {
		return check.Result{Setup: []string{MissingNote}}, nil
	}
	if err != nil {
		// A damaged list: the same remedy replaces it (said before the
		// error, which a long note would clip).
		return check.Result{Setup: []string{fmt.Sprintf("name confusion not checked: the popularity list cannot be read; re%s: %v", installHint, err)}}, nil
	}
	cfg := configFrom(in)
	fs, err := CheckIndex(ctx, in.Inventory, pop, in.Index, cfg)
	return check.Result{Findings: fs, Notes: check.ErrorNotes(err)}, nil
}

type confusionCheck struct{}

func (confusionCheck) Info() check.Info {
	return check.Info{
		Name:   "dependency-confusion",
		Mode:   check.WithAll,
		Policy: []string{string(finding.RiskNameConfusion), "dependency-confusion"},
	}
}

func (confusionCheck) Run(ctx context.Context, in *check.Input) (check.Result, error) {
	fs, err := CheckDependencyConfusion(ctx, in.Inventory, in.Index, configFrom(in))
	return check.Result{Findings: fs, Notes: check.ErrorNotes(err)}, nil
}

// configFrom reads the policy's settings and the input's clock.
func configFrom(in *check.Input) Config {
	cfg := ConfigFromPolicy(in.Policy)
	if in.Now != nil {
		cfg.Now = in.Now
	}
	return cfg
}
