package cooldown

import (
	"context"

	"github.com/pyvet/pyvet/internal/check"
)

// New returns the dependency cooldown check: versions uploaded to their
// index fewer than [checks.cooldown] days ago. It runs on every audit,
// from the upload times the inventory holds (lockfiles, the resolver); with
// `audit --all` it also looks up, on the package index, the upload time of
// pinned versions the inventory has none for.
func New() check.Check { return cooldownCheck{} }

type cooldownCheck struct{}

// Info reports the check. Its findings are filed under OWASP OSS risk 2,
// "Compromise of legitimate packages" (declared by the attestation check),
// rather than risk 8, "Immature software": what a cooldown guards against
// is not an immature project but a malicious version of an established one,
// published from a hijacked account or release pipeline and typically
// found and removed within days. The cooldown is the window in which such
// a compromise is still undetected.
func (cooldownCheck) Info() check.Info {
	return check.Info{
		Name:   CheckName,
		Mode:   check.Always,
		Policy: []string{CheckName},
	}
}

// Run reads the policy's cooldown and checks in.Inventory against in.Clock.
func (cooldownCheck) Run(ctx context.Context, in *check.Input) (check.Result, error) {
	fs, err := Check(ctx, in.Inventory, in.Index, ConfigFromPolicy(in.Policy), in.Clock())
	return check.Result{Findings: fs, Notes: check.ErrorNotes(err)}, nil
}
