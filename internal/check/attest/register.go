package attest

import (
	"context"

	"github.com/pyvet/pyvet/internal/check"
	"github.com/pyvet/pyvet/internal/finding"
	"github.com/pyvet/pyvet/internal/verify"
)

// New returns the provenance check: `audit --attestations` runs it, and so
// does every audit whose policy requires an attestation or a signature of
// one of the inventory's packages.
func New() check.Check { return attestCheck{} }

type attestCheck struct{}

func (attestCheck) Info() check.Info {
	return check.Info{
		Name: "attestations",
		Mode: check.WithAttestations,
		Risks: []finding.RiskInfo{
			{Risk: finding.RiskCompromise, OWASP: 2, Title: "Compromise of legitimate packages", Doc: "signature, attestation, hash and integrity failures (risk 2)"},
		},
	}
}

// Required reports whether the policy requires an attestation or a
// signature of one of the inventory's packages.
func (attestCheck) Required(in *check.Input) bool {
	return len(requiredAttestations(in.Inventory, in.Policy)) > 0
}

func (attestCheck) Run(ctx context.Context, in *check.Input) (check.Result, error) {
	fs, err := Run(ctx, in.Inventory, in.Policy, verify.AttestOptions{
		Client:      in.Attestations.Client,
		RootOptions: in.Attestations.Root,
	})
	return check.Result{Findings: fs, Notes: check.ErrorNotes(err)}, nil
}
